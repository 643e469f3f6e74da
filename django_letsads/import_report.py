"""What a recipient import did (:func:`django_letsads.importing.import_recipients`): how many
numbers were added, were already there, were on the stop list, and the lines rejected, with
why (the admin shows it: :mod:`django_letsads.admin.import_report`)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Rejected lines kept in the report with their text; the rest are only counted.
MAX_REPORTED_REJECTS = 1000


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """One line that was not imported: its number in the source (from 1), its text and why."""

    line: int
    text: str
    reason: str


@dataclass
class ImportReport:
    """What an import did. ``duplicates`` counts valid numbers the campaign had already (from an
    earlier import or an earlier line). ``rejected`` holds the first :data:`MAX_REPORTED_REJECTS`
    rejected lines; ``rejected_count`` counts them all."""

    added: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    #: Valid numbers left out because they are on the stop list.
    opted_out: int = 0

    @property
    def total(self) -> int:
        return self.added + self.duplicates + self.rejected_count + self.opted_out

    def reject(self, line: int, text: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED_REJECTS:
            self.rejected.append(RejectedLine(line, text[:200], reason))
