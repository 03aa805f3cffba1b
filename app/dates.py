"""Dates as readers read them: one formatter, in the reader's language (Babel), for pages, mails and
the messages services send. No FastAPI here: services use it too."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from babel import Locale
from babel.dates import format_datetime

from app import i18n

DEFAULT_FORMAT = "d MMM y 'à' HH:mm"


@functools.cache
def babel_locale(name: str) -> Locale:
    """One Babel Locale per language for the process: given a name, Babel parses a new Locale on every
    call, which doubles the cost of each date (34 us against 14), and a page shows hundreds."""
    return Locale.parse(name)


def format_dt(value: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """The date and time in the current reader's language ("7 déc. 2026 à 14:05", "7 Dec 2026, 14:05")."""
    if value is None:
        return ""
    locale = i18n.current_locale()
    if locale == "en" and fmt == DEFAULT_FORMAT:
        fmt = "d MMM y, HH:mm"
    return format_datetime(value.astimezone(UTC), fmt, tzinfo=UTC, locale=babel_locale(locale))


def iso(value: datetime | None) -> str:
    """For <time datetime>: UTC to the second (the HTML validator refuses microseconds)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else ""
