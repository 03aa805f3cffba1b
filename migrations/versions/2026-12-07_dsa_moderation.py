"""EU Digital Services Act (issue 18): the site's terms (versioned), statements of reasons, appeals
and notices from anyone; a notification can name the statement it is about.

Revision ID: 0009_dsa
Revises: 0008_sso
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0009_dsa"
down_revision: str | None = "0008_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["app_user.id"], name=f"fk_{table}_{column}_app_user", ondelete="SET NULL"
    )


# The first published rules, in the order of the moderation reasons (app/services/terms.py relies on
# it: a decision that names no rule cites its reason's); the last one grounds suspensions and bans.
FIRST_RULES = [
    "Pas de spam ni de publicité : pas de messages répétés, de liens promotionnels ou commerciaux.",
    "Pas de harcèlement : on discute des idées, on n’attaque pas les personnes.",
    "Pas de propos haineux ou discriminatoires envers une personne ou un groupe.",
    "Restez dans le sujet du débat de l’article.",
    "Pas de fausse information présentée comme un fait avéré.",
    "Ne publiez pas de données personnelles sur autrui (adresse, téléphone, identité cachée…).",
    "Rien d’illégal : diffamation, injure, apologie du terrorisme, atteinte au droit d’auteur…",
    "La modération peut retirer un message qui nuit au débat pour une autre raison, qu’elle motive.",
    "Un compte qui enfreint ces règles de façon répétée ou grave peut être suspendu ou banni.",
]
FIRST_INTRO = (
    "Ces règles s’appliquent à toutes les réactions publiées sur Tribune. Chaque décision de modération "
    "cite la règle (par son numéro) ou la loi sur laquelle elle se fonde, et peut être contestée pendant "
    "six mois."
)


def upgrade() -> None:
    op.create_table(
        "terms_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("intro", sa.Text(), server_default="", nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _user_fk("terms_version", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_terms_version"),
        sa.UniqueConstraint("version", name="uq_terms_version_version"),
    )
    terms = sa.table(
        "terms_version",
        sa.column("version", sa.Integer),
        sa.column("intro", sa.Text),
        sa.column("rules", sa.Text),
        sa.column("created_at", UTCDateTime()),
    )
    op.bulk_insert(
        terms,
        [
            {
                "version": 1,
                "intro": FIRST_INTRO,
                "rules": "\n".join(FIRST_RULES),
                "created_at": datetime.now(UTC),
            }
        ],
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column(
            "category",
            _enum(
                "notice_category",
                "hate",
                "defamation",
                "privacy",
                "ip",
                "terrorism",
                "child_abuse",
                "fraud",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("good_faith", sa.Boolean(), nullable=False),
        sa.Column("notifier_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", _enum("notice_outcome", "acted", "dismissed"), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint("good_faith", name="ck_notice_good_faith_stated"),
        sa.CheckConstraint("(decided_at IS NULL) = (outcome IS NULL)", name="ck_notice_decided_with_outcome"),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name="fk_notice_comment_id_comment", ondelete="SET NULL"
        ),
        _user_fk("notice", "notifier_id"),
        _user_fk("notice", "decided_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
        sa.UniqueConstraint("reference", name="uq_notice_reference"),
    )
    op.create_index(
        "ix_notice_open",
        "notice",
        ["category", "id"],
        sqlite_where=sa.text("decided_at IS NULL"),
        postgresql_where=sa.text("decided_at IS NULL"),
    )
    op.create_index("ix_notice_created", "notice", ["created_at", "category", "outcome", "decided_at"])
    op.create_table(
        "moderation_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column(
            "restriction",
            _enum("statement_restriction", "removed", "hidden", "suspended", "banned"),
            nullable=False,
        ),
        sa.Column("until", UTCDateTime(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("ground_rule", sa.Integer(), nullable=True),
        sa.Column("terms_version", sa.Integer(), nullable=True),
        sa.Column("ground_law", sa.String(length=300), nullable=True),
        sa.Column(
            "automation", _enum("statement_automation", "none", "word_list", "auto_hide"), nullable=False
        ),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reversed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(ground_rule IS NOT NULL AND terms_version IS NOT NULL) OR ground_law IS NOT NULL",
            name="ck_moderation_statement_has_ground",
        ),
        _user_fk("moderation_statement", "user_id"),
        _user_fk("moderation_statement", "moderator_id"),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name="fk_moderation_statement_comment_id_comment",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name="fk_moderation_statement_notice_id_notice", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_moderation_statement"),
    )
    op.create_index("ix_moderation_statement_user", "moderation_statement", ["user_id", "id"])
    op.create_index("ix_moderation_statement_comment", "moderation_statement", ["comment_id"])
    op.create_index(
        "ix_moderation_statement_created",
        "moderation_statement",
        ["created_at", "restriction", "automation", "ground_rule", "terms_version", "ground_law"],
    )
    op.create_table(
        "moderation_appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("appellant_id", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("decision_moderator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", _enum("appeal_outcome", "upheld", "reversed"), nullable=True),
        sa.Column("outcome_reasons", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(statement_id IS NULL) <> (notice_id IS NULL)", name="ck_moderation_appeal_one_decision"
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decision_moderator_id IS NULL"
            " OR decided_by_id <> decision_moderator_id",
            name="ck_moderation_appeal_not_own_decision",
        ),
        sa.CheckConstraint(
            "(decided_at IS NULL) = (outcome IS NULL)", name="ck_moderation_appeal_decided_with_outcome"
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["moderation_statement.id"],
            name="fk_moderation_appeal_statement_id_moderation_statement",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name="fk_moderation_appeal_notice_id_notice", ondelete="CASCADE"
        ),
        _user_fk("moderation_appeal", "appellant_id"),
        sa.PrimaryKeyConstraint("id", name="pk_moderation_appeal"),
        sa.UniqueConstraint("statement_id", name="uq_moderation_appeal_statement_id"),
        sa.UniqueConstraint("notice_id", name="uq_moderation_appeal_notice_id"),
    )
    op.create_index(
        "ix_moderation_appeal_open",
        "moderation_appeal",
        ["id"],
        sqlite_where=sa.text("decided_at IS NULL"),
        postgresql_where=sa.text("decided_at IS NULL"),
    )
    op.create_index(
        "ix_moderation_appeal_created", "moderation_appeal", ["created_at", "outcome", "decided_at"]
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_notification_statement_id_moderation_statement",
            "moderation_statement",
            ["statement_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notification_statement_id_moderation_statement", type_="foreignkey")
        batch_op.drop_column("statement_id")
    op.drop_index("ix_moderation_appeal_created", table_name="moderation_appeal")
    op.drop_index("ix_moderation_appeal_open", table_name="moderation_appeal")
    op.drop_table("moderation_appeal")
    op.drop_index("ix_moderation_statement_created", table_name="moderation_statement")
    op.drop_index("ix_moderation_statement_comment", table_name="moderation_statement")
    op.drop_index("ix_moderation_statement_user", table_name="moderation_statement")
    op.drop_table("moderation_statement")
    op.drop_index("ix_notice_created", table_name="notice")
    op.drop_index("ix_notice_open", table_name="notice")
    op.drop_table("notice")
    op.drop_table("terms_version")
