"""The stop list in the admin: search, add, delete (= opt in), CSV import and export, counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from django_letsads.models import Campaign, OptOut
from django_letsads.optout import opt_out
from tests.factories import make_campaign, numbers, staff_client

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:django_letsads_optout_changelist")


def test_search_finds_a_number_as_people_write_it(admin_client):
    opt_out("380501234567", reason="complained")
    opt_out("380671234567")

    page = admin_client.get(CHANGELIST, {"q": "+380 (50) 123-45-67"}).content.decode()

    assert "380501234567" in page
    assert "380671234567" not in page
    assert "complained" in admin_client.get(CHANGELIST, {"q": "compl"}).content.decode()


def test_adding_normalises_the_number_and_records_the_admin_as_source(admin_client):
    admin_client.post(
        reverse("admin:django_letsads_optout_add"), {"number": "050 123 45 67", "reason": "call"}
    )

    entry = OptOut.objects.get()
    assert (entry.number, entry.reason, entry.source) == ("380501234567", "call", "admin")


def test_adding_an_invalid_number_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:django_letsads_optout_add"), {"number": "hello", "reason": ""}
    )

    assert "is not a phone number" in response.content.decode()
    assert not OptOut.objects.exists()


def test_deleting_opts_the_numbers_back_in(admin_client):
    opt_out("380501234567")
    opt_out("380671234567")
    keep = OptOut.objects.get(number="380671234567")

    admin_client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "_selected_action": [OptOut.objects.get(number="380501234567").pk],
            "post": "yes",
        },
    )

    assert list(OptOut.objects.all()) == [keep]


def test_deleting_needs_the_delete_permission():
    opt_out("380501234567")
    entry = OptOut.objects.get()
    client = staff_client("view_optout")

    response = client.post(
        reverse("admin:django_letsads_optout_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert OptOut.objects.exists()
    assert client.get(reverse("admin:django_letsads_optout_import")).status_code == 403


def test_csv_import_adds_numbers_and_reports_bad_lines(admin_client):
    opt_out("380671234567")
    upload = SimpleUploadedFile(
        "stop.csv",
        "\ufeffnumber;reason\n0501234567;spam\n380671234567;\nnope;x\n\n380931234567;\n".encode(),
        "text/csv",
    )

    response = admin_client.post(
        reverse("admin:django_letsads_optout_import"),
        {"file": upload, "reason": "old provider"},
        follow=True,
    )

    page = response.content.decode()
    assert "File “stop.csv”: 2 added, 1 already on the list, 1 rejected." in page
    assert "Line 4 “nope”" in page
    assert dict(OptOut.objects.values_list("number", "reason")) == {
        "380501234567": "spam",
        "380671234567": "",
        "380931234567": "old provider",
    }
    assert OptOut.objects.get(number="380501234567").source == "import"


def test_csv_export_streams_every_entry_and_defuses_formulas(admin_client):
    opt_out("380501234567", reason='=HYPERLINK("http://x")')
    opt_out("380671234567", reason="ok")

    response = admin_client.get(reverse("admin:django_letsads_optout_export"))

    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["number", "reason", "source", "campaign", "created_at"]
    assert [row[:3] for row in rows[1:]] == [
        ["380501234567", '\'=HYPERLINK("http://x")', "api"],
        ["380671234567", "ok", "api"],
    ]


def test_the_campaign_page_counts_its_opt_outs(admin_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    Campaign.objects.filter(pk=campaign.pk).update(opted_out_recipients=4)
    opt_out(numbers(3)[0], source="link", campaign_id=campaign.pk)
    opt_out(numbers(3)[1], source="link", campaign_id=campaign.pk)
    opt_out("380671234567")  # not because of this campaign

    page = admin_client.get(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert (
        "4 numbers on the stop list left out; 2 recipients opted out through this campaign's link"
        in page.replace("&#x27;", "'")
    )


def test_the_send_confirmation_leaves_out_recipients_on_the_stop_list(admin_client):
    campaign = make_campaign(numbers(5), state=Campaign.State.DRAFT, text="Hi")
    opt_out(numbers(5)[2])

    response = admin_client.post(
        reverse("admin:django_letsads_campaign_changelist"),
        {"action": "send_campaigns", "_selected_action": [campaign.pk]},
    )

    cells = list(response.content.decode().split('<td class="num">')[1:9])
    values = [c.split("</td>")[0] for c in cells]
    assert values[0] == "4"  # recipients that will be sent
    assert values[3] == "1"  # opted-out numbers left out
    assert values[5] == "4"  # total segments


def test_an_admin_without_permissions_sees_no_import_link():
    client = staff_client("view_optout", name="viewer")

    page = client.get(CHANGELIST).content.decode()

    assert "Export CSV" in page
    assert "Import CSV" not in page


def test_the_campaign_import_reports_numbers_left_out_for_the_stop_list(admin_client):
    opt_out("380501234567")

    response = admin_client.post(
        reverse("admin:django_letsads_campaign_add"),
        {
            "name": "Promo",
            "sender": "Shop",
            "text": "Hello",
            "scheduled_at": "",
            "recipients_text": "0501234567\n0671234567",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Pasted numbers: 1 added, 0 duplicates, 0 rejected. 1 on the stop list left out." in page
    campaign = Campaign.objects.get()
    assert list(campaign.messages.values_list("recipient", flat=True)) == ["380671234567"]


def test_confirming_a_campaign_with_opted_out_recipients_starts_it(admin_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT, text="Hi")
    opt_out(numbers(3)[0])
    page = admin_client.post(
        reverse("admin:django_letsads_campaign_changelist"),
        {"action": "send_campaigns", "_selected_action": [campaign.pk]},
    ).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page))

    admin_client.post(
        reverse("admin:django_letsads_campaign_changelist"),
        {"action": "send_campaigns", "_selected_action": [campaign.pk], "post": "yes", **hidden},
    )

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
