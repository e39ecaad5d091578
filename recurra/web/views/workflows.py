"""Automation → Workflows: the list, "Create workflow" (three templates or blank), the editor (a
vertical list of step cards), on/off, delete, a dry run and the history of enrollments.

Who: viewers read the list, each workflow's editor (read-only) and its history; editors and super
admins create, change, turn on and off, delete and test. Thin: the form module
(``web.forms.workflows``) turns the posted cards into a definition, one service
(``automation.workflows.services``) checks and saves it, and the page shows the result. The
editor's buttons (add, move, remove a card; a condition) post the form and get it back redrawn,
with htmx only the form; nothing is saved until "Save".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings, owner_choices
from recurra.automation.models import WebhookEndpoint, Workflow
from recurra.automation.workflows import selectors, services
from recurra.automation.workflows.spec import EXTRA_PLACEHOLDERS
from recurra.automation.workflows.testing import TestResult, workflow_test
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.core.pagination import paginate
from recurra.subscriptions.properties import PROPERTIES
from recurra.subscriptions.selectors import subscription_get
from recurra.web import workflow_templates
from recurra.web.access import actor, current_user, editor, viewer
from recurra.web.forms import workflows as form
from recurra.web.index_state import filterable, list_choices
from recurra.web.views.common import PAGE_SIZE, confirm_page
from recurra.web.views.record_search import subscriptions_picked
from recurra.web.workflow_history import EVENT_WORDS, enrollments_shown, steps_shown, trigger_text

EDITOR = "web/workflows/editor.html"


class TestForm(forms.Form):
    subscription = forms.CharField(
        label=_("Subscription"),
        max_length=40,
        help_text=_("The dry run takes the trigger to fire now for it, and changes nothing."),
        error_messages={"required": _("Pick a subscription to test with.")},
    )


def _workflow(pk: str) -> Workflow:
    found = selectors.workflow_get(pk)
    if found is None:
        raise Http404("no such workflow")
    return found


def _url(workflow: Workflow) -> str:
    return reverse("web:workflow", args=[workflow.pk])


def _currency() -> str:
    return account_settings().default_currency


def _user_label(user: User) -> str:
    name = user.get_full_name() or user.username
    return f"{name} ({user.email})" if user.email else name


def _people(ed: form.Editor) -> dict[str, list[tuple[str, str]]]:
    """The users a card may name: everyone active with an email (emails, a new owner), the team
    (rotation), and any chosen one who is not among them (shown, so that nothing is dropped
    unseen: the service says what is wrong with them)."""
    active = list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"))
    users = [(str(u.pk), _user_label(u)) for u in active if u.email]
    team = [(str(u.pk), _user_label(u)) for u in active if u.has_role(Role.EDITOR)]
    chosen = set()
    for card in form.walk(ed.actions):
        chosen |= set(card.values.get("users") or []) | set(card.values.get("rotate") or [])
        if card.type == "set_property" and card.values.get("owner"):
            chosen.add(str(card.values["owner"]))
    known = {pk for pk, _ in users} | {pk for pk, _ in team}
    unknown = sorted(pk for pk in chosen - known if pk.isascii() and pk.isdigit())
    others = [(pk, gettext("User %(id)s (not active)") % {"id": pk}) for pk in unknown]
    return {"users": users + others, "team": team + others}


def _editor_context(request: HttpRequest, ed: form.Editor, workflow: Workflow | None) -> dict[str, Any]:
    may_edit = current_user(request).has_role(Role.EDITOR)
    if workflow is None:
        action = reverse("web:workflow_new")
    else:
        action = reverse("web:workflow_edit", args=[workflow.pk])
    labels = filterable()
    placeholders = [f"{{{{ subscription.{key} }}}}" for key in (*PROPERTIES, *EXTRA_PLACEHOLDERS)]
    return {
        "ed": ed,
        "workflow": workflow,
        "readonly": not may_edit,
        "form_action": action,
        "trigger_types": [(k, str(v)) for k, v in form.TRIGGER_LABELS.items()],
        "action_types": [(k, str(v)) for k, v in form.ACTION_LABELS.items()],
        "property_choices": form.property_choices(),
        "date_choices": form.date_choices(),
        "event_choices": [(t, str(EVENT_WORDS.get(t, t))) for t in form.EVENT_CHOICES],
        "settable_choices": form.settable_choices(),
        "endpoints": list(WebhookEndpoint.objects.order_by("-id").values_list("pk", "url")[:100]),
        "filterable": labels,
        "filter_lists": list_choices(),  # an "In a list" condition's lists
        "filter_owners": [(str(pk), name) for pk, name in owner_choices()],  # an Owner condition's users
        "currency": _currency(),
        "placeholders": placeholders,
        "name_placeholder": "{{ subscription.name }}",
        "url_placeholder": "{{ subscription.url }}",
        **_people(ed),
    }


def _render(
    request: HttpRequest,
    ed: form.Editor,
    workflow: Workflow | None,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = _editor_context(request, ed, workflow)
    if workflow is not None and "test_form" not in (extra or {}):
        context["test_form"] = TestForm()
        context["picked"] = subscriptions_picked(chosen=request.GET.get("subscription"))
    return render(request, EDITOR, {**context, **(extra or {})}, status=status)


def _saved_editor(workflow: Workflow) -> form.Editor:
    return form.editor_of(
        workflow.definition, name=workflow.name, enabled=workflow.enabled, currency=_currency()
    )


# The list ---------------------------------------------------------------------------------------


@viewer
@require_GET
def workflow_list(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = paginate(selectors.workflow_list(), limit=PAGE_SIZE, cursor=cursor)
    except ValidationFailed:
        cursor, page = None, paginate(selectors.workflow_list(), limit=PAGE_SIZE)
    rows = [(w, trigger_text(w.definition.get("trigger") or {})) for w in page.data]
    return render(request, "web/workflows/list.html", {"page": page, "rows": rows, "cursor": cursor})


# Create, edit -----------------------------------------------------------------------------------


@editor
@require_http_methods(["GET", "POST"])
def workflow_new(request: HttpRequest) -> HttpResponse:
    """GET: the templates to start from; ``?template=`` (or ``blank``): the editor with it, unsaved.
    POST: the editor's buttons, or Save (create)."""
    if request.method == "POST":
        return _posted(request, None)
    key = request.GET.get("template", "")
    if key not in (*workflow_templates.KEYS, "blank"):
        context = {"templates": workflow_templates.TEMPLATES, "days": workflow_templates.DEFAULT_DAYS}
        return render(request, "web/workflows/new.html", context)
    days = workflow_templates.days_asked(request.GET.get("days"))
    name, definition = workflow_templates.template(key, user=current_user(request), days=days)
    ed = form.editor_of(definition, name=name, enabled=False, currency=_currency())
    return _render(request, ed, None)


@viewer
@require_GET
def workflow_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The editor of a saved workflow (read-only for viewers), its dry run and links to its history."""
    workflow = _workflow(pk)
    return _render(request, _saved_editor(workflow), workflow)


@editor
@require_POST
def workflow_edit(request: HttpRequest, pk: str) -> HttpResponse:
    return _posted(request, _workflow(pk))


def _posted(request: HttpRequest, workflow: Workflow | None) -> HttpResponse:
    currency = _currency()
    ed = form.read(request.POST, currency=currency)
    op = request.POST.get("op", "")
    if op not in ("", "save") or request.htmx:  # type: ignore[attr-defined]
        return _render(request, form.apply(ed, op), workflow)
    definition = form.definition(ed, currency=currency)
    if definition is not None:
        try:
            saved = _save(request, workflow, ed, definition)
        except ValidationFailed as failed:
            form.place_errors(ed, failed)
        except Workflow.DoesNotExist:  # deleted meanwhile
            raise Http404("no such workflow") from None
        else:
            return redirect(_url(saved))
    return _render(request, ed, workflow, status=422)


def _save(
    request: HttpRequest, workflow: Workflow | None, ed: form.Editor, definition: dict[str, Any]
) -> Workflow:
    """One service call: create, or update (a changed definition is a new version)."""
    if workflow is None:
        made = services.workflow_create(
            name=ed.name, definition=definition, enabled=ed.enabled, actor=actor(request), at=clock.now()
        )
        messages.success(request, _on_or_off(made, gettext("Workflow created.")))
        return made
    before = workflow.version
    saved = services.workflow_update(
        workflow=workflow,
        name=ed.name,
        enabled=ed.enabled,
        definition=definition,
        actor=actor(request),
        at=clock.now(),
    )
    if saved.version != before:
        said = gettext(
            "Saved as version %(version)s. Enrollments under way finish on the version they started on."
        ) % {"version": saved.version}
    else:
        said = gettext("Workflow saved.")
    messages.success(request, _on_or_off(saved, said))
    return saved


def _on_or_off(workflow: Workflow, said: str) -> str:
    if workflow.enabled:
        return f"{said} {gettext('It is on: subscriptions enroll when its trigger fires from now on.')}"
    return f"{said} {gettext('It is off: turn it on to enroll subscriptions.')}"


@editor
@require_POST
def workflow_toggle(request: HttpRequest, pk: str) -> HttpResponse:
    workflow = _workflow(pk)
    turn_on = not workflow.enabled
    try:
        services.workflow_update(workflow=workflow, enabled=turn_on, actor=actor(request), at=clock.now())
    except Workflow.DoesNotExist:  # deleted meanwhile
        raise Http404("no such workflow") from None
    except ValidationFailed as failed:  # a definition a later rule refuses: it stays as it was
        messages.error(request, failed.detail)
    else:
        if turn_on:
            messages.success(request, gettext("Workflow on: subscriptions enroll when its trigger fires."))
        else:
            messages.success(
                request, gettext("Workflow off: nothing more enrolls; enrollments under way go on.")
            )
    return redirect(_url(workflow))


@editor
@require_http_methods(["GET", "POST"])
def workflow_delete(request: HttpRequest, pk: str) -> HttpResponse:
    workflow = _workflow(pk)
    return confirm_page(
        request,
        title=gettext("Delete workflow"),
        question=gettext(
            "Delete the workflow “%(name)s”? Nothing more enrolls and waiting enrollments stop; "
            "its history stays on the subscriptions."
        )
        % {"name": workflow.name},
        button=gettext("Delete workflow"),
        perform=lambda: services.workflow_delete(workflow=workflow, actor=actor(request), at=clock.now()),
        done_url=reverse("web:workflows"),
        cancel_url=_url(workflow),
        message=gettext("Workflow deleted."),
    )


# Dry run and history ----------------------------------------------------------------------------


@editor
@require_POST
def workflow_test_run(request: HttpRequest, pk: str) -> HttpResponse:
    """The dry run of the saved version for the subscription picked: the path it would take and
    what each step would do; nothing is changed."""
    workflow = _workflow(pk)
    test_form = TestForm(request.POST)
    chosen = request.POST.get("subscription", "")[:40]
    result: TestResult | None = None
    sub = None
    if test_form.is_valid():
        sub = subscription_get(test_form.cleaned_data["subscription"])
        if sub is None:
            test_form.add_error("subscription", gettext("That subscription no longer exists."))
        else:
            result = workflow_test(workflow=workflow, subscription=sub, at=clock.now())
    extra: dict[str, Any] = {
        "test_form": test_form,
        "picked": subscriptions_picked(chosen=chosen),
        "test": result,
        "test_steps": steps_shown(result.steps) if result else [],
        "test_subscription": sub,
    }
    return _render(request, _saved_editor(workflow), workflow, status=200 if result else 422, extra=extra)


@viewer
@require_GET
def workflow_history(request: HttpRequest, pk: str) -> HttpResponse:
    workflow = _workflow(pk)
    qs = selectors.enrollment_list(workflow_id=workflow.pk)
    cursor = request.GET.get("cursor") or None
    try:
        page = paginate(qs, limit=PAGE_SIZE, cursor=cursor)
    except ValidationFailed:
        cursor, page = None, paginate(qs, limit=PAGE_SIZE)
    context = {
        "workflow": workflow,
        "trigger": trigger_text(workflow.definition.get("trigger") or {}),
        "page": page,
        "cursor": cursor,
        "enrollments": enrollments_shown(page.data),
    }
    return render(request, "web/workflows/history.html", context)
