"""Searching a debate: a page that works as a plain GET form, and its results as an htmx fragment
while the reader types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.deps import ArticleDep, SessionDep, Viewer
from app.errors import DomainError, Invalid
from app.i18n import _
from app.models import Stance
from app.services import search
from app.templating import is_htmx, render

router = APIRouter()


@router.get("/articles/{slug}/search", name="search")
def search_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    article: ArticleDep,
    q: Annotated[str, Query(max_length=search.MAX_QUERY)] = "",
    # The form's "all sides" option sends an empty stance.
    stance: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    fragment = is_htmx(request) and request.headers.get("HX-Target") == "search-results"
    error = None
    status = 200
    results = None
    side: Stance | None = None
    try:
        if stance:
            side = _side(stance)
        words = search.parse_query(q)
        if words is not None:
            results = search.search_debate(
                session,
                article=article,
                viewer=viewer,
                query=words,
                stance=side,
                sort=search.parse_sort(sort),
                cursor=after,
            )
    except DomainError as exc:  # a query too long, an unknown sort, a forged cursor: said on the page
        error, status = str(exc), exc.status_code
    return render(
        request,
        "articles/_search_results.html" if fragment else "articles/search.html",
        status_code=status if error else 200,
        headers={"Vary": "HX-Request, HX-Target"},
        article=article,
        q=q,
        stance=side.value if side else "",
        sort=sort or "",
        results=results,
        error=error,
    )


def _side(value: str) -> Stance:
    try:
        return Stance(value)
    except ValueError as exc:
        raise Invalid(_("Position inconnue : choisissez for, against ou nuanced."), field="stance") from exc
