"""A delivery's failure as a person reads it, in the active language.

Attempts store their failure in English (``delivery._why_failed`` and ``sending``: the API shows it
as written, and the worker that writes it has no language). Pages and emails put it in the reader's
language here; the parts that are data (a status, a URL, a library's own message) stay as they are.

>>> failure_text("answered 500")
'answered 500'
>>> from django.utils import translation
>>> with translation.override("nb"):
...     failure_text("timed out after 15 s"), failure_text("ConnectError: [Errno 111] Connection refused")
('fikk ikke svar innen 15 s', 'tilkoblingen mislyktes: ConnectError: [Errno 111] Connection refused')
"""

from __future__ import annotations

import re

from django.utils.translation import gettext

_REDIRECT = re.compile(
    r"^answered (?P<status>\d+) redirecting to (?P<url>.*): redirects are not followed$", re.S
)
_ANSWERED = re.compile(r"^answered (?P<status>\d+)$")
_TIMED_OUT = re.compile(r"^timed out after (?P<seconds>[\d.]+) s$")
_REFUSED = re.compile(r"^refused: (?P<why>.*)$", re.S)


def failure_text(error: str) -> str:
    """``error`` (as an attempt stores it) in the active language."""
    if not error:
        return ""
    if found := _REDIRECT.match(error):
        return (
            gettext("answered %(status)s with a redirect to %(url)s, which is not followed")
            % found.groupdict()
        )
    if found := _ANSWERED.match(error):
        return gettext("answered %(status)s") % found.groupdict()
    if found := _TIMED_OUT.match(error):
        return gettext("no answer within %(seconds)s s") % found.groupdict()
    if found := _REFUSED.match(error):
        return gettext("refused: %(why)s") % found.groupdict()
    return gettext("the connection failed: %(error)s") % {"error": error}
