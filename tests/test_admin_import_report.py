"""The report after an import in the admin: its wording, plurals and the rejected lines' CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_letsads.models import Campaign
from tests.factories import upload_recipients

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]


def test_an_empty_phone_cell_is_called_empty_and_only_the_phone_is_quoted(superuser_client):
    page = upload_recipients(superuser_client, "phone;name\n;Olena\n0501234567;Petro\n")

    assert "Line 2: the phone number is empty" in page
    assert "Olena" not in page
    assert "contains characters other than digits" not in page


def test_counts_use_plural_forms(superuser_client):
    page = upload_recipients(superuser_client, "phone\n0501234567\n0501234567\nnope\n")

    assert "File “list.csv”: 1 added, 1 duplicate, 1 rejected." in page


def test_counts_use_ukrainian_plural_forms(superuser_client):
    rows = "\n".join(["0501234567"] * 3 + [f"05012345{i:02d}" for i in range(70, 92)])
    page = upload_recipients(superuser_client, f"phone\n{rows}\n", language="uk")

    assert "23 додано, 2 дублікати, 0 відхилено" in page


def test_many_rejected_lines_can_be_downloaded_as_csv(superuser_client):
    bad = [f"=cmd|{i}" for i in range(30)]
    page = upload_recipients(
        superuser_client, "phone;name\n" + "\n".join(f"{b};x" for b in bad) + "\n"
    )

    link = re.search(r'href="([^"]*rejected[^"]*)"', page)
    assert link, "no download link"
    response = superuser_client.get(link.group(1).replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["line", "text", "reason"]
    assert len(rows) == 31
    assert rows[1][0] == "2"
    # A cell a spreadsheet would run as a formula is written as text.
    assert rows[1][1] == "'=cmd|0"


def test_the_rejected_lines_are_only_for_the_user_who_imported(superuser_client):
    page = upload_recipients(superuser_client, "phone\n" + "\n".join(["nope"] * 30) + "\n")
    link = re.search(r'href="([^"]*rejected[^"]*)"', page)
    assert link
    other = Client()
    other.force_login(User.objects.create_superuser("other", "other@example.com", "pw"))

    assert other.get(link.group(1).replace("&amp;", "&")).status_code == 404
    assert Campaign.objects.count() == 1
