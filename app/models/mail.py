# No `from __future__ import annotations`: SQLModel reads these annotations at class creation.
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import enum_type, ts, utcnow


class MailStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # claimed by a sender until claimed_until; back in the pool after that
    sent = "sent"
    dead = "dead"  # given up (permanent refusal, or too many attempts): an admin can retry it


class MailPreference(StrEnum):
    immediate = "immediate"
    daily = "daily"
    never = "never"


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that causes it (the
    transactional outbox) and delivered by the background sender (app/services/mail/sender.py)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # Written into the message itself: a message sent twice (a sender killed between sending and
    # recording it) is recognisably the same message.
    message_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False, unique=True))
    user_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    recipient: str = Field(sa_column=sa.Column(sa.String(254), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    # The whole RFC 5322 message, as sent.
    content: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: MailStatus = Field(
        default=MailStatus.pending,
        sa_column=sa.Column(
            enum_type(MailStatus, "mail_status"), nullable=False, server_default=MailStatus.pending.value
        ),
    )
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    # Set by a claim: the claimant alone may record the outcome, until the lease ends.
    claim_token: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    claimed_until: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
