"""Asking for an export, and who may download it.

Rules of :func:`export_create`, checked before anything is written:

- Format CSV, XLSX or XLS; headers in one of :data:`~recurra.exports.languages.LANGUAGES`;
  scope ``view``, ``all_properties`` or ``all_properties_and_associations``.
- Associations per cell: 1 to 1,000 (the default), or all (``None``), which
  only CSV can hold (a spreadsheet cell holds 32,767 characters).
- XLS holds at most 65,535 subscriptions: more is a 422 on ``format`` that
  says so and offers XLSX or CSV (the writer refuses too, if more come since).
- What is exported is fixed when asked: the view's filters, columns and sort
  are copied onto the export, relative dates read as on ``at``.

The export is queued in the same transaction as its ``export.created`` event;
the worker writes the file (:mod:`recurra.exports.running`). Downloads are for
the user who asked and for super admins, until it expires (30 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.numbers import format_decimal
from django.db import transaction
from django.utils.translation import get_language, gettext, to_locale

from recurra.accounts.models import User
from recurra.accounts.roles import Role, allows
from recurra.accounts.selectors import account_zone
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, Forbidden, Gone, ValidationFailed
from recurra.exports.languages import LANGUAGES
from recurra.exports.models import Export, ExportFormat, ExportScope, ExportStatus
from recurra.exports.rows import selected
from recurra.exports.writers.xls import MAX_ROWS
from recurra.saved_views.spec import Spec, filters_json

KEPT_FOR = timedelta(days=30)
DEFAULT_ASSOCIATIONS = 1000
MAX_ASSOCIATIONS = 1000


@dataclass(frozen=True)
class Source:
    """What the export is of: a view (its id and name) as shown (its spec), of one record's list."""

    view_id: str
    view_name: str
    spec: Spec
    scope_filters: Mapping[str, str]


def export_create(
    *,
    source: Source,
    format: str,
    language: str,
    scope: str = ExportScope.VIEW,
    associations_limit: int | None = DEFAULT_ASSOCIATIONS,
    requested_by: User | None,
    actor: Actor,
    at: datetime,
) -> Export:
    """Queue an export of ``source`` (see the module's rules); every problem at once, as a 422."""
    errors = _errors(format, language, scope, associations_limit)
    if errors:
        raise ValidationFailed("invalid export", errors=errors)
    export = Export(
        format=format,
        language=language,
        scope=scope,
        associations_limit=associations_limit,
        view_id=source.view_id,
        view_name=source.view_name[:100],
        filters=filters_json(source.spec.filters),
        columns=list(source.spec.columns),
        sort=str(source.spec.sort),
        scope_filters=dict(source.scope_filters),
        as_of=at,
        requested_by=requested_by,
        requested_by_name=actor.name[:200],
        notify_email=requested_by.email if requested_by is not None else "",
        run_at=at,
        created_at=at,
        updated_at=at,
    )
    total = selected(export, account_zone()).count()
    if format == ExportFormat.XLS and total > MAX_ROWS:
        raise ValidationFailed.field(
            "format",
            gettext(
                "an XLS file holds at most %(most)s subscriptions and this export has %(total)s: "
                "choose XLSX or CSV"
            )
            % {"most": _number(MAX_ROWS), "total": _number(total)},
        )
    export.rows_total = total
    with transaction.atomic():
        export.save(force_insert=True)
        events.record(
            type="export.created",
            obj=export,
            actor=actor,
            after={
                "format": format,
                "language": language,
                "scope": scope,
                "view_id": source.view_id,
                "rows_total": total,
                "associations_limit": associations_limit,
            },
        )
        if requested_by is not None and requested_by.export_language != language:
            User.objects.filter(pk=requested_by.pk).update(export_language=language)  # the next default
    return export


def _number(value: int) -> str:
    """A whole number grouped as the active language writes it ("65,535"; English without one)."""
    return format_decimal(value, locale=to_locale(get_language() or "en"))


def _errors(format: str, language: str, scope: str, limit: int | None) -> list[FieldError]:
    errors = []
    one_of = gettext("must be one of %(values)s")
    if format not in ExportFormat.values:
        errors.append(FieldError("format", one_of % {"values": ", ".join(ExportFormat.values)}))
    if language not in LANGUAGES:
        errors.append(FieldError("language", one_of % {"values": ", ".join(LANGUAGES)}))
    if scope not in ExportScope.values:
        errors.append(FieldError("scope", one_of % {"values": ", ".join(ExportScope.values)}))
    if limit is None and format in (ExportFormat.XLSX, ExportFormat.XLS):
        errors.append(
            FieldError(
                "associations_limit",
                gettext(
                    "all associations works with CSV only (a spreadsheet cell holds %(characters)s "
                    "characters); choose up to %(most)s"
                )
                % {"characters": _number(32767), "most": _number(MAX_ASSOCIATIONS)},
            )
        )
    elif limit is not None and not 1 <= limit <= MAX_ASSOCIATIONS:
        errors.append(
            FieldError(
                "associations_limit",
                gettext("must be from 1 to %(most)s or all") % {"most": _number(MAX_ASSOCIATIONS)},
            )
        )
    return errors


def may_download(export: Export, *, user: User | None, role: str) -> bool:
    """The user who asked for it, and super admins."""
    return allows(role, Role.SUPER_ADMIN) or (user is not None and export.requested_by_id == user.pk)


def export_download(*, export: Export, user: User | None, role: str, actor: Actor, at: datetime) -> Export:
    """Check that ``export``'s file may be downloaded now, and record the download."""
    if not may_download(export, user=user, role=role):
        raise Forbidden(gettext("only the user who asked for the export, or a super admin, can download it"))
    if export.status != ExportStatus.COMPLETE:
        status = str(export.get_status_display()).lower()
        raise Conflict(gettext("the export is not ready: it is %(status)s") % {"status": status})
    if export.expired(at):
        raise Gone(gettext("the export's link has expired (exports are kept 30 days): export again"))
    with transaction.atomic():
        events.record(type="export.downloaded", obj=export, actor=actor)
    return export
