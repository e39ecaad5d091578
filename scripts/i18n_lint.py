"""Text a person reads that is not marked for translation: the rules ``makemessages.py --check`` applies.

Templates (``.html`` and ``.txt`` under a ``templates`` folder): every run of letters outside
``{% translate %}``, ``{% blocktranslate %}``, comments, ``<script>``, ``<style>`` and ``<code>`` /
``<pre>``, in the text of an element or in an attribute people read (``title``, ``placeholder``,
``alt``, ``aria-label``, ``aria-description``, ``data-confirm``, ``value`` of a button), is a
problem, unless it is a name that no language translates (``ALLOWED``).

Python: a literal string given where Django shows it to a person (a form field's ``label``,
``help_text`` or ``empty_label``, a ``ValidationError``, ``messages.success`` and its siblings, the
label of a ``TextChoices`` member) is a problem; mark it with ``gettext_lazy`` (at import time) or
``gettext`` (in a request).

A line may opt out with the comment ``i18n: not text`` (Python) or ``{# i18n: not text #}`` on the
same line (templates), for the rare string that only looks like words (a CSS class list in a value).

    >>> unmarked_in_template('<p>{% translate "Hello" %} {{ name }}</p>', "x.html")
    []
    >>> unmarked_in_template('<button title="Close">×</button>', "x.html")
    ['x.html:1: "Close" is not marked for translation']
    >>> unmarked_in_template('{% blocktranslate %}Hi {{ n }}{% endblocktranslate %} Recurra', "x.txt")
    []
    >>> unmarked_in_python('forms.CharField(label="Name")', "f.py")
    ['f.py:1: "Name" is not marked for translation']
"""

from __future__ import annotations

import ast
import os
import re
from html.parser import HTMLParser
from pathlib import Path

# Names and codes every language writes the same way.
ALLOWED = {
    "Recurra",
    "Stripe",
    "HubSpot",
    "API",
    "CSV",
    "XLSX",
    "PDF",
    "JSON",
    "URL",
    "URLs",
    "ID",
    "IBAN",
    "CVC",
    "MRR",
    "ARR",
    "SMTP",
    "HTTP",
    "HTTPS",
    "HTML",
    "ISO",
    "EUR",
    "NOK",
    "USD",
    "SEK",
    "DKK",
    "GBP",
    "VAT",
    "MVA",
    "CSRF",
    "OK",
    "Bearer",
    "Idempotency-Key",
    "English",
    "Norsk",
    "bokmål",
    "localstripe",
    "Webhooks",
    "UTC",
    "e.g",
}
READ_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "aria-description", "data-confirm"}
SKIPPED_ELEMENTS = {"script", "style", "code", "pre"}
OPT_OUT = "i18n: not text"
SKIPPED_DIRS = {"migrations", "locale", "static", "__pycache__"}
WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
TAG = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})", re.S)


def _words(text: str) -> list[str]:
    return [w.rstrip(".") for w in WORD.findall(text) if w.rstrip(".") not in ALLOWED and not _entity(w)]


def _entity(word: str) -> bool:
    return word in {"amp", "nbsp", "times", "middot", "mdash", "ndash", "hellip", "rarr", "larr", "lt", "gt"}


def _plain(source: str) -> list[tuple[int, str]]:
    """The template's own text, line by line, with every tag, variable, comment and translated
    block blanked out (newlines kept, so lines still count)."""
    out: list[str] = []
    skipping: str | None = None
    for piece in TAG.split(source):
        if piece.startswith("{%"):
            name = piece[2:-2].split()[0] if piece[2:-2].split() else ""
            if skipping is None and name in {"blocktranslate", "blocktrans", "comment"}:
                skipping = "end" + name
            elif skipping is not None and name == skipping:
                skipping = None
            out.append("\x00" + "\n" * piece.count("\n"))
        elif piece.startswith(("{{", "{#")):
            out.append("\x00" + "\n" * piece.count("\n"))
        elif skipping is not None:
            out.append("\n" * piece.count("\n"))
        else:
            out.append(piece)
    return list(enumerate("".join(out).split("\n"), start=1))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
        kinds = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value"
                and tag in {"button", "input"}
                and kinds.get("type") in {"submit", "button", "reset"}
            )
            if readable and value and _words(value.replace("\x00", " ")):
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and _words(data.replace("\x00", " ")):
            self.found.append((self.getpos()[0], data))


def unmarked_in_template(source: str, name: str) -> list[str]:
    lines = _plain(source)
    opted_out = {n for n, line in enumerate(source.split("\n"), start=1) if OPT_OUT in line}
    problems: list[str] = []
    if name.endswith(".txt"):
        for number, line in lines:
            if number not in opted_out and _words(line.replace("\x00", " ")):
                problems.append(f'{name}:{number}: "{line.strip()}" is not marked for translation')
        return problems
    reader = _Reader()
    reader.feed("\n".join(line for _n, line in lines))
    reader.close()
    for number, text in reader.found:
        first = number + len(text[: len(text) - len(text.lstrip())].split("\n")) - 1
        if first not in opted_out and number not in opted_out:
            shown = " ".join(text.replace("\x00", "…").split())
            problems.append(f'{name}:{first}: "{shown}" is not marked for translation')
    return problems


FORM_KEYWORDS = {"label", "help_text", "empty_label"}
MESSAGE_FUNCTIONS = {"success", "info", "warning", "error", "add_message"}


def unmarked_in_python(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    lines = source.split("\n")
    problems: list[str] = []

    def report(node: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _words(node.value):
            if OPT_OUT not in lines[node.lineno - 1]:
                problems.append(f'{name}:{node.lineno}: "{node.value}" is not marked for translation')
        elif isinstance(node, ast.JoinedStr) and OPT_OUT not in lines[node.lineno - 1]:
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if _words(text):
                problems.append(f'{name}:{node.lineno}: f"{text}…" is not marked for translation')

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            for keyword in node.keywords:
                if keyword.arg in FORM_KEYWORDS:
                    report(keyword.value)
            if called == "ValidationError" and node.args:
                report(node.args[0])
            owner = function.value if isinstance(function, ast.Attribute) else None
            if called in MESSAGE_FUNCTIONS and isinstance(owner, ast.Name) and owner.id == "messages":
                for argument in node.args[1:2] if called != "add_message" else node.args[2:3]:
                    report(argument)
        elif isinstance(node, ast.ClassDef) and any(
            getattr(b, "attr", getattr(b, "id", "")) in {"TextChoices", "IntegerChoices"} for b in node.bases
        ):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    elements = statement.value.elts
                    if len(elements) >= 2:
                        report(elements[-1])
    return problems


def problems(package: Path) -> list[str]:
    """Every unmarked string under ``package`` (templates and Python; tests and migrations aside)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(
            d for d in dirnames if d not in {"migrations", "locale", "static", "__pycache__"}
        )
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            shown = str(path.relative_to(package.parent))
            if path.suffix == ".py":
                found.extend(unmarked_in_python(path.read_text(encoding="utf-8"), shown))
            elif path.suffix in {".html", ".txt"} and "templates" in path.parts:
                found.extend(unmarked_in_template(path.read_text(encoding="utf-8"), shown))
    return found
