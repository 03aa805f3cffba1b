"""Live updates (server-sent events), the fragments they fetch, notifications and public profiles."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select
from starlette.types import Receive, Scope, Send

from app.deps import (
    ArticleDep,
    CommentDep,
    CurrentUser,
    RulesDep,
    SessionDep,
    Viewer,
    get_viewer,
    load_article,
    new_work,
    run_db,
    unit_of_work,
)
from app.errors import NotFound
from app.i18n import _
from app.models import Article, Comment, CommentStatus, User, utcnow
from app.services import accounts, articles, comments, events, notifications
from app.services.accounts import Principal
from app.templating import render
from app.text import parse_number
from app.web.common import see_other

router = APIRouter()
RETRY = b"retry: 3000\n\n"


async def stream_position(request: Request) -> None:
    """Where the live events stand before the page reads anything: the page carries it, and its
    stream replays from there (services/events.py). A route dependency, so that it runs first; the
    shared rendering of a debate keeps the position of its build, which is older than what it shows,
    never newer."""
    broker: events.Broker = request.app.state.broker
    request.state.live_from = await broker.position()


StreamPosition = Depends(stream_position)


class EventStream(Response):
    """Server-sent events from one subscription of the process's fan-out. The page is subscribed
    before the headers go out, so once they arrive, nothing published later is missed; it is
    forgotten as soon as the client goes away."""

    media_type = "text/event-stream"

    def __init__(self, broker: events.Broker, channels: list[str], since: str | None) -> None:
        self.broker = broker
        self.channels = channels
        self.since = since
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":  # the headers only: no stream to hold open
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        try:
            subscription = await self.broker.subscribe(self.channels, self.since)
        except TimeoutError:  # the process cannot follow the events yet (Redis unreachable)
            headers = [(b"retry-after", b"5"), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        gone = asyncio.ensure_future(_disconnected(receive))
        gone.add_done_callback(lambda _task: subscription.close())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            chunk: bytes | None = RETRY
            while chunk is not None:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                else:
                    await subscription.wait()
                chunk = subscription.take()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote to it
            pass
        finally:
            subscription.close()
            gone.cancel()


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has gone (or its connection can no longer be read)."""
    with contextlib.suppress(OSError):
        while (await receive())["type"] != "http.disconnect":
            pass


async def article_events(request: Request) -> Response:
    """Server-sent events for an open article page: comment, tally, vote (and notification for its reader).

    A plain Starlette route: an open stream keeps what its route's frames hold for as long as the page
    is open, and FastAPI's dependency machinery held some 13 KB per page (130 MB for 10,000 pages, and
    as many objects for every garbage collection to walk). Who is asking and whether the debate exists
    are answered by the dependencies' own functions, in a unit of work ended before the stream."""
    async with unit_of_work(request, new_work(request)) as work:
        viewer = await get_viewer(request, work)
        article = await run_db(request, load_article, work.orm, request.path_params["slug"], viewer)
        channels = [events.article_channel(article.id)]  # type: ignore[arg-type]
        if viewer is not None:
            channels.append(events.user_channel(viewer.id))
    since = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    return EventStream(request.app.state.broker, channels, since)


router.add_route("/articles/{slug}/events", article_events, methods=["GET"], name="article_events")


@router.get("/comments/{comment_id}/card", name="comment_card")
def comment_card(
    request: Request, session: SessionDep, viewer: Viewer, comment: CommentDep, rules: RulesDep
) -> HTMLResponse:
    """One comment as a list item, for a live page to insert where it belongs."""
    node = comments.nodes_for(session, [comment], viewer)[comment.id]  # type: ignore[index]
    return render(
        request,
        "comments/_live.html",
        node=node,
        article=comment.article,
        now=utcnow(),
        rules=rules,
        level=min(comment.depth, rules.max_indent),
        headers={"Vary": "HX-Request"},
    )


@router.get("/articles/{slug}/poll", name="article_poll")
def poll(request: Request, session: SessionDep, viewer: Viewer, article: ArticleDep) -> HTMLResponse:
    """The question and its tally, refreshed when a tally event arrives."""
    return render(
        request,
        "articles/_poll.html",
        article=article,
        my_stance=articles.get_stance(session, user=viewer, article=article),
        percentages=articles.tally_percentages(article),
    )


# Notifications -----------------------------------------------------------------------------------


def notification_items(
    session: SessionDep, user: Principal, before: int | None = None
) -> list[dict[str, object]]:
    rows = notifications.list_for(session, user=user, before_id=before, limit=30)
    comment_ids = {n.comment_id for n in rows if n.comment_id}
    actor_ids = {n.actor_id for n in rows if n.actor_id}
    found = {c.id: c for c in session.exec(select(Comment).where(col(Comment.id).in_(comment_ids))).all()}
    article_ids = {c.article_id for c in found.values()}
    titles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(article_ids))).all()}
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(actor_ids))).all()}
    items: list[dict[str, object]] = []
    for n in rows:
        comment = found.get(n.comment_id) if n.comment_id else None
        actor = people.get(n.actor_id) if n.actor_id else None
        items.append(
            {
                "note": n,
                "comment": comment,
                "article": titles.get(comment.article_id) if comment else None,
                "actor": actor,
            }
        )
    return items


@router.get("/notifications", name="notifications")
def notifications_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    before: Annotated[str | None, Query(max_length=12)] = None,
) -> HTMLResponse:
    items = notification_items(session, user, parse_number(before))
    next_before = items[-1]["note"].id if len(items) == 30 else None  # type: ignore[attr-defined]
    return render(request, "notifications/index.html", items=items, next_before=next_before)


@router.get("/notifications/badge", name="notifications_badge")
def notifications_badge(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    return render(request, "notifications/_badge.html", unread=notifications.unread_count(session, user=user))


@router.post("/notifications/read", name="notifications_read")
def notifications_read(
    request: Request, session: SessionDep, user: CurrentUser, id: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    """Mark one notification (id) or all of them as read."""
    number = parse_number(id)
    ids = [number] if number is not None else None
    notifications.mark_read(session, user=user, ids=ids)
    return see_other(request, "/notifications")


# Profiles ------------------------------------------------------------------------------------------


@router.get("/users/{username}", name="profile")
def profile(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    username: str,
    before: Annotated[str | None, Query(max_length=12)] = None,
) -> HTMLResponse:
    person = accounts.get_by_username(session, username[:60])
    if person is None:
        raise NotFound(_("Lecteur introuvable."))
    query = select(Comment).where(
        Comment.author_id == person.id,
        Comment.status == CommentStatus.published,
        col(Comment.hidden_at).is_(None),
    )
    before_id = parse_number(before)
    if before_id is not None:
        query = query.where(col(Comment.id) < before_id)
    rows = list(session.exec(query.order_by(col(Comment.id).desc()).limit(21)).all())
    more = len(rows) > 20
    rows = rows[:20]
    article_ids = {c.article_id for c in rows}
    by_id = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(article_ids))).all()}
    return render(
        request,
        "users/profile.html",
        person=person,
        items=[(c, by_id[c.article_id]) for c in rows],
        next_before=rows[-1].id if more else None,
    )
