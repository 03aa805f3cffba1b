"""Live updates (server-sent events), the fragments they fetch, notifications and public profiles."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import col, select

from app.deps import ArticleDep, CommentDep, CurrentUser, RulesDep, SessionDep, Viewer
from app.errors import NotFound
from app.i18n import _
from app.models import Article, Comment, CommentStatus, User, utcnow
from app.services import accounts, articles, comments, events, notifications
from app.services.accounts import Principal
from app.templating import render
from app.text import parse_number
from app.web.common import see_other

router = APIRouter()
HEARTBEAT = 15.0


@router.get("/articles/{slug}/events", name="article_events")
async def article_events(request: Request, article: ArticleDep, viewer: Viewer) -> StreamingResponse:
    """Server-sent events for an open article page: comment, tally, vote (and notification for its reader)."""
    channels = [events.article_channel(article.id)]  # type: ignore[arg-type]
    if viewer is not None:
        channels.append(events.user_channel(viewer.id))  # type: ignore[arg-type]
    last = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    broker: events.Broker = request.app.state.broker
    heartbeat = float(getattr(request.app.state, "sse_heartbeat", HEARTBEAT))

    async def stream() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        async for item in broker.listen(channels, last, heartbeat=heartbeat):
            if await request.is_disconnected():
                break
            if item is None:
                yield ": keep-alive\n\n"
                continue
            yield f"id: {item.id}\nevent: {item.type}\ndata: {json.dumps(item.data)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


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
    items = []
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
