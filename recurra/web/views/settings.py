"""Settings: each user's own profile (their language); for super admins only, the account,
notifications, dunning, payments, API keys and users.

The account, notification and dunning pages are forms over the one settings
row, each posting to itself and saving through ``account_settings_update``.
A new API key's secret appears once, in the response to the POST that made
it (never stored, never cached, never shown again). The payments page only
reads: the processor is configured by environment (docs/payments.md), and no
key is ever shown (at most the publishable key's last four characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.accounts import services
from recurra.accounts.models import AccountSettings, ApiKey, User
from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings
from recurra.commerce.stripe_events import EVENT_TYPES
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.payments.stripe_events import stripe_events_recent
from recurra.web.access import actor, current_user, super_admin, viewer
from recurra.web.forms.accounts import (
    AccountSettingsForm,
    ApiKeyForm,
    DunningSettingsForm,
    NotificationSettingsForm,
    ProfileForm,
    RoleForm,
    UserForm,
)
from recurra.web.languages import seller_language, user_language
from recurra.web.views.common import FormLike, confirm_page, form_page, list_page, post_action, posted


@super_admin
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("web:settings_account")


def _settings_page(request: HttpRequest, form: FormLike, *, page: str, message: Promise) -> HttpResponse:
    """The settings form ``page`` (its template and URL name): saved, then shown again (POST/redirect/GET),
    with ``message`` in the language of the page it is shown on (the account's default language, which
    the saved settings may just have changed, unless the user chose their own)."""

    def saved(row: AccountSettings) -> str:
        with translation.override(user_language(current_user(request).language, row.default_language)):
            return str(message)

    return form_page(
        request,
        form,
        template=f"web/settings/{page}.html",
        save=lambda values: services.account_settings_update(actor=actor(request), at=clock.now(), **values),
        success=lambda row: reverse(f"web:settings_{page}"),
        message=saved,
    )


@super_admin
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest) -> HttpResponse:
    row = account_settings()
    form = AccountSettingsForm(
        posted(request), initial=AccountSettingsForm.initial_for(row), current_zone=row.timezone
    )
    return _settings_page(request, form, page="account", message=gettext_lazy("Account settings saved."))


@super_admin
@require_http_methods(["GET", "POST"])
def notifications_edit(request: HttpRequest) -> HttpResponse:
    initial = NotificationSettingsForm.initial_for(account_settings())
    form = NotificationSettingsForm(posted(request), initial=initial)
    return _settings_page(
        request, form, page="notifications", message=gettext_lazy("Notification settings saved.")
    )


@super_admin
@require_http_methods(["GET", "POST"])
def dunning_edit(request: HttpRequest) -> HttpResponse:
    form = DunningSettingsForm(posted(request), initial=DunningSettingsForm.initial_for(account_settings()))
    return _settings_page(request, form, page="dunning", message=gettext_lazy("Dunning settings saved."))


@dataclass(frozen=True, slots=True)
class Processor:
    """What Settings → Payments says of the configured processor (nothing secret)."""

    name: str  # "sandbox" | "stripe"
    live: bool
    publishable_hint: str  # "pk_test_…abcd"
    webhook_secret_set: bool


def stripe_mode_live(secret_key: str) -> bool:
    """Whether a Stripe secret key moves real money (its prefix says).

    >>> stripe_mode_live("sk_live_abc"), stripe_mode_live("rk_live_abc"), stripe_mode_live("sk_test_abc")
    (True, True, False)
    """
    return secret_key.startswith(("sk_live_", "rk_live_"))


def key_hint(key: str) -> str:
    """A key's kind and last four characters, never more.

    >>> key_hint("pk_test_51Habcdefghijkl1234"), key_hint("")
    ('pk_test_…1234', '')
    """
    if not key:
        return ""
    kind = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    return f"{kind}…{key[-4:]}"


def processor() -> Processor:
    stripe = settings.RECURRA_GATEWAY == "stripe"
    return Processor(
        name=settings.RECURRA_GATEWAY,
        live=stripe and stripe_mode_live(settings.STRIPE_SECRET_KEY),
        publishable_hint=key_hint(settings.STRIPE_PUBLISHABLE_KEY) if stripe else "",
        webhook_secret_set=stripe and bool(settings.STRIPE_WEBHOOK_SECRET),
    )


@super_admin
@require_GET
def payments_settings(request: HttpRequest) -> HttpResponse:
    """Which processor is connected, in which mode, the webhook to register and the last received."""
    context = {
        "processor": processor(),
        "webhook_url": settings.RECURRA_BASE_URL + reverse("web:stripe_webhook"),
        "event_types": EVENT_TYPES,
        "events": stripe_events_recent(limit=10),
    }
    return render(request, "web/settings/payments.html", context)


@super_admin
@require_GET
def api_key_list(request: HttpRequest) -> HttpResponse:
    keys = ApiKey.objects.select_related("created_by")
    return list_page(request, "web/settings/api_keys.html", keys)


@super_admin
@never_cache
@require_http_methods(["GET", "POST"])
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_key_create(
                actor=actor(request), created_by=current_user(request), **form.service_values()
            )
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            return render(
                request, "web/settings/api_key_created.html", {"key": issued.key, "secret": issued.secret}
            )
    status = 422 if request.method == "POST" else 200
    return render(request, "web/settings/api_key_form.html", {"form": form}, status=status)


@super_admin
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, pk: str) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    return confirm_page(
        request,
        title=gettext("Revoke %(name)s") % {"name": key.name},
        question=gettext("Revoke the API key %(name)s (%(prefix)s…)? Programs using it stop working at once.")
        % {"name": key.name, "prefix": key.prefix},
        button=gettext("Revoke key"),
        perform=lambda: services.api_key_revoke(key=key, actor=actor(request), at=clock.now()),
        done_url=reverse("web:api_keys"),
        cancel_url=reverse("web:api_keys"),
        message=gettext("API key %(name)s revoked.") % {"name": key.name},
    )


@super_admin
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    context = {"roles": Role.choices}
    return list_page(request, "web/settings/users.html", User.objects.all(), context)


@super_admin
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        UserForm(posted(request)),
        template="web/settings/user_form.html",
        save=lambda values: services.user_create(actor=actor(request), **values),
        success=lambda user: reverse("web:users"),
        message=gettext("User created."),
    )


@super_admin
@require_POST
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the roles."))
        return redirect("web:users")
    role = Role(form.cleaned_data["role"])
    return post_action(
        request,
        perform=lambda: services.user_set_role(user=user, role=role, actor=actor(request)),
        message=gettext("%(user)s is now %(role)s.") % {"user": user.get_username(), "role": role.label},
        next_url=reverse("web:users"),
    )


@viewer
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """Any user's own settings: the language of their pages (blank: the account's default language).
    Saved, the page answers in the language chosen (its message too)."""
    user = current_user(request)
    form = ProfileForm(
        posted(request),
        initial={"language": user.language},
        account_language=account_settings().default_language,
    )

    def saved(_user: User) -> str:
        with translation.override(seller_language(request)):  # the user's language as just saved
            return gettext("Your profile is saved.")

    return form_page(
        request,
        form,
        template="web/settings/profile.html",
        save=lambda values: services.user_set_language(user=user, actor=actor(request), **values),
        success=lambda _user: reverse("web:settings_profile"),
        message=saved,
    )
