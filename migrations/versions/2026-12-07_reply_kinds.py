"""How a reply answers (issue 20): its kind (supports, rebuts, asks for a source, brings one), and on
each comment the counts of its published replies that support or rebut it.

Existing replies have no kind and every count starts at zero, which is true of them.

Revision ID: 0011_reply_kinds
Revises: 0010_search
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_reply_kinds"
down_revision: str | None = "0010_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("supports", "rebuts", "asks_source", "brings_source")
KIND_IN = "reply_kind IN ('supports', 'rebuts', 'asks_source', 'brings_source')"
CHECKS = {
    "ck_comment_comment_reply_kind": KIND_IN,
    "ck_comment_reply_kind_on_replies_only": "parent_id IS NOT NULL OR reply_kind IS NULL",
    "ck_comment_support_count_not_negative": "support_count >= 0",
    "ck_comment_rebuttal_count_not_negative": "rebuttal_count >= 0",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Plain ADD COLUMN with column constraints: a batch copy of `comment` would drop the search
        # index's triggers (0010_search) with the old table.
        op.execute(
            "ALTER TABLE comment ADD COLUMN reply_kind VARCHAR(16)"
            f" CONSTRAINT ck_comment_comment_reply_kind CHECK ({KIND_IN})"
            " CONSTRAINT ck_comment_reply_kind_on_replies_only"
            " CHECK (parent_id IS NOT NULL OR reply_kind IS NULL)"
        )
        for column in ("support_count", "rebuttal_count"):
            op.execute(
                f"ALTER TABLE comment ADD COLUMN {column} INTEGER DEFAULT '0' NOT NULL"
                f" CONSTRAINT ck_comment_{column}_not_negative CHECK ({column} >= 0)"
            )
        return
    op.add_column("comment", sa.Column("reply_kind", sa.String(16), nullable=True))
    op.add_column("comment", sa.Column("support_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("comment", sa.Column("rebuttal_count", sa.Integer(), nullable=False, server_default="0"))
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(name), "comment", condition)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for name in CHECKS:
            op.drop_constraint(op.f(name), "comment", type_="check")
    for column in ("rebuttal_count", "support_count", "reply_kind"):
        op.execute(f"ALTER TABLE comment DROP COLUMN {column}")
