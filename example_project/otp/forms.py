from __future__ import annotations

from django import forms


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        initial="+380 50 123 45 67",
        help_text="Any format: +380 50 123 45 67, 0501234567, 00380501234567.",
    )


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=6, min_length=6)
