"""Signing in and out (Django's views, Recurra's template), the page of a throttled sign-in, and the
home page.

Wrong passwords are counted by django-axes (settings: ``AXES_*``): after the
limit, one username from one address gets :func:`locked_out` until the
cool-off has passed, whether that username exists or not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): one page for everyone, 429."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "web/locked_out.html", {"minutes": minutes}, status=429)


@viewer
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:contacts")
