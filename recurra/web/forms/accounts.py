"""Settings forms: API keys, users and their roles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from recurra.accounts.roles import Role
from recurra.web.forms.base import ServiceForm


def _role_field(initial: str = Role.VIEWER) -> forms.ChoiceField:
    return forms.ChoiceField(label="Role", choices=Role.choices, initial=initial)


class ApiKeyForm(ServiceForm):
    name = forms.CharField(
        label="Key name", max_length=100, help_text="What uses it, e.g. “Accounting sync”."
    )
    role = _role_field()


class UserForm(ServiceForm):
    username = forms.CharField(label="Username", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    role = _role_field()
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", "The two passwords differ.")
        return data

    def service_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "password_again"}


class RoleForm(ServiceForm):
    role = _role_field()
