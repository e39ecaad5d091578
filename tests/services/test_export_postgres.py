"""PostgreSQL writes CSV and XLSX rows itself (``exports.postgres``): the same files as the portable
writers, cell for cell, on awkward data (quotes, commas, line breaks, backslashes, formulas, control
characters, emoji; NULLs and empty text; JPY and USD; seconds and DST in a non-UTC zone; capped
associations; a purchase invoice of two subscriptions that names neither, and its payment), and
its progress stored while COPY streams on a connection of its own.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from recurra.accounts.models import User
from recurra.accounts.services import account_settings_update
from recurra.crm.models import Company, Contact
from recurra.exports import postgres, writers
from recurra.exports.columns import columns_for
from recurra.exports.models import Export
from recurra.exports.services import Source, export_create
from recurra.saved_views.spec import Filters, Sort, Spec
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.services.test_exports import ALL, make_purchase
from tests.web.test_subscription_pages import make_invoice, make_payment, make_subscription

pytestmark = pytest.mark.postgres
OSLO = ZoneInfo("Europe/Oslo")
NAMES = [
    'Quote "this", please',
    "Two\nlines\r\nand a CR",
    "back\\slash \\n not a line break",
    "=1+2",
    "-minus",
    "\tTabbed",
    "ctrl\x01\x08char\ufffe\uffff",
    "Ångström & <Søn> 🚀",
]


def awkward_book() -> tuple[list[str], str, str]:
    """Eight awkward subscriptions; the purchase's subscriptions' ids, its invoice's and payment's."""
    account_settings_update(actor=SYSTEM, at=T0, timezone="Europe/Oslo")
    company = Company.objects.create(name='@Corp, "Ltd"')
    plain = Contact.objects.create(email="plain@example.com", first_name="Ann", last_name="", company=company)
    bare = Contact.objects.create(email="bare@example.com", first_name="", last_name="")
    owners = [  # none; one named by their username (a formula); one whose name needs quoting
        None,
        User.objects.create(username="=cmd|x", first_name="", last_name=""),
        User.objects.create(username="orjan", first_name=" Ørjan", last_name='"Q", Ltd'),
    ]
    for n, name in enumerate(NAMES):
        sub = make_subscription(
            plain if n % 2 else bare,
            name=name,
            company=company if n % 3 else None,
            currency="JPY" if n % 4 == 0 else "USD",
            next_payment_date=None if n == 5 else datetime(2027, 3, 28 + n % 3).date(),
            number_of_payments=12 if n % 2 else None,
            line_items_mrr=-5 if n == 6 else 9800 + n,
            invoice_po_number="" if n % 2 else f"PO {n}",
            owner=owners[n % 3],
            # seconds and microseconds; 2027-03-28 01:00 UTC is the hour Oslo moves to summer time
            created_at=datetime(2027, 3, 28, n % 3, 59, 59, 999999, tzinfo=T0.tzinfo),
        )
        for index in range(n % 3):
            make_payment(make_invoice(sub, number=f"INV-{n}-{index}" if index else None, index=index))
    # the checkout that started the second and third: JPY and USD rows both list its payment
    bought = list(Subscription.objects.filter(name__in=NAMES[1:3]).order_by("pk"))
    invoice, payment = make_purchase(bought, number="CHK-1")
    return [sub.pk for sub in bought], invoice.pk, payment.pk


def filtered() -> Source:
    """Active ones of the company's contact, their names sorted descending: the filters' own
    parameters, a scope and the other sort direction in the one statement."""
    spec = Spec(Filters(q="a", statuses=("active",)), (), Sort("name", descending=True))
    return Source("view_1", "Filtered", spec, {"contact_id": Contact.objects.get(first_name="Ann").pk})


def both(
    fmt: str, scope: str, tmp_path: Path, limit: int | None = 1000, source: Source = ALL
) -> tuple[Path, Path]:
    """The export written by PostgreSQL and by the portable writers."""
    export = export_create(
        source=source,
        format=fmt,
        language="nb",
        requested_by=None,
        actor=SYSTEM,
        at=T0,
        scope=scope,
        associations_limit=limit,
    )
    columns = columns_for(export.scope, export.columns, export.language)
    paths = tmp_path / f"pg.{fmt}", tmp_path / f"py.{fmt}"
    made = postgres.write(export, columns, OSLO, paths[0], lambda done: None)
    assert made == writers.write(export, columns, OSLO, paths[1], lambda done: None) > 0
    return paths


def cells(path: Path) -> list[list[tuple[Any, str, str]]]:
    sheet = openpyxl.load_workbook(path).active
    return [[(c.value, c.number_format, c.data_type) for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("scope", ["view", "all_properties_and_associations"])
def test_csv_is_the_same_bytes(db: None, tmp_path: Path, scope: str) -> None:
    awkward_book()
    made, portable = both("csv", scope, tmp_path)
    assert made.read_bytes() == portable.read_bytes()
    rows = list(csv.reader(io.StringIO(made.read_text("utf-8-sig"), newline="")))
    assert len(rows) == len(NAMES) + 1 and "'=1+2" in [cell for row in rows for cell in row]


def test_a_purchase_invoice_is_each_of_its_subscriptions_in_both(db: None, tmp_path: Path) -> None:
    bought, invoice, payment = awkward_book()
    made, portable = both("csv", "all_properties_and_associations", tmp_path)
    assert made.read_bytes() == portable.read_bytes()
    header, *rows = csv.reader(io.StringIO(portable.read_text("utf-8-sig"), newline=""))
    by_id = {row[header.index("Post-ID")]: dict(zip(header, row, strict=True)) for row in rows}
    invoices = {pk: row["Tilknyttede faktura-ID-er"].split(";") for pk, row in by_id.items()}
    payments = {pk: row["Tilknyttede betalings-ID-er"].split(";") for pk, row in by_id.items()}
    assert [pk for pk in by_id if invoice in invoices[pk]] == [pk for pk in by_id if pk in bought]
    assert [pk for pk in by_id if payment in payments[pk]] == [pk for pk in by_id if pk in bought]
    for pk in bought:  # once each, in id order beside the subscription's own
        assert invoices[pk].count(invoice) == 1 and invoices[pk] == sorted(invoices[pk])
        assert payments[pk].count(payment) == 1 and payments[pk] == sorted(payments[pk])
        assert "CHK-1" in by_id[pk]["Tilknyttet faktura"].split(";")


def test_a_filtered_scoped_descending_export_is_the_same(db: None, tmp_path: Path) -> None:
    awkward_book()
    for fmt in ("csv", "xlsx"):
        made, portable = both(fmt, "all_properties_and_associations", tmp_path, source=filtered())
        assert cells(made) == cells(portable) if fmt == "xlsx" else made.read_bytes() == portable.read_bytes()
    header, *rows = cells(made)
    at = [value for value, _, _ in header].index("Navn")
    names = [row[at][0] for row in rows]
    assert names == sorted(names, reverse=True) and len(names) == 4  # Ann's four; all active


@pytest.mark.parametrize(("scope", "limit"), [("view", 1000), ("all_properties_and_associations", 1)])
def test_xlsx_is_the_same_cells(db: None, tmp_path: Path, scope: str, limit: int) -> None:
    awkward_book()
    made, portable = both("xlsx", scope, tmp_path, limit)
    assert cells(made) == cells(portable)
    values = [value for row in cells(made) for value, _, _ in row]
    assert "Ångström & <Søn> 🚀" in values and "ctrlchar" in values
    assert datetime(2027, 3, 28, 3, 59, 59) in values  # 01:59:59 UTC in Oslo's summer time


def test_progress_is_stored_while_rows_stream(
    transactional_db: None, tmp_path: Path, monkeypatch: Any
) -> None:
    """Outside a transaction COPY has a connection of its own: Django's answers meanwhile."""
    awkward_book()
    monkeypatch.setattr(postgres, "PROGRESS_EVERY", 3)
    export = export_create(source=ALL, format="csv", language="en", requested_by=None, actor=SYSTEM, at=T0)
    seen: list[tuple[int, int]] = []

    def progress(done: int) -> None:
        Export.objects.filter(pk=export.pk).update(rows_done=done)
        seen.append((done, Export.objects.get(pk=export.pk).rows_done))

    columns = columns_for(export.scope, export.columns, export.language)
    postgres.write(export, columns, OSLO, tmp_path / "live.csv", progress)
    assert seen == [(3, 3), (6, 6), (8, 8)]
