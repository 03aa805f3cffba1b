"""A page costs a bounded number of SQL queries whatever the size of the debate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Article, Comment, User
from tests.factories import login, make_article, make_comment, make_user


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _debate(session: Session, size: int, viewer: User) -> tuple[Article, Comment]:
    """`size` comments: a third top-level, the rest replies down to depth 8, some by the viewer."""
    article = make_article(session)
    people = [make_user(session) for _ in range(5)] + [viewer]
    tops: list[Comment] = []
    deepest: Comment | None = None
    for i in range(size):
        author = people[i % len(people)]
        if i % 3 == 0 or not tops:
            tops.append(make_comment(session, article=article, author=author))
            continue
        parent = tops[i % len(tops)] if i % 2 else (deepest if deepest and deepest.depth < 8 else tops[-1])
        deepest = make_comment(session, article=article, author=author, parent=parent)
    assert deepest is not None
    return article, deepest


def _queries_per_view(client: TestClient, engine: Engine, article: Article, deep: Comment) -> dict[str, int]:
    views = {
        "page": f"/articles/{article.slug}",
        "page 2": None,
        "comments api": f"/api/v1/articles/{article.slug}/comments",
        "thread": f"/api/v1/articles/{article.slug}/thread",
        "permalink": f"/comments/{deep.id}",
        "branch api": f"/api/v1/comments/{deep.id}",
    }
    counts = {}
    for name, path in views.items():
        if path is None:
            cursor = client.get(f"/api/v1/articles/{article.slug}/comments?limit=5").json()["next_cursor"]
            path = f"/articles/{article.slug}?after={cursor}"
        with count_queries(engine) as statements:
            response = client.get(path)
        assert response.status_code == 200, (name, response.text[:300])
        counts[name] = len(statements)
    return counts


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_a_page_costs_the_same_queries_for_30_and_300_comments(
    client: TestClient, session: Session, engine: Engine, signed_in: bool
) -> None:
    viewer = make_user(session)
    small = _debate(session, 30, viewer)
    large = _debate(session, 300, viewer)
    if signed_in:
        login(client, viewer)
    # Anonymous answers are cached per article version: each article is read once, both miss.
    small_counts = _queries_per_view(client, engine, *small)
    large_counts = _queries_per_view(client, engine, *large)
    assert small_counts == large_counts
    assert max(large_counts.values()) <= 10, large_counts
