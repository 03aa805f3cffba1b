"""EXPLAIN on PostgreSQL: the queries a debate page issues read the comment table through indexes,
never a sequential scan, on a debate large enough for the planner to choose (20,000 comments, ANALYZEd,
among 100,000). `make bench` prints the same plans on a 100,000-comment debate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Article, Comment, User
from app.services import articles, comments, editorial
from bench import seed
from tests.perf.live import fresh_database


@pytest.fixture(scope="module")
def big_debate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sa.Engine, str]]:
    with fresh_database(tmp_path_factory.mktemp("explain"), postgres=True) as url:
        engine = make_engine(url)
        bodies, rendered = seed.rendered_pool(20)
        with engine.begin() as conn:
            authors = seed.insert_users(conn, 300, prefix="auteur")
            seed.seed_debate(conn, slug="petit", size=500, user_ids=authors, bodies=bodies, rendered=rendered)
            grand = seed.seed_debate(
                conn, slug="grand", size=20_000, user_ids=authors, bodies=bodies, rendered=rendered
            )
            # Later debates, as on a forum that goes on: "grand" is a fifth of the table and not its end.
            # Were it the whole table, walking pk_comment and filtering would be as cheap for newest and
            # oldest, and the plans would not tell whether the top-level indexes serve.
            for n in range(4):
                _copy_debate(conn, grand, slug=f"suite-{n}")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        yield engine, "grand"
        engine.dispose()


def _copy_debate(conn: sa.Connection, source: seed.Seeded, *, slug: str) -> None:
    """The same comments under a new article, with the ids after every existing one (no votes)."""
    comment = Comment.__table__  # type: ignore[attr-defined]
    article_id = seed.insert_article(conn, slug=slug, title=slug)
    offset = conn.execute(sa.select(sa.func.max(comment.c.id))).scalar_one() - source.first_id + 1
    shifted = {
        "id": comment.c.id + offset,
        "article_id": sa.literal(article_id),
        "parent_id": comment.c.parent_id + offset,
        "root_id": comment.c.root_id + offset,
    }
    rows = sa.select(*(shifted.get(c.name, c) for c in comment.c)).where(
        comment.c.article_id == source.article_id
    )
    conn.execute(comment.insert().from_select([c.name for c in comment.c], rows))


def _page_queries(engine: sa.Engine, slug: str) -> list[tuple[str, str, Any]]:
    captured: list[tuple[str, str, Any]] = []
    label = [""]

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith("SELECT"):
            captured.append((label[0], statement, parameters))

    with Session(engine) as session:
        viewer = session.exec(select(User).limit(1)).one()
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        deep = session.exec(
            select(Comment).where(Comment.article_id == article.id).order_by(sa.desc("depth")).limit(1)
        ).one()
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            # A prepared statement, which engine events do not see: its SQL is taken as sent.
            captured.append(("article", *articles._BY_SLUG.sent(engine.dialect, {"slug": slug})))
            for sort in comments.Sort:
                label[0] = f"first page {sort.value}"
                page = comments.list_top_level(session, article=article, viewer=None, sort=sort)
            label[0] = "next page"
            comments.list_top_level(session, article=article, viewer=None, cursor=page.next_cursor, sort=sort)
            label[0] = "signed-in page"
            comments.list_top_level(session, article=article, viewer=viewer)
            label[0] = "permalink branch"
            comments.branch(session, comment=deep, viewer=None)
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
    return captured


def test_no_page_query_scans_the_comment_table(big_debate: tuple[sa.Engine, str]) -> None:
    engine, slug = big_debate
    queries = _page_queries(engine, slug)
    assert len({label for label, _s, _p in queries}) == 8
    scans = {}
    with engine.connect() as conn:
        for label, statement, parameters in queries:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            if "Seq Scan on comment" in plan:
                scans[label] = plan
    assert scans == {}


# The index each top-level page must walk: in order, so the scan stops once the page is full.
TOP_LEVEL_INDEX = {
    "first page best": "ix_comment_top_best",
    "first page newest": "ix_comment_top_id",
    "first page oldest": "ix_comment_top_id",
    "first page controversial": "ix_comment_top_controversy",
    "next page": "ix_comment_top_controversy",  # the cursor of the last sort, controversial
    "signed-in page": "ix_comment_top_best",
}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_top_level_pages_walk_a_partial_index_and_stop(big_debate: tuple[sa.Engine, str]) -> None:
    """No Sort of every top-level reaction (6,000 here): the scan under the LIMIT reads about a page."""
    engine, slug = big_debate
    tops = {
        label: (statement, parameters)
        for label, statement, parameters in _page_queries(engine, slug)
        if "comment.parent_id IS NULL" in statement and label in TOP_LEVEL_INDEX
    }
    assert tops.keys() == TOP_LEVEL_INDEX.keys()
    wrong = {}
    with engine.connect() as conn:
        for label, (statement, parameters) in tops.items():
            explained = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = explained.scalar_one()[0]["Plan"]
            types = [node["Node Type"] for node in _nodes(plan)]
            scan = next((node for node in _nodes(plan) if "Scan" in node["Node Type"]), {})
            read = scan.get("Actual Rows", 0) + scan.get("Rows Removed by Filter", 0)
            if (
                types != ["Limit", "Index Scan"]
                or scan.get("Index Name") != TOP_LEVEL_INDEX[label]
                or not 0 < read <= 100
            ):
                wrong[label] = (types, scan.get("Index Name"), read)
    assert wrong == {}


def test_the_feed_of_an_older_debate_reads_its_own_comments_only(big_debate: tuple[sa.Engine, str]) -> None:
    """The 50 latest comments of "petit" (500 comments, the first debate of 100,000): walked by id alone,
    pk_comment would be read backwards through every later debate, 100,000 rows filtered away."""
    engine, _slug = big_debate
    latest: list[Comment] = []

    def feed(session: Session) -> None:
        article = session.exec(select(Article).where(Article.slug == "petit")).one()
        latest.extend(comments.latest_published(session, article=article))

    (_article, (statement, parameters)) = _statements(engine, feed)
    assert len(latest) == 50
    assert [c.id for c in latest] == sorted((c.id for c in latest), reverse=True)
    with engine.connect() as conn:
        explained = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        plan = explained.scalar_one()[0]["Plan"]
    scan = next(node for node in _nodes(plan) if "Scan" in node["Node Type"])
    assert scan.get("Index Name") == "ix_comment_article_latest"
    assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) <= 100


def _statements(engine: sa.Engine, call: Any) -> list[tuple[str, Any]]:
    """The SELECTs that call(session) sends."""
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    with Session(engine) as session:
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            call(session)
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
    return captured


def debate_view(slug: str) -> Any:
    def call(session: Session) -> None:
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        sides = editorial.sides(session, article=article, viewer=None)
        assert len(sides.for_) == len(sides.against) == 10

    return call


def test_the_debate_view_reads_a_few_rows_per_stance(big_debate: tuple[sa.Engine, str]) -> None:
    """The two-sided view of "grand" (6,000 top-level reactions): the best ten of each stance, read
    through indexes that stop at the limit, not by sorting every reaction of the stance."""
    engine, slug = big_debate
    read = []
    with engine.connect() as conn:
        for statement, parameters in _statements(engine, debate_view(slug)):
            if "FROM comment" not in statement:
                continue
            explained = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            nodes = list(_nodes(explained.scalar_one()[0]["Plan"]))
            scans = [n for n in nodes if "Scan" in n["Node Type"]]
            read.append(sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in scans))
    # The featured ones, the best of each stance, then the best rebuttal under each (issue 20).
    assert len(read) == 5
    assert max(read) <= 200, read


def test_a_readers_marks_read_their_own_rows_only(big_debate: tuple[sa.Engine, str]) -> None:
    """The one query that completes a shared page for a signed-in reader (their votes on the comments
    shown, their stance, whether a comment of theirs is listed for them alone) reads their own rows
    through the author's and the voter's indexes, never the debate's."""
    from app.services import reader

    engine, slug = big_debate
    with Session(engine) as session:
        viewer = session.exec(select(User).limit(1)).one()
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        page = comments.list_top_level(session, article=article, viewer=None)
        shown = [node.id for node in page.items]
    sql, arguments = reader._MARKS["postgresql"].sent(
        engine.dialect, {"user_id": viewer.id, "article_id": article.id, "ids": shown}
    )
    with engine.connect() as conn:
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql, arguments))
    # (comment_report, empty here, may be scanned: with rows its (reporter, comment) index is used.)
    assert not re.search(r"Seq Scan on comment\b", plan), plan
    assert "ix_comment_author" in plan, plan
