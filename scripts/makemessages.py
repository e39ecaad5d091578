#!/usr/bin/env python3
"""Keep Recurra's translation catalogues in step with the code, with Babel and Django: no gettext.

    scripts/makemessages.py           update every catalogue from the code (see below)
    scripts/makemessages.py --check   write nothing; exit 1 when a catalogue lacks or keeps a
                                      message the code does not use as written, or when a
                                      template or Python string a person reads is not marked

Each app's messages live in its own catalogue, ``recurra/<app>/locale/<lang>/LC_MESSAGES/django.po``
(files directly under ``recurra/`` belong to ``web``). Messages are found by Babel's Python extractor
in ``.py`` files and, for templates (``.html``, ``.txt``), in what Django's ``templatize`` makes of
them (the same route ``makemessages`` takes, without xgettext). An update adds a new message
untranslated, or with the translation another catalogue of that language already gives it (one
word for one thing, see docs/glossary.md), keeps every translation still used, drops the rest,
and writes the messages sorted so that two branches adding different ones rarely collide.
Every language of ``settings.LANGUAGES`` but English gets a catalogue for every app with messages.
A catalogue in a language Recurra does not speak (the exports' column headers in twelve) is
partial: it keeps the messages it translates that some app still uses, and gets no new ones.

Then ``scripts/compilemessages.py`` writes the ``.mo`` files (and its ``--check`` fails on an
untranslated or fuzzy message). The unmarked-text rules are in ``scripts/i18n_lint.py``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "recurra"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "N_": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_SUFFIXES = {".html", ".txt"}
SKIPPED_DIRS = {"migrations", "locale", "static", "__pycache__"}
HEADER_COMMENT = (
    "# {language} messages of Recurra's {app} app. Update with scripts/makemessages.py,\n"
    "# compile with scripts/compilemessages.py; words as docs/glossary.md has them."
)
CATALOGUES = "*/locale/*/LC_MESSAGES/django.po"
DATES = (b'"POT-Creation-Date', b'"PO-Revision-Date')


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recurra.settings")
    import django

    django.setup()


def app_of(path: Path) -> str:
    """The app whose catalogue holds ``path``'s messages (``recurra/cli.py`` → ``web``)."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "web"


def sources(package: Path = PACKAGE) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix == ".py" or (path.suffix in TEMPLATE_SUFFIXES and "templates" in path.parts):
                yield path


def extract(path: Path) -> Iterator[tuple[int, str | tuple[str, ...], str | None, list[str]]]:
    """(line, message id or (singular, plural), context, translator comments) of each message."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        from django.utils.translation.template import templatize

        # Left-aligned: Python's tokenizer would read the template's indentation as blocks.
        text = "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).split("\n"))
    options = {"encoding": "utf-8"}
    for lineno, _function, message, comments in extract_python(
        io.BytesIO(text.encode("utf-8")), KEYWORDS, ["Translators:"], options
    ):
        yield from _message(lineno, _function, message, comments)


def _message(
    lineno: int, function: str, message: object, comments: list[str]
) -> Iterator[tuple[int, str | tuple[str, ...], str | None, list[str]]]:
    spec = KEYWORDS.get(function)
    values = message if isinstance(message, tuple) else (message,)
    if spec is None:
        if values and isinstance(values[0], str):
            yield lineno, values[0], None, comments
        return
    context = None
    ids: list[str] = []
    for index in spec:
        if isinstance(index, tuple):
            context = values[index[0] - 1] if len(values) >= index[0] else None
        elif len(values) >= index and isinstance(values[index - 1], str):
            ids.append(values[index - 1])
    if not ids or not all(isinstance(i, str) for i in ids):
        return  # a call with a variable, not a literal: nothing to extract
    yield lineno, ids[0] if len(ids) == 1 else tuple(ids), context, comments


def template_catalog(app: str, files: list[Path]) -> Catalog:
    """Every message the app's files use, with where (file only: line numbers churn)."""
    catalog = Catalog(project="Recurra", fuzzy=False)
    for path in files:
        location = str(path.relative_to(ROOT))
        for _lineno, message, context, comments in extract(path):
            catalog.add(
                message,
                locations=[(location, None)],
                auto_comments=comments,
                context=context,
                flags=("python-format",) if _has_format(message) else (),
            )
    return catalog


def _has_format(message: str | tuple[str, ...]) -> bool:
    strings = message if isinstance(message, tuple) else (message,)
    return any("%(" in s or "%s" in s or "%d" in s for s in strings)


def languages() -> list[str]:
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES if code != "en"]


def memory(language: str) -> dict[tuple[str | None, object], object]:
    """Every translation any catalogue of ``language`` gives today: a new message in one app takes
    the word another app already uses."""
    found: dict[tuple[str | None, object], object] = {}
    for po in sorted(PACKAGE.glob(f"*/locale/{language}/LC_MESSAGES/django.po")):
        for message in _read(po):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and not message.fuzzy and all(strings):
                found.setdefault((message.context, message.id), message.string)
    return found


def _read(po: Path) -> Catalog:
    with po.open("rb") as fh:
        return read_po(fh)


def updated(
    po: Path, app: str, language: str, template: Catalog, known: dict, *, translated_only: bool = False
) -> bytes:
    """The catalogue ``po`` as the code needs it (see the module's rule)."""
    if po.exists():
        catalog = _read(po)
    else:
        from babel import Locale

        name = Locale.parse(language).get_display_name("en")
        catalog = Catalog(locale=language, project="Recurra", fuzzy=False)
        catalog.header_comment = HEADER_COMMENT.format(language=name, app=app)
    previous = {(m.context, m.id): m.string for m in catalog if m.id}
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    for message in catalog:
        if not message.id:
            continue
        key = (message.context, message.id)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            message.string = previous.get(key) or known.get(key) or message.string
        message.flags.discard("fuzzy")
    if translated_only:
        for message in list(catalog):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and not all(strings):
                catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buffer.getvalue()


def stale() -> list[Path]:
    """The catalogues whose text is not what the code needs (dates aside)."""
    return [
        po
        for po, text in plan().items()
        if without_dates(po.read_bytes() if po.exists() else b"") != without_dates(text)
    ]


def plan() -> dict[Path, bytes]:
    """Each catalogue's path and the text it should have."""
    by_app: dict[str, list[Path]] = {}
    for path in sources():
        by_app.setdefault(app_of(path), []).append(path)
    templates = {app: template_catalog(app, files) for app, files in sorted(by_app.items())}
    everything = Catalog(project="Recurra", fuzzy=False)
    for template in templates.values():
        for message in template:
            if message.id:  # a copy: adding to ``everything`` must not change the app's own
                everything.add(message.id, locations=message.locations, context=message.context)
    wanted: dict[Path, bytes] = {}
    spoken = languages()
    memories: dict[str, dict] = {}
    for app in sorted(
        set(templates) | {p.parts[-5] for p in PACKAGE.glob("*/locale/*/LC_MESSAGES/django.po")}
    ):
        template = templates.get(app, Catalog())
        existing = {p.parts[-3] for p in PACKAGE.glob(f"{app}/locale/*/LC_MESSAGES/django.po")}
        for language in sorted(existing | (set(spoken) if len(template) else set())):
            known = memories.setdefault(language, memory(language))
            po = PACKAGE / app / "locale" / language / "LC_MESSAGES" / "django.po"
            if language in spoken:
                wanted[po] = updated(po, app, language, template, known)
            else:  # a partial catalogue (see the module's rule): what it translates and the code uses
                wanted[po] = updated(po, app, language, everything, known, translated_only=True)
    return wanted


def without_dates(text: bytes) -> bytes:
    """A catalogue's text without the header lines an update rewrites on its own (the dates)."""
    return b"\n".join(
        line
        for line in text.splitlines()
        if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date'))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only; write nothing")
    args = parser.parse_args(argv)
    _setup_django()
    import i18n_lint

    failures: list[str] = []
    if args.check:
        failures = [f"{po.relative_to(ROOT)}: not in step with the code (run this script)" for po in stale()]
    else:
        for po, text in plan().items():
            if without_dates(po.read_bytes() if po.exists() else b"") != without_dates(text):
                po.parent.mkdir(parents=True, exist_ok=True)
                po.write_bytes(text)
                print(f"updated {po.relative_to(ROOT)}")
    if args.check:
        failures.extend(i18n_lint.problems(PACKAGE))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
