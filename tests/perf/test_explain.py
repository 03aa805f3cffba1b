"""EXPLAIN on PostgreSQL: the queries a debate page issues read the comment table through indexes,
never a sequential scan, on a debate large enough for the planner to choose (20,000 comments, ANALYZEd).
`make bench` prints the same plans on a 100,000-comment debate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Article, Comment, User
from app.services import articles, comments
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
            seed.seed_debate(
                conn, slug="grand", size=20_000, user_ids=authors, bodies=bodies, rendered=rendered
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        yield engine, "grand"
        engine.dispose()


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
            label[0] = "article"
            articles.get_article(session, slug=slug)
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
