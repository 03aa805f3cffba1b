"""Initial schema: accounts, sessions, articles, stance poll and history, comments, votes, reports,
revisions, the moderation audit log, notifications and word rules.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 05:43:12.615713
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=30), nullable=False),
        sa.Column("username_key", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "reader",
                "moderator",
                "editor",
                "admin",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="reader",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "banned",
                name="user_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("approved_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
        sa.UniqueConstraint("username_key", name=op.f("uq_app_user_username_key")),
    )
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("lede", sa.Text(), server_default="", nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("label_for", sa.String(length=120), nullable=False),
        sa.Column("label_against", sa.String(length=120), nullable=False),
        sa.Column("label_nuanced", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), server_default="fr", nullable=False),
        sa.Column("comments_open", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("premoderation", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synthesis_markdown", sa.Text(), nullable=True),
        sa.Column("synthesis_html", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tally_for", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tally_against", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tally_nuanced", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("top_level_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("slug", name=op.f("uq_article_slug")),
    )
    op.create_table(
        "auth_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_auth_session_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), server_default="0", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column(
            "stance",
            sa.Enum(
                "for",
                "against",
                "nuanced",
                name="comment_stance",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "published",
                "rejected",
                "deleted",
                name="comment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("upvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("downvotes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("score_best", sa.Float(), server_default="0", nullable=False),
        sa.Column("score_controversy", sa.Float(), server_default="0", nullable=False),
        sa.Column("report_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "rejection_reason",
            sa.Enum(
                "spam",
                "harassment",
                "hate",
                "off_topic",
                "misinformation",
                "personal_data",
                "illegal",
                "other",
                name="comment_rejection_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("rejection_note", sa.String(length=1000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("featured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("featured_by_id", sa.Integer(), nullable=True),
        sa.Column("featured_note", sa.String(length=1000), nullable=True),
        sa.Column("featured_rank", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(parent_id IS NULL AND stance IS NOT NULL) OR (parent_id IS NOT NULL AND stance IS NULL)",
            name=op.f("ck_comment_stance_on_top_level_only"),
        ),
        sa.CheckConstraint("depth >= 0", name=op.f("ck_comment_depth_not_negative")),
        sa.CheckConstraint(
            "upvotes >= 0 AND downvotes >= 0 AND reply_count >= 0",
            name=op.f("ck_comment_tallies_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_comment_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_comment_author_id_app_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["featured_by_id"],
            ["app_user.id"],
            name=op.f("fk_comment_featured_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comment.id"], name=op.f("fk_comment_parent_id_comment"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["root_id"], ["comment.id"], name=op.f("fk_comment_root_id_comment"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comment_article_best", ["article_id", "parent_id", "score_best", "id"], unique=False
        )
        batch_op.create_index(
            "ix_comment_article_controversy",
            ["article_id", "parent_id", "score_controversy", "id"],
            unique=False,
        )
        batch_op.create_index("ix_comment_article_id", ["article_id", "parent_id", "id"], unique=False)
        batch_op.create_index("ix_comment_author", ["author_id", "id"], unique=False)
        batch_op.create_index("ix_comment_parent", ["parent_id", "id"], unique=False)
        batch_op.create_index("ix_comment_root", ["root_id", "depth"], unique=False)
        batch_op.create_index("ix_comment_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_comment_reported",
            ["status", "id"],
            unique=False,
            postgresql_where=sa.text("report_count > 0"),
            sqlite_where=sa.text("report_count > 0"),
        )
        batch_op.create_index(
            "ix_comment_decided",
            ["status", "id"],
            unique=False,
            postgresql_where=sa.text("decided_at IS NOT NULL"),
            sqlite_where=sa.text("decided_at IS NOT NULL"),
        )

    op.create_table(
        "moderation_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(length=300), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["app_user.id"],
            name=op.f("fk_moderation_action_actor_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_action")),
    )
    with op.batch_alter_table("moderation_action", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_action_action", ["action", "id"], unique=False)
        batch_op.create_index("ix_moderation_action_actor", ["actor_id", "id"], unique=False)

    op.create_table(
        "stance_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tally_for", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tally_against", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tally_nuanced", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_stance_daily_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stance_daily")),
        sa.UniqueConstraint("article_id", "day", name=op.f("uq_stance_daily_article_id_day")),
    )
    op.create_table(
        "stance_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column(
            "stance",
            sa.Enum(
                "for",
                "against",
                "nuanced",
                name="stance_vote_stance",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_stance_vote_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_stance_vote_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stance_vote")),
        sa.UniqueConstraint("user_id", "article_id", name=op.f("uq_stance_vote_user_id_article_id")),
    )
    with op.batch_alter_table("stance_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stance_vote_article_id"), ["article_id"], unique=False)

    op.create_table(
        "word_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("phrase_key", sa.String(length=200), nullable=False),
        sa.Column(
            "effect",
            sa.Enum(
                "block", "hold", name="word_rule_effect", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_word_rule_created_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_word_rule")),
        sa.UniqueConstraint("phrase_key", name=op.f("uq_word_rule_phrase_key")),
    )
    op.create_table(
        "comment_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "spam",
                "harassment",
                "hate",
                "off_topic",
                "misinformation",
                "personal_data",
                "illegal",
                "other",
                name="report_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_report_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["app_user.id"],
            name=op.f("fk_comment_report_reporter_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_report")),
        sa.UniqueConstraint(
            "reporter_id", "comment_id", name=op.f("uq_comment_report_reporter_id_comment_id")
        ),
    )
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_report_comment_id"), ["comment_id"], unique=False)

    op.create_table(
        "comment_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_revision_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revision")),
    )
    with op.batch_alter_table("comment_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_revision_comment_id"), ["comment_id"], unique=False)

    op.create_table(
        "comment_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_comment_vote_value_is_up_or_down")),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_comment_vote_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_comment_vote_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_vote")),
        sa.UniqueConstraint("user_id", "comment_id", name=op.f("uq_comment_vote_user_id_comment_id")),
    )
    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_vote_comment_id"), ["comment_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_notification_actor_id_app_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_notification_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index("ix_notification_user", ["user_id", "read_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user")
        batch_op.drop_index(batch_op.f("ix_notification_comment_id"))

    op.drop_table("notification")
    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_vote_comment_id"))

    op.drop_table("comment_vote")
    with op.batch_alter_table("comment_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_revision_comment_id"))

    op.drop_table("comment_revision")
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_report_comment_id"))

    op.drop_table("comment_report")
    op.drop_table("word_rule")
    with op.batch_alter_table("stance_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stance_vote_article_id"))

    op.drop_table("stance_vote")
    op.drop_table("stance_daily")
    with op.batch_alter_table("moderation_action", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_action_actor")
        batch_op.drop_index("ix_moderation_action_action")

    op.drop_table("moderation_action")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_decided")
        batch_op.drop_index("ix_comment_reported")
        batch_op.drop_index("ix_comment_status")
        batch_op.drop_index("ix_comment_root")
        batch_op.drop_index("ix_comment_parent")
        batch_op.drop_index("ix_comment_author")
        batch_op.drop_index("ix_comment_article_id")
        batch_op.drop_index("ix_comment_article_controversy")
        batch_op.drop_index("ix_comment_article_best")

    op.drop_table("comment")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_user_id"))

    op.drop_table("auth_session")
    op.drop_table("article")
    op.drop_table("app_user")
