"""CRM → Lists: the lists of contacts or companies, "Create list" (name, object, kind and, for an
active list, the filter editor), a list's page (its members, with a column chooser; "Save as static
list"; removing a static list's members), delete; and "Add to list" from the Contacts and Companies
pages.

Who: every role reads the lists and their members; editors and super admins create, change, copy,
delete and add or remove members. Thin: the form module (``web.forms.lists``) turns the posted
editor into the service's values, one service (``insights.lists.services``) checks and saves them,
and the page shows the result. The editor's buttons (a condition added or removed, a choice that
changes the controls) post the form and get it back redrawn, with htmx only the form; nothing is
saved until "Save".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings, account_zone, owner_choices
from recurra.catalog.schedule import local_date
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.pagination import paginate
from recurra.insights.lists import selectors, services
from recurra.insights.lists.properties import COMPANY_COLUMNS, CONTACT_COLUMNS
from recurra.insights.lists.spec import PROPERTY_TABLES
from recurra.insights.models import ListKind, ListObject, RecordList
from recurra.notifications.bulk import bulk_email_preview, bulk_email_send, bulk_email_test
from recurra.notifications.models import BulkEmail
from recurra.web.access import actor, current_user, editor, viewer
from recurra.web.cells import MemberCells
from recurra.web.forms import lists as form
from recurra.web.index_state import chosen_columns
from recurra.web.templatetags.recurra_web import day
from recurra.web.views.common import PAGE_SIZE, confirm_page, form_page, next_url, posted, statement

EDITOR = "web/lists/editor.html"
DEFAULT_COLUMNS = {"contacts": CONTACT_COLUMNS, "companies": COMPANY_COLUMNS}
ALWAYS_SHOWN = "name"


def _list(pk: str) -> RecordList:
    found = selectors.list_get(pk)
    if found is None:
        raise Http404("no such list")
    return found


def _url(record_list: RecordList) -> str:
    return reverse("web:list", args=[record_list.pk])


def _currency() -> str:
    return account_settings().default_currency


def _page(request: HttpRequest, qs: Any) -> tuple[Any, str | None]:
    """A page of ``qs`` (newest first); a cursor this list did not give out starts again."""
    cursor = request.GET.get("cursor") or None
    try:
        return paginate(qs, limit=PAGE_SIZE, cursor=cursor), cursor
    except ValidationFailed:
        return paginate(qs, limit=PAGE_SIZE), None


# The lists --------------------------------------------------------------------------------------


@viewer
@require_GET
def list_list(request: HttpRequest) -> HttpResponse:
    page, cursor = _page(request, selectors.list_all())
    at = clock.now()
    rows = [(found, selectors.size(found, at=at)) for found in page.data]
    return render(request, "web/lists/list.html", {"page": page, "cursor": cursor, "rows": rows})


# Create, edit -----------------------------------------------------------------------------------


def _render(request: HttpRequest, ed: form.Editor, *, status: int = 200) -> HttpResponse:
    action = reverse("web:list_edit", args=[ed.saved.pk]) if ed.saved else reverse("web:list_new")
    context = {
        "ed": ed,
        "form_action": action,
        "objects": [(value, str(label)) for value, label in ListObject.choices],
        "kinds": [(value, str(label)) for value, label in ListKind.choices],
        "own_filterable": form.own_choices(ed),
        "sub_filterable": form.subscription_choices(),
        "match_choices": form.match_choices(),
        "filter_owners": [(str(pk), name) for pk, name in owner_choices()],  # an Owner condition's users
        "currency": _currency(),
    }
    return render(request, EDITOR, context, status=status)


@editor
@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    """GET: a new list's editor (``?object=companies``, ``?kind=static`` choose them). POST: the
    editor's buttons, or Save (create)."""
    if request.method == "POST":
        return _posted(request, None)
    ed = form.Editor()
    if request.GET.get("object") in PROPERTY_TABLES:
        ed.object = request.GET["object"]
    if request.GET.get("kind") in ListKind.values:
        ed.kind = request.GET["kind"]
    return _render(request, ed)


@editor
@require_http_methods(["GET", "POST"])
def list_edit(request: HttpRequest, pk: str) -> HttpResponse:
    record_list = _list(pk)
    if request.method == "POST":
        return _posted(request, record_list)
    return _render(request, form.editor_of(record_list, currency=_currency()))


def _posted(request: HttpRequest, record_list: RecordList | None) -> HttpResponse:
    currency = _currency()
    ed = form.read(request.POST, currency=currency, saved=record_list)
    op = request.POST.get("op", "")
    if op not in ("", "save") or request.htmx:  # type: ignore[attr-defined]
        return _render(request, form.apply(ed, op))
    values = form.values(ed)
    if values is not None:
        try:
            saved = _save(request, record_list, values)
        except ValidationFailed as failed:
            form.place_errors(ed, failed)
        except Conflict as conflict:
            form.place_errors(ed, ValidationFailed(conflict.detail))
        except RecordList.DoesNotExist:  # deleted meanwhile
            raise Http404("no such list") from None
        else:
            return redirect(_url(saved))
    return _render(request, ed, status=422)


def _save(request: HttpRequest, record_list: RecordList | None, values: dict[str, Any]) -> RecordList:
    """One service call: create, or update (a static list's filters stay as they are)."""
    if record_list is None:
        made = services.list_create(
            **values, created_by_id=current_user(request).pk, actor=actor(request), at=clock.now()
        )
        messages.success(request, gettext("List created."))
        return made
    saved = services.list_update(
        record_list=record_list,
        name=values["name"],
        filters=values["filters"] if record_list.kind == ListKind.ACTIVE else None,
        actor=actor(request),
    )
    messages.success(request, gettext("List saved."))
    return saved


# A list's page ----------------------------------------------------------------------------------


@viewer
@require_GET
def list_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The list's members in pages, with the columns the URL names (``?columns=name,email``; the
    chooser's buttons answer with that address)."""
    record_list = _list(pk)
    table = PROPERTY_TABLES[record_list.object]
    default = DEFAULT_COLUMNS[record_list.object]
    keys = chosen_columns(request.GET, default, properties=table, always_shown=ALWAYS_SHOWN)
    if "column" in request.GET:  # a chooser's button: the address of the columns it chose
        return redirect(f"{_url(record_list)}?{urlencode({'columns': ','.join(keys)})}")
    columns = [table[key] for key in keys]
    at = clock.now()
    related = sorted({p.related for p in columns if p.related})
    page, cursor = _page(request, selectors.members(record_list, at=at).select_related(*related))
    cells = MemberCells(record_list.object, account_zone())
    labels = {key: str(p.label) for key, p in table.items()}  # translated once
    ed = form.editor_of(record_list, currency=_currency())
    context = {
        "list": record_list,
        "size": selectors.size(record_list, at=at),
        "page": page,
        "cursor": cursor,
        "columns": columns,
        "keys": ",".join(keys),
        "rows": [(record, [cells.cell(record, p) for p in columns]) for record in page.data],
        "column_labels": [(key, labels[key]) for key in keys],
        "choosable": [(key, label) for key, label in labels.items() if key not in keys],
        "always_shown": ALWAYS_SHOWN,
        "words": form.in_words(ed, currency=_currency(), users=dict(owner_choices(form.user_ids(ed)))),
        "filter_errors": ed.errors.get("filters", []),
        "removable": record_list.kind == ListKind.STATIC and current_user(request).has_role(Role.EDITOR),
        "here": request.get_full_path(),
    }
    return render(request, "web/lists/detail.html", context)


@editor
@require_http_methods(["GET", "POST"])
def list_delete(request: HttpRequest, pk: str) -> HttpResponse:
    record_list = _list(pk)
    return confirm_page(
        request,
        title=gettext("Delete list"),
        question=gettext("Delete the list “%(name)s”? Its contacts and companies stay; only the list goes.")
        % {"name": record_list.name},
        button=gettext("Delete list"),
        perform=lambda: services.list_delete(record_list=record_list, actor=actor(request)),
        done_url=reverse("web:lists"),
        cancel_url=_url(record_list),
        message=gettext("List deleted."),
    )


@editor
@require_http_methods(["GET", "POST"])
def list_snapshot(request: HttpRequest, pk: str) -> HttpResponse:
    """Save as static list: a static list of the members an active list has now."""
    record_list = _list(pk)
    at = clock.now()
    today = day(local_date(at, account_zone()))
    initial = {"name": f"{record_list.name} ({today})"[: form.MAX_NAME]}
    return form_page(
        request,
        form.SnapshotForm(posted(request), initial=initial),
        template="web/lists/snapshot.html",
        save=lambda values: services.list_snapshot(
            record_list=record_list,
            name=values["name"],
            member_ids=selectors.member_ids(record_list, at=at),
            created_by_id=current_user(request).pk,
            actor=actor(request),
            at=at,
        ),
        success=_url,
        message=gettext("Static list saved: the members the list has now."),
        context={"list": record_list},
    )


# Members by hand --------------------------------------------------------------------------------


@editor
@require_POST
def list_member_remove(request: HttpRequest, pk: str) -> HttpResponse:
    """Remove one member (``id``) from a static list; back to the list's page."""
    record_list = _list(pk)
    record_id = request.POST.get("id", "")[:40]
    try:
        removed = services.list_members_remove(
            record_list=record_list, ids=[record_id], actor=actor(request), at=clock.now()
        )
    except (Conflict, ValidationFailed) as refused:
        messages.error(request, statement(refused.detail))
    else:
        if removed:
            messages.success(request, gettext("Removed from the list."))
        else:
            messages.info(request, gettext("That record was not on the list."))
    return redirect(next_url(request, _url(record_list)))


ADD_TO_LIST_MOST = 200  # static lists offered in "Add to list"


def add_to_list(request: HttpRequest, object: str) -> dict[str, Any]:
    """What the Contacts or Companies page needs for "Add to list" (editors): the static lists of
    ``object``, newest first."""
    if not current_user(request).has_role(Role.EDITOR):
        return {}
    found = selectors.list_all(object=object, kind=ListKind.STATIC).values_list("pk", "name")
    return {"add_lists": list(found[:ADD_TO_LIST_MOST])}


@editor
@require_POST
def list_members_add(request: HttpRequest) -> HttpResponse:
    """Add to list, from the Contacts or Companies page: the ticked rows (``ids``) to the static
    list chosen (``list``); back to the page."""
    found = selectors.list_get(request.POST.get("list", "")[:40]) if request.POST.get("list") else None
    ids = [pk[:40] for pk in request.POST.getlist("ids")[: services.MAX_IDS + 1]]
    back = next_url(request, reverse("web:contacts"))
    if found is None or found.kind != ListKind.STATIC:
        messages.error(request, gettext("Choose a static list to add to."))
        return redirect(back)
    if not ids:
        messages.error(request, gettext("Tick the rows to add to the list."))
        return redirect(back)
    try:
        added = services.list_members_add(record_list=found, ids=ids, actor=actor(request), at=clock.now())
    except ValidationFailed:
        if found.object == "contacts":
            refused = gettext("Nothing was added: “%(list)s” is a list of contacts; tick contacts only.")
        else:
            refused = gettext("Nothing was added: “%(list)s” is a list of companies; tick companies only.")
        messages.error(request, refused % {"list": found.name})
    else:
        said = (
            ngettext("%(count)s added to “%(list)s”.", "%(count)s added to “%(list)s”.", added)
            if added
            else gettext("They were on “%(list)s” already.")
        )
        messages.success(request, said % {"count": added, "list": found.name})
    return redirect(back)


# Email to a list -------------------------------------------------------------------------------


@editor
@require_http_methods(["GET", "POST"])
def list_email(request: HttpRequest, pk: str) -> HttpResponse:
    """Email this list: write the subject and the message, see it as its first member would (Preview),
    send it to yourself (Send me a test), then to every member (Send to the list: a job; its
    progress page follows). Nothing goes to a contact who unsubscribed."""
    record_list = _list(pk)
    at = clock.now()
    recipients = selectors.member_contacts(record_list, at=at)
    sample = recipients.order_by("pk").first()
    email_form = form.ListEmailForm(posted(request))
    preview = None
    status = 200
    if request.method == "POST":
        status = 422
        if email_form.is_valid():
            subject, body = email_form.cleaned_data["subject"], email_form.cleaned_data["body"]
            action = request.POST.get("action", "preview")
            try:
                if action == "send":
                    made = bulk_email_send(
                        contacts=recipients,
                        subject=subject,
                        body=body,
                        source=f"list:{record_list.pk}",
                        actor=actor(request),
                        at=at,
                    )
                    messages.success(request, gettext("The email is on its way to the list."))
                    return redirect("web:list_email_progress", made.pk)
                if sample is None:
                    raise ValidationFailed(gettext("The list has no contact to show it to."))
                if action == "test":
                    user = current_user(request)
                    bulk_email_test(to=user.email, contact=sample, subject=subject, body=body, at=at)
                    messages.success(
                        request, gettext("A test went to %(address)s.") % {"address": user.email}
                    )
                preview = bulk_email_preview(contact=sample, subject=subject, body=body)
                status = 200
            except ValidationFailed as exc:
                email_form.add_service_errors(exc)
    context = {
        "list": record_list,
        "form": email_form,
        "preview": preview,
        "sample": sample,
        "contact_placeholders": "{{ contact.first_name }}, {{ contact.last_name }}, {{ contact.email }}",
        "subscription_placeholders": (
            "{{ subscription.name }}, {{ subscription.next_payment_date }}, {{ subscription.end_date }}"
        ),
    }
    return render(request, "web/lists/email.html", context, status=status)


@editor
@require_GET
def list_email_progress(request: HttpRequest, pk: str) -> HttpResponse:
    """How far an email to a list has come (the page refreshes itself until it is done)."""
    sent = BulkEmail.objects.filter(pk=pk, source__startswith="list:").first()
    if sent is None:
        raise Http404
    record_list = _list(sent.source.removeprefix("list:"))
    done = sent.sent + sent.skipped_opted_out + sent.skipped_missing
    context = {
        "list": record_list,
        "email": sent,
        "progress": 100 if not sent.recipients else done * 100 // sent.recipients,
        "finished": sent.status in ("sent", "failed"),
    }
    template = (
        "web/lists/email_progress_body.html"
        if request.headers.get("HX-Request")
        else "web/lists/email_progress.html"
    )
    return render(request, template, context)
