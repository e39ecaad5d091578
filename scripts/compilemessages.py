#!/usr/bin/env python3
"""Compile Recurra's translation catalogues (.po → .mo) with Babel: no gettext binaries needed.

    scripts/compilemessages.py          write every recurra/**/locale/*/LC_MESSAGES/*.mo
    scripts/compilemessages.py --check  write nothing; exit 1 when a catalogue has an untranslated
                                        or fuzzy message, a placeholder that does not match its
                                        msgid, or a .mo that differs from a fresh compile

The .mo files are committed (a plain ``pip install`` needs no build step) and compiled again by
``make install`` when a catalogue changed; a file with the same messages is left alone.
"""

from __future__ import annotations

import argparse
import gettext
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "recurra"


def catalogues(root: Path = ROOT) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))


def load(po: Path) -> Catalog:
    with po.open("rb") as fh:
        return read_po(fh)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def messages(mo: bytes) -> dict[object, str]:
    """What a .mo says, without the header line naming the Babel that wrote it (a newer Babel
    rewrites only that line: not a stale catalogue)."""
    found = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]
    found[""] = re.sub(r"^Generated-By: .*\n", "", found.get("", ""), flags=re.M)
    return found


def problems(po: Path, catalog: Catalog) -> list[str]:
    """What keeps ``po`` from being complete and correctly compiled."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            found.append(f"{po}:{message.lineno}: untranslated or fuzzy: {message.id!r}")
    for message, errors in catalog.check():
        found.extend(f"{po}:{message.lineno}: {error}" for error in errors)
    mo = po.with_suffix(".mo")
    if not mo.exists() or messages(mo.read_bytes()) != messages(compiled(catalog)):
        found.append(f"{mo}: missing or out of date (run scripts/compilemessages.py)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only; write nothing")
    args = parser.parse_args(argv)
    failures: list[str] = []
    for po in catalogues():
        catalog = load(po)
        if args.check:
            failures.extend(problems(po, catalog))
        else:
            mo, fresh = po.with_suffix(".mo"), compiled(catalog)
            if mo.exists() and messages(mo.read_bytes()) == messages(fresh):
                continue  # the same messages: leave the committed file alone
            mo.write_bytes(fresh)
            print(f"compiled {po.relative_to(ROOT.parent)}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
