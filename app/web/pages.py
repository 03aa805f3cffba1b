"""Reading pages: the front page, an article with its debate, health."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from app.deps import ArticleDep, RulesDep, SessionDep, Viewer, csrf_token
from app.models import Article, User, utcnow
from app.services import articles, comments, editorial
from app.services.cache import article_state, get_cache, page_key
from app.services.rules import Rules
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
    headers = {"Vary": "HX-Request"}
    fragment = bool(after and is_htmx(request))
    # Anonymous readers share one rendering per article version (app/services/cache.py).
    # (app/web/cache.py serves most of them before routing; this fills the cache and covers the rest.)
    cache = get_cache(request.app.state) if viewer is None else None
    state = article_state(session.connection(), article.slug) if cache is not None else None
    if cache is not None and state is not None:
        key = page_key(state, sort=order.value, after=after, locale=request.state.locale, fragment=fragment)
        answer = cache.serve(
            key,
            lambda: _article_page(request, session, viewer, article, rules, order, after, fragment, headers),
            csrf_token(request),
        )
        return answer if isinstance(answer, Response) else HTMLResponse(answer, headers=headers)
    return _article_page(request, session, viewer, article, rules, order, after, fragment, headers)


def _article_page(
    request: Request,
    session: Session,
    viewer: User | None,
    article: Article,
    rules: Rules,
    order: comments.Sort,
    after: str | None,
    fragment: bool,
    headers: dict[str, str],
) -> HTMLResponse:
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
    if fragment:
        # "Load more": only the next page of reactions, appended in place.
        return render(request, "comments/_page.html", headers=headers, **context)
    return render(
        request,
        "articles/page.html",
        headers=headers,
        my_stance=articles.get_stance(session, user=viewer, article=article),
        percentages=articles.tally_percentages(article),
        featured=editorial.featured(session, article=article, viewer=viewer),
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
