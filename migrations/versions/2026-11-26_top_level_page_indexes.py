"""Partial indexes for the pages of top-level reactions, one per sort order.

PostgreSQL does not treat `parent_id IS NULL` as an equality on the key, so the
(article_id, parent_id, score_best, id) indexes gave it no order: the first page of a debate read every
top-level reaction through ix_comment_parent and sorted them (8 ms for 6,000 reactions, growing with the
debate). With parent_id moved into the predicate, a page is an index scan that stops after the page.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_comment_top_best": ["article_id", "score_best", "id"],
    "ix_comment_top_controversy": ["article_id", "score_controversy", "id"],
    "ix_comment_top_id": ["article_id", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "comment",
            columns,
            unique=False,
            postgresql_where=sa.text("parent_id IS NULL"),
            sqlite_where=sa.text("parent_id IS NULL"),
        )


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="comment")
