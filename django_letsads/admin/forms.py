"""The campaign form: a text field with a live counter, sender checks and recipient import fields.

Validation calls the same rule modules as the backends (:mod:`django_letsads.text`,
:mod:`django_letsads.senders`); the text's widget and its counter are
:mod:`~django_letsads.admin.text_widget`, the text's checks and their messages
:mod:`~django_letsads.admin.text_errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_letsads import field_stats, personalisation, rendering, senders, text
from django_letsads.accounts import DEFAULT_ALIAS, aliases
from django_letsads.admin.text_errors import check_placeholders as check_placeholders
from django_letsads.admin.text_errors import text_error
from django_letsads.admin.text_widget import SmsTextWidget as SmsTextWidget
from django_letsads.bulk_rendering import data_fields_of
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import InvalidSenderError, InvalidTextError
from django_letsads.models import Campaign
from django_letsads.translit import outgoing_text

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Campaign]
else:  # the classes are generic only in the stubs
    _ModelForm = forms.ModelForm


def account_field(current: str) -> forms.ChoiceField:
    """A choice of the accounts configured now (``settings.LETSADS``); a campaign's account that
    is no longer configured is shown as such and must be changed before saving."""
    configured = aliases()
    choices = [(alias, alias) for alias in configured]
    if current not in configured:
        choices.append((current, _("%(alias)s (not configured)") % {"alias": current}))
    return forms.ChoiceField(
        label=gettext_lazy("account"),
        choices=choices,
        initial=DEFAULT_ALIAS,
        required=False,  # left out: the campaign keeps its account (clean_account)
        help_text=gettext_lazy(
            "The LetsAds account (an alias of settings.LETSADS) that sends the campaign."
        ),
        validators=[_configured_account],
    )


def _configured_account(value: str) -> None:
    if value and value not in aliases():
        raise forms.ValidationError(
            _("The account %(alias)s is not configured; choose one of: %(configured)s.")
            % {"alias": value, "configured": ", ".join(aliases())},
            code="unconfigured_account",
        )


class CampaignForm(_ModelForm):
    """The model fields plus two ways to add recipients; the import runs after the save."""

    recipients_text = forms.CharField(
        label=gettext_lazy("Paste numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 40, "class": "vLargeTextField"}),
        help_text=gettext_lazy("One number per line, or several separated by commas."),
    )
    recipients_file = forms.FileField(
        label=gettext_lazy("Upload a CSV file"),
        required=False,
        help_text=gettext_lazy(
            "A phone column and an optional name column, separated by ',' or ';', in UTF-8. "
            "A header row is recognised by its column names (phone, name, телефон, ім\u2019я, имя); "
            "without one, the first column is the phone and the second the name."
        ),
    )

    class Meta:
        model = Campaign
        # ``scheduled_at`` is not here: only the Schedule action sets it, through
        # ``campaigns.schedule_campaign``, so no campaign looks scheduled without being so.
        # ``transliterate`` before ``text``: clean_text validates the text that will be sent.
        fields = [
            "name",
            "sender",
            "transliterate",
            "text",
            "expires_at",
            "max_per_minute",
            "ignore_quiet_hours",
            "account",
        ]
        widgets = {"text": SmsTextWidget(attrs={"rows": 6, "cols": 60})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "sender" in self.fields:
            # A new campaign starts with the sender the project sends everything else with;
            # read now, not at import, so a settings change applies without a restart.
            self.fields["sender"].initial = letsads_settings.SENDER
        if "account" in self.fields:
            self.fields["account"] = account_field(self.instance.account)
        if "transliterate" in self.fields and "text" in self.fields:
            # The counter follows the checkbox, to count what will be sent.
            self.fields["text"].widget.attrs["data-transliterate"] = self["transliterate"].auto_id
        if self.instance.pk is not None and "text" in self.fields:
            # The counter asks what the recipients' data makes of the placeholders typed.
            self.fields["text"].widget.attrs["data-extremes-url"] = reverse(
                "admin:django_letsads_campaign_field_extremes", args=[self.instance.pk]
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text_value = cleaned.get("text")
        # A field no recipient has is a typo or a column not imported. Checked once the campaign
        # has recipients and no file comes with this save (its columns are not known yet; the
        # Send action checks again).
        if (
            text_value
            and self.instance.pk is not None
            and not cleaned.get("recipients_file")
            and self.instance.messages.exists()
        ):
            template = personalisation.template_of(text_value)
            fields = () if template is None else data_fields_of(template)
            unknown = field_stats.fields_without_data(self.instance, fields)
            if unknown:
                self.add_error(
                    "text",
                    forms.ValidationError(
                        _(
                            "No recipient has %(fields)s in the imported data. Correct the "
                            "field's name, or import a file with that column."
                        )
                        % {"fields": ", ".join("{" + name + "}" for name in unknown)},
                        code="UNKNOWN_FIELD",
                    ),
                )
        return cleaned

    def clean_account(self) -> str:
        return str(self.cleaned_data.get("account") or self.instance.account or DEFAULT_ALIAS)

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data.get("expires_at")
        if value is None or value == self.initial.get("expires_at"):
            return value
        if value <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."), code="past")
        scheduled_at = self.instance.scheduled_at
        if (
            self.instance.state == Campaign.State.SCHEDULED
            and scheduled_at
            and value <= scheduled_at
        ):
            raise forms.ValidationError(
                _("The campaign is scheduled to start later; it must expire after it starts."),
                code="before_start",
            )
        return value

    def clean_text(self) -> str:
        # Browsers submit line breaks as CRLF; the counter (and the phone) count one character.
        value = str(self.cleaned_data.get("text") or "").replace("\r\n", "\n")
        check_placeholders(value)
        transliterated = bool(self.cleaned_data.get("transliterate"))
        # The limits apply to what is sent: the longest rendering (placeholders filled in), then
        # transliterated if asked for (a Cyrillic text over 402 characters may fit 459 in Latin
        # letters, and a transliteration can outgrow its original).
        outgoing = outgoing_text(transliterated, rendering.longest_rendering(value))
        try:
            text.validate_text(outgoing)
        except InvalidTextError as exc:
            message = text_error(exc, outgoing)
            if transliterated and exc.code == "MESSAGE_TOO_LONG":
                message = _("Transliterated: %(message)s") % {"message": message}
            raise forms.ValidationError(message, code=exc.code) from None
        return value

    def clean_sender(self) -> str:
        value = str(self.cleaned_data.get("sender") or "")
        try:
            return senders.validate_sender(value)
        except InvalidSenderError:
            raise forms.ValidationError(
                _(
                    "The sender must be a name of up to %(letters)d Latin letters and digits "
                    "(with at least one letter), or a number of up to %(digits)d digits."
                )
                % {"letters": senders.MAX_ALPHANUMERIC, "digits": senders.MAX_NUMERIC},
                code="INVALID_SENDER",
            ) from None
