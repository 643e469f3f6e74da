"""The public pages of django-letsads: the unsubscribe link of the ``{unsubscribe_url}``
placeholder. Include them where ``LETSADS["UNSUBSCRIBE_BASE_URL"]`` points::

    path("sms/", include("django_letsads.urls"))   # UNSUBSCRIBE_BASE_URL = "https://…/sms/"
"""

from __future__ import annotations

from django.urls import path

from django_letsads import views

app_name = "django_letsads"
urlpatterns = [
    # Any token shape reaches the view, so that a mangled link gets the package's own
    # "not valid" page rather than the site's (or DEBUG's) generic 404.
    path("<str:token>", views.unsubscribe, name="unsubscribe"),
    path("<str:token>/", views.unsubscribe),
]
