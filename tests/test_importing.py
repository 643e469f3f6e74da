"""Recipient imports: what is added, what is a duplicate, what is rejected and why."""

from __future__ import annotations

import io
import time

import pytest

from django_letsads.importing import MAX_REPORTED_REJECTS, import_recipients
from django_letsads.models import Campaign, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    return Campaign.objects.create(name="Spring sale", sender="Shop", text="Hello")


def recipients(campaign: Campaign) -> dict[str, str]:
    return dict(campaign.messages.values_list("recipient", "recipient_name"))


def test_pasted_numbers_one_per_line_or_comma_separated(campaign):
    report = import_recipients(
        campaign, "+380 (50) 123-45-67\n0671234567, 380931234567;380661234567\n\n"
    )

    assert report.added == 4
    assert report.duplicates == 0
    assert report.rejected_count == 0
    assert set(recipients(campaign)) == {
        "380501234567",
        "380671234567",
        "380931234567",
        "380661234567",
    }
    assert set(campaign.messages.values_list("status", flat=True)) == {Message.Status.PENDING}


def test_bad_lines_are_reported_with_reasons_and_never_cost_a_good_one(campaign):
    report = import_recipients(campaign, "380501234567\nhello\n12\n0501234567\n380671234567\n")

    assert report.added == 2
    assert report.duplicates == 1  # 0501234567 is 380501234567 again
    assert [(r.line, r.text) for r in report.rejected] == [(2, "hello"), (3, "12")]
    assert report.rejected[0].reason == "contains characters other than digits"
    assert report.rejected[1].reason
    assert report.total == 5


def test_numbers_the_campaign_already_has_are_duplicates(campaign):
    import_recipients(campaign, "380501234567\n380671234567")

    report = import_recipients(campaign, "380671234567\n380931234567")

    assert (report.added, report.duplicates) == (1, 1)
    assert campaign.messages.count() == 3


def test_duplicates_are_found_across_chunks(campaign):
    numbers = ["380501234567", "380671234567", "380501234567", "380931234567", "380671234567"]

    report = import_recipients(campaign, numbers, chunk_size=2)

    assert (report.added, report.duplicates) == (3, 2)


def test_campaign_keeps_running_totals_of_what_imports_left_out(campaign):
    import_recipients(campaign, "380501234567\n380501234567\nnope")
    import_recipients(campaign, "380501234567\nstill nope")

    campaign.refresh_from_db()
    assert campaign.duplicate_recipients == 2
    assert campaign.invalid_recipients == 2


def test_csv_with_bom_semicolons_and_a_header(campaign):
    data = "\ufeffІм'я;Телефон\nОлена;+380501234567\nPetro;067 123 45 67\n;\nBad;abc\n".encode()  # noqa: RUF001

    report = import_recipients(campaign, io.BytesIO(data), kind="csv")

    assert recipients(campaign) == {"380501234567": "Олена", "380671234567": "Petro"}
    assert report.added == 2
    assert [(r.line, r.text) for r in report.rejected] == [(5, "abc")]


def test_csv_without_header_takes_phone_then_name(campaign):
    data = b'380501234567,Olena\r\n380671234567,"Petro, Jr."\r\n'

    report = import_recipients(campaign, io.BytesIO(data), kind="csv")

    assert report.added == 2
    assert recipients(campaign) == {"380501234567": "Olena", "380671234567": "Petro, Jr."}


def test_csv_header_names_choose_the_columns(campaign):
    data = "id,name,phone number\n1,Olena,380501234567\n2,Petro,0671234567\n"

    import_recipients(campaign, data, kind="csv")

    assert recipients(campaign) == {"380501234567": "Olena", "380671234567": "Petro"}


def test_a_line_that_is_not_utf8_is_rejected_alone(campaign):
    data = b"380501234567;Olena\n" + "380671234567;Петро\n".encode("cp1251")
    data += b"380931234567;Ivan\n"

    report = import_recipients(campaign, io.BytesIO(data), kind="csv")

    assert set(recipients(campaign)) == {"380501234567", "380931234567"}
    assert [(r.line, r.reason) for r in report.rejected] == [(2, "not UTF-8 text")]


def test_report_keeps_a_bounded_list_of_rejected_lines(campaign):
    report = import_recipients(campaign, (f"bad{i}" for i in range(MAX_REPORTED_REJECTS + 5)))

    assert report.rejected_count == MAX_REPORTED_REJECTS + 5
    assert len(report.rejected) == MAX_REPORTED_REJECTS


def test_empty_sources_import_nothing(campaign):
    assert import_recipients(campaign, "").total == 0
    assert import_recipients(campaign, b"\n\n", kind="csv").total == 0


def test_a_hundred_thousand_lines_import_in_seconds(campaign):
    lines = (f"38050{n:07d}\n" for n in range(100_000))
    started = time.perf_counter()

    report = import_recipients(campaign, lines)

    elapsed = time.perf_counter() - started
    assert report.added == 100_000
    assert campaign.messages.count() == 100_000
    assert elapsed < 15, f"100,000 lines took {elapsed:.1f} s"


@pytest.mark.django_db(transaction=True)
def test_each_chunk_is_written_in_one_transaction_outside_the_callers():
    """In autocommit, a multi-row write must still be one transaction per chunk: SQLite would
    otherwise commit and sync to disk after every row (about 1 ms each)."""
    from django.db import connection

    campaign = Campaign.objects.create(name="Autocommit", sender="Test", text="Hello")
    writes: list[tuple[bool, bool]] = []  # (several rows by executemany, inside a transaction)

    def spy(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            writes.append((many, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        report = import_recipients(
            campaign, (f"38050{n:07d}\n" for n in range(1200)), chunk_size=500
        )

    assert report.added == 1200
    assert len(writes) == 3  # one statement per chunk of 500, never one per row
    # A statement of many rows commits once by itself; an executemany must be wrapped.
    assert all(atomic for many, atomic in writes if many)


def test_names_keep_every_character_the_database_can_hold(campaign):
    names = ['O"Brien', "back\\slash", "a,b{c}d", "NULL", "", "Олена Ткачук", "tab\there", "'q'"]
    csv_text = "phone;name\n" + "".join(
        f'38050{n:07d};"{name.replace(chr(34), chr(34) * 2)}"\n' for n, name in enumerate(names)
    )

    report = import_recipients(campaign, csv_text, kind="csv")

    assert report.added == len(names)
    assert recipients(campaign) == {f"38050{n:07d}": name for n, name in enumerate(names)}


@pytest.mark.django_db(transaction=True)
def test_an_import_inside_a_transaction_is_all_or_nothing_even_when_a_chunk_fails(monkeypatch):
    from django.db import connection, transaction

    from django_letsads import importing

    campaign = Campaign.objects.create(name="Atomic", sender="Test", text="Hello")
    method = {"postgresql": "_insert_unnest", "sqlite": "_insert_many"}.get(
        connection.vendor, "_insert_bulk"
    )
    real_insert = getattr(importing._Inserter, method)
    calls = 0

    def failing_third(self, *rows):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the disk is full")
        return real_insert(self, *rows)

    monkeypatch.setattr(importing._Inserter, method, failing_third)
    lines = [f"38050{n:07d}\n" for n in range(2000)]

    with pytest.raises(RuntimeError, match="disk is full"), transaction.atomic():
        import_recipients(campaign, lines, chunk_size=500)

    assert calls == 3
    assert not campaign.messages.exists()


def test_an_import_into_a_deleted_campaign_stops_with_a_clear_error(campaign):
    Campaign.objects.filter(pk=campaign.pk).delete()

    with pytest.raises(Campaign.DoesNotExist, match=rf"Campaign {campaign.pk} does not exist"):
        import_recipients(campaign, "380501234567\n380671234567\n")

    assert not Message.objects.filter(campaign_id=campaign.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_campaign_deleted_during_an_import_leaves_no_message_behind():
    campaign = Campaign.objects.create(name="Deleted midway", sender="Test", text="Hello")

    def lines():
        for n in range(2000):
            if n == 1200:  # two chunks are in
                Campaign.objects.filter(pk=campaign.pk).delete()
            yield f"38050{n:07d}\n"

    with pytest.raises(Campaign.DoesNotExist):
        import_recipients(campaign, lines(), chunk_size=500)

    assert not Message.objects.filter(campaign_id=campaign.pk).exists()


def test_the_same_number_can_be_in_several_campaigns(campaign):
    other = Campaign.objects.create(name="Autumn sale", sender="Shop", text="Hello")

    first = import_recipients(campaign, "380501234567\n")
    second = import_recipients(other, "380501234567\n380501234567\n")

    assert (first.added, second.added, second.duplicates) == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_campaign_deleted_while_an_import_runs_waits_for_it_and_takes_its_messages():
    """``Message.campaign`` has no database constraint: the import's row lock on the campaign and
    the deletion's sweep (``django_letsads.cascade``) are what keep orphans out."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    campaign = Campaign.objects.create(name="Contended", sender="Test", text="Hello")
    deleted = threading.Event()
    errors: list[BaseException] = []

    def delete_from_another_connection() -> None:
        try:
            Campaign.objects.filter(pk=campaign.pk).delete()
            deleted.set()
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    deleter = threading.Thread(target=delete_from_another_connection)
    waited: list[bool] = []

    def lines():
        for n in range(1500):
            if n == 1200:  # two chunks are in, uncommitted; the campaign row is not yet updated
                deleter.start()
                waited.append(not deleted.wait(1.0))
            yield f"38050{n:07d}\n"

    with transaction.atomic():
        report = import_recipients(campaign, lines(), chunk_size=500)
    deleter.join(timeout=30)

    assert waited == [True]  # the deletion waited for the import's transaction
    assert (report.added, errors, deleted.is_set()) == (1500, [], True)
    assert not Message.objects.filter(campaign_id=campaign.pk).exists()
