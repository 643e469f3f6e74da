"""The configured API URL answers with a redirect (``http://letsads.com/api`` and its kin).

A 307 or 308 says the server did not act on the request and asks for the same POST elsewhere:
the client follows it once, to the same host over https, with the body unchanged. Anything else
(301/302/303, another host, plain http, a second redirect) is a configuration error naming the URL
to put in settings, and says whether the request may have been acted on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from django_letsads.client import LetsAdsClient
from django_letsads.dispatch import send_batch
from django_letsads.exceptions import (
    AccountError,
    GatewayRedirectError,
    LetsAdsConfigurationError,
)
from django_letsads.models import Campaign
from django_letsads.status import Status
from tests.factories import make_campaign
from tests.quirky_gateway import Received, certificate, serve, xml_answer
from tests.servers import no_proxies

PASSWORD = "pw-Secret-42"
COMPLETE = xml_answer(
    "Complete", "2 messages put into queue", "<sms_id>71</sms_id><sms_id>72</sms_id>"
)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tls: Path) -> None:
    no_proxies(monkeypatch)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls / "cert.pem"))
    return


def redirect(status: int, location: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Location": location, "Content-Type": "text/html"}, b"<html>moved</html>"


def client_for(url: str) -> LetsAdsClient:
    return LetsAdsClient("380501234567", PASSWORD, api_url=url, connect_retries=0)


@pytest.mark.parametrize("status", [307, 308])
def test_a_307_or_308_to_the_same_host_over_https_is_followed_with_the_same_body(status, tls):
    with serve(COMPLETE, tls=tls) as secure, serve(redirect(status, secure.url)) as plain:
        ids = client_for(plain.url).send("Test", "Привіт & <b>", ["380671112233", "380671112234"])

    assert ids == [71, 72]
    # One POST to each: the body (with the password, now over TLS) exactly as first sent.
    assert len(plain.received) == 1
    assert len(secure.received) == 1
    assert secure.received[0].body == plain.received[0].body
    assert secure.received[0].headers["Content-Type"] == "text/xml; charset=utf-8"


def test_a_followed_redirect_counts_as_one_request(tls):
    with serve(COMPLETE, tls=tls) as secure, serve(redirect(307, secure.url)) as plain:
        result = send_batch(client_for(plain.url), "Test", "Hi", ["380671112233", "380671112234"])
    assert result.requests == 1
    assert result.error is None
    assert {o.status for o in result.outcomes.values()} == {Status.QUEUED}


def test_a_relative_307_on_an_https_url_is_followed(tls):
    def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
        if request.path == "/api":
            return redirect(307, "/api/v2")
        return xml_answer("Balance", "12.50", "<currency>UAH</currency>")

    with serve(answer, tls=tls) as secure:
        balance = client_for(secure.url).balance()

    assert str(balance.amount) == "12.50"
    assert [r.path for r in secure.received] == ["/api", "/api/v2"]


@pytest.mark.parametrize("status", [301, 302])
def test_a_301_or_302_is_a_configuration_error_naming_the_url_and_nothing_was_sent(status, tls):
    with serve(COMPLETE, tls=tls) as secure, serve(redirect(status, secure.url)) as plain:
        with pytest.raises(GatewayRedirectError) as info:
            client_for(plain.url).send("Test", "Hi", ["380671112233"])
        assert secure.received == []

    error = info.value
    assert isinstance(error, LetsAdsConfigurationError)
    assert isinstance(error, ImproperlyConfigured)
    assert error.code == f"HTTP_{status}"
    assert error.maybe_sent is False
    assert error.location == secure.url
    text = str(error)
    assert f"LETSADS['API_URL'] = {secure.url!r}" in text
    assert "was not sent" in text
    assert PASSWORD not in text
    assert PASSWORD not in repr(error)


def test_a_303_may_have_been_acted_on(tls):
    # 303 See Other is the answer of a server that did the work and points at its result.
    with serve(COMPLETE, tls=tls) as secure, serve(redirect(303, secure.url)) as plain:
        with pytest.raises(GatewayRedirectError) as info:
            client_for(plain.url).send("Test", "Hi", ["380671112233"])
        assert secure.received == []

    assert info.value.code == "HTTP_303"
    assert info.value.maybe_sent is True
    assert "may have" in str(info.value)


@pytest.mark.parametrize(
    "where",
    [
        "http://127.0.0.1:{port}/api",  # the same host, but not https
        "https://localhost:{port}/api",  # another host name (here: the same machine)
    ],
)
def test_a_307_elsewhere_is_not_followed_with_the_password(where, tls):
    with serve(COMPLETE, tls=tls) as secure, serve(COMPLETE) as other:
        target = where.format(port=secure.port if where.startswith("https") else other.port)
        with (
            serve(redirect(307, target)) as plain,
            pytest.raises(GatewayRedirectError) as info,
        ):
            client_for(plain.url).send("Test", "Hi", ["380671112233"])
        assert secure.received == []
        assert other.received == []

    assert info.value.code == "HTTP_307"
    assert info.value.maybe_sent is False
    assert "https://api.letsads.com" in str(info.value)
    assert target in str(info.value)


def test_only_one_redirect_is_followed(tls):
    with serve(COMPLETE, tls=tls) as third:

        def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
            return redirect(307, third.url)

        with serve(answer, tls=tls) as second, serve(redirect(307, second.url)) as first:
            with pytest.raises(GatewayRedirectError) as info:
                client_for(first.url).status(5)
            assert len(first.received) == len(second.received) == 1
        assert third.received == []
    assert info.value.code == "HTTP_307"
    assert info.value.maybe_sent is False


def test_a_redirect_without_location_says_what_to_check():
    with serve((301, {}, b"")) as plain, pytest.raises(GatewayRedirectError) as info:
        client_for(plain.url).balance()
    assert "no Location" in str(info.value)
    assert "https://api.letsads.com" in str(info.value)


def test_the_password_echoed_in_a_location_never_shows(tls, caplog):
    caplog.set_level("DEBUG", logger="django_letsads")
    with (
        serve(redirect(301, f"https://127.0.0.1:1/api?p={PASSWORD}")) as plain,
        pytest.raises(GatewayRedirectError) as info,
    ):
        client_for(plain.url).send("Test", "Hi", ["380671112233"])
    for text in (str(info.value), repr(info.value), info.value.location, caplog.text):
        assert PASSWORD not in text
    assert "********" in str(info.value)


def test_a_followed_redirect_is_logged_once_with_the_url_to_use(tls, caplog):
    caplog.set_level("WARNING", logger="django_letsads")
    with serve(COMPLETE, tls=tls) as secure, serve(redirect(308, secure.url)) as plain:
        client = client_for(plain.url)
        client.send("Test", "Hi", ["380671112233", "380671112234"])
        client.send("Test", "Hi", ["380671112233", "380671112234"])
    lines = [r.getMessage() for r in caplog.records if "redirect" in r.getMessage()]
    assert len(lines) == 1
    assert secure.url in lines[0]


@pytest.mark.django_db
def test_a_worker_meeting_a_301_pauses_the_campaign_and_keeps_its_messages_pending(settings):
    # Money: a 301 means the server did not act on the request, so nothing becomes unknown.
    campaign = make_campaign(["380671112233", "380671112234"])
    with serve(redirect(301, "https://letsads.example/api")) as plain:
        settings.LETSADS = {**settings.LETSADS, "API_URL": plain.url, "CONNECT_RETRIES": 0}
        with pytest.raises(CommandError, match="HTTP_301"):
            call_command("letsads_send", verbosity=0)
        assert len(plain.received) == 1

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "https://letsads.example/api" in campaign.pause_reason
    assert set(campaign.messages.values_list("status", flat=True)) == {Status.PENDING}


def test_the_redirect_error_is_an_account_error_so_runs_stop(tls):
    with serve(redirect(302, "https://x.example/")) as plain, pytest.raises(AccountError):
        client_for(plain.url).balance()


@pytest.mark.django_db
@pytest.mark.parametrize("fail_silently", [False, True])
def test_send_sms_raises_the_redirect_even_when_failing_silently(settings, fail_silently):
    # A misconfigured API_URL is not a message's failure: fail_silently never hides it.
    from django_letsads import send_sms

    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    with serve(redirect(301, "https://letsads.example/api")) as plain:
        settings.LETSADS = {**settings.LETSADS, "API_URL": plain.url, "CONNECT_RETRIES": 0}
        with pytest.raises(LetsAdsConfigurationError, match="HTTP 301"):
            send_sms("Hi", ["380671112233"], fail_silently=fail_silently)
