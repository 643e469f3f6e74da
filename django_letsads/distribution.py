"""What a personalised campaign will send, as the Send confirmation shows it: the figures.

:class:`TextDistribution` holds them for one campaign and one way of sending (as written or
transliterated); :mod:`django_letsads.personalisation` computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django_letsads.bulk_rendering import measure
from django_letsads.text import configured_limits

#: ``Message.error_code`` of a recipient left out because the rendering is over the limit.
TEXT_TOO_LONG = "TEXT_TOO_LONG"
#: How many numbers of recipients with too long a text the confirmation lists.
SHOWN_NUMBERS = 5


@dataclass
class TextDistribution:
    """The pending, not opted-out messages of a campaign as they will be sent.

    ``segments`` maps segments per message to the number of recipients; ``distinct_texts`` is
    how many different texts go out (each needs a request of its own: the least number of
    requests). ``missing``/``too_long`` count the recipients left out, ``missing_fields`` names
    the fields whose values were missing, ``too_long_numbers`` lists the first few numbers.
    ``longest``/``shortest`` are the longest and shortest texts sent (as the counter shows them).
    """

    segments: dict[int, int] = field(default_factory=dict)
    distinct_texts: int = 0
    missing: int = 0
    missing_fields: tuple[str, ...] = ()
    too_long: int = 0
    too_long_numbers: tuple[str, ...] = ()
    longest: str = ""
    shortest: str = ""
    encodings: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        """Recipients who will be sent a text (the left-out ones are not counted)."""
        return sum(self.segments.values())

    @property
    def total_segments(self) -> int:
        return sum(segments * count for segments, count in self.segments.items())

    @property
    def left_out(self) -> int:
        return self.missing + self.too_long

    @property
    def segments_display(self) -> str:
        """``1: 900 · 2: 100`` (segments per message: recipients), for the confirmation."""
        return " · ".join(f"{s}: {n}" for s, n in self.segment_rows)

    @property
    def segment_rows(self) -> list[tuple[int, int]]:
        """(segments per message, recipients), fewest segments first."""
        return sorted(self.segments.items())

    @property
    def missing_fields_display(self) -> str:
        return ", ".join("{" + name + "}" for name in self.missing_fields)

    @property
    def too_long_numbers_display(self) -> str:
        more = ", …" if self.too_long > len(self.too_long_numbers) else ""
        return ", ".join(self.too_long_numbers) + more

    def summary(self) -> str:
        """What changes the confirmed figures, for the confirmation's fingerprint."""
        return f"{sorted(self.segments.items())}|{self.distinct_texts}|{self.left_out}"


def single(text: str, count: int) -> TextDistribution:
    """The figures of ``count`` recipients who all get ``text``."""
    encoding, parts, over = measure(text, configured_limits())
    if not count:
        return TextDistribution(longest=text, shortest=text)
    if over:
        return TextDistribution(too_long=count, longest=text, shortest=text)
    return TextDistribution(
        segments={parts: count},
        distinct_texts=1,
        longest=text,
        shortest=text,
        encodings={encoding: count},
    )
