"""The campaign text's checks and their messages: a template that does not parse, a link that
cannot be made, a text that is too long or holds characters that cannot be sent.

Each message names the place to correct (a position, a field, a code point); the rules are those
of the backends (:mod:`django_letsads.merge`, :mod:`django_letsads.text`).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from django_letsads import merge, rendering, text
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import InvalidTextError


def check_placeholders(value: str) -> None:
    """Form errors for a text that is not a valid template (:mod:`django_letsads.merge`) or
    uses a link that cannot be made. Fields from the recipients' data are checked in
    :meth:`CampaignForm.clean`, against the data imported."""
    if not merge.has_placeholders(value):
        return
    try:
        template = merge.parse(value)
    except merge.TemplateError as exc:
        raise forms.ValidationError(template_error(exc), code=exc.code) from None
    if rendering.UNSUBSCRIBE_URL in template.fields and not letsads_settings.UNSUBSCRIBE_BASE_URL:
        raise forms.ValidationError(
            _(
                "The text uses {unsubscribe_url}, but LETSADS['UNSUBSCRIBE_BASE_URL'] is not set "
                "in the settings: there is no address for the link."
            ),
            code="UNSUBSCRIBE_BASE_URL_MISSING",
        )


def template_error(exc: merge.TemplateError) -> str:
    position = exc.position + 1
    if exc.code == "UNCLOSED_BRACE":
        return _("The “{” at position %(position)d is never closed. Write {{ for a brace.") % {
            "position": position
        }
    if exc.code == "UNOPENED_BRACE":
        return _("The “}” at position %(position)d closes nothing. Write }} for a brace.") % {
            "position": position
        }
    if exc.code == "NO_FIELD_NAME":
        return _("%(placeholder)s at position %(position)d has no field name.") % {
            "placeholder": exc.placeholder,
            "position": position,
        }
    return _(
        "The field name in %(placeholder)s at position %(position)d may contain only letters, "
        "digits and “_”: no spaces, dots or other signs."
    ) % {"placeholder": exc.placeholder, "position": position}


def text_error(exc: InvalidTextError, value: str) -> str:
    if exc.code == "NO_MESSAGE":
        return _("Enter the text of the message.")
    if exc.code == "MESSAGE_TOO_LONG":
        info = text.analyze(value)
        return _(
            "The text is %(length)d characters long in %(encoding)s; the limit is %(limit)d."
        ) % {
            "length": info.length,
            "encoding": info.encoding,
            "limit": info.limit,
        }
    positions = ", ".join(
        f"U+{ord(ch):04X} ({position + 1})"
        for position, ch in text.xml_illegal_characters(value)[:5]
    )
    return _("The text contains characters that cannot be sent: %(characters)s.") % {
        "characters": positions
    }
