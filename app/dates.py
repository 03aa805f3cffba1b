"""Dates as readers read them: one formatter, in the reader's language (Babel) and the newsroom's time
zone (TRIBUNE_TIMEZONE), for pages, mails and the messages services send. No FastAPI here: services
use it too. Stored times and <time datetime> stay UTC."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_datetime

from app import i18n

DEFAULT_FORMAT = "d MMM y 'à' HH:mm"
DEFAULT_ZONE = "Europe/Paris"


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone of that name (the `tzdata` package backs the system's database)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name, such as Europe/Paris or UTC)") from exc


_zone: ZoneInfo = zone_named(DEFAULT_ZONE)


def set_zone(name: str) -> None:
    """The site's time zone, for the process: a process serves one site (create_app sets it)."""
    global _zone
    _zone = zone_named(name)


def site_zone() -> ZoneInfo:
    return _zone


def today() -> date:
    """The newsroom's calendar day now."""
    return datetime.now(_zone).date()


@functools.cache
def babel_locale(name: str) -> Locale:
    """One Babel Locale per language for the process: given a name, Babel parses a new Locale on every
    call, which doubles the cost of each date (34 us against 14), and a page shows hundreds."""
    return Locale.parse(name)


def format_dt(value: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """The date and time in the current reader's language and the site's time zone ("7 déc. 2026 à
    14:05", "7 Dec 2026, 14:05")."""
    if value is None:
        return ""
    locale = i18n.current_locale()
    if locale == "en" and fmt == DEFAULT_FORMAT:
        fmt = "d MMM y, HH:mm"
    zone: tzinfo = _zone
    try:
        local = value.astimezone(zone)
    except OverflowError:  # "until 9999-12-31T23:59:59Z", the API's "for ever", has no later day
        zone = UTC
        local = value.astimezone(zone)
    return format_datetime(local, fmt, tzinfo=zone, locale=babel_locale(locale))


def iso(value: datetime | None) -> str:
    """For <time datetime>: UTC to the second (the HTML validator refuses microseconds)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else ""
