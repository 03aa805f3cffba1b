"""Signed-in readers for live-server tests: accounts and server-side sessions written straight to the
database, with the cookie and CSRF token a browser would hold."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.security import sign, token_digest
from app.services import accounts
from tests.factories import make_article, make_comment, make_user
from tests.perf.live import SECRET


@dataclass(frozen=True)
class Reader:
    id: int
    cookies: dict[str, str]
    headers: dict[str, str]


def make_readers(session: Session, count: int, *, secret: str = SECRET) -> list[Reader]:
    readers = []
    for _ in range(count):
        user = make_user(session)
        token = accounts.start_session(session, user=user)
        csrf = sign(secret, "csrf-session", token_digest(token))
        assert user.id is not None
        readers.append(Reader(user.id, {"tribune_session": token}, {"X-CSRF-Token": csrf}))
    return readers


def debate(engine: sa.Engine, *, comments: int, readers: int) -> tuple[str, list[int], list[Reader]]:
    """An article with `comments` top-level reactions by one author, and `readers` signed-in readers."""
    with Session(engine, expire_on_commit=False) as session:
        article = make_article(session)
        author = make_user(session)
        ids = [make_comment(session, article=article, author=author).id for _ in range(comments)]
        people = make_readers(session, readers)
        session.commit()
        return article.slug, [i for i in ids if i is not None], people
