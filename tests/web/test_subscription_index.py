"""The subscriptions index: tabs, quick and advanced filters, search, sort, columns, pages, the count,
saved views, the side panel, and who may do what.

The clock is frozen at 2027-01-15 09:30 UTC (a Friday); the account's zone is UTC. Six subscriptions:

    name        contact          company    status     next payment  mrr     frequency
    Annual A    Ingrid Hansen    Fjordline  active     2027-01-15    817     annually
    Bravo       Ingrid Hansen    Fjordline  past_due   2027-01-10    9800    monthly
    Charlie     Ola Nordmann     —          scheduled  2027-02-01    4900    monthly
    Delta       Ola Nordmann     —          active     2027-01-20    12000   monthly
    Echo        Ingrid Hansen    Fjordline  canceled   —             0       monthly
    Foxtrot     Kari Berg        Berg AS    paused     2027-03-05    2500    quarterly
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.saved_views.models import SavedView
from recurra.subscriptions.models import Subscription
from tests.web.html import messages, table_rows, text
from tests.web.test_subscription_pages import make_invoice, make_method, make_payment, make_subscription

HTMX = {"HX-Request": "true"}


@pytest.fixture
def subs(records: Any) -> SimpleNamespace:
    ingrid = records.contact
    ola = Contact.objects.create(email="ola@nordmann.example", first_name="Ola", last_name="Nordmann")
    berg = Company.objects.create(name="Berg AS")
    kari = Contact.objects.create(
        email="kari@berg.example", first_name="Kari", last_name="Berg", company=berg
    )
    return SimpleNamespace(
        annual=make_subscription(
            ingrid,
            name="Annual A",
            billing_frequency="annually",
            next_payment_date=date(2027, 1, 15),
            line_items_mrr=817,
        ),
        bravo=make_subscription(ingrid, name="Bravo", status="past_due", next_payment_date=date(2027, 1, 10)),
        charlie=make_subscription(
            ola, name="Charlie", status="scheduled", next_payment_date=date(2027, 2, 1), line_items_mrr=4900
        ),
        delta=make_subscription(ola, name="Delta", next_payment_date=date(2027, 1, 20), line_items_mrr=12000),
        echo=make_subscription(
            ingrid, name="Echo", status="canceled", next_payment_date=None, line_items_mrr=0
        ),
        foxtrot=make_subscription(
            kari,
            name="Foxtrot",
            status="paused",
            billing_frequency="quarterly",
            next_payment_date=date(2027, 3, 5),
            line_items_mrr=2500,
        ),
    )


def names(client: Client, query: str = "", **params: Any) -> list[str]:
    response = (
        client.get(f"/subscriptions/?{query}", params) if params else client.get(f"/subscriptions/?{query}")
    )
    assert response.status_code == 200
    return [row[0] for row in table_rows(response.content, "index-table")]


def test_all_tab_by_next_payment_date_with_ended_ones_last(viewer: Client, subs: Any) -> None:
    response = viewer.get("/subscriptions/")
    html = response.content.decode()
    assert [row[0] for row in table_rows(html, "index-table")] == [
        "Bravo",
        "Annual A",
        "Delta",
        "Charlie",
        "Foxtrot",
        "Echo",
    ]
    assert table_rows(html, "index-table")[1] == [
        "Annual A",
        "Ingrid Hansen",
        "Fjordline",
        "Active",
        "15 Jan 2027",
        "$98.00",
        "Annually",
        "$8.17",
        "15 Jan 2027",
    ]
    assert 'aria-sort="ascending"' in html and html.count('aria-current="page" data-testid="view-tab"') == 1
    assert [t for t in ("All", "Unpaid", "Scheduled") if f'data-testid="view-tab">{t}</a>' in html] == [
        "All",
        "Unpaid",
        "Scheduled",
    ]


def test_default_tabs_filter_by_status(viewer: Client, subs: Any) -> None:
    assert names(viewer, "view=unpaid") == ["Bravo"]
    assert names(viewer, "view=scheduled") == ["Charlie"]


def test_status_quick_filter_takes_several(viewer: Client, subs: Any) -> None:
    assert names(viewer, "edited=1&status=active&status=paused") == ["Annual A", "Delta", "Foxtrot"]
    assert names(viewer, "status=canceled") == ["Echo"]  # a plain link works too
    assert names(viewer, "status=bogus") == names(viewer)  # an unknown status is ignored


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("today", ["Annual A"]),
        ("next_7_days", ["Annual A", "Delta"]),  # 15–21 Jan
        ("next_30_days", ["Annual A", "Delta", "Charlie"]),  # 15 Jan – 13 Feb
        ("this_month", ["Bravo", "Annual A", "Delta"]),
        ("overdue", ["Bravo"]),  # Unpaid, or billable with the date passed
    ],
)
def test_next_billing_date_presets(viewer: Client, subs: Any, due: str, expected: list[str]) -> None:
    assert names(viewer, f"edited=1&due={due}") == expected


def test_a_custom_range_includes_both_ends_and_a_bad_one_says_why(viewer: Client, subs: Any) -> None:
    assert names(viewer, "edited=1&due=custom&due_from=2027-01-20&due_to=2027-02-01") == ["Delta", "Charlie"]
    assert names(viewer, "edited=1&due=custom&due_from=2027-03-01") == ["Foxtrot"]
    response = viewer.get("/subscriptions/?edited=1&due=custom&due_from=2027-02-01&due_to=2027-01-01")
    assert "Must not be before from" in response.content.decode()
    assert len(table_rows(response.content, "index-table")) == 6  # the range is not applied


def test_search_by_name_contact_name_or_email(viewer: Client, subs: Any) -> None:
    assert names(viewer, q="charl") == ["Charlie"]
    assert names(viewer, q="NORDMANN") == ["Delta", "Charlie"]
    assert names(viewer, q="kari@berg") == ["Foxtrot"]
    assert names(viewer, q="ola delta") == ["Delta"]  # every word must match
    assert "No subscriptions match these filters." in viewer.get("/subscriptions/?q=nobody").content.decode()


def test_advanced_filters_and_within_a_group_or_between_groups(viewer: Client, subs: Any) -> None:
    # (mrr > 50.00 and company is empty) or (billing frequency is quarterly)
    query = (
        "edited=1&c0.0.p=mrr&c0.0.o=greater_than&c0.0.v=50.00&c0.1.p=company&c0.1.o=is_empty"
        "&c1.0.p=billing_frequency&c1.0.o=is&c1.0.v=quarterly"
    )
    assert names(viewer, query) == ["Delta", "Foxtrot"]
    assert names(
        viewer,
        "edited=1&c0.0.p=contact&c0.0.o=contains&c0.0.v=hansen&c0.1.p=status&c0.1.o=is_not"
        "&c0.1.v=canceled&c0.1.v=past_due",
    ) == ["Annual A"]
    assert names(
        viewer, "edited=1&c0.0.p=next_payment_date&c0.0.o=between&c0.0.v=2027-01-15&c0.0.w=2027-02-01"
    ) == ["Annual A", "Delta", "Charlie"]
    assert names(viewer, "edited=1&c0.0.p=end_date&c0.0.o=is_not_empty") == []
    assert names(viewer, "edited=1&c0.0.p=created_at&c0.0.o=is&c0.0.v=2027-01-15") == names(viewer)


def test_a_condition_that_does_not_read_says_why_and_filters_nothing(viewer: Client, subs: Any) -> None:
    response = viewer.get("/subscriptions/?edited=1&c0.0.p=mrr&c0.0.o=greater_than&c0.0.v=lots")
    assert "Enter an amount in USD, such as 49.00." in response.content.decode()
    assert len(table_rows(response.content, "index-table")) == 6
    between = viewer.get("/subscriptions/?edited=1&c0.0.p=mrr&c0.0.o=between&c0.0.v=90&c0.0.w=10")
    assert "Between needs the lower bound first" in between.content.decode()


def test_editor_buttons_add_and_remove_conditions(viewer: Client, subs: Any) -> None:
    added = viewer.get("/subscriptions/?edited=1&condition=add_group").content.decode()
    assert 'name="c0.0.p"' in added and 'name="c1.0.p"' not in added
    two = viewer.get(
        "/subscriptions/?edited=1&c0.0.p=name&c0.0.o=contains&c0.0.v=a&condition=add:0"
    ).content.decode()
    assert 'name="c0.1.p"' in two
    removed = viewer.get(
        "/subscriptions/?edited=1&c0.0.p=name&c0.0.o=contains&c0.0.v=zzz&condition=remove:0.0"
    ).content.decode()
    assert 'name="c0.0.p"' not in removed
    assert len(table_rows(removed, "index-table")) == 6


def test_sort_by_any_column_both_ways(viewer: Client, subs: Any) -> None:
    # scheduled, paused and canceled carry no MRR: 0, then newest first
    assert names(viewer, "edited=1&sort=-mrr") == ["Delta", "Bravo", "Annual A", "Foxtrot", "Echo", "Charlie"]
    assert names(viewer, "edited=1&sort=contact") == [
        "Foxtrot",
        "Annual A",
        "Bravo",
        "Echo",
        "Charlie",
        "Delta",
    ]  # by last, first name; then as made
    clicked = viewer.get("/subscriptions/?edited=1&sort=mrr&sort_to=-mrr").content.decode()
    assert 'aria-sort="descending"' in clicked
    assert 'name="sort" value="-mrr"' in clicked
    assert [
        r[0] for r in table_rows(viewer.get("/subscriptions/?edited=1&sort=-company").content, "index-table")
    ][-2:] == ["Delta", "Charlie"]  # no company: last either way


def test_columns_are_chosen_and_ordered_and_the_name_stays(viewer: Client, subs: Any) -> None:
    base = "edited=1&columns=name,status,mrr"
    assert table_rows(viewer.get(f"/subscriptions/?{base}").content, "index-table")[0] == [
        "Bravo",
        "Unpaid",
        "$98.00",
    ]
    moved = table_rows(viewer.get(f"/subscriptions/?{base}&column=up:mrr").content, "index-table")[0]
    assert moved == ["Bravo", "$98.00", "Unpaid"]
    removed = table_rows(viewer.get(f"/subscriptions/?{base}&column=remove:status").content, "index-table")[0]
    assert removed == ["Bravo", "$98.00"]
    added = viewer.get(f"/subscriptions/?{base}&column=add&add_column=payment_terms").content
    assert table_rows(added, "index-table")[0] == ["Bravo", "Unpaid", "$98.00", "Due on receipt"]
    kept = table_rows(viewer.get(f"/subscriptions/?{base}&column=remove:name").content, "index-table")[0]
    assert kept[0] == "Bravo"


def test_keyset_pages_and_the_count(viewer: Client, records: Any) -> None:
    for n in range(30):
        make_subscription(records.contact, name=f"Sub {n:02}", next_payment_date=date(2027, 2, 1 + n % 28))
    first = viewer.get("/subscriptions/?edited=1&sort=name")
    assert [r[0] for r in table_rows(first.content, "index-table")][:2] == ["Sub 00", "Sub 01"]
    assert len(table_rows(first.content, "index-table")) == 25
    cursor = first.context["page"].next_cursor
    second = viewer.get(f"/subscriptions/?edited=1&sort=name&cursor={cursor}&page=2")
    assert [r[0] for r in table_rows(second.content, "index-table")] == [f"Sub {n}" for n in range(25, 30)]
    assert "rows 26–30" in text(second.content)
    assert viewer.get("/subscriptions/?edited=1&sort=name&cursor=garbage").status_code == 200  # first page
    count = viewer.get("/subscriptions/count/?edited=1&sort=name", headers=HTMX).content.decode()
    assert '<span id="index-count" data-testid="index-count">30 subscriptions</span>' in count
    filtered = viewer.get("/subscriptions/count/?edited=1&q=sub+07").content.decode()
    assert ">1 subscription<" in filtered


def test_previous_page_and_the_address_htmx_is_told(viewer: Client, records: Any) -> None:
    for n in range(30):
        make_subscription(records.contact, name=f"Sub {n:02}")
    first = viewer.get("/subscriptions/?edited=1&sort=name")
    assert "Previous page" not in text(first.content) and "First page" not in text(first.content)
    second = viewer.get(
        f"/subscriptions/?edited=1&sort=name&cursor={first.context['page'].next_cursor}&page=2"
    )
    back = second.context["previous_url"]
    assert back.startswith("/subscriptions/?") and "before=" in back and back.endswith("&page=1")
    assert (
        f'href="{back.replace("&", "&amp;")}" hx-boost="true" rel="prev">Previous page</a>'
        in second.content.decode()
    )
    again = viewer.get(back, headers=HTMX)
    assert [r[0] for r in table_rows(again.content, "index-table")] == [f"Sub {n:02}" for n in range(25)]
    assert again.context["state"].cursor is None and "rows 1–25" in text(again.content)
    assert again["HX-Push-Url"] == (
        "/subscriptions/?view=all&edited=1&sort=name&columns=" + "%2C".join(again.context["spec"].columns)
    )  # the first page's own address, not the link's
    assert "HX-Push-Url" not in viewer.get(back).headers  # a page load has its address already

    sorted_ = viewer.get(
        "/subscriptions/?view=all&edited=1&sort=name&sort_to=-name&status=active", headers=HTMX
    )
    pushed = sorted_["HX-Push-Url"]
    assert "sort=-name" in pushed and "status=active" in pushed and "sort_to" not in pushed
    assert (
        viewer.get("/subscriptions/?view=unpaid", headers=HTMX)["HX-Push-Url"]
        == "/subscriptions/?view=unpaid"
    )


def test_a_records_subscriptions_link_scopes_the_list(viewer: Client, subs: Any) -> None:
    ola = subs.charlie.contact
    response = viewer.get(f"/subscriptions/?contact_id={ola.pk}")
    assert [r[0] for r in table_rows(response.content, "index-table")] == ["Delta", "Charlie"]
    assert "Subscriptions of Ola Nordmann" in text(response.content)
    assert names(viewer, f"company_id={subs.foxtrot.company_id}&status=paused") == ["Foxtrot"]


# Saved views ----------------------------------------------------------------------------------


UNPAID_OR_ACTIVE_BY_MRR = {
    "view": "all",
    "edited": "1",
    "status": ["past_due", "active"],
    "sort": "-mrr",
    "columns": "name,status,mrr",
}


def test_an_editor_saves_the_current_state_as_a_view(editor: Client, subs: Any) -> None:
    done = editor.post(
        "/views/",
        {"name": " Money  at risk ", "visibility": "private", **UNPAID_OR_ACTIVE_BY_MRR},
        follow=True,
    )
    view = SavedView.objects.get()
    assert (view.name, view.visibility, view.filters, view.columns, view.sort) == (
        "Money at risk",
        "private",
        {"status": ["past_due", "active"]},
        ["name", "status", "mrr"],
        "-mrr",
    )
    assert messages(done) == ["View “Money at risk” saved."]
    assert done.redirect_chain == [(f"/subscriptions/?view={view.pk}", 302)]
    assert [r[0] for r in table_rows(done.content, "index-table")] == ["Delta", "Bravo", "Annual A"]
    assert 'data-testid="view-tab">Money at risk</a>' in done.content.decode()
    assert Event.objects.filter(type="savedview.created", object_id=view.pk, actor_type="user").count() == 1


def _save(client: Client, name: str, visibility: str = "private", **state: Any) -> SavedView:
    data = {"view": "all", "edited": "1", "name": name, "visibility": visibility, **state}
    assert client.post("/views/", data).status_code == 302
    return SavedView.objects.get(name=name)


def test_a_private_view_is_its_owners_and_a_team_view_everyones(
    client_as: Any, subs: Any, viewer: Client
) -> None:
    ingrid, ola = client_as("editor"), client_as("editor")
    mine = _save(ingrid, "Mine", status="past_due")
    shared = _save(ingrid, "Ours", "team", status="scheduled")
    assert "Mine" in ingrid.get("/subscriptions/").content.decode()
    ola_page = ola.get("/subscriptions/").content.decode()
    assert ">Ours<" in ola_page and ">Mine<" not in ola_page
    assert names(viewer, f"view={shared.pk}") == ["Charlie"]
    assert names(viewer, f"view={mine.pk}") == names(viewer)  # not theirs: the first tab
    # Only the owner (or a super admin) changes it:
    assert ola.post(f"/views/{shared.pk}/rename/", {"name": "Taken over"}).status_code == 403
    assert ola.post(f"/views/{mine.pk}/rename/", {"name": "x"}).status_code == 404
    assert SavedView.objects.get(pk=shared.pk).name == "Ours"


def test_names_are_unique_among_what_the_owner_sees(editor: Client, subs: Any) -> None:
    _save(editor, "Late payers", status="past_due")
    refused = editor.post(
        "/views/", {"view": "all", "edited": "1", "name": "late PAYERS", "q": "bravo"}, follow=True
    )
    assert messages(refused)[-1] == "A view named “late PAYERS” exists already; choose another name."
    assert "?view=all&edited=1&q=bravo" in refused.redirect_chain[0][0]  # the state is kept
    assert (
        editor.post("/views/", {"view": "all", "edited": "1", "name": "Unpaid"}, follow=True).status_code
        == 200
    )
    assert SavedView.objects.count() == 1


def test_update_rename_share_and_delete_a_view(editor: Client, subs: Any) -> None:
    view = _save(editor, "Big", status="active")
    editor.post(
        f"/views/{view.pk}/update/", {"view": view.pk, "edited": "1", "status": "paused", "sort": "name"}
    )
    view.refresh_from_db()
    assert (view.filters, view.sort) == ({"status": ["paused"]}, "name")
    editor.post(f"/views/{view.pk}/rename/", {"name": "Paused ones", "visibility": "team"})
    view.refresh_from_db()
    assert (view.name, view.visibility) == ("Paused ones", "team")
    assert "cannot be undone" not in editor.get(f"/views/{view.pk}/delete/").content.decode()
    done = editor.post(f"/views/{view.pk}/delete/", follow=True)
    assert messages(done) == ["View “Paused ones” deleted."]
    assert not SavedView.objects.exists()
    assert Event.objects.filter(object_id=view.pk).values_list("type", flat=True).count() == 4


def test_a_view_shows_unsaved_changes_and_resets(editor: Client, subs: Any) -> None:
    view = _save(editor, "Unpaid only", status="past_due")
    clean = editor.get(f"/subscriptions/?view={view.pk}").content.decode()
    assert 'data-testid="unsaved"' not in clean and "Save changes to “Unpaid only”" in clean
    changed = editor.get(f"/subscriptions/?view={view.pk}&edited=1&status=past_due&q=bravo").content.decode()
    assert 'data-testid="unsaved"' in changed


def test_a_viewer_saves_nothing_and_sees_no_actions(viewer: Client, subs: Any) -> None:
    page = viewer.get("/subscriptions/").content.decode()
    assert "Save view" not in page and "Create subscription" not in page
    assert viewer.post("/views/", {"name": "x", "view": "all"}).status_code == 403
    assert not SavedView.objects.exists()
    panel = viewer.get(f"/subscriptions/{subs.bravo.pk}/panel/", headers=HTMX).content.decode()
    assert "Bravo" in panel and 'data-testid="actions-menu"' not in panel
    assert (
        viewer.post(
            f"/subscriptions/{subs.bravo.pk}/cancel/", {"confirm": "on", "when": "now", "refund": "none"}
        ).status_code
        == 403
    )
    assert Subscription.objects.get(pk=subs.bravo.pk).status == "past_due"


# The side panel and its actions --------------------------------------------------------------------


def test_the_panel_shows_key_properties_lines_payments_and_actions(editor: Client, subs: Any) -> None:
    Subscription.objects.filter(pk=subs.bravo.pk).update(payment_method=make_method(subs.bravo.contact))
    invoice = make_invoice(subs.bravo, status="open", amount_paid=0, amount_due=9800)
    make_payment(invoice, status="failed", failure_code="insufficient_funds")
    response = editor.get(f"/subscriptions/{subs.bravo.pk}/panel/", headers=HTMX)
    shown = text(response.content)
    for part in (
        "Bravo",
        "Unpaid",
        "Ingrid Hansen",
        "Next payment 10 Jan 2027 · $98.00",
        "Pro plan",
        "INV-1",
        "Open record",
        "Retry payment",
        "Cancel…",
        "Delete…",
    ):
        assert part in shown, part
    assert editor.get(f"/subscriptions/{subs.bravo.pk}/panel/").status_code == 302  # without htmx: the record
    index = editor.get(f"/subscriptions/?panel={subs.bravo.pk}").content.decode()
    assert 'data-testid="panel"' in index  # a link to the index with the panel open


def test_the_cancel_dialog_shows_the_refund_it_would_make_and_a_pending_bank_debit(
    editor: Client, subs: Any
) -> None:
    make_payment(make_invoice(subs.annual, number="INV-9"))  # period 15 Jan – 15 Feb paid: $98.00, 31 days
    invoice = make_invoice(
        subs.annual, number="INV-10", status="open", index=1, amount_paid=0, amount_due=9800
    )
    make_payment(invoice, status="processing", method_type="ach")
    dialog = editor.get(f"/subscriptions/{subs.annual.pk}/cancel/?next=/subscriptions/", headers=HTMX)
    shown = text(dialog.content)
    assert "Prorated refund of the unused days: $98.00 (31 of 31 days of 15 Jan – 14 Feb 2027)" in shown
    assert "A bank debit (ACH) of $98.00 is still on its way" in shown
    assert 'name="next" value="/subscriptions/"' in dialog.content.decode()


def test_cancel_from_the_panel_comes_back_to_it(editor: Client, subs: Any) -> None:
    back = f"/subscriptions/?view=all&panel={subs.delta.pk}"
    done = editor.post(
        f"/subscriptions/{subs.delta.pk}/cancel/",
        {"confirm": "on", "when": "now", "refund": "none", "next": back},
        follow=True,
    )
    assert done.redirect_chain == [(back, 302)]
    assert messages(done) == ["Subscription Delta canceled."]
    assert "Canceled" in text(done.content)
    assert editor.post(
        f"/subscriptions/{subs.delta.pk}/undo-cancel/", {"next": "https://evil.example/"}
    ).url == (f"/subscriptions/{subs.delta.pk}/")  # only a path on this site


def test_delete_says_why_an_active_one_cannot_go_and_deletes_an_ended_one(editor: Client, subs: Any) -> None:
    dialog = editor.get(f"/subscriptions/{subs.delta.pk}/delete/").content.decode()
    assert 'data-testid="cannot-delete"' in dialog and "Delete subscription" not in dialog
    refused = editor.post(f"/subscriptions/{subs.delta.pk}/delete/")
    assert refused.status_code == 409 and Subscription.objects.filter(pk=subs.delta.pk).exists()
    warning = editor.get(f"/subscriptions/{subs.echo.pk}/delete/").content.decode()
    assert "Deleting is permanent. This cannot be undone." in warning
    done = editor.post(f"/subscriptions/{subs.echo.pk}/delete/", {"confirm": "on"}, follow=True)
    assert messages(done) == ["Subscription Echo deleted."]
    assert not Subscription.objects.filter(pk=subs.echo.pk).exists()


def test_retry_payment_needs_a_declined_attempt(editor: Client, subs: Any) -> None:
    refused = editor.post(f"/subscriptions/{subs.delta.pk}/retry/", follow=True)
    assert messages(refused) == ["There is no declined payment to retry."]
