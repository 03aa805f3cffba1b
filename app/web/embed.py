"""The debate embedded in the newsroom's pages (issue 17): /embed/{slug} in an iframe that embed.js
puts in place of `<div data-tribune-article="slug">`. The frame is the article page's debate, drawn by
the same route code and templates (pages.debate_page, articles/_debate.html) without the site's
header, footer and article body; middleware.embed_headers lets the newsroom's sites frame it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from app.deps import RulesDep, Viewer, WorkDep
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
) -> Response:
    return await debate_page(request, work, viewer, rules, slug, sort, after, "embed/page.html")


@router.get("/embed.js", name="embed_js")
async def embed_script() -> Response:
    return FileResponse(EMBED_JS, media_type="text/javascript", headers={"Cache-Control": EMBED_JS_CACHE})
