"""The debate embedded in the newsroom's pages (issue 17): /embed/{slug} in an iframe that embed.js
puts in place of `<div data-tribune-article="slug">`. The frame is the article page's debate, drawn by
the same route code and templates (pages.debate_page, articles/_debate.html) without the site's
header, footer and article body; middleware.embed_headers lets the newsroom's sites frame it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps import RulesDep, Viewer, WorkDep
from app.embedding import read_page
from app.errors import NotFound
from app.i18n import _
from app.services import articles
from app.templating import render
from app.web.live import StreamPosition
from app.web.pages import debate_page

router = APIRouter()

EMBED_JS = Path(__file__).resolve().parents[2] / "static" / "embed.js"
# The loader's address is in the newsroom's pages and cannot carry a version: a day fresh, then a
# week in which a cached copy is used while a new one is fetched.
EMBED_JS_CACHE = "public, max-age=86400, stale-while-revalidate=604800"


# The live position first, before any statement: see web/live.py.
@router.get("/embed/{slug}", name="embed", dependencies=[StreamPosition])
async def embedded_debate(
    request: Request,
    work: WorkDep,
    viewer: Viewer,
    rules: RulesDep,
    slug: str,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    try:
        return await debate_page(request, work, viewer, rules, slug, sort, after, "embed/page.html")
    except NotFound:
        settings = request.app.state.settings
        if not (settings.embed_autocreate and source):
            raise
    # An unknown debate, first seen in a newsroom page (TRIBUNE_EMBED_AUTOCREATE): the page is read
    # in a pool thread, and the draft written in a short transaction of its own, so that neither the
    # event loop nor the request's transaction waits on the newsroom's server.
    if not await run_in_threadpool(
        _autocreate, request.app.state.engine, slug, source, settings.embed_origins
    ):
        raise NotFound(_("Article introuvable."))
    return render(request, "embed/pending.html")


def _autocreate(engine: Engine, slug: str, source: str, origins: list[str]) -> bool:
    """Whether the slug is now a draft: made from the page at `source`, if that page is one of the
    embedding sites and embeds this very slug."""
    with Session(engine) as session:
        if articles.article_exists(session, slug=slug):
            return True
        session.rollback()  # no transaction held while the page is fetched
        page = read_page(source, allowed=origins)
        if page is None or slug not in page.slugs:
            return False
        articles.create_embedded_draft(
            session, slug=slug, title=page.title, lede=page.description, source_url=page.canonical
        )
        session.commit()
        return articles.article_exists(session, slug=slug)


@router.get("/embed.js", name="embed_js")
async def embed_script() -> Response:
    return FileResponse(EMBED_JS, media_type="text/javascript", headers={"Cache-Control": EMBED_JS_CACHE})
