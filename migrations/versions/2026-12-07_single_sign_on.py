"""Single sign-on (issue 17): accounts linked to the newsroom's, and the signed tokens already used.

Revision ID: 0008_sso
Revises: 0007_profile
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0008_sso"
down_revision: str | None = "0007_profile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linked_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_linked_account_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linked_account")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_linked_account_provider_subject")),
    )
    with op.batch_alter_table("linked_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_linked_account_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sso_used_token",
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_sso_used_token")),
    )
    with op.batch_alter_table("sso_used_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_used_token_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_used_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_used_token_expires_at"))
    op.drop_table("sso_used_token")
    with op.batch_alter_table("linked_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linked_account_user_id"))
    op.drop_table("linked_account")
