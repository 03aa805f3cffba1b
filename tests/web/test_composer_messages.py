"""Issue 15, item 1: a refused post is said in the composer that sent it, in sentences, with every
missing field; a post that goes through is confirmed. With htmx (fragments) and without (pages)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Role, UserStatus, WordEffect, utcnow
from app.services.moderation import words
from tests.conftest import ClientFor, run_in
from tests.factories import PASSWORD, make_article, make_user, page_csrf

HTMX = {"HX-Request": "true"}


def _post(client, slug: str, data: dict[str, str], *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = page_csrf(client, f"/articles/{slug}")
    headers = {**HTMX, "X-CSRF-Token": token} if htmx else {}
    return client.post(f"/articles/{slug}/comments", data={**data, "csrf_token": token}, headers=headers)


def test_an_empty_reaction_lists_both_missing_fields_in_the_form(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    client = client_for(make_user(session))
    response = _post(client, article.slug, {"body": "", "stance": ""})
    assert response.status_code == 422
    html = response.text
    assert 'class="form-errors"' in html
    assert 'role="alert"' in html
    assert "autofocus" in html
    assert "2 points à revoir" in html
    assert "Le message est vide." in html
    assert "Choisissez votre position sur la question avant de publier votre réaction." in html


def test_an_empty_reaction_sent_by_htmx_comes_back_as_the_form_in_place(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    client = client_for(make_user(session))
    response = _post(client, article.slug, {"body": " ", "stance": ""}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#comment-form"
    assert "<html" not in response.text
    assert response.text.count("<li>") == 2
    assert 'href="#comment-form-stance-for"' in response.text


def test_a_blocked_word_is_explained_in_a_sentence_in_the_readers_language(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    words.add_word(
        session, actor=make_user(session, role=Role.moderator), phrase="crapule", effect=WordEffect.block
    )
    client = client_for(make_user(session))
    french = _post(client, article.slug, {"body": "Quelle crapule !", "stance": "for"}, htmx=True)
    assert french.status_code == 422
    assert "blocked_word" not in french.text
    assert "contient une expression refusée sur ce site (« crapule »)" in french.text
    client.cookies.set("tribune_lang", "en")
    english = _post(client, article.slug, {"body": "Quelle crapule !", "stance": "for"}, htmx=True)
    assert "Your message contains a phrase that is not allowed on this site" in english.text


def test_a_suspended_readers_post_is_refused_in_the_composer_with_the_reason(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    until = utcnow() + timedelta(days=3)
    user = make_user(session, status=UserStatus.suspended, suspended_until=until, status_reason="Insultes")
    client = client_for(user)
    response = _post(client, article.slug, {"body": "Encore moi.", "stance": "for"}, htmx=True)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#comment-form"
    assert "Votre compte est suspendu jusqu’au" in response.text
    assert "Insultes" in response.text
    assert "Encore moi." in response.text  # the text is kept


def test_the_same_message_twice_is_refused_beside_the_body(settings: Settings, session: Session) -> None:
    app = create_app(settings.model_copy(update={"rate_limits": True}))
    run_in(app, session)
    article = make_article(session)
    user = make_user(session)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        token = page_csrf(client, "/login")
        client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        first = _post(client, article.slug, {"body": "Deux fois.", "stance": "for"}, htmx=True)
        again = _post(client, article.slug, {"body": "Deux fois.", "stance": "for"}, htmx=True)
    app.state.engine.dispose()
    assert first.status_code == 201
    # Inside the burst limit the reader is told to wait; past it, that they repeat themselves: both in
    # the composer, in a sentence.
    assert again.status_code in (409, 429)
    assert again.headers["HX-Retarget"] == "#comment-form"
    assert "Vous venez de publier ce même message." in again.text or "trop vite" in again.text
    assert "duplicate" not in again.text


def test_a_published_reaction_is_confirmed_in_the_reset_composer(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    client = client_for(make_user(session))
    response = _post(client, article.slug, {"body": "Confirmé ?", "stance": "against"}, htmx=True)
    assert response.status_code == 201
    assert "Votre réaction est publiée." in response.text
    assert 'role="status"' in response.text


def test_a_held_reaction_is_confirmed_as_awaiting_moderation(client_for: ClientFor, session: Session) -> None:
    article = make_article(session, premoderation=True)
    client = client_for(make_user(session))
    response = _post(client, article.slug, {"body": "En attente ?", "stance": "for"}, htmx=True)
    assert response.status_code == 201
    assert "Votre réaction est en attente de modération" in response.text


def test_without_javascript_posting_lands_on_the_new_comment_with_the_confirmation(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    client = client_for(make_user(session))
    response = _post(client, article.slug, {"body": "Sans script.", "stance": "nuanced"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/comments/")
    assert "?posted=1#comment-" in location
    page = client.get(location.split("#")[0])
    assert page.status_code == 200
    assert "Votre réaction est publiée." in page.text
    assert "Sans script." in page.text
    # Someone else following the same link sees no confirmation.
    other = client_for(make_user(session)).get(location.split("#")[0])
    assert "Votre réaction est publiée." not in other.text
