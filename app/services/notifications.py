"""Notifications for a reader: a reply to them, their comment featured, approved or rejected."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.models import Comment, Notification, utcnow
from app.services import events
from app.services.accounts import Principal
from app.services.sql import Db, Prepared

# suspended and lifted: decisions about the account (mail, issue 16); a ban tells nobody.
# hidden, banned and appeal (issue 18): a statement of reasons, or an appeal's outcome.
KINDS = ("reply", "featured", "approved", "rejected", "suspended", "lifted", "hidden", "banned", "appeal")


_INSERT = Prepared(
    sa.insert(Notification.__table__)  # type: ignore[attr-defined]
    .values(
        user_id=sa.bindparam("recipient"),
        kind=sa.bindparam("what"),
        comment_id=sa.bindparam("about"),
        actor_id=sa.bindparam("by"),
        reason=sa.bindparam("why"),
        message=sa.bindparam("text"),
        statement_id=sa.bindparam("statement"),
        created_at=sa.bindparam("now"),
    )
    .returning(Notification.__table__.c.id)  # type: ignore[attr-defined]
)


def notify(
    session: Session,
    *,
    user_id: int | None,
    kind: str,
    comment: Comment | None = None,
    actor: Principal | None = None,
    reason: str | None = None,
    message: str | None = None,
    statement_id: int | None = None,
) -> int | None:
    """Queue a notification in the current transaction and return its id. Nobody is notified of their
    own action. One prebuilt INSERT: every reply notifies, so this runs on the posting path."""
    if user_id is None or (actor is not None and actor.id == user_id):
        return None
    if kind not in KINDS:
        raise ValueError(kind)
    note_id = int(
        _INSERT.scalar(
            session,
            {
                "recipient": user_id,
                "what": kind,
                "about": comment.id if comment else None,
                "by": actor.id if actor else None,
                "why": reason,
                "text": message,
                "statement": statement_id,
                "now": utcnow(),
            },
        )
    )
    events.emit(session, events.user_channel(user_id), "notification", {"kind": kind, "id": note_id})
    return note_id


NOTIFICATION = Notification.__table__  # type: ignore[attr-defined]


def was_notified(session: Session, *, comment_id: int | None, kind: str) -> bool:
    """Whether someone was already told this about this comment."""
    found = session.execute(
        sa.select(NOTIFICATION.c.id)
        .where(NOTIFICATION.c.comment_id == comment_id, NOTIFICATION.c.kind == kind)
        .limit(1)
    ).first()
    return found is not None


# Prebuilt and run on the connection: every page of a signed-in reader shows this count.
_UNREAD = Prepared(
    sa.select(func.count())
    .select_from(NOTIFICATION)
    .where(NOTIFICATION.c.user_id == sa.bindparam("user_id"), NOTIFICATION.c.read_at.is_(None))
)


def unread_count(session: Db, *, user: Principal) -> int:
    return int(_UNREAD.scalar(session, {"user_id": user.id}))


def list_for(
    session: Session, *, user: Principal, before_id: int | None = None, limit: int = 20
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(col(Notification.id) < before_id)
    return list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)).all())


def mark_read(
    session: Session, *, user: Principal, ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Mark some (ids) or all of a reader's notifications as read; returns how many changed."""
    statement = (
        sa.update(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
        .values(read_at=now or utcnow())
    )
    if ids is not None:
        statement = statement.where(col(Notification.id).in_(ids))
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
