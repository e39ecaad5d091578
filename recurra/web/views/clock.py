"""The sandbox test-clock control: advance to a moment, or by a day or a month, running the work due.

Rules: editors and super admins only (a viewer's POST is a 403); sandbox only
(404 in live mode); the time typed is UTC; the clock never moves backwards
(an error message, nothing changes). Afterwards the user is sent back to the
page they came from (only a path on this site).
"""

from __future__ import annotations

from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from recurra.core import clock
from recurra.core.clock import ClockError
from recurra.core.formats import moment_text
from recurra.web.access import editor
from recurra.web.views.common import next_url, statement

STEPS = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}


def moment(at: datetime) -> str:
    return f"{moment_text(at, UTC, translation.get_language())} UTC"


def target(data: QueryDict, now: datetime) -> datetime:
    """Where to move: ``step`` (day/month) from now, else the ``to`` field (UTC); ValueError if unreadable."""
    step = STEPS.get(data.get("step", ""))
    if step is not None:
        return now + step
    typed = datetime.fromisoformat(data.get("to", "").strip())
    return typed.replace(tzinfo=UTC) if typed.tzinfo is None else typed.astimezone(UTC)


def summary(report: clock.AdvanceSummary) -> str:
    return gettext("Moved to %(to)s: %(invoices)s, %(payments)s, %(emails)s.") % {
        "to": moment(report.to),
        "invoices": ngettext("%(count)d invoice", "%(count)d invoices", report.invoices)
        % {"count": report.invoices},
        "payments": ngettext("%(count)d payment", "%(count)d payments", report.payments)
        % {"count": report.payments},
        "emails": ngettext("%(count)d email", "%(count)d emails", report.emails) % {"count": report.emails},
    }


@editor
@require_POST
def clock_advance(request: HttpRequest) -> HttpResponse:
    if not clock.is_test_clock():
        raise Http404("the test clock exists only in sandbox mode")
    now = clock.now()
    try:
        to = target(request.POST, now)
    except (ValueError, OverflowError):  # unreadable, or beyond what a datetime holds in UTC
        messages.error(request, gettext("Enter the date and time to move to, as YYYY-MM-DD HH:MM (UTC)."))
        return redirect(next_url(request, "/"))
    if to < now:
        messages.error(
            request,
            gettext(
                "The test clock cannot move backwards: it is already %(now)s and %(to)s has passed. "
                "Nothing changed."
            )
            % {"now": moment(now), "to": moment(to)},
        )
        return redirect(next_url(request, "/"))
    try:
        report = clock.advance_running_due_work(to=to)
    except ClockError as exc:
        messages.error(request, statement(str(exc)))
    else:
        messages.success(request, summary(report))
    return redirect(next_url(request, "/"))
