"""Dates, times and amounts as people read them: one format on every page, email and PDF (Babel, CLDR).

- A day is the locale's medium date. English is written day first, the way British English
  writes it (``7 Jan 2027``: nobody reads it as 1 July), Norwegian bokmål ``7. jan. 2027``.
- A moment is its day and the time to the minute, in the zone it is given
  (``7 Jan 2027, 09:30`` / ``7. jan. 2027, 09:30``).
- A period is its two days: ``7 Jan 2027 – 7 Feb 2027``.
- An amount is written by ``core.money.Money.format`` in the language's locale; ``money_text``
  remembers the ones it wrote (the same amounts recur across a batch of emails).

Languages are Recurra's codes (``en``, ``nb``); anything Babel does not know is written as English.
Pages, emails and PDFs pass the active language (``translation.get_language()``).

>>> from datetime import UTC
>>> day_text(date(2026, 12, 7), "nb"), day_text(date(2026, 12, 7), "en"), day_text(date(2026, 12, 7), "xx")
('7. des. 2026', '7 Dec 2026', '7 Dec 2026')
>>> moment_text(datetime(2026, 12, 7, 9, 30, tzinfo=UTC), UTC, "nb")
'7. des. 2026, 09:30'
>>> period_text(date(2027, 1, 7), date(2027, 2, 7), "nb")
'7. jan. 2027 – 7. feb. 2027'
>>> money_text(123450, "NOK", "nb").replace("\xa0", " "), money_text(123450, "USD", "en")
('1 234,50 kr', '$1,234.50')
"""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from django.utils import translation

from recurra.core.money import Money

# The Babel locale whose dates each language writes (others: the language itself).
DATE_LOCALES = {"en": "en_GB"}
DEFAULT = "en_GB"


@functools.lru_cache(maxsize=64)
def date_locale(language: str | None) -> Locale:
    """The Babel locale a language's dates are written in (``en`` → ``en_GB``, ``nb-no`` → ``nb``)."""
    code = (language or "en").replace("-", "_")
    base = code.split("_")[0].lower()
    try:
        return Locale.parse(DATE_LOCALES.get(base, base))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def day_text(value: date, language: str | None) -> str:
    """``7 Jan 2027`` (a datetime: its date as it is, already in the zone wanted)."""
    day = value.date() if isinstance(value, datetime) else value
    return _day(day, date_locale(language))


@functools.lru_cache(maxsize=4096)
def _day(value: date, locale: Locale) -> str:
    return format_date(value, format="medium", locale=locale)


def moment_text(value: datetime, zone: tzinfo, language: str | None) -> str:
    """``7 Jan 2027, 09:30``: ``value`` in ``zone``, to the minute."""
    local = value.astimezone(zone)
    locale = date_locale(language)
    time = format_time(local.replace(tzinfo=None), format="short", locale=locale)
    pattern = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    return pattern.replace("{0}", time).replace("{1}", _day(local.date(), locale))


def period_text(start: date, end: date, language: str | None) -> str:
    """``7 Jan 2027 – 7 Feb 2027``: both days, as given."""
    return f"{day_text(start, language)} – {day_text(end, language)}"


def active_locale() -> str:
    """The Babel locale code of the active language (``nb``, ``en``; ``pt-br`` → ``pt_br``)."""
    return (translation.get_language() or "en").replace("-", "_")


def money_text(amount: int, currency: str, language: str | None) -> str:
    """``amount`` minor units of ``currency`` as ``language`` writes them (``1 234,50 kr``)."""
    return _money(amount, currency, (language or "en").replace("-", "_"))


@functools.lru_cache(maxsize=4096)
def _money(amount: int, currency: str, locale: str) -> str:
    return Money(amount, currency).format(locale)
