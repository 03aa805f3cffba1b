# No `from __future__ import annotations`: SQLModel reads these annotations at class creation.
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import WordEffect, enum_type, ts, utcnow


class ModerationAction(SQLModel, table=True):
    """The audit log: one row per staff action. The app offers no way to edit or delete one."""

    __tablename__ = "moderation_action"
    __table_args__ = (
        sa.Index("ix_moderation_action_actor", "actor_id", "id"),
        sa.Index("ix_moderation_action_action", "action", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    # Kept as text so the log still names the actor after an account is erased.
    actor_name: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    target_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    target_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    target_label: str = Field(
        default="", sa_column=sa.Column(sa.String(300), nullable=False, server_default="")
    )
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user", "user_id", "read_at", "id"),
        sa.Index(
            "ix_notification_unmailed",
            "id",
            postgresql_where=sa.text("mail_state IS NULL"),
            sqlite_where=sa.text("mail_state IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    # reply, featured, approved, rejected
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    actor_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    message: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    # Mail (issue 16): NULL until the sender has looked at it (the notification row is the outbox of
    # its e-mail); then queued, daily (waiting for the digest), digested or skipped.
    mail_state: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))
    # Issue 18: the statement of reasons (or appeal outcome) this notification is about.
    statement_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("moderation_statement.id", ondelete="SET NULL"), nullable=True
        ),
    )


class WordRule(SQLModel, table=True):
    """A word or phrase and what it does to a comment: refuse it (block) or hold it (hold)."""

    __tablename__ = "word_rule"

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    # Case- and accent-folded phrase: one rule per phrase, whatever its spelling.
    phrase_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    effect: WordEffect = Field(sa_column=sa.Column(enum_type(WordEffect, "word_rule_effect"), nullable=False))
    created_by_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
