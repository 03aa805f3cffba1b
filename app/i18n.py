"""Gettext. Source strings are French, the interface's first language; catalogues translate them."""

from __future__ import annotations

import gettext as _gettext
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
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def activate(locale: str) -> None:
    locale = locale if locale in LOCALES else SOURCE_LOCALE
    _locale.set(locale)
    _current.set(translations_for(locale))


def current_locale() -> str:
    return _locale.get()


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
    for _quality, lang in sorted(choices, key=lambda c: -c[0]):
        if lang in LOCALES:
            return lang
    return default
