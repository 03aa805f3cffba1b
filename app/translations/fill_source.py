"""Catalogue helper for `make messages` (not imported by the application).

    python app/translations/fill_source.py FR.po          the source-language catalogue: msgstr = msgid
    python app/translations/fill_source.py --report X.po  list what X.po still lacks (empty or fuzzy)

French is the source language, so its catalogue is the source strings themselves: filling it here
keeps it complete after every extraction, with no hand work.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill(path: Path) -> int:
    with path.open("rb") as f:
        catalog = read_po(f)
    changed = 0
    for message in catalog:
        if not message.id:
            continue
        wanted = message.id  # a (singular, plural) tuple for plural entries, as msgstr[0], msgstr[1]
        if message.string != wanted or message.fuzzy:
            message.string = wanted
            message.flags.discard("fuzzy")
            changed += 1
    with path.open("wb") as f:
        write_po(f, catalog, width=0, ignore_obsolete=True)  # in the order `pybabel update` left
    return changed


def missing(path: Path) -> list[str]:
    with path.open("rb") as f:
        catalog = read_po(f)
    lacking = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            lacking.append(message.id if isinstance(message.id, str) else message.id[0])
    return lacking


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--report":
        lacking = missing(Path(argv[1]))
        for msgid in lacking:
            print(f"untranslated: {msgid!r}")  # noqa: T201 - a command-line report
        print(f"{argv[1]}: {len(lacking)} untranslated or fuzzy")  # noqa: T201
        return 0
    if len(argv) == 1:
        changed = fill(Path(argv[0]))
        print(f"{argv[0]}: {changed} source strings filled")  # noqa: T201
        return 0
    print(__doc__)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
