"""CSV export: the command and the admin button; content, formula neutralisation, permissions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from django_letsads.export import BOM, COLUMNS, neutralise
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.factories import make_campaign, numbers, staff_client

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)
FINAL = datetime(2026, 3, 1, 10, 4, 0, tzinfo=UTC)


def export_url(campaign_id: int) -> str:
    return reverse("admin:django_letsads_campaign_export", args=[campaign_id])


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+380", "'+380"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Олена", "Олена"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_the_command_exports_every_message_of_10000_with_their_fields(tmp_path: Path):
    campaign = make_campaign(numbers(10_000))
    other = make_campaign(numbers(5, start=50_000), name="Other")
    first = campaign.messages.order_by("id").first()
    assert first is not None
    Message.objects.filter(pk=first.pk).update(
        recipient_name="=cmd|' /C calc'!A0",
        status=Status.DELIVERED,
        sms_id=987654,
        gateway_status="MESSAGE_IS_DELIVERED",
        sent_at=SENT,
        final_at=FINAL,
    )
    target = tmp_path / "out.csv"
    call_command("letsads_export", str(campaign.pk), "-o", str(target))

    raw = target.read_text(encoding="utf-8")
    assert raw.startswith(BOM)
    rows = read(raw)
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 10_001
    assert rows[1] == [
        "380500000000",
        "'=cmd|' /C calc'!A0",
        "delivered",
        "987654",
        "MESSAGE_IS_DELIVERED",
        "",
        "",
        "2026-03-01 10:00:05+00:00",
        "2026-03-01 10:04:00+00:00",
    ]
    assert {row[0] for row in rows[1:]} == set(numbers(10_000))
    assert not {row[0] for row in rows[1:]} & set(
        other.messages.values_list("recipient", flat=True)
    )
    assert not (tmp_path / "out.csv.part").exists()


def test_the_command_writes_to_stdout_without_a_bom():
    campaign = make_campaign(numbers(3))
    out = io.StringIO()
    call_command("letsads_export", str(campaign.pk), stdout=out)
    assert not out.getvalue().startswith(BOM)
    assert [row[0] for row in read(out.getvalue())] == ["recipient", *numbers(3)]


def test_the_command_refuses_a_campaign_that_does_not_exist(tmp_path: Path):
    target = tmp_path / "keep.csv"
    target.write_text("precious")
    with pytest.raises(CommandError, match="Campaign 4242 does not exist"):
        call_command("letsads_export", "4242", "-o", str(target))
    assert target.read_text() == "precious"


def test_the_command_says_when_the_file_cannot_be_written(tmp_path: Path):
    campaign = make_campaign(numbers(1))
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("letsads_export", str(campaign.pk), "-o", str(tmp_path / "no" / "x.csv"))


def test_the_admin_streams_the_csv_as_an_attachment():
    campaign = make_campaign(numbers(2500), state=Campaign.State.DONE)
    client = staff_client("view_campaign", "view_message")
    response = client.get(export_url(campaign.pk))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="campaign-{campaign.pk}-messages.csv"' in response["Content-Disposition"]
    rows = read(b"".join(response.streaming_content).decode())
    assert len(rows) == 2501


def test_the_change_page_offers_the_export_only_to_who_may_use_it():
    campaign = make_campaign(numbers(2))
    change = reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    assert export_url(campaign.pk) in staff_client("view_campaign", "view_message").get(change).text
    User.objects.all().delete()
    assert export_url(campaign.pk) not in staff_client("view_campaign").get(change).text


def test_the_admin_export_needs_the_view_message_permission():
    campaign = make_campaign(numbers(2))
    assert staff_client("view_campaign").get(export_url(campaign.pk)).status_code == 403


def test_the_admin_export_of_a_missing_campaign_is_404():
    assert staff_client("view_campaign", "view_message").get(export_url(999_999)).status_code == 404


def test_the_admin_export_needs_a_staff_login():
    campaign = make_campaign(numbers(2))
    response = Client().get(export_url(campaign.pk))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_recipients_data_is_exported_as_one_column_per_field():
    from django_letsads.export import export_csv
    from django_letsads.importing import import_recipients

    campaign = Campaign.objects.create(name="Data", sender="Shop", text="Hi {name}")
    import_recipients(
        campaign,
        'phone,name,city,note\n380501111111,Олена,Київ,"=cmd|1, ""q"""\n380501111112,Bob,,\n',
        kind="csv",
    )
    import_recipients(campaign, "380501111113")  # pasted: no data
    Message.objects.filter(recipient="380501111112").update(data={"name": "Bob", "n": 5})

    rows = read("".join(export_csv(campaign.pk)))

    assert rows[0] == [*COLUMNS, "data.city", "data.n", "data.name", "data.note"]
    cells = {row[0]: row[len(COLUMNS) :] for row in rows[1:]}
    assert cells == {
        "380501111111": ["Київ", "", "Олена", '\'=cmd|1, "q"'],
        "380501111112": ["", "5", "Bob", ""],
        "380501111113": ["", "", "", ""],
    }


def test_a_campaign_without_data_keeps_the_columns_it_always_had():
    from django_letsads.export import export_csv

    campaign = make_campaign(numbers(3))

    assert read("".join(export_csv(campaign.pk)))[0] == list(COLUMNS)
