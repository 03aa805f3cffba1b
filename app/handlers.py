"""Turning failures into answers: JSON under /api/, a page or an htmx fragment elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy.exc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.common import json_response
from app.deps import identify_for_page
from app.errors import ERROR_KINDS, RETRY_AFTER_UNAVAILABLE, DomainError, TooManyRequests, Unauthorized
from app.i18n import _
from app.templating import is_htmx, render
from app.web.common import safe_next

log = logging.getLogger("tribune")

Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    identify: bool = True,
) -> Response:
    """The error in the request's language and shape. identify=False when the database is the error:
    the page's header then shows nobody rather than wait on it again to find the reader."""
    if wants_json(request):
        payload: dict[str, Any] = {"error": ERROR_KINDS.get(status, "error"), "detail": message}
        if fields:
            payload["fields"] = fields
        response = json_response(payload, status)
        response.headers.update(headers or {})
        return response
    if is_htmx(request):
        merged = {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML", **(headers or {})}
        return render(request, "errors/_alert.html", status_code=status, headers=merged, message=message)
    if identify:
        identify_for_page(request)
    return render(
        request, "errors/page.html", status_code=status, headers=headers, message=message, status=status
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, Unauthorized) and not wants_json(request):
        # A page that needs an account sends the visitor to log in, then back here.
        target = (
            request.url.path
            if request.method == "GET"
            else urlsplit(request.headers.get("referer", "/")).path
        )
        url = "/login?next=" + quote(safe_next(target), safe="/")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return error_response(request, exc.status_code, str(exc), fields=exc.fields or None, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ")


def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(request, 400, _("Corps de requête JSON illisible."))
    fields: dict[str, str] = {}
    for error in errors:
        if error.get("type") == "missing":
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), _("Champ obligatoire."))
        else:
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), _message(error))
    detail = "; ".join(
        _("{name} : {message}").format(name=name, message=message) for name, message in fields.items()
    )
    return error_response(
        request, 422, _("Données invalides — {detail}").format(detail=detail), fields=fields
    )


def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    messages = {
        404: _("Page introuvable."),
        405: _("Méthode non autorisée."),
    }
    message = messages.get(exc.status_code) or str(exc.detail)
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


def handle_database_unavailable(
    request: Request, exc: sqlalchemy.exc.OperationalError | sqlalchemy.exc.TimeoutError
) -> Response:
    """The database refused, hung past its deadline (app.db.Timeouts), or every pooled connection
    stayed busy past the pool's timeout (TimeoutError): a 503 the client may retry."""
    log.error("database unavailable: %s", getattr(exc, "orig", None) or exc)
    return unavailable(request)


def unavailable(request: Request) -> Response:
    return error_response(
        request,
        503,
        _("Le service est momentanément indisponible. Réessayez dans un instant."),
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        identify=False,
    )


def handle_nul_in_text(request: Request, exc: sqlalchemy.exc.DataError) -> Response:
    """PostgreSQL refuses NUL in text, and psycopg says so before sending the query. Input that carries
    one (a path, a name, a note) is malformed: a 400, and nothing was written. Any other DataError is a
    bug and stays a 500."""
    if "NUL (0x00)" not in str(exc.orig):
        raise exc
    return error_response(request, 400, _("Caractère nul refusé dans la requête."))


def exception_handlers() -> dict[Any, Handler]:
    return {
        sqlalchemy.exc.DataError: handle_nul_in_text,
        DomainError: handle_domain_error,
        RequestValidationError: handle_validation_error,
        StarletteHTTPException: handle_http_exception,
        sqlalchemy.exc.OperationalError: handle_database_unavailable,
        sqlalchemy.exc.TimeoutError: handle_database_unavailable,
    }
