from __future__ import annotations

from django.urls import path

from otp import views

app_name = "otp"
urlpatterns = [
    path("", views.send_view, name="send"),
    path("verify/", views.verify_view, name="verify"),
    path("status/", views.status_view, name="status"),
]
