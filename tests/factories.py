"""Plain factory functions: add, flush and return a valid object."""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Article, Comment, Role, Stance, User, utcnow
from app.models.schemas import CommentCreate
from app.security import hash_password
from app.services import comments
from app.services.rendering import render_article

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@cache
def _password_hash() -> str:
    # Hashing once keeps suites that create hundreds of readers fast; login still verifies it for real.
    return hash_password(PASSWORD)


def make_user(session: Session, **overrides: Any) -> User:
    n = next(_counter)
    username = overrides.pop("username", f"reader{n}")
    user = User(
        username=username,
        username_key=username.casefold(),
        email=overrides.pop("email", f"{username.lower()}@example.org"),
        password_hash=overrides.pop("password_hash", _password_hash()),
        role=overrides.pop("role", Role.reader),
        # Trusted by default (one approved comment) so posts publish at once; tests of
        # pre-moderation create newcomers with approved_count=0.
        approved_count=overrides.pop("approved_count", 1),
        # Verified address by default (issue 16: unverified authors are held); tests of verification
        # pass email_verified_at=None.
        email_verified_at=overrides.pop("email_verified_at", utcnow()),
        **overrides,
    )
    session.add(user)
    session.flush()
    return user


def make_article(session: Session, **overrides: Any) -> Article:
    n = next(_counter)
    body = overrides.pop("body_markdown", "Un article.\n\n## Partie\n\nTexte.")
    article = Article(
        slug=overrides.pop("slug", f"article-{n}"),
        title=overrides.pop("title", f"Article {n}"),
        lede=overrides.pop("lede", "Chapeau."),
        body_markdown=body,
        body_html=render_article(body),
        question=overrides.pop("question", "Faut-il débattre ?"),
        label_for=overrides.pop("label_for", "Oui"),
        label_against=overrides.pop("label_against", "Non"),
        label_nuanced=overrides.pop("label_nuanced", "Ça dépend"),
        published_at=overrides.pop("published_at", utcnow()),
        **overrides,
    )
    session.add(article)
    session.flush()
    return article


def make_comment(
    session: Session,
    *,
    article: Article | None = None,
    author: User | None = None,
    parent: Comment | None = None,
    body: str = "Un avis argumenté.",
    stance: Stance | None = None,
    **overrides: Any,
) -> Comment:
    if article is None:
        article = parent.article if parent else make_article(session)
    author = author or make_user(session)
    if parent is None and stance is None:
        stance = Stance.for_
    data = CommentCreate(body=body, stance=stance, parent_id=parent.id if parent else None)
    comment = comments.post_comment(session, author=author, article=article, data=data, **overrides)
    session.refresh(article)
    return comment


def login(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Sign in through the JSON API; returns the CSRF token for later writes."""
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


def page_csrf(client: TestClient, path: str = "/") -> str:
    """The CSRF token a page embeds for its forms."""
    html = client.get(path).text
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
