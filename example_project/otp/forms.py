from __future__ import annotations

from django import forms

from django_letsads.phones import check_many


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        initial="+380 50 123 45 67",
        help_text="Any format: +380 50 123 45 67, 0501234567, 00380501234567.",
    )

    def clean_phone(self) -> str:
        """The number as digits; something that is no phone number is a form error, before
        anything is sent or counted against the limits."""
        ((number, reason, _),) = check_many([self.cleaned_data["phone"]])
        if not number:
            raise forms.ValidationError(
                "Enter a phone number, like +380 50 123 45 67 (this one: %(reason)s).",
                code="invalid_phone",
                params={"reason": reason},
            )
        return number


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=6, min_length=6)
