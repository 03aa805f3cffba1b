"""Helpers shared by the HTML routes."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app.deps import csrf_token
from app.services import reader
from app.services.accounts import Identity, is_staff
from app.services.cache import get_cache
from app.services.rules import Rules
from app.services.sql import UnitOfWork
from app.templating import is_htmx
from app.web import shared


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


def safe_next(target: str | None, default: str = "/", *, allowed: Sequence[str] = ()) -> str:
    """Only same-site paths, or a page of a site allowed to embed the debate (`allowed`, origins as
    scheme://host[:port]): a `next` parameter must not send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        allowed
        and parts.scheme in ("http", "https")
        and f"{parts.scheme}://{parts.netloc.lower()}" in allowed
        and "\\" not in target
        and not any(c in target for c in "\r\n\t ")
        and parts.username is None
    ):
        return target
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def serve_shared(
    request: Request,
    work: UnitOfWork,
    key: Hashable,
    state: tuple[Hashable, ...],
    viewer: Identity | None,
    rules: Rules,
    build: Callable[[Identity | None], tuple[str, dict[str, Any]]],
) -> bytes | None:
    """A debate page from the rendering its readers share (web/shared.py), kept under key and built by
    build(None) (the template and its context for nobody in particular) when missing, completed for
    this reader from one query; None when only a rendering of their own shows what they see: a member
    of the staff, or a reader with a comment of theirs that others do not see."""
    cache = get_cache(request.app.state)
    if cache is None or is_staff(viewer):
        return None

    def make() -> shared.Shared:
        template, context = build(None)
        return shared.build(
            request.app.state.jinja, template, {**request.app.state.template_globals(request), **context}
        )

    rendering = cache.serve(key, make)
    marks = reader.marks(work, viewer=viewer, article_id=int(state[0]), shown=rendering.comment_ids)  # type: ignore[call-overload]
    if marks.has_own_unlisted:
        return None
    unread = getattr(request.state, "unread", 0)
    return shared.for_reader(rendering, shared.Reader(viewer, marks, unread, rules), csrf_token(request))
