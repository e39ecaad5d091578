"""Money: integer minor units in one ISO 4217 currency. Never a float.

Exponents are ISO 4217's minor units. Babel supplies CLDR's "digits", which
match ISO except for a few currencies where CLDR records cash practice (IQD
has 3 decimals in ISO, 0 in CLDR); those are corrected by ``_ISO_EXPONENTS``.
Accepted currencies are the ones in legal-tender use today per CLDR.

Rounding happens in exactly one place, :func:`quantize`, ROUND_HALF_UP.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.numbers import NumberPattern, get_currency_precision

# Where CLDR's digits differ from the ISO 4217 minor unit.
_ISO_EXPONENTS = {
    "AFN": 2,
    "ALL": 2,
    "IQD": 3,
    "IRR": 2,
    "KPW": 2,
    "LAK": 2,
    "LBP": 2,
    "MGA": 2,
    "MMK": 2,
    "RSD": 2,
    "SLE": 2,
    "SOS": 2,
    "SYP": 2,
    "YER": 2,
}


class CurrencyError(ValueError):
    """An unknown currency code."""


class CurrencyMismatch(ValueError):
    """Arithmetic or comparison across two currencies."""


@cache
def currencies() -> frozenset[str]:
    """ISO codes of currencies in current legal-tender use somewhere (from CLDR)."""
    codes: set[str] = set()
    for entries in get_global("territory_currencies").values():
        for code, _start, end, tender in entries:
            if end is None and tender:
                codes.add(code)
    return frozenset(codes)


def normalize_currency(code: str) -> str:
    """The upper-case code, or CurrencyError when it is not a current ISO currency."""
    upper = (code or "").strip().upper()
    if upper not in currencies():
        raise CurrencyError(f"unknown currency {code!r}")
    return upper


@cache
def exponent(currency: str) -> int:
    """Decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    code = normalize_currency(currency)
    return _ISO_EXPONENTS.get(code, get_currency_precision(code))


def quantize(amount: Decimal | int, currency: str) -> int:
    """Major units (a Decimal) to whole minor units, rounding half up (away from zero).

    The only rounding in Recurra: 0.125 USD is 13 cents, -0.125 USD is -13.
    """
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal or an int")
    scaled = Decimal(amount).scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def major_text(minor: int, currency: str) -> str:
    """Minor units as plain major-unit text with the currency's decimals: 1999 USD → ``19.99``,
    -5 USD → ``-0.05``, 100 JPY → ``100`` (files and exports; no grouping, no symbol)."""
    places = exponent(currency)
    if not places:
        return str(minor)
    whole, part = divmod(abs(minor), 10**places)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{places}d}"


def round_minor(amount: Decimal | int) -> int:
    """A fractional amount of minor units to a whole one, half up (away from zero)."""
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal or an int")
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of integer minor units (``1999`` USD is 19.99) in one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money.amount must be int minor units, not {type(self.amount).__name__}")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_major(cls, amount: Decimal | int | str, currency: str) -> Money:
        """From major units, e.g. ``Money.from_major("19.99", "USD")``; rounds via quantize."""
        return cls(quantize(Decimal(amount), currency), currency)

    @property
    def decimal(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Scale by an int (exact) or a Decimal (rounded half up to the minor unit)."""
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError(f"Money can be multiplied by int or Decimal, not {type(factor).__name__}")
        if isinstance(factor, int):
            return Money(self.amount * factor, self.currency)
        return Money(round_minor(self.amount * factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def format(self, locale: str = "en") -> str:
        """Display in a locale (Babel's, e.g. ``nb``) with the currency's ISO decimals.

        >>> Money(123450, "NOK").format("nb"), Money(-500, "USD").format("nb")
        ('1\xa0234,50\xa0kr', '-5,00\xa0USD')
        >>> Money(1000, "JPY").format("nb"), Money(1234, "KWD").format("nb")
        ('1\xa0000\xa0JPY', '1,234\xa0KWD')
        >>> Money(123450, "NOK").format("en"), Money(123450, "USD").format()
        ('NOK1,234.50', '$1,234.50')
        """
        pattern, parsed = _currency_pattern(locale, exponent(self.currency))
        return pattern.apply(self.decimal, parsed, currency=self.currency, currency_digits=False)

    def __str__(self) -> str:
        return self.format("en")


@cache
def _currency_pattern(locale: str, places: int) -> tuple[NumberPattern, Locale]:
    """A locale's currency pattern with ``places`` decimals, and the locale: parsed once (an index
    page formats hundreds of amounts; Babel parses both anew on every call)."""
    parsed = Locale.parse(locale)
    pattern = copy.copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return pattern, parsed


def total(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum of Money values that must all be in ``currency`` (an empty sum is zero)."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result
