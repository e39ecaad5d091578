"""The pieces of an export's files: headers in every language, spreadsheet cells, the formula guard."""

from __future__ import annotations

import importlib.util
from datetime import date, datetime
from pathlib import Path

import pytest

from recurra.exports.cells import guard
from recurra.exports.columns import columns_for
from recurra.exports.languages import LANGUAGES, supported
from recurra.exports.writers.xlsx import column_letters, currency_format, serial, text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_header_is_translated(language: str) -> None:
    english = [c.header for c in columns_for("all_properties_and_associations", [], "en")]
    translated = {c.header for c in columns_for("all_properties_and_associations", [], language)}
    assert len(translated) == len(english) == 53  # all distinct
    assert len(translated - set(english)) >= 40  # MRR, Status… may read the same


def test_every_export_language_has_its_catalogue() -> None:  # complete: tests/unit/test_translations.py
    spec = importlib.util.spec_from_file_location("compilemessages", ROOT / "scripts" / "compilemessages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    catalogues = module.catalogues()
    assert len([c for c in catalogues if "/exports/" in str(c)]) == len(LANGUAGES) - 1


@pytest.mark.parametrize(("code", "language"), [("de-AT", "de"), ("nn", "nb"), ("pt_BR", "pt"), ("ko", None)])
def test_browser_languages_map_to_ours(code: str, language: str | None) -> None:
    assert supported(code) == language


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+47 22", "'+47 22"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_is_neutralised(value: str, guarded: str) -> None:
    assert guard(value) == guarded


def test_xlsx_cells() -> None:
    assert [column_letters(n) for n in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert serial(date(2000, 1, 1)) == "36526"  # Excel's own day number for it
    assert serial(datetime(2000, 1, 1, 18, 0)) == "36526.75000000"
    assert text("a < b & \x01c") == "a &lt; b &amp; c"  # escaped, control characters dropped
    assert currency_format("USD") == '"$"#,##0.00'
    assert currency_format("JPY") == '"¥"#,##0'
    assert currency_format("KWD") == '#,##0.000 "KWD"'
