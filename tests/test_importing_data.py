"""CSV imports keep every column of a header row in Message.data, for personalised texts."""

from __future__ import annotations

import pytest
from django.db import transaction

from django_letsads.importing import DuplicateColumnsError, import_recipients
from django_letsads.models import Campaign
from django_letsads.recipient_data import MAX_VALUE_LENGTH, VALUE_TOO_LONG, data_fields
from tests.factories import upload_recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    return Campaign.objects.create(name="Sale", sender="Shop", text="Hi {name}")


def stored(campaign: Campaign) -> dict[str, tuple[str, object]]:
    rows = campaign.messages.values_list("recipient", "recipient_name", "data")
    return {number: (name, data) for number, name, data in rows}


def test_every_column_of_a_header_row_is_kept_with_names_lower_cased_and_trimmed(campaign):
    csv = (
        " Name ;PHONE; City ;Promo Code;Ім'я батька\n"
        'Олена;+380501234567;Київ;"A""1";Петрівна\n'
        '"O\'Brien, Jr.";380671234567;  Львів ;🎉 B2;\n'
    )

    report = import_recipients(campaign, csv, kind="csv")

    assert (report.added, report.rejected_count) == (2, 0)
    assert stored(campaign) == {
        "380501234567": (
            "Олена",
            {
                "name": "Олена",
                "city": "Київ",
                "promo_code": 'A"1',
                "імя_батька": "Петрівна",
            },
        ),
        "380671234567": (
            "O'Brien, Jr.",
            {"name": "O'Brien, Jr.", "city": "Львів", "promo_code": "🎉 B2", "імя_батька": ""},
        ),
    }
    assert data_fields(campaign) == {"name", "city", "promo_code", "імя_батька"}


def test_pasted_numbers_and_a_phone_only_csv_have_no_data(campaign):
    import_recipients(campaign, "380501234567\n380671234567")
    import_recipients(campaign, "phone\n380931234567\n", kind="csv")

    assert {data for _, data in stored(campaign).values()} == {None}
    assert data_fields(campaign) == set()


def test_a_csv_without_header_keeps_its_name_column_as_name(campaign):
    import_recipients(campaign, "380501234567,Олена,ignored\n380671234567\n", kind="csv")

    assert stored(campaign) == {
        "380501234567": ("Олена", {"name": "Олена"}),
        "380671234567": ("", {"name": ""}),
    }


def test_a_value_over_the_limit_rejects_its_line_not_the_file(campaign):
    long = "x" * (MAX_VALUE_LENGTH + 1)
    fits = "y" * MAX_VALUE_LENGTH
    csv = f"phone,name,note\n380501234567,Ann,{long}\n380671234567,Bob,{fits}\n"

    report = import_recipients(campaign, csv, kind="csv")

    assert report.added == 1
    assert [(r.line, r.reason) for r in report.rejected] == [(2, VALUE_TOO_LONG)]
    assert stored(campaign)["380671234567"][1] == {"name": "Bob", "note": fits}


@pytest.mark.parametrize(
    "header", ["phone,name,Name", "phone;city; CITY ;name", "phone,First name,first  name"]
)
def test_duplicate_column_names_refuse_the_file_and_store_nothing(campaign, header):
    csv = header + "\n" + "".join(f"38050123{i:04d},a,b,c\n" for i in range(20))

    with pytest.raises(DuplicateColumnsError, match="more than once") as caught:
        import_recipients(campaign, csv, kind="csv", chunk_size=5)

    assert isinstance(caught.value, ValueError)
    assert len(caught.value.columns) == 1
    assert not campaign.messages.exists()
    campaign.refresh_from_db()
    assert campaign.invalid_recipients == 0


def test_nul_characters_and_backslashes_survive_the_insert(campaign):
    csv = 'phone,name,path\n380501234567,"A\x00nn","C:\\dir\\ ""x"""\n'

    with transaction.atomic():
        import_recipients(campaign, csv, kind="csv")

    assert stored(campaign)["380501234567"] == ("Ann", {"name": "Ann", "path": 'C:\\dir\\ "x"'})


def test_opted_out_numbers_are_left_out_with_their_data(campaign):
    from django_letsads.optout import opt_out

    opt_out("380501234567")
    report = import_recipients(
        campaign, "phone,name\n380501234567,Ann\n380671234567,Bob\n", kind="csv"
    )

    assert (report.added, report.opted_out) == (1, 1)
    assert stored(campaign) == {"380671234567": ("Bob", {"name": "Bob"})}


def test_a_large_file_keeps_each_rows_own_data_across_chunks(campaign):
    lines = ["phone,name,code\n"] + [f"38050{i:07d},N{i},C{i}\n" for i in range(2500)]

    report = import_recipients(campaign, lines, kind="csv", chunk_size=700)

    assert report.added == 2500
    data = dict(campaign.messages.values_list("recipient", "data"))
    assert all(data[f"38050{i:07d}"] == {"name": f"N{i}", "code": f"C{i}"} for i in range(2500))


def test_the_admin_refuses_a_file_with_duplicate_columns_saying_which(superuser_client):
    page = upload_recipients(superuser_client, "phone,Name,City,name\n380501234567,a,b,c\n")

    assert "was not imported: its header names a column more than once" in page
    assert "“name”: 2, 4" in page
    assert not Campaign.objects.get().messages.exists()


def test_the_admin_reports_a_too_long_value_in_the_language_of_the_page(superuser_client):
    long = "x" * (MAX_VALUE_LENGTH + 1)
    page = upload_recipients(
        superuser_client, f"phone,name\n380501234567,{long}\n380671234567,Bob\n", language="uk"
    )

    assert "1 додано" in page
    assert "значення в стовпці довше за 500 символів" in page
    assert Campaign.objects.get().messages.count() == 1


def test_the_duplicate_columns_error_is_translated(superuser_client):
    page = upload_recipients(superuser_client, "phone,Name,name\n380501234567,a,c\n", language="ru")

    assert "не импортирован" in page
    assert "«list.csv»" in page


@pytest.mark.parametrize("field", ["code", "ім_я", "a__b"])
def test_leaving_out_finds_exactly_the_messages_the_worker_would_fail(campaign, field):
    """Empty, JSON null, another key or no data at all is no value; ``0`` is one ("0")."""
    from django_letsads.leaving_out import leave_out

    import_recipients(campaign, "380501111111\n380501111112\n380501111113\n380501111114\n")
    import_recipients(campaign, "380501111115\n380501111116\n")
    values = {
        "380501111111": {field: "x"},
        "380501111112": {field: ""},
        "380501111113": {field: None},
        "380501111114": {"other": "x"},
        "380501111116": {field: 0},  # rendered as "0": a value
    }
    for number, data in values.items():
        campaign.messages.filter(recipient=number).update(data=data)
    campaign.text = "Hi {" + field + "|x} {unsubscribe_url}"
    assert leave_out(campaign).missing == 0

    campaign.text = "Hi {name|you}, {" + field + "}!"
    assert leave_out(campaign).missing == 4

    assert set(
        campaign.messages.filter(status="cancelled", error_code="MISSING_FIELD").values_list(
            "recipient", flat=True
        )
    ) == {
        "380501111112",
        "380501111113",
        "380501111114",
        "380501111115",  # no data at all
    }
