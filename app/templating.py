"""Jinja2 environment and the render helper shared by every HTML route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import i18n
from app.dates import babel_locale, format_dt, iso
from app.static import static_url

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _number(value: int | float) -> str:
    return format_decimal(value, locale=babel_locale(i18n.current_locale()))


def _percent(value: int | float) -> str:
    """A whole percentage (42 for 42 %) in the reader's locale: "42 %" in French, "42%" in English."""
    return format_percent(value / 100, locale=babel_locale(i18n.current_locale()))


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_dt
    env.filters["iso"] = iso
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    env.globals["static"] = static_url
    return env


def render(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    env: Environment = request.app.state.jinja
    base = request.app.state.template_globals(request)
    html = env.get_template(name).render({**base, **context})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    return response
