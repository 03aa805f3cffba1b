"""The debate as open data (issue 18): published reactions only, a keyed-hash pseudonym for authors, the
licence, and one test per exclusion."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Comment, Reason, Role, Stance, User, utcnow
from app.services import comments, editorial, moderation, privacy
from app.services.privacy import CommentFate
from app.services.rules import Rules
from tests.factories import PASSWORD, make_article, make_comment, make_user


def _json(client: TestClient, slug: str) -> dict[str, Any]:
    response = client.get(f"/articles/{slug}/open-data.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def _ids(client: TestClient, slug: str) -> set[int]:
    return {r["id"] for r in _json(client, slug)["reactions"]}


def test_a_published_reaction_is_exported_with_its_fields_and_a_pseudonym(
    client: TestClient, session: Session
) -> None:
    author = make_user(session, username="gaspard")
    article = make_article(session)
    top = make_comment(session, article=article, author=author, stance=Stance.against)
    reply = make_comment(session, parent=top)
    data = _json(client, article.slug)
    assert data["licence"] == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    first, second = data["reactions"]
    assert first["id"] == top.id
    assert first["parent_id"] is None
    assert first["stance"] == "against"
    assert first["upvotes"] == 0
    assert first["featured"] is False
    assert second["parent_id"] == top.id
    assert second["stance"] is None
    assert (first["body"], second["reply_kind"]) == (top.body_markdown, None)
    body = client.get(f"/articles/{article.slug}/open-data.json").text
    assert "gaspard" not in body
    assert f'"author":"{author.id}"' not in body.replace(" ", "")
    assert len(first["author"]) == 16
    assert first["author"] != second["author"]
    assert reply.id == second["id"]


def test_the_pseudonym_is_stable_across_debates_and_keyed(client: TestClient, session: Session) -> None:
    author = make_user(session)
    one, two = make_article(session), make_article(session)
    make_comment(session, article=one, author=author)
    make_comment(session, article=two, author=author)
    assert (
        _json(client, one.slug)["reactions"][0]["author"] == _json(client, two.slug)["reactions"][0]["author"]
    )
    from app.services.opendata import pseudonym

    assert pseudonym("another-secret", author.id) != pseudonym("test-secret", author.id)
    assert pseudonym("test-secret", author.id) == _json(client, one.slug)["reactions"][0]["author"]


def test_the_csv_has_the_same_rows_and_the_licence_link(client: TestClient, session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article)
    editorial.feature(session, editor=make_user(session, role=Role.editor), comment=comment)
    response = client.get(f"/articles/{article.slug}/open-data.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'rel="license"' in response.headers["link"]
    (row,) = list(csv.DictReader(io.StringIO(response.text)))
    assert row["id"] == str(comment.id)
    assert row["featured"] == "true"
    assert list(row) == [
        "id",
        "parent_id",
        "stance",
        "reply_kind",
        "created_at",
        "upvotes",
        "downvotes",
        "featured",
        "author",
        "body",
    ]
    assert row["body"] == comment.body_markdown


def test_a_removed_reaction_is_left_out(client: TestClient, session: Session) -> None:
    article = make_article(session)
    kept, removed = make_comment(session, article=article), make_comment(session, article=article)
    moderation.reject(
        session, moderator=make_user(session, role=Role.moderator), comment=removed, reason=Reason.spam
    )
    assert _ids(client, article.slug) == {kept.id}


def test_a_pending_reaction_is_left_out(client: TestClient, session: Session) -> None:
    article = make_article(session)
    kept = make_comment(session, article=article)
    make_comment(session, article=article, author=make_user(session, approved_count=0))
    assert _ids(client, article.slug) == {kept.id}


def test_a_reaction_hidden_after_reports_is_left_out(client: TestClient, session: Session) -> None:
    article = make_article(session)
    kept, hidden = make_comment(session, article=article), make_comment(session, article=article)
    for _ in range(2):
        moderation.report(
            session,
            reporter=make_user(session),
            comment=hidden,
            reason=Reason.hate,
            rules=Rules(report_threshold=2),
        )
    assert _ids(client, article.slug) == {kept.id}


def test_a_reaction_deleted_by_its_author_is_left_out(client: TestClient, session: Session) -> None:
    article = make_article(session)
    kept, deleted = make_comment(session, article=article), make_comment(session, article=article)
    make_comment(session, parent=deleted)  # a reply keeps its placeholder in the thread
    comments.delete_comment(session, user=deleted.author, comment=deleted)
    assert deleted.id not in _ids(client, article.slug)
    assert kept.id in _ids(client, article.slug)


def test_the_reactions_of_an_erased_account_are_left_out(client: TestClient, session: Session) -> None:
    article = make_article(session)
    kept = make_comment(session, article=article)
    leaving: User = make_user(session)
    make_comment(session, article=article, author=leaving)
    privacy.erase_account(session, user=leaving, password=PASSWORD, comments=CommentFate.remove)
    assert _ids(client, article.slug) == {kept.id}


def test_kept_reactions_of_an_erased_account_have_no_author(client: TestClient, session: Session) -> None:
    article = make_article(session)
    leaving: User = make_user(session)
    kept: Comment = make_comment(session, article=article, author=leaving)
    privacy.erase_account(session, user=leaving, password=PASSWORD, comments=CommentFate.keep)
    (row,) = _json(client, article.slug)["reactions"]
    assert row["id"] == kept.id
    assert row["author"] is None


def test_an_unpublished_article_has_no_open_data(client: TestClient, session: Session) -> None:
    draft = make_article(session, published_at=None)
    make_comment(session, article=draft)
    assert client.get(f"/articles/{draft.slug}/open-data.json").status_code == 404
    assert client.get(f"/articles/{draft.slug}/open-data.xml").status_code == 404


def test_a_closed_debate_links_its_open_data(client: TestClient, session: Session) -> None:
    article = make_article(session, comments_open=False, closed_at=utcnow())
    page = client.get(f"/articles/{article.slug}").text
    assert f'href="/articles/{article.slug}/open-data.csv"' in page
    assert f'href="/articles/{article.slug}/open-data.json"' in page
