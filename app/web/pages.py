"""Reading pages: the front page, an article with its debate, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import RulesDep, SessionDep, Viewer, WorkDep, load_article, run_db
from app.errors import RETRY_AFTER_UNAVAILABLE
from app.models import utcnow
from app.services import articles, comments, editorial
from app.services.accounts import Identity
from app.services.cache import article_state, page_key
from app.services.rules import Rules
from app.services.sql import UnitOfWork
from app.templating import is_htmx, render
from app.web.common import serve_shared
from app.web.live import StreamPosition

router = APIRouter()


@router.get("/", name="home")
def home(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    items, _next = articles.list_articles(session, viewer=viewer, limit=50)
    return render(request, "home/index.html", articles=items)


# The live position first, before any statement: see web/live.py.
@router.get("/articles/{slug}", name="article", dependencies=[StreamPosition])
async def article_page(
    request: Request,
    work: WorkDep,
    viewer: Viewer,
    rules: RulesDep,
    slug: str,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    return await debate_page(request, work, viewer, rules, slug, sort, after, "articles/page.html")


async def debate_page(
    request: Request,
    work: UnitOfWork,
    viewer: Identity | None,
    rules: Rules,
    slug: str,
    sort: str | None,
    after: str | None,
    page_template: str,
) -> Response:
    """An article's debate, as the article's page or the embedded frame (web/embed.py): one path."""
    order = comments.parse_sort(sort)
    fragment = bool(after and is_htmx(request))
    return await run_db(
        request, _article_page, request, work, viewer, rules, slug, order, after, fragment, page_template
    )


def _article_page(
    request: Request,
    work: UnitOfWork,
    viewer: Identity | None,
    rules: Rules,
    slug: str,
    order: comments.Sort,
    after: str | None,
    fragment: bool,
    page_template: str,
) -> Response:
    headers = {"Vary": "HX-Request"}
    template = "comments/_page.html" if fragment else page_template

    def context(who: Identity | None) -> tuple[str, dict[str, Any]]:
        """The page for `who`: its reader, or nobody in particular for the rendering readers share."""
        article = load_article(work.orm, slug, who)
        page = comments.list_top_level(
            work.orm,
            article=article,
            viewer=who,
            sort=order,
            cursor=after,
            limit=rules.page_size,
            rules=rules,
        )
        found: dict[str, Any] = {
            "article": article,
            "page": page,
            "sort": order,
            "now": utcnow(),
            "rules": rules,
        }
        if not fragment:
            found["my_stance"] = articles.get_stance(work.orm, user=who, article=article)
            found["percentages"] = articles.tally_percentages(article)
            found["featured"] = editorial.featured(work.orm, article=article, viewer=who)
        return template, found

    # Every reader shares one rendering per version of the debate, completed with their own state.
    state = article_state(work, slug)
    if state is not None:
        key = page_key(state, sort=order.value, after=after, locale=request.state.locale, fragment=fragment)
        if not fragment and page_template != "articles/page.html":
            key = (page_template, key)
        body = serve_shared(request, work, key, state, viewer, rules, context)
        if body is not None:
            return Response(body, media_type="text/html; charset=utf-8", headers=headers)
    return render(request, template, headers=headers, **context(viewer)[1])


@router.get("/healthz", name="healthz")
async def healthz(request: Request) -> Response:
    if not await request.app.state.health.check():
        return JSONResponse(
            {"status": "unavailable", "database": "down"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE), "Cache-Control": "no-store"},
        )
    return JSONResponse({"status": "ok", "database": "up"}, headers={"Cache-Control": "no-store"})
