"""Files that broke the CSV reader (issue 14, item 9), through the admin form and the API.

Before: a stray quote in a 20,000-line file, or one 10 MB line, raised ``_csv.Error`` (HTTP 500,
the whole campaign rolled back); a 200 MB line took minutes and a gigabyte; a UTF-16 file was
20,000 rejected lines. Now such a line is rejected with its number and reason, the valid lines
are imported, memory stays bounded, and UTF-16 is read.
"""

from __future__ import annotations

import io
import tracemalloc

import pytest

from django_letsads.importing import import_recipients
from django_letsads.models import Campaign
from tests.factories import numbers, upload_recipients

pytestmark = pytest.mark.django_db


def csv_lines(count: int) -> list[str]:
    return ["phone;name\n"] + [f"{n};Name {i}\n" for i, n in enumerate(numbers(count))]


def test_a_stray_quote_in_a_20000_line_file_rejects_that_line_only(superuser_client) -> None:
    lines = csv_lines(20_000)
    lines[5] = '"' + lines[5]  # line 6 of the file opens a quote it never closes
    page = upload_recipients(superuser_client, "".join(lines).encode())

    campaign = Campaign.objects.get(name="Promo")
    assert campaign.messages.count() == 19_999
    assert "19999 added, 0 duplicates, 1 rejected." in page
    assert "Line 6" in page
    assert "an opening quote is never closed" in page


def test_a_10_mb_line_is_rejected_with_its_number_and_the_rest_imported(superuser_client) -> None:
    lines = csv_lines(5)
    lines.insert(3, "380501234567;" + "x" * (10 * 1024 * 1024) + "\n")
    page = upload_recipients(superuser_client, "".join(lines).encode())

    assert Campaign.objects.get(name="Promo").messages.count() == 5
    assert "5 added, 0 duplicates, 1 rejected." in page
    assert "Line 4" in page
    assert "line too long" in page


def test_a_csv_field_over_the_csv_modules_limit_is_a_rejected_line(superuser_client) -> None:
    lines = csv_lines(3)
    lines.insert(2, '"' + "9" * 140_000 + '";Big\n')  # one quoted field, one physical line
    page = upload_recipients(superuser_client, "".join(lines).encode())

    assert Campaign.objects.get(name="Promo").messages.count() == 3
    assert "Line 3" in page


class _Generated(io.RawIOBase):
    """A file whose one huge line is generated as it is read, never held whole."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.parts = [head, None, tail]
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while self.parts:
            part = self.parts[0]
            if part is None:
                if self.left:
                    n = min(len(buffer), self.left)
                    buffer[:n] = b"7" * n
                    self.left -= n
                    return n
                self.parts.pop(0)
                continue
            if part:
                n = min(len(buffer), len(part))
                buffer[:n] = part[:n]
                self.parts[0] = part[n:]
                return n
            self.parts.pop(0)
        return 0


def test_a_huge_single_line_is_read_in_bounded_memory() -> None:
    campaign = Campaign.objects.create(name="Big", sender="Test", text="Hi")
    head = b"phone;name\n380501111111;A\n380"
    source = io.BufferedReader(_Generated(head, 50 * 1024 * 1024, b";B\n380502222222;C\n"))
    tracemalloc.start()
    try:
        report = import_recipients(campaign, source, kind="csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.added, report.rejected_count) == (2, 1)
    assert report.rejected[0].line == 3
    assert peak < 8 * 1024 * 1024, f"peak {peak // 2**20} MB"


def test_a_utf16_file_from_excel_is_read(superuser_client) -> None:
    text = "phone\tname\n" + "".join(
        f"{n}\t\u041e\u043b\u0435\u043d\u0430 {i}\n" for i, n in enumerate(numbers(300))
    )
    page = upload_recipients(superuser_client, text.encode("utf-16"), name="list.txt")

    campaign = Campaign.objects.get(name="Promo")
    assert campaign.messages.count() == 300
    assert set(campaign.messages.values_list("recipient_name", flat=True)) >= {
        "\u041e\u043b\u0435\u043d\u0430 0"
    }
    assert "300 added, 0 duplicates, 0 rejected." in page


def test_utf16_without_a_byte_order_mark_is_refused_once(superuser_client) -> None:
    text = "".join(f"{n};Name\n" for n in numbers(300))
    page = upload_recipients(superuser_client, text.encode("utf-16-le"))

    assert "0 added, 0 duplicates, 1 rejected." in page
    assert "the file is UTF-16: save it as CSV UTF-8" in page
