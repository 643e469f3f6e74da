"""Each money rule guarded by a test that fails when the rule breaks.

Every test names, in its docstring, the mutation of the production code it was seen to kill (each
was applied by hand, the test failed, the code was restored). They go through the worker, the
gateway simulator over real HTTP, the admin and worker processes, so they survive changes inside
those. Where SQLite and PostgreSQL take different code, the test runs on both
(``LETSADS_TEST_DB=postgres``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone

from django_letsads import get_connection, send_sms
from django_letsads.admin.campaign import CampaignAdmin
from django_letsads.campaigns import resend_unknown
from django_letsads.dispatch import send_batch
from django_letsads.gateway import client_from_settings
from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.signals import status_changed
from django_letsads.worker import SendWorker, recover_expired_claims
from django_letsads.worker.claims import apply_result, claim
from tests.factories import make_campaign, make_outbox_messages, numbers, start_worker, worker_env

S = Message.Status


def statuses(qs: Any = None) -> dict[str, int]:
    return dict(
        Counter((qs if qs is not None else Message.objects).values_list("status", flat=True))
    )


# -- 1. Results only to rows that still hold the round's token -------------------------------------


def _resent_under_a_new_claim(sim_fault: str | None = None) -> tuple[list[Any], Any]:
    """Round 1 claims two messages and sends them; its claim outlives the lease, the messages
    become ``unknown``, a person resends them and round 2 claims them. Returns round 1's claim
    and its (late) answer, not yet written."""
    make_outbox_messages(numbers(2))
    first = claim(2, "round-1")
    late = send_batch(client_from_settings(), "Test", "Code 1234", [m.recipient for m in first])
    Message.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    assert recover_expired_claims(600) == 2
    assert resend_unknown(Message.objects.all()) == 2
    assert len(claim(2, "round-2")) == 2
    return first, late


@pytest.mark.django_db
def test_a_late_acceptance_after_a_resend_is_stale_and_leaves_the_new_claim_alone(
    letsads_simulator,
):
    """The first round's ids must not be written over the second round's claim.

    Kills: ``claim_token=token`` dropped from ``claims._lock_owned`` (SQLite's write) and
    ``m.claim_token = %s`` dropped from ``pgsql.write_queued`` (PostgreSQL's write)."""
    first, late = _resent_under_a_new_claim()

    applied = apply_result("round-1", first, late, release_unsent=False)

    assert (applied.queued, applied.stale) == (0, 2)
    rows = list(Message.objects.values_list("status", "claim_token", "sms_id"))
    assert rows == [(S.SENDING, "round-2", None)] * 2


@pytest.mark.django_db
def test_a_late_error_after_a_resend_is_stale_and_leaves_the_new_claim_alone(letsads_simulator):
    """A late ``unknown`` (an ambiguous fault) of the first round must not overwrite the second
    round's claim either; the second round's own answer is then written.

    Kills: ``claim_token=token`` dropped from ``claims._lock_owned`` (on both databases: error
    answers are written through it everywhere)."""
    letsads_simulator.inject("http_502", 1, only="send")
    first, late = _resent_under_a_new_claim()
    assert {o.status for o in late.outcomes.values()} == {S.UNKNOWN}

    applied = apply_result("round-1", first, late, release_unsent=False)

    assert (applied.unknown, applied.stale) == (0, 2)
    assert set(Message.objects.values_list("status", "claim_token")) == {(S.SENDING, "round-2")}


# -- 2. Every account error pauses its campaigns ---------------------------------------------------


def _wrong_password(sim: Any, settings: Any) -> str:
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": "not-the-password"}
    return "Test"


def _api_disabled(sim: Any, settings: Any) -> str:
    sim.account(settings.LETSADS["LOGIN"]).api_enabled = False
    return "Test"


def _not_moderated(sim: Any, settings: Any) -> str:
    sim.account(settings.LETSADS["LOGIN"]).moderated = False
    return "Test"


def _malformed_sender(sim: Any, settings: Any) -> str:
    return "My Shop"  # our rules allow the space; this gateway does not


def _unregistered_sender(sim: Any, settings: Any) -> str:
    return "Other"


def _no_money(sim: Any, settings: Any) -> str:
    sim.set_balance(settings.LETSADS["LOGIN"], Decimal("0"))
    return "Test"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "arrange"),
    [
        ("AUTH_DATA", _wrong_password),
        ("API_DISABLED", _api_disabled),
        ("USER_NOT_MODERATED", _not_moderated),
        ("INCORRECT_FROM", _malformed_sender),
        ("INVALID_FROM", _unregistered_sender),
        ("NOT_ENOUGH_MONEY", _no_money),
    ],
)
def test_every_account_error_pauses_the_campaign_and_the_next_round_asks_nothing(
    letsads_simulator, settings, code, arrange
):
    """Kills: the pause narrowed to ``NotEnoughMoneyError`` (in ``worker/sending.py``): the
    campaign would stay *sending* and every ``--loop`` round would ask the gateway again.

    Also (found by mutmut): the pause reason without the code or the gateway's message; released
    messages keeping their claim token or claim time, or losing their ``sending → pending``
    event (``claims._write_other``, ``claims.release``)."""
    sender = arrange(letsads_simulator, settings)
    campaign = make_campaign(numbers(160), sender=sender)

    report = SendWorker(concurrency=1).run_once()

    # The round stopped at the refused request: nothing more was claimed or sent (a second
    # batch may already have been on its way to the pool's thread).
    assert len(letsads_simulator.log()) <= 2

    assert report.stop_error is not None
    assert report.stop_error.code == code
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.pause_reason == f"{code}: {report.stop_error.message}"
    assert statuses(campaign.messages) == {S.PENDING: 160}
    claimed = report.counts["claimed"]
    assert claimed >= 50
    assert report.counts["released"] == claimed
    # Released, not held: no claim left on them, and their history says why they came back.
    assert set(campaign.messages.values_list("claim_token", "claimed_at")) == {("", None)}
    returned = StatusEvent.objects.filter(old_status=S.SENDING, new_status=S.PENDING, code=code)
    assert returned.count() == claimed
    requests = len(letsads_simulator.log())
    SendWorker(concurrency=1).run_once()
    assert len(letsads_simulator.log()) == requests


# -- 3. BATCH_SIZE is clamped to the gateway's 50 --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [51, 100])
def test_a_batch_size_over_50_still_sends_requests_the_gateway_takes(
    letsads_simulator, settings, size
):
    """Kills: the clamp of ``LETSADS['BATCH_SIZE']`` (``conf.py``) raised to 51 or removed: every
    request would be refused with ``MAX_MESSAGES_COUNT`` and the campaign fail."""
    settings.LETSADS = {**settings.LETSADS, "BATCH_SIZE": size}
    campaign = make_campaign(numbers(120))

    SendWorker(concurrency=1).run_once()

    assert statuses(campaign.messages) == {S.QUEUED: 120}
    assert sorted(len(e.recipients) for e in letsads_simulator.sends()) == [20, 50, 50]


@pytest.mark.django_db
def test_a_dry_run_counts_the_requests_a_batch_size_over_50_really_makes(
    letsads_simulator, settings, capsys
):
    """Kills: the ``BATCH_SIZE`` clamp raised to 51 (the dry run would promise 3 requests of
    51, 51 and 18)."""
    settings.LETSADS = {**settings.LETSADS, "BATCH_SIZE": 100}
    make_campaign(numbers(101))

    call_command("letsads_send", "--dry-run")

    assert "Would send 101 message(s) in 3 request(s)" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("size", [51, 100])
@pytest.mark.parametrize("where", ["setting", "option"])
def test_send_sms_with_a_batch_size_over_50_sends_requests_the_gateway_takes(
    letsads_simulator, settings, size, where
):
    """The ``letsads`` backend takes the size from the setting or its ``batch_size`` option.

    Kills: the backend's own clamp (``backends/letsads.py``) raised to 51 (the ``option``
    cases). The backend clamps the setting too, so the setting's clamp in ``conf.py`` is guarded
    by the worker and dry-run tests above."""
    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    if where == "setting":
        settings.LETSADS = {**settings.LETSADS, "BATCH_SIZE": size}
        connection = get_connection()
    else:
        connection = get_connection(batch_size=size)

    results = send_sms("Code 1234", numbers(101), connection=connection)

    assert Counter(r.status for r in results) == {S.QUEUED: 101}
    assert sorted(len(e.recipients) for e in letsads_simulator.sends()) == [1, 50, 50]


# -- 4. SKIP LOCKED keeps workers from waiting on each other ---------------------------------------


@pytest.fixture
def postgres_commits(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers on its file lock")


def _on_another_connection(func: Any, *args: Any) -> dict[str, Any]:
    """Run ``func(*args)`` on a thread (so on a connection of its own) whose statements give up
    after two seconds of waiting for a lock: a regression fails fast instead of hanging."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute("SET statement_timeout = '20s'")
            outcome["result"] = func(*args)
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    return outcome


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_commits")
def test_a_second_claim_returns_while_the_first_claims_transaction_is_open():
    """Kills: ``skip_locked=True`` dropped from the claim's ``select_for_update`` (the claims
    would stay disjoint, but the second worker would wait behind the first's transaction; here
    its ``lock_timeout`` turns that wait into an error)."""
    make_outbox_messages(numbers(10))
    with transaction.atomic():
        mine = claim(4, "first")  # committed only when this block ends: its rows stay locked
        other = _on_another_connection(claim, 10, "second")

        assert "error" not in other, other.get("error")
        theirs = other["result"]
        assert len(mine) == 4
        assert len(theirs) == 6
        assert not {m.id for m in mine} & {m.id for m in theirs}


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_commits")
def test_lease_recovery_passes_over_rows_a_live_worker_is_writing():
    """Kills: ``skip_locked=True`` dropped from ``recover_expired_claims``: a worker's recovery
    would wait behind another worker writing its results (and then declare them ``unknown``)."""
    make_outbox_messages(numbers(3))
    claim(3, "slow")
    Message.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    with transaction.atomic():
        # What a writer does first: lock the rows of its round.
        list(Message.objects.select_for_update().filter(claim_token="slow"))
        other = _on_another_connection(recover_expired_claims, 600)

        assert other == {"result": 0}
    assert statuses() == {S.SENDING: 3}


# -- 6. Second, independent guards -------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_error_makes_a_workers_batch_unknown_and_it_is_never_resent(letsads_simulator):
    """``UNKNOWN_ERROR`` through the worker (the backend tests check it through ``send_sms``).

    Kills: ``UnknownGatewayError.maybe_sent`` set to False (the batch would be ``failed``, and a
    campaign that paid for it would report it as never sent)."""
    campaign = make_campaign(numbers(120))
    letsads_simulator.inject("unknown_error", 1, only="send", processed=True)

    SendWorker(concurrency=1).run_once()
    SendWorker(concurrency=1).run_once()

    assert statuses(campaign.messages) == {S.QUEUED: 70, S.UNKNOWN: 50}
    unknown = campaign.messages.filter(status=S.UNKNOWN)
    assert set(unknown.values_list("error_code", flat=True)) == {"UNKNOWN_ERROR"}
    billed = Counter(letsads_simulator.sent_recipients())
    assert set(billed) == set(numbers(120))
    assert max(billed.values()) == 1


class StaffMaySendAdmin(CampaignAdmin):
    """A project's own admin that offers the send action to all staff (a lax mistake)."""

    def has_send_campaign_permission(self, request: Any) -> bool:
        return bool(request.user.is_staff)


lax_site = admin.AdminSite(name="lax")
lax_site.register(Campaign, StaffMaySendAdmin)
urlpatterns = [path("admin/", admin.site.urls), path("lax/", lax_site.urls)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_send_action_refuses_a_user_without_the_permission_where_an_admin_offers_it(
    letsads_simulator,
):
    """Through an admin view: an admin that shows the action to a user without
    ``send_campaign`` must still not start the campaign.

    Kills: ``_require_permission(request)`` removed from ``send_campaigns``."""
    campaign = make_campaign(numbers(2), state=Campaign.State.DRAFT)
    user = User.objects.create_user("editor", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_letsads", codename__in=["view_campaign"]
        )
    )
    client = Client()
    client.force_login(user)
    url = reverse("lax:django_letsads_campaign_changelist")
    assert 'value="send_campaigns"' in client.get(url).content.decode()  # offered...
    data = {"action": "send_campaigns", "_selected_action": [campaign.pk]}

    asked = client.post(url, data)
    confirmed = client.post(url, {**data, "post": "yes"})

    assert (asked.status_code, confirmed.status_code) == (403, 403)  # ...and refused
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    assert statuses(campaign.messages) == {S.PENDING: 2}


@pytest.fixture
def statuses_seen_by_the_gateway(letsads_simulator: Any) -> Iterator[list[set[tuple[str, str]]]]:
    """For each send request, the (status, has a claim token) of its recipients' rows as another
    connection sees them at the moment the gateway acts: only what is committed."""
    seen: list[set[tuple[str, str]]] = []
    gateway = letsads_simulator.gateway
    real_execute = gateway.execute

    def execute(request: Any, fault: Any = None) -> Any:
        if request.recipients:
            try:
                rows = Message.objects.filter(recipient__in=request.recipients)
                seen.append(
                    {
                        (s, "token" if t else "")
                        for s, t in rows.values_list("status", "claim_token")
                    }
                )
            finally:
                connections.close_all()  # this thread's own connection
        return real_execute(request, fault)

    gateway.execute = execute
    try:
        yield seen
    finally:
        gateway.execute = real_execute


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_commits_its_claims_before_the_gateway_sees_them(
    letsads_simulator, statuses_seen_by_the_gateway, settings
):
    """Through a worker process (the other guard is a writer test in-process): when a request
    reaches the gateway, every recipient in it is already committed as ``sending`` under a claim.

    Kills: the round run inside one transaction (``transaction.atomic()`` around the round in
    ``SendWorker.run_once``): on SQLite the claims would then be committed only after the
    requests went out, and a crash in between would lose what was sent."""
    make_campaign(numbers(120))
    env = worker_env(letsads_simulator.url, settings.LETSADS["PASSWORD"])

    worker = start_worker("letsads_send", env, "--concurrency", "1")
    output = worker.communicate(timeout=120)[0]

    assert worker.returncode == 0, output
    assert statuses_seen_by_the_gateway == [{(S.SENDING, "token")}] * 3
    assert statuses() == {S.QUEUED: 120}


@pytest.mark.django_db
def test_failed_and_unknown_answers_are_recorded_with_code_reason_time_history_and_signal(
    letsads_simulator, django_capture_on_commit_callbacks
):
    """What a worker writes for a refused recipient and for an ambiguous request (found by
    mutmut: none of it was checked through the worker).

    Kills, in ``claims._write_other``: ``final_at`` not set for ``failed`` (or set for
    ``unknown``); the history event or the ``status_changed`` signal of these changes dropped or
    given the wrong statuses or code; the round's counts of requests, failed and unknown
    messages wrong (``apply_results``, ``send_batch``); in ``dispatch._settle``: the reason left
    out."""
    recipients = numbers(100)
    letsads_simulator.add_bad_recipients(recipients[57])
    make_campaign(recipients)
    letsads_simulator.inject("http_502", 1, only="send")  # the first request: batch 1
    signalled: list[tuple[str, str, str, str]] = []

    def receiver(
        sender: Any, message: Message, old_status: str, new_status: str, code: str, **kwargs: Any
    ) -> None:
        signalled.append((message.recipient, old_status, new_status, code))

    status_changed.connect(receiver, sender=Message)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = SendWorker(concurrency=1).run_once()
    finally:
        status_changed.disconnect(receiver, sender=Message)

    unknown = Message.objects.filter(status=S.UNKNOWN)
    failed = Message.objects.get(status=S.FAILED)
    # What ``letsads_send`` prints: three requests (the faulty one, the refused one, its resend).
    assert (report.counts["requests"], report.counts["queued"]) == (3, 49)
    assert (report.counts["failed"], report.counts["unknown"]) == (1, 50)
    assert unknown.count() == 50
    assert failed.recipient == recipients[57]
    assert failed.error_code == f"INCORRECT_RECIPIENT_{recipients[57]}"
    assert failed.error_message
    assert failed.final_at is not None
    assert all(m.error_code and m.error_message and m.final_at is None for m in unknown)
    unknown_code = unknown[0].error_code
    assert list(failed.events.values_list("old_status", "new_status", "code")) == [
        (S.PENDING, S.SENDING, ""),
        (S.SENDING, S.FAILED, failed.error_code),
    ]
    assert set(
        StatusEvent.objects.filter(message__status=S.UNKNOWN)
        .exclude(new_status=S.SENDING)
        .values_list("old_status", "new_status", "code")
    ) == {(S.SENDING, S.UNKNOWN, unknown_code)}
    changes = Counter((old, new, code) for _, old, new, code in signalled)
    assert changes[(S.SENDING, S.UNKNOWN, unknown_code)] == 50
    assert changes[(S.SENDING, S.FAILED, failed.error_code)] == 1
    assert (recipients[57], S.SENDING, S.FAILED, failed.error_code) in signalled


@pytest.mark.django_db
@pytest.mark.letsads_simulator(max_length_gsm7=20)
def test_a_request_refused_as_a_whole_fails_its_messages_instead_of_resending_them(
    letsads_simulator,
):
    """A refusal that is not the account's (here the gateway's own ``MESSAGE_TOO_LONG``) fails
    the batch: putting it back to ``pending`` would make every ``--loop`` round ask again.

    Kills: ``apply_results`` releasing the refused recipients whatever ``release_unsent`` says."""
    campaign = make_campaign(numbers(3), text="A text of more than twenty characters")

    SendWorker(concurrency=1).run_once()
    SendWorker(concurrency=1).run_once()

    assert statuses(campaign.messages) == {S.FAILED: 3}
    assert set(campaign.messages.values_list("error_code", flat=True)) == {"MESSAGE_TOO_LONG"}
    assert len(letsads_simulator.log()) == 1


@pytest.mark.django_db
def test_one_stale_answer_does_not_stop_the_rest_of_a_write(letsads_simulator):
    """Answers written together: the first batch's rows were resent meanwhile (stale), the
    second's are still this round's and must get their result.

    Kills: ``continue`` turned into ``break`` after a group of stale rows in ``apply_results``
    (the second batch would stay ``sending`` and end ``unknown``)."""
    from django_letsads.dispatch import BatchResult, Outcome
    from django_letsads.worker.claims import apply_results

    make_outbox_messages(numbers(2))
    first, second = claim(2, "round-1")
    Message.objects.filter(id=first.id).update(claim_token="someone-else")
    refused = Outcome(S.FAILED, error_code="INCORRECT_RECIPIENT_1", reason="refused")
    other = Outcome(S.FAILED, error_code="INCORRECT_RECIPIENT_2", reason="refused too")
    items = [
        ([first], BatchResult(outcomes={first.recipient: refused}), False),
        ([second], BatchResult(outcomes={second.recipient: other}), False),
    ]

    applied = apply_results("round-1", items)

    assert (applied.failed, applied.stale) == (1, 1)
    assert Message.objects.get(id=second.id).status == S.FAILED
    assert Message.objects.get(id=first.id).status == S.SENDING


@pytest.mark.django_db
def test_releasing_puts_back_only_this_rounds_own_claims():
    """Kills: ``claim_token=token`` dropped from ``claims.release``: a round stopping early would
    put another worker's claims (requests maybe in flight) back to ``pending``, to be sent twice.
    """
    from django_letsads.worker.claims import release

    make_outbox_messages(numbers(2))
    [mine] = claim(1, "mine")
    [theirs] = claim(1, "theirs")

    assert release("mine", [mine.id, theirs.id], code="NOT_ENOUGH_MONEY") == 1

    assert Message.objects.get(id=mine.id).status == S.PENDING
    assert Message.objects.get(id=theirs.id).status == S.SENDING
    assert Message.objects.get(id=theirs.id).claim_token == "theirs"


@pytest.mark.django_db
def test_three_messages_to_one_number_are_three_requests_and_three_ids(letsads_simulator):
    """Kills: the per-recipient layer count of ``make_batches`` not counting up (the second and
    third message would share a batch, the gateway would get the number once, and both
    messages would carry one id: one SMS billed, two recorded as sent)."""
    make_outbox_messages(["380671112233"] * 3)

    SendWorker().run_once()

    assert statuses() == {S.QUEUED: 3}
    assert letsads_simulator.billed_count("380671112233") == 3
    assert len(set(Message.objects.values_list("sms_id", flat=True))) == 3


@pytest.mark.django_db
def test_limit_holds_across_several_claims_of_a_round(letsads_simulator, settings):
    """Kills: the round's claimed total reset on each claim (``claimed_total = len(...)``): with
    claims smaller than ``--limit`` the round would send more than it was allowed."""
    settings.LETSADS = {**settings.LETSADS, "CLAIM_SIZE": 4}
    make_outbox_messages(numbers(30))

    SendWorker(limit=10, concurrency=1).run_once()

    assert statuses() == {S.QUEUED: 10, S.PENDING: 20}
