"""Two pages: ask for a phone number and text a code to it; check the code typed back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from django_letsads.exceptions import LetsAdsError, SmsValidationError
from django_letsads.models import Message
from otp.codes import code_matches, new_code, send_code
from otp.forms import CodeForm, PhoneForm
from otp.throttle import allow_code

SESSION_KEY = "otp"


def send_view(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        verdict = allow_code(request, form.cleaned_data["phone"])
        if not verdict.allowed:
            minutes = max(1, verdict.retry_after // 60)
            form.add_error(
                "phone", f"Too many codes were asked for; try again in {minutes} minutes."
            )
            status = 429
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
    return render(
        request, "otp/send.html", {"form": form, **_outbox_context(request)}, status=status
    )


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


def status_view(request: HttpRequest) -> JsonResponse:
    """The outbox table's rows as JSON: the pages update it in place, never reloading the form
    (a reload would erase a code being typed)."""
    rows = [
        {
            "id": m.pk,
            "recipient": f"+{m.recipient}",
            "status": m.status,
            "status_label": str(m.get_status_display()),
            "sms_id": "" if m.sms_id is None else str(m.sms_id),
            "code": m.gateway_status or m.error_code,
            "final": m.is_final,
        }
        for m in _recent()
    ]
    return JsonResponse({"messages": rows})


def _recent() -> list[Message]:
    """The latest messages stored by the outbox backend, to watch the worker move them along."""
    return list(
        Message.objects.filter(
            campaign__isnull=True, created_at__gte=timezone.now() - timedelta(hours=1)
        ).order_by("-id")[:10]
    )


def _outbox_context(request: HttpRequest) -> dict[str, Any]:
    return {"recent": _recent(), "backend": settings.SMS_BACKEND}
