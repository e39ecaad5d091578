"""Exports end to end in the worker: each format read back (csv, openpyxl, xlrd), headers in two
languages, column orders per scope, associations joined by semicolons and capped (a purchase
invoice and its payment in each of its subscriptions' cells), the formula guard, XLS's row limit,
the email, the expiry and who may download.

The clock is frozen at 2027-01-15 09:30 UTC; files go to a temporary data directory.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlrd

from recurra.accounts.roles import Role
from recurra.core import clock
from recurra.core.errors import Forbidden, Gone, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.exports import files
from recurra.exports.columns import columns_for
from recurra.exports.downloads import zip_stream
from recurra.exports.models import Export
from recurra.exports.services import Source, export_create, export_download
from recurra.exports.writers import xls
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.jobs.runner import run_due
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.saved_views.defaults import DEFAULT_VIEWS
from recurra.saved_views.spec import Filters, Spec
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.properties import DEFAULT_COLUMNS, PROPERTIES
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM, T0
from tests.web.conftest import make_user
from tests.web.test_subscription_pages import make_invoice, make_payment, make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")
ALL = Source("all", "All", DEFAULT_VIEWS["all"].spec, {})


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.RECURRA_DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def book(db: None) -> dict[str, Any]:
    """Ada's "Pro monthly" (Fjord AS) with two paid invoices; Bob's "=HYPERLINK(…)" ended."""
    fjord = Company.objects.create(name="Fjord AS")
    ada = Contact.objects.create(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", company=fjord
    )
    bob = Contact.objects.create(email="bob@example.com", first_name="", last_name="")
    pro = make_subscription(
        ada,
        name="Pro monthly",
        line_items_mrr=9800,
        created_at=datetime(2027, 1, 3, 23, 30, tzinfo=T0.tzinfo),
    )
    for n in range(2):
        make_payment(make_invoice(pro, number=f"INV-{n + 1}", index=n))
    ended = make_subscription(
        bob,
        name='=HYPERLINK("http://x","y")',
        status="canceled",
        next_payment_date=None,
        line_items_mrr=0,
        company=None,
    )
    return {"pro": pro, "ended": ended, "ada": ada, "bob": bob}


def make_purchase(subs: list[Subscription], *, number: str) -> tuple[Invoice, Payment]:
    """A checkout's invoice of several subscriptions' first periods, paid: two lines of the first,
    one of each other, one one-time item; neither it nor its payment names a subscription."""
    invoice = make_invoice(subs[0], number=number, subscription=None)  # its line: the one-time item
    for sub in (subs[0], *subs):
        InvoiceLine.objects.create(
            invoice=invoice,
            subscription=sub,
            name=f"{sub.name} plan",
            quantity=1,
            unit_amount=4900,
            discount_percent=Decimal(0),
            tax_rate_percent=Decimal(0),
            amount_discount=0,
            amount_subtotal=4900,
            amount_tax=0,
            amount_total=4900,
        )
    payment = make_payment(invoice)
    assert (invoice.subscription_id, payment.subscription_id) == (None, None)
    return invoice, payment


def exported(fmt: str, *, source: Source = ALL, user: Any = None, **options: Any) -> Export:
    export = export_create(
        source=source,
        format=fmt,
        language=options.pop("language", "en"),
        requested_by=user,
        actor=SYSTEM,
        at=clock.now(),
        **options,
    )
    run_due(at=clock.now())
    export.refresh_from_db()
    assert export.status == "complete", export.last_error
    return export


def read_csv(export: Export) -> list[list[str]]:
    raw = files.path_of(export).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_of_a_view_in_its_column_order(book: Any) -> None:
    rows = read_csv(exported("csv"))
    assert rows[0] == [str(PROPERTIES[key].label) for key in DEFAULT_COLUMNS]
    assert rows[1] == [
        "Pro monthly",
        "Ada Lovelace",
        "Fjord AS",
        "Active",
        "2027-02-15",
        "98.00",
        "Monthly",
        "98.00",
        "2027-01-03 23:30",
    ]
    assert rows[2][:4] == ['\'=HYPERLINK("http://x","y")', "bob@example.com", "", "Canceled"]  # guarded


def test_csv_quoting_is_rfc_4180(book: Any) -> None:
    raw = files.path_of(exported("csv")).read_bytes().decode("utf-8-sig")
    assert raw.endswith("\r\n") and "\r\n" in raw.split("\r\n", 1)[0] + "\r\n"
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in raw  # quotes doubled inside a quoted field


def test_headers_in_another_language_values_not(book: Any) -> None:
    rows = read_csv(exported("csv", language="nb"))
    assert rows[0][:4] == ["Navn", "Kontakt", "Selskap", "Status"]
    assert rows[1][3] == "Active"  # values are not translated
    assert [c.header for c in columns_for("view", ["name", "mrr"], "ja")] == ["名前", "MRR"]


def test_all_properties_are_alphabetical_after_record_id(book: Any) -> None:
    english = read_csv(exported("csv", scope="all_properties"))[0]
    assert len(english) == len(PROPERTIES) and english[0] == "Record ID"
    assert english[1:] == sorted(english[1:], key=str.casefold)
    german = read_csv(exported("csv", scope="all_properties", language="de"))[0]
    assert german[:3] == ["Datensatz-ID", "Abrechnungsbedingungen", "Abrechnungsintervall"]
    assert german.index("Währung") < german.index("Wird fortgesetzt am")  # ä sorts with a
    en = read_csv(exported("csv", scope="all_properties"))
    pro = dict(zip(en[0], en[1], strict=True))
    assert (pro["Record ID"], pro["Create date"], pro["Contact email"]) == (
        book["pro"].pk,
        "2027-01-03 23:30",
        "ada@example.com",
    )


def test_associations_last_as_semicolon_joined_ids_and_names(book: Any) -> None:
    rows = read_csv(exported("csv", scope="all_properties_and_associations"))
    assert rows[0][-14:] == [
        "Associated Contact IDs",
        "Associated Contact",
        "Associated Company IDs",
        "Associated Company",
        "Associated Deal IDs",
        "Associated Deal",
        "Associated Quote IDs",
        "Associated Quote",
        "Associated Invoice IDs",
        "Associated Invoice",
        "Associated Payment IDs",
        "Associated Payment",
        "Associated Line Item IDs",
        "Associated Line Item",
    ]
    pro = dict(zip(rows[0], rows[1], strict=True))
    invoices = list(book["pro"].invoices.order_by("id"))
    payments = list(book["pro"].payments.order_by("id"))
    assert pro["Associated Contact IDs"] == book["ada"].pk
    assert pro["Associated Contact"] == "Ada Lovelace"
    assert pro["Associated Company"] == "Fjord AS"
    assert (pro["Associated Deal IDs"], pro["Associated Quote"]) == ("", "")
    assert pro["Associated Invoice IDs"] == ";".join(i.pk for i in invoices)
    assert pro["Associated Invoice"] == "INV-1;INV-2"
    assert pro["Associated Payment IDs"] == ";".join(p.pk for p in payments)
    assert pro["Associated Payment"] == "98.00 USD (2027-01-15);98.00 USD (2027-01-15)"
    assert pro["Associated Line Item"] == "Pro plan"
    assert dict(zip(rows[0], rows[2], strict=True))["Associated Invoice IDs"] == ""


def test_a_purchase_invoice_and_its_payment_are_each_of_its_subscriptions(book: Any) -> None:
    """Named by neither (two subscriptions' checkout), listed by both, once, in id order."""
    invoice, payment = make_purchase([book["pro"], book["ended"]], number="INV-9")
    rows = read_csv(exported("csv", scope="all_properties_and_associations"))
    pro, ended = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    invoices = sorted([*book["pro"].invoices.all(), invoice], key=lambda i: i.pk)
    payments = sorted([*book["pro"].payments.all(), payment], key=lambda p: p.pk)
    assert pro["Associated Invoice IDs"] == ";".join(i.pk for i in invoices)
    assert pro["Associated Invoice"] == ";".join(i.number for i in invoices)
    assert pro["Associated Payment IDs"] == ";".join(p.pk for p in payments)
    assert ended["Associated Invoice IDs"] == invoice.pk
    assert ended["Associated Invoice"] == "INV-9"
    assert ended["Associated Payment IDs"] == payment.pk
    assert ended["Associated Payment"] == "98.00 USD (2027-01-15)"
    capped = read_csv(exported("csv", scope="all_properties_and_associations", associations_limit=1))
    first = dict(zip(capped[0], capped[1], strict=True))
    assert first["Associated Invoice IDs"] == invoices[0].pk
    assert first["Associated Payment IDs"] == payments[0].pk


def test_at_most_1000_associated_records_per_cell_unless_all(book: Any) -> None:
    SubscriptionLineItem.objects.bulk_create(
        SubscriptionLineItem(
            subscription=book["pro"],
            name=f"Seat {n:04}",
            unit_amount=100,
            currency="USD",
            billing_frequency="monthly",
            position=n + 1,
        )
        for n in range(1000)
    )
    limited = dict(zip(*read_csv(exported("csv", scope="all_properties_and_associations"))[:2], strict=True))
    names = limited["Associated Line Item"].split(";")
    assert len(names) == 1000 and len(limited["Associated Line Item IDs"].split(";")) == 1000
    everything = exported("csv", scope="all_properties_and_associations", associations_limit=None)
    assert len(dict(zip(*read_csv(everything)[:2], strict=True))["Associated Line Item"].split(";")) == 1001
    with pytest.raises(ValidationFailed) as refused:
        exported("xlsx", scope="all_properties_and_associations", associations_limit=None)
    assert refused.value.errors[0].field == "associations_limit"


def test_xlsx_reads_back_with_typed_dates_and_money(book: Any) -> None:
    export = exported("xlsx", scope="all_properties_and_associations", language="de")
    sheet = openpyxl.load_workbook(files.path_of(export)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Datensatz-ID" and rows[0][-1] == "Zugeordnete Position"
    pro = dict(zip(rows[0], rows[1], strict=True))
    assert pro["Nächstes Zahlungsdatum"] == datetime(2027, 2, 15)  # a date cell
    assert pro["Erstellungsdatum"] == datetime(2027, 1, 3, 23, 30)  # in the account's zone (UTC)
    assert pro["MRR"] == 98 and pro["Anzahl der Zahlungen"] is None
    assert pro["Zugeordnete Rechnung"] == "INV-1;INV-2"
    cells = {c.value: c for c in sheet[1]}
    mrr = sheet.cell(row=2, column=list(cells).index("MRR") + 1)
    assert mrr.number_format == '"$"#,##0.00'
    assert (
        sheet.cell(row=2, column=list(cells).index("Nächstes Zahlungsdatum") + 1).number_format
        == "yyyy-mm-dd"
    )
    ended = dict(zip(rows[0], rows[2], strict=True))
    assert (
        ended["Name"] == '=HYPERLINK("http://x","y")'
        and sheet.cell(row=3, column=list(cells).index("Name") + 1).data_type == "s"
    )


def test_xls_reads_back(book: Any) -> None:
    book_ = xlrd.open_workbook(str(files.path_of(exported("xls", language="fr"))))
    sheet = book_.sheet_by_index(0)
    assert sheet.row_values(0)[:4] == ["Nom", "Contact", "Entreprise", "Statut"]
    assert sheet.row_values(1)[:4] == ["Pro monthly", "Ada Lovelace", "Fjord AS", "Active"]
    assert sheet.cell(1, 5).value == 98.0  # money is a number
    next_payment = xlrd.xldate_as_datetime(sheet.cell(1, 4).value, book_.datemode)
    assert next_payment == datetime(2027, 2, 15)
    assert sheet.nrows == 3


def test_xls_beyond_its_row_limit_is_refused_up_front_and_in_the_worker(book: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(xls, "MAX_ROWS", 1)
    monkeypatch.setattr("recurra.exports.services.MAX_ROWS", 1)
    with pytest.raises(ValidationFailed) as refused:
        exported("xls")
    assert refused.value.errors[0].message == (
        "an XLS file holds at most 1 subscriptions and this export has 2: choose XLSX or CSV"
    )
    only_one = Source("all", "All", Spec(Filters(statuses=("active",))), {})
    export = export_create(
        source=only_one, format="xls", language="en", requested_by=None, actor=SYSTEM, at=clock.now()
    )
    make_subscription(book["ada"], name="Another")  # more came before the worker ran
    run_due(at=clock.now())
    export.refresh_from_db()
    assert (export.status, export.last_error) == (
        "failed",
        "an XLS file holds at most 1 rows: export as XLSX or CSV",
    )
    assert not files.path_of(export).exists() and not any(files.folder(export).glob("*.part"))
    assert Event.objects.filter(object_id=export.pk, type="export.failed").count() == 1


def test_a_view_exports_what_it_shows_as_asked(book: Any) -> None:
    view = Source(
        "view_1",
        "Money",
        Spec(Filters(statuses=("active",)), ("mrr", "name"), DEFAULT_VIEWS["all"].spec.sort),
        {},
    )
    assert read_csv(exported("csv", source=view)) == [["MRR", "Name"], ["98.00", "Pro monthly"]]


def test_progress_the_email_and_the_audit_trail(book: Any) -> None:
    user = make_user(Role.EDITOR, "erin")
    export = exported("csv", user=user, language="nb")
    assert (export.rows_done, export.rows_total, export.percent) == (2, 2, 100)
    assert export.expires_at == T0 + timedelta(days=30)
    email = EmailMessage.objects.get(kind="export_ready")
    assert (email.to, email.language) == ("erin@recurra.example", "nb")
    assert email.data["download_url"].endswith(f"/exports/{export.pk}/download/")
    assert email.data["expires_on"] == "2027-02-14"
    assert list(Event.objects.filter(object_id=export.pk).order_by("id").values_list("type", flat=True)) == [
        "export.created",
        "export.completed",
    ]
    user.refresh_from_db()
    assert user.export_language == "nb"  # the next dialog's default


def test_only_the_asker_or_a_super_admin_downloads_until_it_expires(book: Any) -> None:
    erin, other, boss = (
        make_user(Role.EDITOR, "erin"),
        make_user(Role.EDITOR, "olga"),
        make_user(Role.SUPER_ADMIN, "boss"),
    )
    export = exported("csv", user=erin)
    actor = SYSTEM
    assert export_download(export=export, user=erin, role=erin.role, actor=actor, at=clock.now()) == export
    assert export_download(export=export, user=boss, role=boss.role, actor=actor, at=clock.now()) == export
    with pytest.raises(Forbidden):
        export_download(export=export, user=other, role=other.role, actor=actor, at=clock.now())
    assert Event.objects.filter(object_id=export.pk, type="export.downloaded").count() == 2

    clock.freeze(T0 + timedelta(days=30))
    run_due_work(at=clock.now())
    export.refresh_from_db()
    assert export.removed_at == clock.now() and not files.folder(export).exists()
    with pytest.raises(Gone):
        export_download(export=export, user=erin, role=erin.role, actor=actor, at=clock.now())
    assert Event.objects.filter(object_id=export.pk, type="export.expired").count() == 1


def test_the_zipped_download_holds_the_file(book: Any) -> None:
    import zipfile

    export = exported("csv")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(files.path_of(export), export.file_name))))
    assert archive.namelist() == [export.file_name]
    assert archive.read(export.file_name) == files.path_of(export).read_bytes()


def test_bad_choices_are_all_reported(book: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        export_create(
            source=ALL,
            format="pdf",
            language="xx",
            scope="some",
            requested_by=None,
            actor=SYSTEM,
            at=clock.now(),
        )
    assert [e.field for e in refused.value.errors] == ["format", "language", "scope"]
    assert not Export.objects.exists()
