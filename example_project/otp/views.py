"""Two pages: ask for a phone number and text a code to it; check the code typed back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from django_letsads.exceptions import LetsAdsError, SmsValidationError
from django_letsads.models import Message
from otp.codes import code_matches, new_code, send_code
from otp.forms import CodeForm, PhoneForm

SESSION_KEY = "otp"


def send_view(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = new_code()
        try:
            (result,) = send_code(form.cleaned_data["phone"], code)
        except SmsValidationError as exc:
            form.add_error("phone", exc.message)
        except LetsAdsError as exc:
            # An account-level problem (login, money, sender): the visitor can do nothing about it.
            messages.error(request, f"The code could not be sent ({exc.code}). Try again later.")
        else:
            if result.status == Message.Status.FAILED:
                form.add_error("phone", f"This number cannot receive texts ({result.error_code}).")
            else:
                request.session[SESSION_KEY] = {"code": code, "recipient": result.recipient}
                messages.success(request, f"A code is on its way to +{result.recipient}.")
                return redirect("otp:verify")
    return render(request, "otp/send.html", {"form": form, **_outbox_context(request)})


def verify_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_KEY) or {}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if code_matches(pending.get("code"), form.cleaned_data["code"]):
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "Code accepted: the number is yours.")
            return redirect("otp:send")
        form.add_error("code", "This is not the code we sent.")
    context: dict[str, Any] = {"form": form, "recipient": pending.get("recipient")}
    # The demo shows the code so that nobody needs a phone; a real site never would.
    context["demo_code"] = pending.get("code") if settings.DEBUG else None
    context.update(_outbox_context(request))
    return render(request, "otp/verify.html", context)


def _outbox_context(request: HttpRequest) -> dict[str, Any]:
    """The latest messages stored by the outbox backend, to watch the worker move them along."""
    recent = Message.objects.filter(
        campaign__isnull=True, created_at__gte=timezone.now() - timedelta(hours=1)
    ).order_by("-id")[:10]
    return {"recent": list(recent), "backend": settings.SMS_BACKEND}
