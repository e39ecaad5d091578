"""Money: integer minor units, ISO exponents, one half-up rounding, no float, no mixing."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recurra.core.money import (
    CurrencyError,
    CurrencyMismatch,
    Money,
    exponent,
    major_text,
    normalize_currency,
    quantize,
    round_minor,
    total,
)


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("NOK", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
        ("IQD", 3),
        ("RSD", 2),
        ("CLP", 0),
        ("ISK", 0),
    ],
)
def test_exponents_follow_iso_4217(currency, places):
    # IQD and RSD are where CLDR (Babel) records cash practice and ISO differs.
    assert exponent(currency) == places


def test_unknown_and_retired_currencies_are_refused():
    for code in ("ABC", "", "US", "DEM", "XTS", "usdd"):
        with pytest.raises(CurrencyError):
            normalize_currency(code)
    assert normalize_currency(" usd ") == "USD"


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("0.125", "USD", 13),
        ("-0.125", "USD", -13),
        ("0.124", "USD", 12),
        ("19.99", "USD", 1999),
        ("1.5", "JPY", 2),
        ("2.5", "JPY", 3),
        ("1.0005", "KWD", 1001),
        ("1.0004", "KWD", 1000),
    ],
)
def test_quantize_rounds_half_up_away_from_zero(major, currency, minor):
    assert quantize(Decimal(major), currency) == minor


def test_float_is_refused_everywhere():
    with pytest.raises(TypeError):
        quantize(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_minor(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(19.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100, "USD") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(True, "USD")  # type: ignore[arg-type]


def test_arithmetic_refuses_mixed_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "USD") < Money(100, "EUR")
    assert Money(100, "USD") + Money(250, "USD") == Money(350, "USD")
    assert Money(100, "USD") - Money(250, "USD") == Money(-150, "USD")
    assert -Money(5, "usd") == Money(-5, "USD")


def test_multiplying_by_decimal_rounds_once_half_up():
    assert Money(1000, "USD") * Decimal("0.125") == Money(125, "USD")
    assert Money(5, "USD") * Decimal("0.5") == Money(3, "USD")
    assert Money(-5, "USD") * Decimal("0.5") == Money(-3, "USD")
    assert 3 * Money(333, "USD") == Money(999, "USD")


def test_from_major_and_decimal_roundtrip():
    assert Money.from_major("19.99", "USD").amount == 1999
    assert Money(1999, "USD").decimal == Decimal("19.99")
    assert Money(1234, "KWD").decimal == Decimal("1.234")
    assert Money(500, "JPY").decimal == Decimal("500")


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123450, "NOK"), "nb", "1\xa0234,50\xa0kr"),
        (Money(123450, "USD"), "en", "$1,234.50"),
        (Money(1234, "JPY"), "en", "¥1,234"),
        (Money(12345, "IQD"), "en", "IQD12.345"),
        (Money(-310, "USD"), "en", "-$3.10"),
        (Money(199, "EUR"), "de", "1,99\xa0€"),
    ],
)
def test_format_uses_locale_and_iso_decimals(money, locale, text):
    assert money.format(locale) == text


def test_total_of_nothing_is_zero_and_checks_currency():
    assert total([], "USD") == Money(0, "USD")
    with pytest.raises(CurrencyMismatch):
        total([Money(1, "EUR")], "USD")


amounts = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from(["USD", "JPY", "KWD", "NOK"])


@given(amounts, amounts, currencies)
def test_addition_is_exact_and_commutative(a, b, currency):
    assert Money(a, currency) + Money(b, currency) == Money(b, currency) + Money(a, currency)
    assert (Money(a, currency) + Money(b, currency)).amount == a + b


@given(amounts, currencies)
def test_major_minor_roundtrip(a, currency):
    assert Money.from_major(Money(a, currency).decimal, currency) == Money(a, currency)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False), currencies)
def test_quantize_is_within_half_a_minor_unit(value, currency):
    minor = quantize(value, currency)
    scaled = value.scaleb(exponent(currency))
    assert abs(Decimal(minor) - scaled) <= Decimal("0.5")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1999, "USD", "19.99"),
        (-5, "USD", "-0.05"),
        (0, "EUR", "0.00"),
        (100, "JPY", "100"),
        (-1234, "KWD", "-1.234"),
    ],
)
def test_major_text_is_plain_and_exact(minor: int, currency: str, text: str) -> None:
    assert major_text(minor, currency) == text
