"""Moderation endpoints of API.md. Every route is guarded at the router: moderators and above."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.common import ModerationCursor, json_response
from app.api.schemas import comment_out, iso, user_out
from app.deps import CommentDep, SessionDep, require_role
from app.errors import NotFound
from app.i18n import _
from app.models import Reason, Role, User, WordEffect
from app.services import accounts, moderation
from app.services.accounts import Principal
from app.services.comments import Node
from app.text import parse_id

router = APIRouter(
    prefix="/moderation", tags=["moderation"], dependencies=[Depends(require_role(Role.moderator))]
)
Moderator = Annotated[User, Depends(require_role(Role.moderator))]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject"]
    reason: Reason | None = None
    note: str | None = Field(default=None, max_length=1000)
    # Issue 18: a rule number of /terms ("3") or a law ("law:…"); left out, the reason's rule.
    ground: str | None = Field(default=None, max_length=310)


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["suspend", "ban", "lift"]
    until: datetime | None = None
    reason: str = Field(max_length=500)
    ground: str | None = Field(default=None, max_length=310)


class WordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrase: str = Field(min_length=1, max_length=200)
    effect: WordEffect


def card_out(card: moderation.Card, viewer: Principal) -> dict[str, Any]:
    out = comment_out(
        Node(comment=card.comment, author=card.author.user), slug=card.article.slug, viewer=viewer
    )
    out["body_markdown"] = card.comment.body_markdown
    out["report_count"] = card.reporters
    out["reports"] = [
        {"reason": r.reason.value, "note": r.note, "at": iso(r.created_at)} for r in card.reports
    ]
    out["hidden"] = card.comment.hidden_at is not None
    return out


@router.get("/queues")
def queue_counts(session: SessionDep) -> Response:
    """How many comments wait in each queue."""
    return json_response(moderation.queue_counts(session))


@router.get("/queues/{queue}")
def list_queue(
    session: SessionDep,
    moderator: Moderator,
    queue: str,
    cursor: ModerationCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    q: Annotated[str | None, Query(max_length=200)] = None,
    author: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """One page of a queue: comments with their reports; `q` keeps those whose text matches the words,
    `author` one reader's."""
    page = moderation.list_queue(
        session, queue=moderation.parse_queue(queue), cursor=cursor, limit=limit, q=q, author=author
    )
    return json_response(
        {"items": [card_out(c, moderator) for c in page.cards], "next_cursor": page.next_cursor}
    )


@router.post("/comments/{comment_id}/decision")
def decide(session: SessionDep, moderator: Moderator, comment: CommentDep, data: DecisionIn) -> Response:
    """Approve, or reject with a reason the author sees."""
    moderation.decide(
        session,
        moderator=moderator,
        comment=comment,
        action=data.action,
        reason=data.reason,
        note=data.note,
        ground=data.ground,
    )
    return json_response(
        comment_out(Node(comment=comment, author=comment.author), slug=comment.article.slug, viewer=moderator)
    )


@router.post("/users/{username}/sanction")
def sanction(session: SessionDep, moderator: Moderator, username: str, data: SanctionIn) -> Response:
    """Suspend until a date, ban, or lift a sanction."""
    user = accounts.get_by_username(session, username[:60])
    if user is None:
        raise NotFound(_("Lecteur introuvable."))
    until = data.until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    moderation.sanction(
        session,
        moderator=moderator,
        user=user,
        action=data.action,
        reason=data.reason,
        until=until,
        ground=data.ground,
    )
    out = user_out(user) or {}
    out.update(
        {
            "status": user.status.value,
            "suspended_until": iso(user.suspended_until),
            "status_reason": user.status_reason,
        }
    )
    return json_response(out)


@router.get("/log")
def log(
    session: SessionDep,
    cursor: ModerationCursor = None,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The audit log, newest first."""
    rows, next_cursor = moderation.list_log(session, actor=actor, action=action, cursor=cursor)
    return json_response(
        {
            "items": [
                {
                    "actor": r.actor_name,
                    "action": r.action,
                    "target": {"type": r.target_type, "id": r.target_id, "label": r.target_label},
                    "reason": r.reason,
                    "note": r.note,
                    "at": iso(r.created_at),
                }
                for r in rows
            ],
            "next_cursor": next_cursor,
        }
    )


def word_out(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "phrase": rule.phrase,
        "effect": rule.effect.value,
        "created_at": iso(rule.created_at),
    }


@router.get("/words")
def list_words(session: SessionDep) -> Response:
    """The word list."""
    return json_response({"items": [word_out(r) for r in moderation.list_words(session)]})


@router.post("/words", status_code=201)
def add_word(session: SessionDep, moderator: Moderator, data: WordIn) -> Response:
    """Add a phrase that blocks or holds comments."""
    return json_response(
        word_out(moderation.add_word(session, actor=moderator, phrase=data.phrase, effect=data.effect)), 201
    )


@router.delete("/words/{rule_id}", status_code=204)
def remove_word(session: SessionDep, moderator: Moderator, rule_id: str) -> Response:
    """Remove a phrase from the word list."""
    rule = parse_id(rule_id, NotFound(_("Règle introuvable.")))
    moderation.remove_word(session, actor=moderator, rule_id=rule)
    return Response(status_code=204)
