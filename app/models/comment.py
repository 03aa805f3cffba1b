# No `from __future__ import annotations` here: SQLModel resolves Relationship annotations at class creation.
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.models.article import Article
from app.models.base import CommentStatus, Reason, ReplyKind, Stance, enum_type, ts, utcnow
from app.models.user import User


class Comment(SQLModel, table=True):
    __tablename__ = "comment"
    __table_args__ = (
        # A debate's comments: the whole thread, the cascade from a deleted article.
        sa.Index("ix_comment_article_id", "article_id", "parent_id", "id"),
        # A debate in id order: the feed of its latest comments, its whole thread (migration 0005).
        sa.Index("ix_comment_article_latest", "article_id", "id"),
        # The debate's pages read top-level reactions (parent_id IS NULL) in each sort order through
        # these, so a page costs the same whatever the size of the debate. Partial indexes leave
        # parent_id out of the key: PostgreSQL's planner takes `parent_id IS NULL` as a filter, not as an
        # equality that fixes parent_id, so only then does a page walk the index in order (backwards for
        # the DESC sorts) and stop after `limit` rows. They hold top-level reactions only: a vote on a
        # reply rewrites no score index, and no query orders replies by score (migration 0004 dropped
        # the (article_id, parent_id, score, id) indexes these replaced).
        sa.Index(
            "ix_comment_top_best",
            "article_id",
            "score_best",
            "id",
            postgresql_where=sa.text("parent_id IS NULL"),
            sqlite_where=sa.text("parent_id IS NULL"),
        ),
        sa.Index(
            "ix_comment_top_controversy",
            "article_id",
            "score_controversy",
            "id",
            postgresql_where=sa.text("parent_id IS NULL"),
            sqlite_where=sa.text("parent_id IS NULL"),
        ),
        sa.Index(
            "ix_comment_top_id",
            "article_id",
            "id",
            postgresql_where=sa.text("parent_id IS NULL"),
            sqlite_where=sa.text("parent_id IS NULL"),
        ),
        sa.Index("ix_comment_parent", "parent_id", "id"),
        sa.Index("ix_comment_root", "root_id", "depth"),
        sa.Index("ix_comment_author", "author_id", "id"),
        sa.Index("ix_comment_status", "status", "id"),
        # The reported and approved queues are small slices of a large table: partial indexes keep
        # their pages and counts from reading every published comment.
        sa.Index(
            "ix_comment_reported",
            "status",
            "id",
            postgresql_where=sa.text("report_count > 0"),
            sqlite_where=sa.text("report_count > 0"),
        ),
        # An article page reads its featured responses, a handful among thousands of comments.
        sa.Index(
            "ix_comment_featured",
            "article_id",
            "featured_rank",
            postgresql_where=sa.text("featured_at IS NOT NULL"),
            sqlite_where=sa.text("featured_at IS NOT NULL"),
        ),
        sa.Index(
            "ix_comment_decided",
            "status",
            "id",
            postgresql_where=sa.text("decided_at IS NOT NULL"),
            sqlite_where=sa.text("decided_at IS NOT NULL"),
        ),
        sa.CheckConstraint("depth >= 0", name="depth_not_negative"),
        sa.CheckConstraint(
            "upvotes >= 0 AND downvotes >= 0 AND reply_count >= 0", name="tallies_not_negative"
        ),
        # A top-level reaction takes a side; a reply never does.
        sa.CheckConstraint(
            "(parent_id IS NULL AND stance IS NOT NULL) OR (parent_id IS NOT NULL AND stance IS NULL)",
            name="stance_on_top_level_only",
        ),
        # Only a reply says how it answers (issue 20).
        sa.CheckConstraint("parent_id IS NOT NULL OR reply_kind IS NULL", name="reply_kind_on_replies_only"),
        sa.CheckConstraint("support_count >= 0", name="support_count_not_negative"),
        sa.CheckConstraint("rebuttal_count >= 0", name="rebuttal_count_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False)
    )
    parent_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=True),
    )
    # The top-level reaction of the branch (null on a top-level reaction): one indexed
    # lookup fetches a whole branch without recursive queries.
    root_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=True),
    )
    depth: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    # SET NULL: erasing an account keeps the comment, shown as "compte supprimé".
    author_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    body_markdown: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    body_html: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    stance: Stance | None = Field(
        default=None, sa_column=sa.Column(enum_type(Stance, "comment_stance"), nullable=True)
    )
    status: CommentStatus = Field(
        default=CommentStatus.published,
        sa_column=sa.Column(enum_type(CommentStatus, "comment_status"), nullable=False),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    upvotes: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    downvotes: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    # Published direct replies, kept on the row by the same transaction that publishes or removes one.
    reply_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    score_best: float = Field(default=0.0, sa_column=sa.Column(sa.Float, nullable=False, server_default="0"))
    score_controversy: float = Field(
        default=0.0, sa_column=sa.Column(sa.Float, nullable=False, server_default="0")
    )
    report_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    hidden_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    rejection_reason: Reason | None = Field(
        default=None, sa_column=sa.Column(enum_type(Reason, "comment_rejection_reason"), nullable=True)
    )
    rejection_note: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    featured_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    featured_by_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
    )
    featured_note: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    featured_rank: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    # How a reply answers its parent (issue 20), and on every comment its published direct replies that
    # support or rebut it, kept by the transaction that publishes or removes one (counters.py).
    reply_kind: ReplyKind | None = Field(
        default=None, sa_column=sa.Column(enum_type(ReplyKind, "comment_reply_kind"), nullable=True)
    )
    support_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    rebuttal_count: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )

    article: Article = Relationship()
    author: User | None = Relationship(sa_relationship_kwargs={"foreign_keys": "Comment.author_id"})


class CommentRevision(SQLModel, table=True):
    """The body a comment had before an edit, kept for moderators."""

    __tablename__ = "comment_revision"

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    body_markdown: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class CommentVote(SQLModel, table=True):
    __tablename__ = "comment_vote"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "comment_id"),
        sa.CheckConstraint("value IN (-1, 1)", name="value_is_up_or_down"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    comment_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    value: int = Field(sa_column=sa.Column(sa.SmallInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class CommentReport(SQLModel, table=True):
    __tablename__ = "comment_report"
    __table_args__ = (sa.UniqueConstraint("reporter_id", "comment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    )
    comment_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    reason: Reason = Field(sa_column=sa.Column(enum_type(Reason, "report_reason"), nullable=False))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
