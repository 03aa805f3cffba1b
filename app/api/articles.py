from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.common import json_response, lane_input
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
from app.db import finish
from app.deps import (
    ArticleDep,
    CurrentActor,
    CurrentUser,
    LimiterDep,
    RulesDep,
    SessionDep,
    Viewer,
    identify,
    lane_session,
    load_article,
    run_db,
)
from app.errors import BadRequest
from app.i18n import _
from app.models import CommentStatus
from app.models.schemas import CommentCreate, StanceRequest
from app.routing import Declined
from app.services import articles, comments, editorial
from app.services.cache import RenderCache, article_state, comments_key, get_cache, thread_key

router = APIRouter(tags=["articles"])

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/articles", response_model=ArticlePage)
def list_articles(
    session: SessionDep,
    viewer: Viewer,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 20,
) -> Response:
    """Published articles, newest first."""
    before = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 10:
            raise BadRequest(_("Curseur de pagination invalide."), fields={"cursor": "invalid"})
        before = int(cursor)
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
def list_comments(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    article: ArticleDep,
    rules: RulesDep,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 20,
) -> Response:
    """Top-level reactions, a page at a time, each with its first replies."""
    # Anonymous readers share one serialization per article version (app/services/cache.py).
    order = comments.parse_sort(sort)
    cache = get_cache(request.app.state) if viewer is None else None
    state = article_state(session.connection(), article.slug) if cache is not None else None
    key = comments_key(state, sort=order.value, cursor=cursor, limit=limit) if state is not None else None

    def build() -> Response:
        page = comments.list_top_level(
            session,
            article=article,
            viewer=viewer,
            sort=order,
            cursor=cursor,
            limit=limit,
            rules=rules,
        )
        return json_response(
            {
                "items": [comment_out(n, slug=article.slug, viewer=viewer) for n in page.items],
                "next_cursor": page.next_cursor,
            }
        )

    return _cached(cache, key, build)


@router.post(
    "/articles/{slug}/comments",
    status_code=201,
    response_model=CommentOut,
    responses={202: {"model": CommentOut, "description": "Accepted, held for moderation"}},
)
async def post_comment(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    article: ArticleDep,
    rules: RulesDep,
    limiter: LimiterDep,
    data: CommentCreate,
) -> Response:
    """Post a reaction (with a stance) or a reply (with parent_id)."""
    comment = await run_db(
        request,
        comments.post_comment,
        session,
        author=actor,
        article=article,
        data=data,
        rules=rules,
        limiter=limiter,
    )
    node = comments.Node(comment=comment, author=actor)
    status = 202 if comment.status == CommentStatus.pending else 201
    return json_response(comment_out(node, slug=article.slug, viewer=actor), status)


async def post_lane(scope: Scope, receive: Receive, send: Send, route: ASGIApp) -> bool:
    """post_comment for a request that passes every check, without FastAPI's dependency solver: the
    same dependencies called directly (check_csrf, the JSON body as CommentCreate, a session, the
    actor, the article) and the same service, in one step (one thread-pool hop on PostgreSQL instead
    of four). A request the dependencies refuse goes to post_comment itself, after a rollback; a
    refusal of the service is raised, as the route would raise it. See vote_lane and
    tests/api/test_post_lane.py."""
    request, data = await lane_input(scope, receive, CommentCreate)
    if data is None:
        await route(scope, request.receive, send)
        return False
    session, owned = lane_session(request)
    answer = await run_db(request, _post_in_lane, request, session, owned, data)
    if answer is None:
        request.scope["state"].pop("actor", None)  # post_comment reads the reader again
        await route(scope, request.receive, send)
        return False
    await json_response(*answer)(scope, request.receive, send)
    return True


def _post_in_lane(
    request: Request, session: Session, owned: bool, data: CommentCreate
) -> tuple[dict[str, Any], int] | None:
    state = request.app.state
    try:
        actor = identify(request, session)
        if actor is None:
            raise Declined
        article = load_article(session, request.path_params["slug"], actor)
        comment = comments.post_comment(
            session, author=actor, article=article, data=data, rules=state.rules, limiter=state.limiter
        )
        node = comments.Node(comment=comment, author=actor)
        answer = comment_out(node, slug=article.slug, viewer=actor)
        status = 202 if comment.status == CommentStatus.pending else 201
    except Declined:
        if owned:
            finish(session, commit=False)
        return None
    except BaseException:
        # A refusal (DomainError) is raised as post_comment would raise it, to the same handler:
        # handing the request over would count it twice with the abuse limits, which are not rolled back.
        if owned:
            finish(session, commit=False)
        raise
    if owned:
        finish(session, commit=True)
    return answer, status


@router.get("/articles/{slug}/thread", response_model=ThreadOut)
def get_thread(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    article: ArticleDep,
    sort: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The whole visible debate in one response, every branch nested to its full depth."""
    order = comments.parse_sort(sort)
    cache = get_cache(request.app.state) if viewer is None else None
    state = article_state(session.connection(), article.slug) if cache is not None else None
    key = thread_key(state, sort=order.value) if state is not None else None

    def build() -> Response:
        items = comments.thread(session, article=article, viewer=viewer, sort=order)
        out = [comment_out(n, slug=article.slug, viewer=viewer) for n in items]
        return json_response({"items": out, "count": _count(out)})

    return _cached(cache, key, build)


def _cached(cache: RenderCache | None, key: Hashable | None, build: Callable[[], Response]) -> Response:
    """The cached body for an anonymous reader, built by one request at a time when missing."""
    if cache is None or key is None:
        return build()
    answer = cache.serve(key, build)
    return answer if isinstance(answer, Response) else Response(answer, media_type="application/json")


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
