"""A withdrawn poll answer keeps the reader's first answer (issue 20): withdrawing used to delete the
row, so a reader who withdrew and answered again counted as a new reader and their first answer was
lost. The current answer (`stance`) may now be null, the first one then being `first_stance`; a CHECK
keeps every row holding one or the other.

SQLite cannot relax NOT NULL in place: the table is rebuilt (create, copy, drop, rename, indexes), as
SQLite's documentation describes for any other change of a column. Nothing references stance_vote.

Revision ID: 0013_withdrawn_answer
Revises: 0012_changed_minds
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_withdrawn_answer"
down_revision: str | None = "0012_changed_minds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWERED = "stance IS NOT NULL OR first_stance IS NOT NULL"
STANCES = "('for', 'against', 'nuanced')"


def _sqlite_table(name: str, *, stance_null: str, answered: bool) -> str:
    check = f",\n\tCONSTRAINT ck_stance_vote_answered CHECK ({ANSWERED})" if answered else ""
    return f"""CREATE TABLE {name} (
\tid INTEGER NOT NULL,
\tuser_id INTEGER NOT NULL,
\tarticle_id INTEGER NOT NULL,
\tstance VARCHAR(16){stance_null},
\tcreated_at DATETIME NOT NULL,
\tupdated_at DATETIME NOT NULL,
\tfirst_stance VARCHAR(16)
\t\tCONSTRAINT ck_stance_vote_stance_vote_first_stance CHECK (first_stance IN {STANCES}),
\tchanged_at DATETIME,
\tCONSTRAINT pk_stance_vote PRIMARY KEY (id),
\tCONSTRAINT fk_stance_vote_article_id_article FOREIGN KEY(article_id)
\t\tREFERENCES article (id) ON DELETE CASCADE,
\tCONSTRAINT fk_stance_vote_user_id_app_user FOREIGN KEY(user_id)
\t\tREFERENCES app_user (id) ON DELETE CASCADE,
\tCONSTRAINT uq_stance_vote_user_id_article_id UNIQUE (user_id, article_id),
\tCONSTRAINT ck_stance_vote_stance_vote_stance CHECK (stance IN {STANCES}){check}
)"""


def _rebuild_sqlite(*, stance_null: str, answered: bool, keep: str) -> None:
    op.execute(_sqlite_table("stance_vote_new", stance_null=stance_null, answered=answered))
    columns = "id, user_id, article_id, stance, created_at, updated_at, first_stance, changed_at"
    op.execute(f"INSERT INTO stance_vote_new ({columns}) SELECT {columns} FROM stance_vote WHERE {keep}")
    op.execute("DROP TABLE stance_vote")
    op.execute("ALTER TABLE stance_vote_new RENAME TO stance_vote")
    op.execute("CREATE INDEX ix_stance_vote_article_id ON stance_vote (article_id)")
    op.execute("CREATE INDEX ix_stance_vote_flow ON stance_vote (article_id, first_stance, stance)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(stance_null="", answered=True, keep="1 = 1")
    else:
        op.alter_column("stance_vote", "stance", nullable=True)
        op.create_check_constraint(op.f("ck_stance_vote_answered"), "stance_vote", ANSWERED)


def downgrade() -> None:
    # Withdrawn answers had no row before: they go again.
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(stance_null=" NOT NULL", answered=False, keep="stance IS NOT NULL")
    else:
        op.drop_constraint(op.f("ck_stance_vote_answered"), "stance_vote", type_="check")
        op.execute("DELETE FROM stance_vote WHERE stance IS NULL")
        op.alter_column("stance_vote", "stance", nullable=False)
