"""The password on Django's DEBUG error page (issue 14, item 11).

With ``DEBUG = True`` Django's technical 500 page shows the local variables of every frame of the
traceback, and its filter of ``sensitive_variables`` is off (it protects only ``DEBUG = False``,
e.g. the reports ``AdminEmailHandler`` mails). So no frame of this package may hold the password
or a request body in a form whose ``repr`` shows it.
"""

from __future__ import annotations

import html

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from django_letsads.client import LetsAdsClient
from django_letsads.gateway import client_from_settings
from tests.reliability import hostile
from tests.reliability.hostile import hostile_server

pytestmark = pytest.mark.reliability

# Built, not written out: the debug page also shows the source lines around each frame.
PASSWORD = "".join(reversed(">\"'<&wP-egaP-gubeD"))


def send_view(request: HttpRequest) -> HttpResponse:
    with client_from_settings() as client:
        client.send("Test", "Hello", ["380671112233"])
    return HttpResponse("sent")


def balance_view(request: HttpRequest) -> HttpResponse:
    with client_from_settings() as client:
        client.balance()
    return HttpResponse("balance")


def bad_url_view(request: HttpRequest) -> HttpResponse:
    LetsAdsClient("380501234567", PASSWORD, api_url="ftp://gateway.example/")
    return HttpResponse("built")


urlpatterns = [
    path("send/", send_view),
    path("balance/", balance_view),
    path("bad-url/", bad_url_view),
]


def forms_of_the_password() -> list[str]:
    return [PASSWORD, html.escape(PASSWORD), html.escape(PASSWORD, quote=False), PASSWORD[:13]]


@pytest.mark.parametrize(
    ("url", "behaviour"),
    [
        ("/send/", hostile.answer(b"<html><body>Maintenance</body></html>")),
        ("/send/", hostile.cut_short),
        ("/balance/", hostile.broken_gzip),
        ("/bad-url/", hostile.cut_short),
    ],
)
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_technical_500_page_never_shows_the_password(
    settings, url: str, behaviour: hostile.Behaviour, accept: str
) -> None:
    with hostile_server(behaviour) as server, override_settings(ROOT_URLCONF=__name__):
        settings.DEBUG = True
        settings.LETSADS = {**settings.LETSADS, "API_URL": server.url, "PASSWORD": PASSWORD}
        response = Client(raise_request_exception=False).get(url, headers={"accept": accept})
    page = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" in page  # Django's technical page, not a plain error
    if accept == "text/html":
        assert "Local vars" in page  # the frames' variables are shown ...
    for form in forms_of_the_password():
        assert form not in page  # ... but never the password, in any form
