"""Reading pages: the front page, an article with its debate, health."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import ArticleDep, RulesDep, SessionDep, Viewer
from app.models import utcnow
from app.services import articles, comments
from app.templating import is_htmx, render

router = APIRouter()


@router.get("/", name="home")
def home(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    items, _next = articles.list_articles(session, viewer=viewer, limit=50)
    return render(request, "home/index.html", articles=items)


@router.get("/articles/{slug}", name="article")
def article_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    article: ArticleDep,
    rules: RulesDep,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    order = comments.parse_sort(sort)
    page = comments.list_top_level(
        session, article=article, viewer=viewer, sort=order, cursor=after, limit=rules.page_size, rules=rules
    )
    context = {
        "article": article,
        "page": page,
        "sort": order,
        "now": utcnow(),
        "rules": rules,
    }
    headers = {"Vary": "HX-Request"}
    if after and is_htmx(request):
        # "Load more": only the next page of reactions, appended in place.
        return render(request, "comments/_page.html", headers=headers, **context)
    return render(
        request,
        "articles/page.html",
        headers=headers,
        my_stance=articles.get_stance(session, user=viewer, article=article),
        percentages=articles.tally_percentages(article),
        **context,
    )


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> Response:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})
