"""A partial index for the featured responses of an article.

Every article page reads its featured responses; without this index the query went through the
article's comments (or, on SQLite, every published comment): 257 ms on a 100,000-comment debate.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_comment_featured",
        "comment",
        ["article_id", "featured_rank"],
        unique=False,
        postgresql_where=sa.text("featured_at IS NOT NULL"),
        sqlite_where=sa.text("featured_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_comment_featured", table_name="comment")
