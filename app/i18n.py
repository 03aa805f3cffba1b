"""Gettext. Source strings are French, the interface's first language; catalogues translate them."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SOURCE_LOCALE = "fr"
LOCALES = ("fr", "en")

_current: ContextVar[_gettext.NullTranslations | None] = ContextVar("tribune_translations", default=None)
_locale: ContextVar[str] = ContextVar("tribune_locale", default=SOURCE_LOCALE)


@cache
def translations_for(locale: str) -> _gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return _gettext.NullTranslations()
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        # `make` compiles the catalogues; an install that skipped it (or a .po edited since) still
        # gets its translations, compiled in memory from the .po.
        return _compile_in_memory(po)
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def _compile_in_memory(po: Path) -> _gettext.NullTranslations:
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f)
    buffer = BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out, as `pybabel compile` does
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def activate(locale: str) -> None:
    locale = locale if locale in LOCALES else SOURCE_LOCALE
    _locale.set(locale)
    _current.set(translations_for(locale))


def current_locale() -> str:
    return _locale.get()


@contextmanager
def in_language(locale: str | None) -> Iterator[str]:
    """Write in another language (a mail's recipient's, an article's), then give the request back its own."""
    previous = current_locale()
    chosen = locale if locale in LOCALES else SOURCE_LOCALE
    activate(chosen)
    try:
        yield chosen
    finally:
        activate(previous)


def gettext(message: str) -> str:
    translations = _current.get()
    return translations.gettext(message) if translations else message


def ngettext(singular: str, plural: str, n: int) -> str:
    translations = _current.get()
    if translations is None:
        return singular if n == 1 else plural
    return translations.ngettext(singular, plural, n)


_ = gettext


def negotiate(accept_language: str | None, default: str = SOURCE_LOCALE) -> str:
    if not accept_language:
        return default
    choices: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((quality, tag.strip().lower().split("-")[0]))
    for quality, lang in sorted(choices, key=lambda c: -c[0]):
        if quality > 0 and lang in LOCALES:  # q=0 means "not this one"
            return lang
    return default
