"""Dates and times as people read them: one format on every page, email and PDF (Babel, CLDR).

- A day is the locale's medium date. English is written day first, the way British English
  writes it (``7 Jan 2027``: nobody reads it as 1 July), Norwegian bokmål ``7. jan. 2027``.
- A moment is its day and the time to the minute, in the zone it is given
  (``7 Jan 2027, 09:30`` / ``7. jan. 2027, 09:30``).
- A period is its two days: ``7 Jan 2027 – 7 Feb 2027``.

Languages are Recurra's codes (``en``, ``nb``); anything Babel does not know is written as English.
Pages, emails and PDFs pass the active language (``translation.get_language()``).

>>> from datetime import UTC
>>> day_text(date(2026, 12, 7), "nb"), day_text(date(2026, 12, 7), "en"), day_text(date(2026, 12, 7), "xx")
('7. des. 2026', '7 Dec 2026', '7 Dec 2026')
>>> moment_text(datetime(2026, 12, 7, 9, 30, tzinfo=UTC), UTC, "nb")
'7. des. 2026, 09:30'
>>> period_text(date(2027, 1, 7), date(2027, 2, 7), "nb")
'7. jan. 2027 – 7. feb. 2027'
"""

from __future__ import annotations

import functools
from datetime import date, datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format

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
