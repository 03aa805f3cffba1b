"""Notices from anyone (DSA Art. 16) over HTTP: the form without an account, its clear refusals, the
acknowledgement with a reference, the queue by category and age, abuse limits, and the decision."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models import CommentStatus, Notice, NoticeOutcome, Notification, OutboxMessage, Role, Statement
from app.services.moderation import notices
from tests.conftest import ClientFor, run_in
from tests.factories import make_comment, make_user, page_csrf

BASE = "http://127.0.0.1:8000"  # Settings' default base_url: the site whose links a notice may give


def _form(comment_id: int | None, **overrides: str) -> dict[str, str]:
    values = {
        "url": f"{BASE}/comments/{comment_id}",
        "category": "defamation",
        "explanation": "Ce message m’accuse faussement d’un délit.",
        "name": "Camille Martin",
        "email": "camille@example.org",
        "good_faith": "yes",
    }
    values.update(overrides)
    return values


def _post(client: TestClient, data: dict[str, str]) -> object:
    return client.post("/notices", data={**data, "csrf_token": page_csrf(client, "/notices/new")})


def test_every_comment_and_the_footer_link_to_the_form_which_needs_no_account(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session)
    visitor = client_for(None)
    article = visitor.get(f"/articles/{comment.article.slug}").text
    assert f'href="/notices/new?comment={comment.id}"' in article
    assert 'href="/notices/new"' in article
    form = visitor.get(f"/notices/new?comment={comment.id}")
    assert form.status_code == 200
    assert f'value="{BASE}/comments/{comment.id}"' in form.text
    assert "Diffamation ou injure" in form.text


def test_an_anonymous_notice_is_acknowledged_with_a_reference_on_screen_and_by_mail(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session)
    visitor = client_for(None)
    sent = _post(visitor, _form(comment.id))
    assert sent.status_code == 303  # type: ignore[attr-defined]
    notice = session.exec(select(Notice).where(Notice.comment_id == comment.id)).one()
    assert notice.reference.startswith("N-")
    page = visitor.get(sent.headers["location"])  # type: ignore[attr-defined]
    assert notice.reference in page.text
    assert "en cours d’examen" in page.text
    mail = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "camille@example.org")).one()
    assert notice.reference in mail.subject
    assert client_for(None).get(f"/notices/{notice.reference}").status_code == 404  # no key, no page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "https://ailleurs.example/comments/1"}, "Lien invalide"),
        ({"url": "pas un lien"}, "Lien invalide"),
        ({"url": f"{BASE}/articles/x"}, "Lien invalide"),
        ({"good_faith": ""}, "déclaration de bonne foi"),
        ({"category": "gossip"}, "catégorie dans la liste"),
        ({"explanation": "court"}, "10 à 5 000 caractères"),
        ({"name": "", "email": ""}, "nom et votre adresse"),
        ({"email": "pas-une-adresse"}, "Adresse e-mail invalide"),
    ],
)
def test_a_notice_with_bad_input_is_refused_with_a_clear_message(
    client_for: ClientFor, session: Session, overrides: dict[str, str], message: str
) -> None:
    comment = make_comment(session)
    refused = _post(client_for(None), _form(comment.id, **overrides))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert message in refused.text  # type: ignore[attr-defined]
    assert session.exec(select(Notice)).all() == []


def test_a_notice_about_a_removed_comment_is_refused(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    comment.status = CommentStatus.rejected
    session.flush()
    refused = _post(client_for(None), _form(comment.id))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "aucun message publié" in refused.text  # type: ignore[attr-defined]


def test_child_abuse_material_may_be_notified_without_name_nor_address(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session)
    sent = _post(client_for(None), _form(comment.id, category="child_abuse", name="", email=""))
    assert sent.status_code == 303  # type: ignore[attr-defined]


def test_the_api_takes_a_notice_and_refuses_a_missing_good_faith_statement(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session)
    api = client_for(None)
    data = {k: v for k, v in _form(comment.id).items() if k != "good_faith"}
    refused = api.post("/api/v1/notices", json=data)
    assert refused.status_code == 422
    assert list(refused.json()["fields"]) == ["good_faith"]  # with the sentence to show beside it
    created = api.post("/api/v1/notices", json={**data, "good_faith": True})
    assert created.status_code == 201
    assert created.json()["reference"].startswith("N-")
    codes = [c["code"] for c in api.get("/api/v1/notices/categories").json()["items"]]
    assert codes == ["hate", "defamation", "privacy", "ip", "terrorism", "child_abuse", "fraud", "other"]


def test_the_queue_is_ordered_by_category_then_age(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    visitor = client_for(None)
    for category in ("privacy", "defamation", "privacy", "defamation"):
        assert _post(visitor, _form(comment.id, category=category)).status_code == 303  # type: ignore[attr-defined]
    rows, _cursor = notices.list_open(session)
    assert [r.category.value for r in rows] == ["defamation", "defamation", "privacy", "privacy"]
    assert rows[0].id < rows[1].id
    moderator = client_for(make_user(session, role=Role.moderator))
    listed = moderator.get("/api/v1/moderation/notices").json()["items"]
    assert [n["category"] for n in listed] == ["defamation", "defamation", "privacy", "privacy"]
    assert client_for(make_user(session)).get("/moderation/notices").status_code == 403


def test_acting_on_a_notice_removes_the_comment_with_a_statement_and_tells_the_notifier(
    client_for: ClientFor, session: Session
) -> None:
    comment = make_comment(session, body="Untel est un escroc notoire")
    _post(client_for(None), _form(comment.id))
    notice = session.exec(select(Notice).where(Notice.comment_id == comment.id)).one()
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/notices")
    assert "Untel est un escroc notoire" in moderator.get("/moderation/notices").text
    done = moderator.post(
        f"/moderation/notices/{notice.id}/decision",
        data={
            "action": "act",
            "reason": "illegal",
            "ground": "law: Loi du 29 juillet 1881, art. 29",
            "note": "Allégation diffamatoire",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    session.refresh(comment)
    assert comment.status is CommentStatus.rejected
    assert notice.outcome is NoticeOutcome.acted
    statement = session.exec(select(Statement).where(Statement.notice_id == notice.id)).one()
    assert statement.ground_law == "Loi du 29 juillet 1881, art. 29"
    note = session.exec(select(Notification).where(Notification.user_id == comment.author_id)).one()
    assert note.statement_id == statement.id
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "camille@example.org")).all()
    assert [m.subject for m in mails][-1] == f"Décision sur votre signalement {notice.reference}"
    again = moderator.post(
        f"/moderation/notices/{notice.id}/decision",
        data={"action": "dismiss", "note": "x", "csrf_token": token},
    )
    assert again.status_code == 409


def test_dismissing_needs_reasons(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    _post(client_for(None), _form(comment.id))
    notice = session.exec(select(Notice).where(Notice.comment_id == comment.id)).one()
    moderator = client_for(make_user(session, role=Role.moderator))
    refused = moderator.post(
        f"/moderation/notices/{notice.id}/decision",
        data={"action": "dismiss", "note": "", "csrf_token": page_csrf(moderator, "/moderation/notices")},
    )
    assert refused.status_code == 422
    assert "Motivez le classement" in refused.text


@pytest.fixture
def limited_app(settings: Settings, session: Session) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"rate_limits": True}))
    run_in(app, session)
    yield app
    app.state.engine.dispose()


def test_notices_from_one_address_are_limited(limited_app: FastAPI, session: Session) -> None:
    comment = make_comment(session)
    with TestClient(limited_app, base_url="http://testserver", follow_redirects=False) as visitor:
        statuses = [
            visitor.post("/api/v1/notices", json={**_form(comment.id), "good_faith": True}).status_code
            for _ in range(notices.NOTICES_PER_ADDRESS.count + 1)
        ]
    assert statuses[:-1] == [201] * notices.NOTICES_PER_ADDRESS.count
    assert statuses[-1] == 429
