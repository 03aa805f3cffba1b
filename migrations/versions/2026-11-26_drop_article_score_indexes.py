"""Drop the (article_id, parent_id, score, id) indexes that the partial top-level indexes replaced.

Every vote rewrites score_best and score_controversy, so each of these indexes cost an entry rewrite
on every vote, on replies as well as on top-level reactions. No query reads them any more: the pages of
top-level reactions walk ix_comment_top_best and ix_comment_top_controversy (0003) on PostgreSQL and on
SQLite, and replies are never ordered by score in SQL (they are read by root_id, or by parent_id in id
order, and the whole thread is sorted in Python). EXPLAIN of every debate query, on a seeded
80,000-comment database, gave the same plans on PostgreSQL with or without them; on SQLite (never
ANALYZEd, as Tribune leaves it) the best and controversial pages moved from these indexes to the
partial ones, still without a sort.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As created by the initial schema (0001), for the downgrade.
INDEXES = {
    "ix_comment_article_best": ["article_id", "parent_id", "score_best", "id"],
    "ix_comment_article_controversy": ["article_id", "parent_id", "score_controversy", "id"],
}


def upgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="comment")


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "comment", columns, unique=False)
