"""The campaign text's widget: a textarea followed by the live counter.

The counter's JavaScript gets its tables from :func:`django_letsads.text.export_rules`, rendered
into the page with its labels, so the rules exist once (in Python) and the labels are translated
like every other string.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from django_letsads import rendering, text


class SmsTextWidget(forms.Textarea):
    """A textarea followed by the live counter; the rules and labels travel as JSON."""

    template_name = "django_letsads/widgets/sms_text.html"

    class Media:
        js = ("django_letsads/sms_counter.js",)
        css = {"all": ("django_letsads/admin.css",)}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["counter"] = {
            "rules": text.export_rules(),
            # Built-in fields, at their longest, for the preview of personalised texts.
            "fixed": {rendering.UNSUBSCRIBE_URL: rendering.longest_rendering("{unsubscribe_url}")},
            "labels": {
                "summary": _(
                    "{length} characters · {encoding} · segments: {segments} · "
                    "{remaining} left in this segment"
                ),
                "over": _("Too long: {length} characters; the limit in {encoding} is {limit}."),
                "empty": _("Type the text: the counter shows its length and segments."),
                "translit": _("Transliterated: {before} → {after} segments"),
                "still_ucs2": _("Still UCS-2 because of: {characters}"),
                "suggestions": _("Characters that force UCS-2 and have a GSM-7 twin:"),
                "replace": _("replace"),
                "replace_all": _("Replace all: {before} → {after} segments"),
                "longest": _(
                    "Longest text: {length} characters · {encoding} · segments: {segments}"
                ),
                "shortest": _(
                    "Shortest text: {length} characters · {encoding} · segments: {segments}"
                ),
                "some_ucs2": _(
                    "Some recipients' values are not GSM-7: their texts are UCS-2 "
                    "(segments: up to {segments})."
                ),
                "no_data": _("No recipient has a value for {fields}."),
                "left_out": _(
                    "Recipients without {fields} are left out: the text gives no default."
                ),
            },
        }
        return context
