"""Did the debate change minds (issue 20): each poll answer keeps the reader's first answer once they
change it, and when they last did; the article counts the readers whose answer moved.

Existing answers have never been seen to change: first_stance stays null (the first is the current
one) and every changed_count starts at zero, which is what was recorded. The daily tally history keeps
the day's changed_count beside the tallies, for the chart over time.

Revision ID: 0012_changed_minds
Revises: 0011_reply_kinds
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0012_changed_minds"
down_revision: str | None = "0011_reply_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STANCE_IN = "first_stance IN ('for', 'against', 'nuanced')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with its CHECK: no batch copy of the table is needed.
        op.execute(
            "ALTER TABLE stance_vote ADD COLUMN first_stance VARCHAR(16)"
            f" CONSTRAINT ck_stance_vote_stance_vote_first_stance CHECK ({STANCE_IN})"
        )
    else:
        op.add_column("stance_vote", sa.Column("first_stance", sa.String(16), nullable=True))
        op.create_check_constraint(op.f("ck_stance_vote_stance_vote_first_stance"), "stance_vote", STANCE_IN)
    op.add_column("stance_vote", sa.Column("changed_at", UTCDateTime(), nullable=True))
    op.add_column("article", sa.Column("changed_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "stance_daily", sa.Column("changed_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("ix_stance_vote_flow", "stance_vote", ["article_id", "first_stance", "stance"])


def downgrade() -> None:
    op.drop_index("ix_stance_vote_flow", table_name="stance_vote")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_stance_vote_stance_vote_first_stance"), "stance_vote", type_="check")
    op.execute("ALTER TABLE stance_daily DROP COLUMN changed_count")
    op.execute("ALTER TABLE article DROP COLUMN changed_count")
    op.execute("ALTER TABLE stance_vote DROP COLUMN changed_at")
    op.execute("ALTER TABLE stance_vote DROP COLUMN first_stance")
