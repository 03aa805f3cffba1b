"""The DSA pages over HTTP: /terms and its editor, a statement of reasons, the appeal from it, and the
appeals queue where a second moderator decides."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import CommentStatus, Reason, Role, Statement
from app.services import moderation, terms
from app.services.moderation import appeals, statements
from tests.conftest import ClientFor
from tests.factories import make_comment, make_user, page_csrf


def test_terms_are_public_numbered_and_linked_from_the_footer(client_for: ClientFor) -> None:
    visitor = client_for(None)
    page = visitor.get("/terms")
    assert page.status_code == 200
    assert 'id="rule-1"' in page.text
    assert "Pas de spam" in page.text
    assert 'href="/terms"' in visitor.get("/").text
    assert visitor.get("/terms?version=999").status_code == 404


def test_an_admin_publishes_a_new_version_and_bad_input_is_a_422_with_the_form(
    client_for: ClientFor, session: Session
) -> None:
    before = terms.in_force(session).version
    admin = client_for(make_user(session, role=Role.admin))
    token = page_csrf(admin, "/admin/terms")
    empty = admin.post("/admin/terms", data={"intro": "x", "rules": "  \n ", "csrf_token": token})
    assert empty.status_code == 422
    assert "au moins une règle" in empty.text
    done = admin.post("/admin/terms", data={"intro": "V2", "rules": "Soyez courtois", "csrf_token": token})
    assert done.status_code == 303
    page = admin.get("/terms").text
    assert "Soyez courtois" in page
    assert f"Version {before + 1}" in page
    assert "Pas de spam" in admin.get(f"/terms?version={before}").text
    reader = client_for(make_user(session))
    assert reader.get("/admin/terms").status_code == 403


def test_the_author_reads_the_statement_and_appeals_once_others_cannot_read_it(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author, body="Un message retiré")
    statement = moderation.reject(
        session,
        moderator=make_user(session, role=Role.moderator),
        comment=comment,
        reason=Reason.off_topic,
        note="Hors du sujet",
    )
    browser = client_for(author)
    notes = browser.get("/notifications").text
    assert f'href="/statements/{statement.id}"' in notes
    page = browser.get(f"/statements/{statement.id}")
    assert page.status_code == 200
    assert "Message retiré" in page.text
    assert "Règle n° 4" in page.text
    assert "Hors du sujet" in page.text
    assert "sans moyen automatisé" in page.text
    token = page_csrf(browser, f"/statements/{statement.id}")
    short = browser.post(
        f"/statements/{statement.id}/appeal", data={"explanation": "non", "csrf_token": token}
    )
    assert short.status_code == 422
    assert "10 à 5 000 caractères" in short.text
    filed = browser.post(
        f"/statements/{statement.id}/appeal",
        data={"explanation": "Je parlais bien de l’article.", "csrf_token": token},
    )
    assert filed.status_code == 303
    again = browser.post(
        f"/statements/{statement.id}/appeal",
        data={"explanation": "Je parlais bien de l’article.", "csrf_token": token},
    )
    assert again.status_code == 409
    assert "qu’une fois" in again.text
    assert client_for(make_user(session)).get(f"/statements/{statement.id}").status_code == 403
    assert client_for(None).get(f"/statements/{statement.id}").status_code == 403
    key = statements.token("test-secret", statement.id or 0)
    assert client_for(None).get(f"/statements/{statement.id}?key={key}").status_code == 200


def test_a_second_moderator_reverses_the_appeal_from_the_queue_and_the_first_cannot(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session)
    first = make_user(session, role=Role.moderator)
    comment = make_comment(session, author=author, body="Un avis à restaurer")
    first_browser = client_for(first)
    token = page_csrf(first_browser, "/moderation/pending")
    decided = first_browser.post(
        f"/moderation/comments/{comment.id}/decision",
        data={
            "action": "reject",
            "reason": "spam",
            "ground": "law: Code pénal, art. 222-33-2",
            "csrf_token": token,
        },
    )
    assert decided.status_code == 303
    statement = session.exec(select(Statement).where(Statement.comment_id == comment.id)).one()
    assert statement.ground_law == "Code pénal, art. 222-33-2"
    author_browser = client_for(author)
    author_browser.post(
        f"/statements/{statement.id}/appeal",
        data={
            "explanation": "Aucun harcèlement dans ce message.",
            "csrf_token": page_csrf(author_browser, "/"),
        },
    )
    queue = first_browser.get("/moderation/appeals").text
    assert "Aucun harcèlement dans ce message." in queue
    assert "un autre membre de l’équipe doit trancher" in queue

    appeal = appeals.appeal_of(session, statement=statement)
    assert appeal is not None
    refused = first_browser.post(
        f"/moderation/appeals/{appeal.id}/decision",
        data={"outcome": "reversed", "reasons": "Je me suis trompé", "csrf_token": token},
    )
    assert refused.status_code == 403
    second = client_for(make_user(session, role=Role.moderator))
    token2 = page_csrf(second, "/moderation/appeals")
    missing = second.post(
        f"/moderation/appeals/{appeal.id}/decision",
        data={"outcome": "reversed", "reasons": "", "csrf_token": token2},
    )
    assert missing.status_code == 422
    assert "Motivez" in missing.text
    done = second.post(
        f"/moderation/appeals/{appeal.id}/decision",
        data={"outcome": "reversed", "reasons": "Critique légitime", "csrf_token": token2},
    )
    assert done.status_code == 303
    session.refresh(comment)
    assert comment.status is CommentStatus.published
    assert "Un avis à restaurer" in client_for(None).get(f"/articles/{comment.article.slug}").text
    outcome = author_browser.get(f"/statements/{statement.id}").text
    assert "décision annulée" in outcome
    assert "Critique légitime" in outcome
    assert "Votre recours est accepté" in author_browser.get("/notifications").text
