"""Profiles (issue 15): a display name in any letters ("Hélène") beside the ASCII handle, and a short
bio. Both optional: an account without them shows its handle, as before.

Revision ID: 0007_profile
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_profile"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("bio", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("bio")
        batch_op.drop_column("display_name")
