"""The outbox: a message is a row written in the transaction of its cause; senders claim due rows
(FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the claim's write transaction is the lock), hand them
over, and record the outcome. Delivery is at least once: a sender that dies after its claim leaves the
row to be claimed again once the lease ends, and the message goes out with the same Message-ID."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.db import writer
from app.models import MailStatus, OutboxMessage, User, UserStatus, utcnow
from app.services.mail import MailConfig
from app.services.mail.compose import compose
from app.services.mail.transport import DeliveryError, Transport

log = logging.getLogger("tribune.mail")

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
MAX_BACKOFF = timedelta(hours=6)


def message_row(
    config: MailConfig,
    *,
    kind: str,
    to: str,
    template: str,
    locale: str | None,
    context: dict[str, Any],
    user_id: int | None = None,
    unsubscribe_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A composed message as the outbox row that will carry it (rendered before any lock is taken)."""
    composed = compose(
        config, to=to, template=template, locale=locale, context=context, unsubscribe_url=unsubscribe_url
    )
    now = now or utcnow()
    return {
        "message_id": composed.message_id,
        "user_id": user_id,
        "recipient": to,
        "kind": kind,
        "subject": composed.subject[:300],
        "content": composed.content,
        "status": MailStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue(session: Session, config: MailConfig, **message: Any) -> str:
    """Queue a message in the current transaction: it goes out only if that transaction commits.
    Takes message_row's arguments; returns the Message-ID."""
    row = message_row(config, **message)
    session.execute(sa.insert(OUTBOX).values(row))
    return str(row["message_id"])


@dataclass(frozen=True)
class Claimed:
    id: int
    message_id: str
    recipient: str
    content: str
    attempts: int
    token: str
    user_id: int | None
    kind: str = ""


def _due(now: datetime) -> Any:
    return sa.or_(
        sa.and_(OUTBOX.c.status == MailStatus.pending, OUTBOX.c.next_attempt_at <= now),
        sa.and_(OUTBOX.c.status == MailStatus.sending, OUTBOX.c.claimed_until <= now),
    )


def has_due(engine: sa.Engine, *, now: datetime | None = None) -> bool:
    """A read, without the write lock: an idle sender never takes it."""
    with engine.connect() as conn:
        return conn.execute(sa.select(OUTBOX.c.id).where(_due(now or utcnow())).limit(1)).first() is not None


def claim(
    engine: sa.Engine, config: MailConfig, *, limit: int = 20, now: datetime | None = None
) -> list[Claimed]:
    """Take up to `limit` due messages for this sender, each for the lease's length."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    due = (
        sa.select(OUTBOX.c.id)
        .where(_due(now))
        .order_by(OUTBOX.c.id)
        .limit(limit)
        # Another sender's claimed rows are skipped, not waited for: each message goes to one sender.
        .with_for_update(skip_locked=True)
    )
    with writer(engine).begin() as conn:
        rows = conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(due.scalar_subquery()))
            .values(
                status=MailStatus.sending,
                claim_token=token,
                claimed_until=now + timedelta(seconds=config.lease_seconds),
                attempts=OUTBOX.c.attempts + 1,
            )
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.message_id,
                OUTBOX.c.recipient,
                OUTBOX.c.content,
                OUTBOX.c.attempts,
                OUTBOX.c.user_id,
                OUTBOX.c.kind,
            )
        ).all()
    return sorted(
        (
            Claimed(
                id=r.id,
                message_id=r.message_id,
                recipient=r.recipient,
                content=r.content,
                attempts=r.attempts,
                token=token,
                user_id=r.user_id,
                kind=r.kind,
            )
            for r in rows
        ),
        key=lambda c: c.id,
    )


def backoff(config: MailConfig, attempts: int) -> timedelta:
    seconds = config.retry_seconds * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def record_sent(engine: sa.Engine, message: Claimed, *, now: datetime | None = None) -> None:
    with writer(engine).begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == message.id, OUTBOX.c.claim_token == message.token)
            .values(
                status=MailStatus.sent,
                sent_at=now or utcnow(),
                claim_token=None,
                claimed_until=None,
                last_error=None,
            )
        )


def record_failure(
    engine: sa.Engine,
    config: MailConfig,
    message: Claimed,
    error: str,
    *,
    permanent: bool = False,
    now: datetime | None = None,
) -> MailStatus:
    now = now or utcnow()
    dead = permanent or message.attempts >= config.max_attempts
    status = MailStatus.dead if dead else MailStatus.pending
    with writer(engine).begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == message.id, OUTBOX.c.claim_token == message.token)
            .values(
                status=status,
                next_attempt_at=now + backoff(config, message.attempts),
                claim_token=None,
                claimed_until=None,
                last_error=error[:500],
            )
        )
    return status


# What still reaches a banned account (issue 18): the statement of reasons of its ban, an appeal's outcome.
TO_BANNED = ("banned", "appeal")


def _banned(engine: sa.Engine, claimed: list[Claimed]) -> set[int]:
    ids = {c.user_id for c in claimed if c.user_id is not None and c.kind not in TO_BANNED}
    if not ids:
        return set()
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(USER.c.id).where(USER.c.id.in_(ids), USER.c.status == UserStatus.banned)
            ).scalars()
        )


def deliver_due(
    engine: sa.Engine,
    config: MailConfig,
    transport: Transport,
    *,
    now: datetime | None = None,
    limit: int = 20,
) -> int:
    """Claim and hand over one batch of due messages; return how many were handed over."""
    if not has_due(engine, now=now):
        return 0
    claimed = claim(engine, config, limit=limit, now=now)
    if not claimed:
        return 0
    banned = _banned(engine, claimed)
    sent = 0
    try:
        with transport.open() as send:
            for message in claimed:
                if message.user_id in banned:
                    record_failure(
                        engine, config, message, "account banned: not sent", permanent=True, now=now
                    )
                    continue
                try:
                    send(config.sender_address, message.recipient, message.content)
                except DeliveryError as exc:
                    status = record_failure(
                        engine, config, message, str(exc), permanent=exc.permanent, now=now
                    )
                    log.warning(
                        "mail %s to %s not sent (%s): %s", message.message_id, message.recipient, status, exc
                    )
                    continue
                record_sent(engine, message, now=now)
                sent += 1
    except DeliveryError as exc:  # the server could not be reached: the whole batch waits for a retry
        for message in claimed:
            record_failure(engine, config, message, str(exc), now=now)
        log.warning("mail server unavailable, %d message(s) will be retried: %s", len(claimed), exc)
    return sent


def retry_dead(session: Session, *, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Give dead messages (all, or these) a fresh set of attempts."""
    statement = (
        sa.update(OUTBOX)
        .where(OUTBOX.c.status == MailStatus.dead)
        .values(status=MailStatus.pending, attempts=0, next_attempt_at=now or utcnow(), last_error=None)
    )
    if ids is not None:
        statement = statement.where(OUTBOX.c.id.in_(ids))
    result = session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status)).all()
    found = {str(status): int(n) for status, n in rows}
    return {status.value: found.get(status.value, 0) for status in MailStatus}


def dead_messages(session: Session, *, limit: int = 100) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OUTBOX.c.status == MailStatus.dead)
            .order_by(OUTBOX.c.id.desc())
            .limit(limit)
        )
    )
