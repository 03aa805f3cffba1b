from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import Stance, enum_type, ts, utcnow


class Article(SQLModel, table=True):
    __tablename__ = "article"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(120), nullable=False, unique=True))
    title: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    lede: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    body_markdown: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    body_html: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    question: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    label_for: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    label_against: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    label_nuanced: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    language: str = Field(
        default="fr", sa_column=sa.Column(sa.String(8), nullable=False, server_default="fr")
    )
    comments_open: bool = Field(
        default=True, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true())
    )
    premoderation: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    published_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    # The editor's closing synthesis, shown above a closed debate.
    synthesis_markdown: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    synthesis_html: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    # Counters kept on the row and moved by atomic UPDATEs, so a page never counts the debate.
    tally_for: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    tally_against: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    tally_nuanced: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    comment_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    top_level_count: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    # Readers whose current answer differs from their first (issue 20), moved by set_stance.
    changed_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    # Bumped by every change that alters what the debate shows; keys the render caches.
    version: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))

    def label(self, stance: Stance | str | None) -> str:
        if stance is None:
            return ""
        label: str = getattr(self, f"label_{Stance(stance).value}")
        return label

    @property
    def tally(self) -> dict[str, int]:
        return {"for": self.tally_for, "against": self.tally_against, "nuanced": self.tally_nuanced}

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class StanceDaily(SQLModel, table=True):
    """The stance tally as it stood at the end of each day, for the debate's history chart."""

    __tablename__ = "stance_daily"
    __table_args__ = (sa.UniqueConstraint("article_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False)
    )
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    tally_for: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    tally_against: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    tally_nuanced: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    # Readers whose answer then differed from their first (the article's changed_count; issue 20).
    changed_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))


class StanceVote(SQLModel, table=True):
    """A reader's answer to the article's closing question; one per reader and article."""

    __tablename__ = "stance_vote"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "article_id"),
        # The flows of the readers who changed their answer, counted from the index alone (issue 20).
        sa.Index("ix_stance_vote_flow", "article_id", "first_stance", "stance"),
        # A withdrawn answer (stance null) keeps the row for the first answer it had.
        sa.CheckConstraint("stance IS NOT NULL OR first_stance IS NOT NULL", name="answered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    article_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The current answer; null once withdrawn (the row stays for the first answer, issue 20).
    stance: Stance | None = Field(
        default=None, sa_column=sa.Column(enum_type(Stance, "stance_vote_stance"), nullable=True)
    )
    # The reader's first answer once they have changed or withdrawn it (null: never changed, the first
    # is `stance`), and when they last changed it (issue 20).
    first_stance: Stance | None = Field(
        default=None, sa_column=sa.Column(enum_type(Stance, "stance_vote_first_stance"), nullable=True)
    )
    changed_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
