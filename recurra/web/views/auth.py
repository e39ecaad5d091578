"""Signing in and out (Django's views, Recurra's template) and the home page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from recurra.web.access import viewer


class LoginForm(AuthenticationForm):
    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


login = auth_views.LoginView.as_view(
    template_name="web/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()  # POST only (Django 5)


@viewer
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:contacts")
