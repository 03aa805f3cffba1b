from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from app.api.common import CommentCursor, CommentSortQuery, IdCursor, SortQuery, json_response
from app.api.schemas import (
    ArticleOut,
    ArticlePage,
    CommentList,
    CommentOut,
    CommentPage,
    ThreadOut,
    article_out,
    comment_out,
)
from app.deps import (
    ArticleDep,
    CurrentUser,
    LimiterDep,
    RulesDep,
    SessionDep,
    Viewer,
    WorkDep,
    load_article,
    run_db,
)
from app.errors import BadRequest
from app.i18n import _
from app.models import CommentStatus, Stance
from app.models.schemas import CommentCreate, StanceRequest
from app.services import articles, comments, editorial, search
from app.services.accounts import Identity
from app.services.cache import article_state, comments_key, get_cache, thread_key
from app.services.comments import Sort
from app.services.sql import UnitOfWork
from app.text import parse_id

router = APIRouter(tags=["articles"])

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/articles", response_model=ArticlePage)
def list_articles(
    session: SessionDep,
    viewer: Viewer,
    cursor: IdCursor = None,
    limit: Limit = 20,
) -> Response:
    """Published articles, newest first."""
    before = None
    if cursor is not None:
        before = parse_id(cursor, BadRequest(_("Curseur de pagination invalide."), field="cursor"))
    items, next_id = articles.list_articles(session, viewer=viewer, before_id=before, limit=limit)
    stances = {a.id: articles.get_stance(session, user=viewer, article=a) for a in items} if viewer else {}
    return json_response(
        {
            "items": [article_out(a, stances.get(a.id)) for a in items],
            "next_cursor": str(next_id) if next_id else None,
        }
    )


@router.get("/articles/{slug}", response_model=ArticleOut)
def get_article(session: SessionDep, viewer: Viewer, article: ArticleDep) -> Response:
    """One article with its stance tally."""
    mine = articles.get_stance(session, user=viewer, article=article)
    return json_response(article_out(article, mine.value if mine else None))


@router.put("/articles/{slug}/stance", response_model=ArticleOut)
def put_stance(session: SessionDep, user: CurrentUser, article: ArticleDep, data: StanceRequest) -> Response:
    """Answer the article's question; `{"stance": null}` withdraws."""
    articles.set_stance(session, user=user, article=article, stance=data.stance)
    return json_response(article_out(article, data.stance.value if data.stance else None))


@router.get("/articles/{slug}/comments", response_model=CommentPage)
async def list_comments(
    request: Request,
    work: WorkDep,
    viewer: Viewer,
    rules: RulesDep,
    slug: str,
    sort: CommentSortQuery = Sort.best.value,
    cursor: CommentCursor = None,
    limit: Limit = 20,
    q: Annotated[str | None, Query(max_length=search.MAX_QUERY)] = None,
    stance: Annotated[Stance | None, Query()] = None,
    featured: bool = False,
) -> Response:
    """Top-level reactions, a page at a time, each with its first replies; with `q`, `stance` or
    `featured`, the matching reactions and replies (by relevance then votes when `q` is given and no
    sort is), each with a `snippet` where the words are marked."""
    words = search.parse_query(q)
    if words is not None or stance is not None or featured or sort == search.RELEVANCE:
        # The default sort is relevance here: only a sort the caller named replaces it.
        named = request.query_params.get("sort") or None
        return await run_db(
            request, _search, work, viewer, slug, words, stance, featured, named, cursor, limit
        )
    order = comments.parse_sort(sort)

    def build() -> bytes:
        article = load_article(work.orm, slug, viewer)
        page = comments.list_top_level(
            work.orm, article=article, viewer=viewer, sort=order, cursor=cursor, limit=limit, rules=rules
        )
        items = [comment_out(n, slug=article.slug, viewer=viewer) for n in page.items]
        return orjson.dumps({"items": items, "next_cursor": page.next_cursor})

    def answer() -> Response:
        return _cached(
            request,
            work,
            viewer,
            slug,
            lambda state: comments_key(state, sort=order.value, cursor=cursor, limit=limit),
            build,
        )

    return await run_db(request, answer)


@router.post(
    "/articles/{slug}/comments",
    status_code=201,
    response_model=CommentOut,
    responses={202: {"model": CommentOut, "description": "Accepted, held for moderation"}},
)
async def post_comment(
    request: Request,
    work: WorkDep,
    user: CurrentUser,
    article: ArticleDep,
    rules: RulesDep,
    limiter: LimiterDep,
    data: CommentCreate,
) -> Response:
    """Post a reaction (with a stance) or a reply (with parent_id)."""
    comment = await run_db(
        request,
        comments.post_comment,
        work.orm,
        author=user,
        article=article,
        data=data,
        rules=rules,
        limiter=limiter,
    )
    node = comments.Node(comment=comment, author=user)
    status = 202 if comment.status == CommentStatus.pending else 201
    return json_response(comment_out(node, slug=article.slug, viewer=user), status)


@router.get("/articles/{slug}/thread", response_model=ThreadOut)
async def get_thread(
    request: Request,
    work: WorkDep,
    viewer: Viewer,
    slug: str,
    sort: SortQuery = Sort.best.value,
) -> Response:
    """The whole visible debate in one response, every branch nested to its full depth."""
    order = comments.parse_sort(sort)

    def build() -> bytes:
        article = load_article(work.orm, slug, viewer)
        items = comments.thread(work.orm, article=article, viewer=viewer, sort=order)
        out = [comment_out(n, slug=article.slug, viewer=viewer) for n in items]
        return orjson.dumps({"items": out, "count": _count(out)})

    def answer() -> Response:
        return _cached(request, work, viewer, slug, lambda state: thread_key(state, sort=order.value), build)

    return await run_db(request, answer)


def _search(
    work: UnitOfWork,
    viewer: Identity | None,
    slug: str,
    words: search.Query | None,
    stance: Stance | None,
    featured: bool,
    sort: str | None,
    cursor: str | None,
    limit: int,
) -> Response:
    article = load_article(work.orm, slug, viewer)
    results = search.search_debate(
        work.orm,
        article=article,
        viewer=viewer,
        query=words,
        stance=stance,
        featured=featured,
        sort=search.parse_sort(sort),
        cursor=cursor,
        limit=limit,
    )
    items = [
        {**comment_out(hit.node, slug=article.slug, viewer=viewer), "snippet": str(hit.snippet)}
        for hit in results.hits
    ]
    return json_response({"items": items, "next_cursor": results.next_cursor})


def _cached(
    request: Request,
    work: UnitOfWork,
    viewer: Identity | None,
    slug: str,
    key: Callable[[tuple[Hashable, ...]], Hashable],
    build: Callable[[], bytes],
) -> Response:
    """Anonymous readers share one serialization per version of the debate (services/cache.py), read
    after one indexed query of the article's state and built by one request at a time when missing;
    a signed-in reader's (their votes, their pending comments) is built for them."""
    cache = get_cache(request.app.state) if viewer is None else None
    state = article_state(work, slug) if cache is not None else None
    if cache is None or state is None:
        return Response(build(), media_type="application/json")
    return Response(cache.serve(key(state), build), media_type="application/json")


def _count(items: list[dict[str, object]]) -> int:
    total = 0
    stack = list(items)
    while stack:
        item = stack.pop()
        total += 1
        stack.extend(item["replies"])  # type: ignore[arg-type]
    return total


@router.get("/articles/{slug}/featured", response_model=CommentList)
def get_featured(session: SessionDep, viewer: Viewer, article: ArticleDep) -> Response:
    """The newsroom's featured responses, in rank order."""
    items = editorial.featured(session, article=article, viewer=viewer)
    return json_response({"items": [comment_out(n, slug=article.slug, viewer=viewer) for n in items]})
