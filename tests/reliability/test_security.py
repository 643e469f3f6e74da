"""Secrets and authority: the password never leaks, only permitted staff can send, CSRF holds,
and the simulator listens on loopback only."""

from __future__ import annotations

import json
import logging
import re
import socket
import urllib.request
from collections import Counter
from decimal import Decimal
from html import escape

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from django_letsads import get_connection, send_sms
from django_letsads.campaigns import poll_now
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsError
from django_letsads.gateway import client_from_settings
from django_letsads.models import Campaign, Message
from django_letsads.simulator import Simulator
from django_letsads.status import Status
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_campaign, numbers

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

S = Status
# XML and HTML special characters, so an escaped copy would be caught as well as the raw one.
SECRET = "pä&ss<w0rd>\"'-9f3Kq"


def leaks(text: str) -> bool:
    forms = {SECRET, escape(SECRET), escape(SECRET, quote=False), json.dumps(SECRET)[1:-1]}
    forms.add(SECRET.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return any(form in text for form in forms)


@pytest.mark.letsads_simulator(password=SECRET, timeout_seconds=1.0)
def test_password_never_in_logs_exceptions_reprs_or_the_simulator_log(
    letsads_simulator, settings, caplog
):
    sim = letsads_simulator
    settings.LETSADS = {**settings.LETSADS, "TIMEOUT": 0.5, "POLL_RETRY_DELAY": 1}
    assert settings.LETSADS["PASSWORD"] == SECRET
    caplog.set_level(logging.DEBUG)
    campaign = make_campaign(numbers(300))
    sim.faults.set_rate(0.2, ["http_502", "timeout", "drop", "truncated", "unknown_error"])
    errors: list[BaseException] = []

    # A full campaign run with faults, then polling, then the failures people meet.
    SendWorker(concurrency=4).run_once()
    sim.advance(3600)
    poll_now(campaign.messages.all())
    PollWorker(concurrency=4).run_once()
    sim.faults.clear()
    send_sms("Code 1234", ["380671234567"])
    sim.inject("truncated", 1)
    try:
        client_from_settings().balance()
    except LetsAdsError as exc:
        errors.append(exc)
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": SECRET + "x"}
    try:
        client_from_settings().send("Test", "Hi", ["380671234567"])
    except LetsAdsError as exc:
        errors.append(exc)
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": SECRET}

    assert len(caplog.records) > 100  # DEBUG logging of every request and answer was on
    assert any("<password>" in r.getMessage() for r in caplog.records)  # bodies were logged ...
    for record in caplog.records:  # ... redacted
        assert not leaks(record.getMessage()), record.getMessage()
        assert not leaks(repr(record.args))
        assert not leaks(caplog.text)
    assert len(errors) == 2
    for error in errors:
        assert not leaks(str(error))
        assert not leaks(repr(error))
    messages = list(Message.objects.values_list("error_code", "error_message"))
    assert not leaks(repr(messages))
    assert not leaks(repr(client_from_settings()))
    assert not leaks(repr(get_connection("django_letsads.backends.letsads.SmsBackend")))
    assert not leaks(repr(letsads_settings.as_dict().keys()))
    assert not leaks(repr(sim))
    assert not leaks(repr(sim.account(settings.LETSADS["LOGIN"])))
    assert not leaks(repr(sim.log()))
    assert not leaks(json.dumps([entry.as_dict() for entry in sim.log()]))
    with urllib.request.urlopen(sim.control_url + "log") as answer:
        assert not leaks(answer.read().decode())
    assert sum(1 for e in sim.log() if e.fault) > 0


# -- admin ------------------------------------------------------------------------------------

ACTIONS = [
    "send_campaigns",
    "cancel_campaigns",
    "resend_unknown_messages",
    "poll_campaigns_now",
    "resume_campaigns",
]


CONFIRM_TEMPLATE = "admin/django_letsads/confirm_action.html"


def campaign_for(action: str) -> Campaign:
    """A campaign in the state the action acts on."""
    state = {
        "send_campaigns": Campaign.State.DRAFT,
        "resume_campaigns": Campaign.State.PAUSED,
    }.get(action, Campaign.State.SENDING)
    campaign = make_campaign(numbers(4), state=state)
    if action == "resend_unknown_messages":
        campaign.messages.update(status=S.UNKNOWN, error_code="TIMEOUT")
    if action == "poll_campaigns_now":
        for i, message in enumerate(campaign.messages.all()):
            Message.objects.filter(pk=message.pk).update(status=S.QUEUED, sms_id=9000 + i)
    return campaign


def snapshot(campaign: Campaign) -> tuple[str, Counter[str], int]:
    campaign.refresh_from_db()
    due = campaign.messages.exclude(next_poll_at=None).count()
    return campaign.state, Counter(campaign.messages.values_list("status", flat=True)), due


def staff(name: str, *, can_send: bool) -> User:
    user = User.objects.create_user(name, password="pw", is_staff=True)
    codenames = ["view_campaign", "change_campaign", "view_message"]
    if can_send:
        codenames.append("send_campaign")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="django_letsads", codename__in=codenames)
    )
    return user


def post_action(client: Client, action: str, campaign: Campaign, *, confirmed: bool, **headers):
    data: dict[str, object] = {"action": action, "_selected_action": [campaign.pk], "index": 0}
    if confirmed:
        # What the confirmation page posts back besides ``post=yes`` (Send's fingerprint), for
        # those who may see that page.
        page = client.post(reverse("admin:django_letsads_campaign_changelist"), data, **headers)
        data.update(hidden_inputs(page.content.decode()))
        data["post"] = "yes"
    return client.post(reverse("admin:django_letsads_campaign_changelist"), data, **headers)


def hidden_inputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page))


@pytest.mark.letsads_simulator(balance=Decimal("100"))
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["anonymous", "staff without send_campaign", "staff with it"])
def test_admin_authorisation_matrix(letsads_simulator, action, who):
    campaign = campaign_for(action)
    before = snapshot(campaign)
    client = Client()
    if who != "anonymous":
        client.force_login(staff("u", can_send=who == "staff with it"))

    first = post_action(client, action, campaign, confirmed=False)
    after_first = snapshot(campaign)
    direct = post_action(client, action, campaign, confirmed=True)
    after_direct = snapshot(campaign)

    if who == "anonymous":
        assert first.status_code == direct.status_code == 302
        assert reverse("admin:login") in direct["Location"]
        assert after_direct == before
    elif who == "staff without send_campaign":
        # The action is not offered, and a hand-made POST (even the confirmation) does nothing.
        page = client.get(reverse("admin:django_letsads_campaign_changelist"))
        assert page.status_code == 200
        assert f'value="{action}"' not in page.content.decode()
        # Django answers an action the user may not use by showing the list again.
        for response in (first, direct):
            assert response.status_code in (200, 302, 403)
            assert CONFIRM_TEMPLATE not in [t.name for t in response.templates or []]
        assert after_first == after_direct == before
    else:
        # Nothing happens before the confirmation page is confirmed ...
        if action in ("send_campaigns", "cancel_campaigns", "resend_unknown_messages"):
            assert first.status_code == 200
            assert after_first == before
        # ... and confirming acts.
        assert direct.status_code == 302
        assert after_direct != before


@pytest.mark.letsads_simulator(balance=Decimal("100"))
@pytest.mark.parametrize("action", ACTIONS)
def test_admin_actions_enforce_csrf(letsads_simulator, action):
    campaign = campaign_for(action)
    before = snapshot(campaign)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff("csrf", can_send=True))

    response = post_action(client, action, campaign, confirmed=True)

    assert response.status_code == 403
    assert snapshot(campaign) == before
    # With the token from the page, the same POST goes through.
    client.get(reverse("admin:django_letsads_campaign_changelist"))
    token = client.cookies["csrftoken"].value
    response = post_action(client, action, campaign, confirmed=True, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert snapshot(campaign) != before


@pytest.mark.letsads_simulator(password=SECRET, balance=Decimal("100"))
def test_admin_pages_never_show_the_password_and_show_why_a_campaign_paused(
    letsads_simulator, settings
):
    paused = make_campaign(numbers(3), state=Campaign.State.PAUSED)
    Campaign.objects.filter(pk=paused.pk).update(
        pause_reason="NOT_ENOUGH_MONEY: LetsAds answered with error NOT_ENOUGH_MONEY."
    )
    draft = make_campaign(numbers(3, start=10), state=Campaign.State.DRAFT)
    message = paused.messages.first()
    assert message is not None
    admin = User.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(admin)
    pages = [
        reverse("admin:index"),
        reverse("admin:django_letsads_campaign_changelist"),
        reverse("admin:django_letsads_campaign_change", args=[paused.pk]),
        reverse("admin:django_letsads_campaign_add"),
        reverse("admin:django_letsads_message_changelist"),
        reverse("admin:django_letsads_message_change", args=[message.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaks(response.content.decode()), url
    change = client.get(reverse("admin:django_letsads_campaign_change", args=[paused.pk]))
    assert "NOT_ENOUGH_MONEY" in change.content.decode()
    confirm = post_action(client, "send_campaigns", draft, confirmed=False)
    assert confirm.status_code == 200
    assert not leaks(confirm.content.decode())


# -- the simulator ----------------------------------------------------------------------------


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_simulator_binds_only_to_loopback():
    with Simulator() as sim:
        server = sim._server
        assert server is not None
        assert server.socket.getsockname()[0] == "127.0.0.1"
        assert sim.url.startswith("http://127.0.0.1:")
        other = _other_address()
        if other is not None:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((other, sim.port), timeout=2).close()
