"""EXPLAIN QUERY PLAN on SQLite: the pages of top-level reactions walk an index in the page's order,
with no sort of the debate's reactions and no scan of the comment table. The database is left as
Tribune leaves it, never ANALYZEd: without sqlite_stat1, SQLite's planner picks the partial
ix_comment_top_* indexes for the best and controversial orders (with statistics it would trust
`(article_id, parent_id) = (?, NULL)` to match a few rows and sort them through ix_comment_article_id)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.db import make_engine
from bench import seed
from tests.perf.live import fresh_database
from tests.perf.test_explain import _copy_debate, _page_queries, _statements, debate_view

# The partial index each score order must walk; newest and oldest may walk ix_comment_top_id or
# ix_comment_article_id (article_id = ? AND parent_id IS NULL, then id order): both are in order.
SCORE_INDEX = {
    "first page best": "ix_comment_top_best",
    "first page controversial": "ix_comment_top_controversy",
    "next page": "ix_comment_top_controversy",  # the cursor of the last sort, controversial
    "signed-in page": "ix_comment_top_best",
}
IN_ORDER = {"first page newest", "first page oldest"}


@pytest.fixture(scope="module")
def sqlite_debate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sa.Engine, str]]:
    with fresh_database(tmp_path_factory.mktemp("explain-sqlite"), postgres=False) as url:
        engine = make_engine(url)
        bodies, rendered = seed.rendered_pool(20)
        with engine.begin() as conn:
            authors = seed.insert_users(conn, 100, prefix="auteur")
            seed.seed_debate(conn, slug="petit", size=300, user_ids=authors, bodies=bodies, rendered=rendered)
            grand = seed.seed_debate(
                conn, slug="grand", size=4_000, user_ids=authors, bodies=bodies, rendered=rendered
            )
            _copy_debate(conn, grand, slug="suite")
            stats = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert stats.all() == []
        yield engine, "grand"
        engine.dispose()


def _plan(conn: sa.Connection, statement: str, parameters: object) -> str:
    return "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))


def test_top_level_pages_walk_an_index_in_order(sqlite_debate: tuple[sa.Engine, str]) -> None:
    engine, slug = sqlite_debate
    tops = {
        label: (statement, parameters)
        for label, statement, parameters in _page_queries(engine, slug)
        if "comment.parent_id IS NULL" in statement and label in SCORE_INDEX.keys() | IN_ORDER
    }
    assert tops.keys() == SCORE_INDEX.keys() | IN_ORDER
    wrong = {}
    with engine.connect() as conn:
        for label, (statement, parameters) in tops.items():
            plan = _plan(conn, statement, parameters)
            lines = plan.splitlines()
            index = SCORE_INDEX.get(label)
            if (
                len(lines) != 1
                or not lines[0].startswith("SEARCH comment USING INDEX ")
                or (index is not None and f" {index} " not in lines[0])
            ):
                wrong[label] = plan
    assert wrong == {}


def test_no_page_query_scans_the_comment_table(sqlite_debate: tuple[sa.Engine, str]) -> None:
    engine, slug = sqlite_debate
    scans = {}
    with engine.connect() as conn:
        for label, statement, parameters in _page_queries(engine, slug):
            plan = _plan(conn, statement, parameters)
            if re.search(r"^SCAN comment\b", plan, re.MULTILINE):
                scans[label] = plan
    assert scans == {}


def test_the_debate_view_walks_indexes_without_sorting(sqlite_debate: tuple[sa.Engine, str]) -> None:
    """The featured reactions through ix_comment_featured, the best of each stance through
    ix_comment_top_best in order (no sort of the stance's reactions), and the best rebuttal of each
    argument shown (issue 20) through ix_comment_parent: only the replies of those arguments sorted."""
    engine, slug = sqlite_debate
    plans = []
    with engine.connect() as conn:
        for statement, parameters in _statements(engine, debate_view(slug)):
            if "FROM comment" in statement:
                plans.append(_plan(conn, statement, parameters))
    assert plans[0] == "SEARCH comment USING INDEX ix_comment_featured (article_id=?)"
    assert plans[1:4] == ["SEARCH comment USING INDEX ix_comment_top_best (article_id=?)"] * 3
    assert "SEARCH comment USING INDEX ix_comment_parent (parent_id=?)" in plans[4]
    assert "ix_comment_status" not in plans[4]
    assert len(plans) == 5
