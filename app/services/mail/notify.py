"""Notifications by mail. The notification row, written in the transaction of the reply or decision,
is the outbox of its e-mail: the sender turns each new one into a message (immediately), keeps it for
the daily digest, or skips it, as its recipient chose. Nothing goes to a banned account, to an
unverified address, or to an erased one (its notifications went with it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.db import writer
from app.models import Article, Comment, MailPreference, Notification, Role, User, UserStatus, utcnow
from app.services.mail import MailConfig, outbox
from app.services.mail.flows import unsubscribe_url
from app.services.mail.outbox import OUTBOX, message_row
from app.services.moderation import statements
from app.services.moderation.queues import queue_counts

NOTIFICATION = Notification.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
DIGEST_EVERY = timedelta(days=1)
STAFF_ROLES = [Role.moderator, Role.editor, Role.admin]

# Which preference governs a notification's kind.
KIND_PREFERENCE = {
    "reply": "reply",
    "featured": "featured",
    "approved": "decision",
    "rejected": "decision",
    "suspended": "decision",
    "lifted": "decision",
    # Issue 18: statements of reasons and appeal outcomes.
    "hidden": "decision",
    "banned": "decision",
    "appeal": "decision",
}
# A banned reader cannot sign in: these reach them by mail all the same (their statement, its appeal).
TO_BANNED = outbox.TO_BANNED


def has_new(engine: sa.Engine) -> bool:
    """A read on the partial index: an idle sender takes no write lock."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(NOTIFICATION.c.id).where(NOTIFICATION.c.mail_state.is_(None)).limit(1))
        return found.first() is not None


def _preference(user: User, kind: str) -> MailPreference:
    return MailPreference(getattr(user, f"mail_{KIND_PREFERENCE[kind]}"))


def _may_mail(user: User | None, kind: str | None = None) -> bool:
    return (
        user is not None
        and (user.status != UserStatus.banned or kind in TO_BANNED)
        and user.email_verified_at is not None
    )


def _item(session: Session, note: Notification, config: MailConfig | None = None) -> dict[str, Any]:
    comment = session.get(Comment, note.comment_id) if note.comment_id else None
    article = session.get(Article, comment.article_id) if comment is not None else None
    actor = session.get(User, note.actor_id) if note.actor_id else None
    return {
        "kind": note.kind,
        "comment": comment,
        "article": article,
        "actor": actor.shown_name if actor is not None else None,
        "reason": note.reason,
        "message": note.message,
        "excerpt": " ".join((comment.body_markdown if comment else "").split())[:280],
        "created_at": note.created_at,
        "until": user.suspended_until if (user := session.get(User, note.user_id)) is not None else None,
        "statement_url": _statement_url(config, note.statement_id),
    }


def _statement_url(config: MailConfig | None, statement_id: int | None) -> str | None:
    """The statement of reasons, with the key that opens it without signing in (a banned reader)."""
    if config is None or statement_id is None:
        return None
    key = statements.token(config.secret, statement_id)
    return config.url(f"/statements/{statement_id}?key={key}")


def _claim_notes(conn: sa.Connection, ids: list[int], *, was: str | None, becomes: str) -> list[int]:
    """Move these notifications from one mail state to the next; return those this sender moved (on
    PostgreSQL another sender's concurrent update waits, then finds them moved already)."""
    if not ids:
        return []
    current = NOTIFICATION.c.mail_state.is_(None) if was is None else NOTIFICATION.c.mail_state == was
    moved = conn.execute(
        sa.update(NOTIFICATION)
        .where(NOTIFICATION.c.id.in_(ids), current)
        .values(mail_state=becomes)
        .returning(NOTIFICATION.c.id)
    )
    return list(moved.scalars())


def dispatch(engine: sa.Engine, config: MailConfig, *, limit: int = 100) -> int:
    """Deal with up to `limit` new notifications; return how many were looked at. Everything is read
    and rendered first; the write that records it is one short transaction (on SQLite the write lock
    is the site's: requests wait for whoever holds it)."""
    if not has_new(engine):
        return 0
    states: dict[str, list[int]] = {"skipped": [], "daily": [], "queued": []}
    rows: dict[int, dict[str, Any]] = {}
    with Session(engine, expire_on_commit=False) as session:
        notes = session.exec(
            select(Notification)
            .where(col(Notification.mail_state).is_(None))
            .order_by(col(Notification.id))
            .limit(limit)
        ).all()
        for note in notes:
            assert note.id is not None
            user = session.get(User, note.user_id)
            if user is None or not _may_mail(user, note.kind) or note.kind not in KIND_PREFERENCE:
                states["skipped"].append(note.id)
                continue
            assert user.id is not None
            preference = _preference(user, note.kind)
            if preference == MailPreference.never:
                states["skipped"].append(note.id)
            elif preference == MailPreference.daily:
                states["daily"].append(note.id)
            else:
                kind = KIND_PREFERENCE[note.kind]
                rows[note.id] = message_row(
                    config,
                    kind=note.kind,
                    to=user.email,
                    template="notification",
                    locale=user.locale,
                    user_id=user.id,
                    context={"user": user, "item": _item(session, note, config), "preference_kind": kind},
                    unsubscribe_url=unsubscribe_url(config, user_id=user.id, kind=kind),
                )
                states["queued"].append(note.id)
        session.rollback()
    if not notes:
        return 0
    with writer(engine).begin() as conn:
        for state, ids in states.items():
            owned = _claim_notes(conn, ids, was=None, becomes=state)
            if state == "queued" and owned:
                conn.execute(sa.insert(OUTBOX), [rows[i] for i in owned])
    return len(notes)


def send_digests(engine: sa.Engine, config: MailConfig, *, now: datetime | None = None) -> int:
    """The daily digest of each reader due one: their notifications kept for it and, for staff, what
    waits in the moderation queues. Read and rendered first; then one short write claims the digest
    by moving mail_digest_at (so two senders never both send it) and queues it. Returns how many
    were queued."""
    now = now or utcnow()
    cutoff = now - DIGEST_EVERY
    last = sa.func.coalesce(USER.c.mail_digest_at, USER.c.created_at)
    has_daily = (
        sa.select(NOTIFICATION.c.id)
        .where(NOTIFICATION.c.user_id == USER.c.id, NOTIFICATION.c.mail_state == "daily")
        .exists()
    )
    staff = sa.and_(USER.c.role.in_(STAFF_ROLES), USER.c.mail_queues != MailPreference.never)
    with engine.connect() as conn:
        candidates = list(
            conn.execute(
                sa.select(USER.c.id)
                .where(
                    last <= cutoff,
                    USER.c.status != UserStatus.banned,
                    USER.c.email_verified_at.is_not(None),
                    sa.or_(has_daily, staff),
                )
                .order_by(USER.c.id)
            ).scalars()
        )
    if not candidates:
        return 0
    queued = 0
    counts: dict[str, int] | None = None
    for user_id in candidates:
        with Session(engine, expire_on_commit=False) as session:
            user = session.get(User, user_id)
            assert user is not None
            notes = session.exec(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.mail_state == "daily")
                .order_by(col(Notification.id))
            ).all()
            queues = None
            if user.role.at_least(Role.moderator) and user.mail_queues != MailPreference.never:
                counts = counts if counts is not None else queue_counts(session)
                if counts["pending"] or counts["reported"]:
                    queues = counts
            row = None
            if notes or queues:
                row = message_row(
                    config,
                    kind="digest",
                    to=user.email,
                    template="digest",
                    locale=user.locale,
                    user_id=user_id,
                    context={
                        "user": user,
                        "items": [_item(session, n, config) for n in notes],
                        "queues": queues,
                    },
                    unsubscribe_url=unsubscribe_url(config, user_id=user_id, kind="digest"),
                )
            note_ids = [n.id for n in notes if n.id is not None]
            session.rollback()
        with writer(engine).begin() as conn:
            claimed = conn.execute(
                sa.update(USER)
                .where(USER.c.id == user_id, last <= cutoff)
                .values(mail_digest_at=now)
                .returning(USER.c.id)
            ).first()
            if claimed is None or row is None:  # another sender took it, or nothing to say today
                continue
            conn.execute(sa.insert(OUTBOX), [row])
            # Notes that arrived since the read stay "daily": tomorrow's digest has them.
            _claim_notes(conn, note_ids, was="daily", becomes="digested")
            queued += 1
    return queued
