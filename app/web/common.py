"""Helpers shared by the HTML routes."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.templating import is_htmx


def see_other(request: Request, url: str) -> Response:
    """After a POST: a 303 for plain forms, HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(p) for p in error.get("loc", ())) or "form"
        errors.setdefault(name, str(error.get("msg", "")).removeprefix("Value error, "))
    return errors


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: a `next` parameter must not send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target
