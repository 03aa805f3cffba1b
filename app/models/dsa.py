# No `from __future__ import annotations`: SQLModel reads these annotations at class creation.
"""EU Digital Services Act (issue 18): the site's terms (versioned), statements of reasons, appeals
and notices from anyone."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import enum_type, ts, utcnow


class Restriction(StrEnum):
    removed = "removed"  # a comment taken down (or refused before anyone saw it)
    hidden = "hidden"  # a comment hidden until a moderator decides (auto-hide at K reports)
    suspended = "suspended"
    banned = "banned"


class Automation(StrEnum):
    none = "none"
    word_list = "word_list"  # held by a word of the list, then decided by a person
    auto_hide = "auto_hide"  # hidden automatically after K reports


class AppealOutcome(StrEnum):
    upheld = "upheld"
    reversed = "reversed"


class NoticeCategory(StrEnum):
    hate = "hate"
    defamation = "defamation"
    privacy = "privacy"
    intellectual_property = "ip"
    terrorism = "terrorism"
    child_abuse = "child_abuse"
    fraud = "fraud"
    other = "other"


class NoticeOutcome(StrEnum):
    acted = "acted"
    dismissed = "dismissed"


def _user_fk(nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=nullable)


class TermsVersion(SQLModel, table=True):
    """One published version of the site's rules: an introduction and numbered rules (one per line)."""

    __tablename__ = "terms_version"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, unique=True))
    intro: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    rules: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # one rule a line, numbered from 1
    created_by_id: int | None = Field(default=None, sa_column=_user_fk())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))

    @property
    def rule_list(self) -> list[str]:
        return [line.strip() for line in self.rules.splitlines() if line.strip()]


class Notice(SQLModel, table=True):
    """A notice of content thought illegal (Art. 16), from anyone, signed in or not."""

    __tablename__ = "notice"
    __table_args__ = (
        sa.Index(
            "ix_notice_open",
            "category",
            "id",
            sqlite_where=sa.text("decided_at IS NULL"),
            postgresql_where=sa.text("decided_at IS NULL"),
        ),
        # The transparency report reads these columns only: an index-only scan of the period.
        sa.Index("ix_notice_created", "created_at", "category", "outcome", "decided_at"),
        sa.CheckConstraint("good_faith", name="good_faith_stated"),
        sa.CheckConstraint("(decided_at IS NULL) = (outcome IS NULL)", name="decided_with_outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, unique=True))
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("comment.id", ondelete="SET NULL"), nullable=True),
    )
    url: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    category: NoticeCategory = Field(
        sa_column=sa.Column(enum_type(NoticeCategory, "notice_category"), nullable=False)
    )
    explanation: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    name: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(254), nullable=True))
    good_faith: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    notifier_id: int | None = Field(default=None, sa_column=_user_fk())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    outcome: NoticeOutcome | None = Field(
        default=None, sa_column=sa.Column(enum_type(NoticeOutcome, "notice_outcome"), nullable=True)
    )
    decided_by_id: int | None = Field(default=None, sa_column=_user_fk())
    decision_note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class Statement(SQLModel, table=True):
    """A statement of reasons (Art. 17): what was restricted, for how long, the facts, the ground,
    whether automated means were involved, and how to contest."""

    __tablename__ = "moderation_statement"
    __table_args__ = (
        sa.Index("ix_moderation_statement_user", "user_id", "id"),
        sa.Index("ix_moderation_statement_comment", "comment_id"),
        # The transparency report reads these columns only: an index-only scan of the period.
        sa.Index(
            "ix_moderation_statement_created",
            "created_at",
            "restriction",
            "automation",
            "ground_rule",
            "terms_version",
            "ground_law",
        ),
        sa.CheckConstraint(
            "(ground_rule IS NOT NULL AND terms_version IS NOT NULL) OR ground_law IS NOT NULL",
            name="has_ground",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, sa_column=_user_fk())
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("comment.id", ondelete="SET NULL"), nullable=True),
    )
    notice_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("notice.id", ondelete="SET NULL"), nullable=True),
    )
    restriction: Restriction = Field(
        sa_column=sa.Column(enum_type(Restriction, "statement_restriction"), nullable=False)
    )
    until: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    facts: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    ground_rule: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    terms_version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    ground_law: str | None = Field(default=None, sa_column=sa.Column(sa.String(300), nullable=True))
    automation: Automation = Field(
        sa_column=sa.Column(enum_type(Automation, "statement_automation"), nullable=False)
    )
    moderator_id: int | None = Field(default=None, sa_column=_user_fk())
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    reversed_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))


class Appeal(SQLModel, table=True):
    """A complaint against a decision (Art. 20): once per statement, or once per notice not acted on.
    The moderator who took the decision cannot decide it: the database refuses it too."""

    __tablename__ = "moderation_appeal"
    __table_args__ = (
        sa.Index(
            "ix_moderation_appeal_open",
            "id",
            sqlite_where=sa.text("decided_at IS NULL"),
            postgresql_where=sa.text("decided_at IS NULL"),
        ),
        sa.Index("ix_moderation_appeal_created", "created_at", "outcome", "decided_at"),
        sa.CheckConstraint("(statement_id IS NULL) <> (notice_id IS NULL)", name="one_decision"),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decision_moderator_id IS NULL"
            " OR decided_by_id <> decision_moderator_id",
            name="not_own_decision",
        ),
        sa.CheckConstraint("(decided_at IS NULL) = (outcome IS NULL)", name="decided_with_outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("moderation_statement.id", ondelete="CASCADE"),
            nullable=True,
            unique=True,
        ),
    )
    notice_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("notice.id", ondelete="CASCADE"), nullable=True, unique=True
        ),
    )
    appellant_id: int | None = Field(default=None, sa_column=_user_fk())
    explanation: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # Who took the contested decision (copied, so the check above can see it).
    decision_moderator_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    decided_by_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    outcome: AppealOutcome | None = Field(
        default=None, sa_column=sa.Column(enum_type(AppealOutcome, "appeal_outcome"), nullable=True)
    )
    outcome_reasons: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
