"""Reading the audit log: the staff's actions, filtered by who and what, and one reader's record."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.models import Comment, ModerationAction
from app.services.accounts import Principal
from app.services.moderation.queues import parse_cursor


def list_log(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[ModerationAction], str | None]:
    limit = max(1, min(limit, 100))
    query = select(ModerationAction)
    if actor:
        query = query.where(func.lower(ModerationAction.actor_name) == actor.strip().casefold())
    if action:
        query = query.where(ModerationAction.action == action.strip())
    before = parse_cursor(cursor)
    if before is not None:
        query = query.where(col(ModerationAction.id) < before)
    rows = list(session.exec(query.order_by(col(ModerationAction.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def user_record(session: Session, *, user: Principal) -> tuple[list[ModerationAction], list[Comment]]:
    actions = list(
        session.exec(
            select(ModerationAction)
            .where(ModerationAction.target_type == "user", ModerationAction.target_id == user.id)
            .order_by(col(ModerationAction.id).desc())
            .limit(50)
        ).all()
    )
    recent = list(
        session.exec(
            select(Comment).where(Comment.author_id == user.id).order_by(col(Comment.id).desc()).limit(20)
        ).all()
    )
    return actions, recent
