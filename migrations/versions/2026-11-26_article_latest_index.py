"""An (article_id, id) index for what reads a debate in id order: its Atom feed of the latest comments
and its whole thread.

ix_comment_article_id has parent_id between the two columns, so it gives no id order across a debate.
On PostgreSQL the feed of a debate that is not the newest walked pk_comment backwards and filtered:
60 ms and 100,000 rows read for the 50 latest comments of a 1,000-comment debate, behind a
100,000-comment one. Through this index it reads 50 rows.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_comment_article_latest", "comment", ["article_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_comment_article_latest", table_name="comment")
