from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import Comment, Stance, StanceVote
from tests.factories import PASSWORD, make_article, make_comment, make_user, page_csrf


def sign_in(client: TestClient, username: str) -> None:
    token = page_csrf(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


def test_front_page_lists_articles(client: TestClient, session: Session) -> None:
    make_article(session, title="Le grand débat")
    response = client.get("/")
    assert response.status_code == 200
    assert "Le grand débat" in response.text


def test_article_page_shows_the_body_question_and_stance_labels(client: TestClient, session: Session) -> None:
    make_article(
        session,
        slug="page",
        question="Souveraineté ?",
        label_for="Oui, compatible",
        body_markdown="Premier paragraphe.\n\n## Intertitre",
    )
    html = client.get("/articles/page").text
    assert "<h2>Intertitre</h2>" in html
    assert "Souveraineté ?" in html
    assert "Oui, compatible" in html
    assert 'id="question"' in html
    assert 'id="debate"' in html


def test_unknown_article_is_a_404_page(client: TestClient) -> None:
    response = client.get("/articles/nope")
    assert response.status_code == 404
    assert "<html" in response.text
    assert "Article introuvable" in response.text


def test_register_through_the_form_signs_in(client: TestClient) -> None:
    token = page_csrf(client, "/register")
    response = client.post(
        "/register",
        data={
            "username": "nouveau",
            "email": "n@example.org",
            "password": "motdepasse",
            "csrf_token": token,
            "next": "/",
        },
    )
    assert response.status_code == 303
    assert "nouveau" in client.get("/").text


def test_register_form_shows_errors_where_they_belong(client: TestClient) -> None:
    token = page_csrf(client, "/register")
    response = client.post(
        "/register",
        data={"username": "x", "email": "pas-une-adresse", "password": "court", "csrf_token": token},
    )
    assert response.status_code == 422
    assert 'id="reg-username-error"' in response.text
    assert 'id="reg-password-error"' in response.text
    assert 'value="pas-une-adresse"' in response.text


def test_form_without_csrf_token_is_refused_and_stores_nothing(client: TestClient, session: Session) -> None:
    user = make_user(session)
    article = make_article(session, slug="csrf-form")
    sign_in(client, user.username)
    before = session.exec(select(func.count()).select_from(Comment)).one()
    for data in ({"body": "x", "stance": "for"}, {"body": "x", "stance": "for", "csrf_token": "wrong"}):
        assert client.post(f"/articles/{article.slug}/comments", data=data).status_code == 403
    assert session.exec(select(func.count()).select_from(Comment)).one() == before


def test_login_form_needs_the_csrf_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_post_reply_vote_and_stance_as_plain_forms(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="formulaires")
    other = make_comment(session, article=article, body="Un autre avis")
    user = make_user(session)
    sign_in(client, user.username)
    token = page_csrf(client, "/articles/formulaires")

    posted = client.post(
        "/articles/formulaires/comments",
        data={"body": "Mon *avis*", "stance": "against", "csrf_token": token},
    )
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/comments/")
    replied = client.post(
        "/articles/formulaires/comments",
        data={"body": "Je réponds", "parent_id": str(other.id), "csrf_token": token},
    )
    assert replied.status_code == 303
    voted = client.post(f"/comments/{other.id}/vote", data={"direction": "up", "csrf_token": token})
    assert voted.status_code == 303
    stance = client.post("/articles/formulaires/stance", data={"stance": "nuanced", "csrf_token": token})
    assert stance.status_code == 303

    html = client.get("/articles/formulaires").text
    assert "Mon <em>avis</em>" in html
    assert "Je réponds" in html
    session.refresh(other)
    assert other.upvotes == 1
    assert other.reply_count == 1
    assert (
        session.exec(select(StanceVote.stance).where(StanceVote.user_id == user.id)).one() == Stance.nuanced
    )


def test_empty_reaction_comes_back_with_a_message_on_its_form(client: TestClient, session: Session) -> None:
    make_article(session, slug="vide")
    sign_in(client, make_user(session).username)
    token = page_csrf(client, "/articles/vide")
    response = client.post("/articles/vide/comments", data={"body": "  ", "stance": "", "csrf_token": token})
    assert response.status_code == 422
    assert "Le message est vide." in response.text
    assert 'id="comment-form"' in response.text
    long = client.post(
        "/articles/vide/comments", data={"body": "x" * 20_000, "stance": "for", "csrf_token": token}
    )
    assert long.status_code == 422
    assert "10 000" in long.text


def test_htmx_vote_answers_a_fragment(client: TestClient, session: Session) -> None:
    comment = make_comment(session)
    sign_in(client, make_user(session).username)
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    response = client.post(
        f"/comments/{comment.id}/vote",
        data={"direction": "down"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="votes-{comment.id}"' in response.text
    assert 'aria-pressed="true"' in response.text


def test_htmx_reply_inserts_the_new_comment(client: TestClient, session: Session) -> None:
    parent = make_comment(session)
    sign_in(client, make_user(session).username)
    token = page_csrf(client, f"/articles/{parent.article.slug}")
    response = client.post(
        f"/articles/{parent.article.slug}/comments",
        data={"body": "En place", "parent_id": str(parent.id)},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert response.status_code == 201
    assert "<html" not in response.text
    assert "En place" in response.text
    assert f'id="reply-slot-{parent.id}"' in response.text  # the reply box closes out of band


def test_anonymous_post_is_sent_to_login(client: TestClient, session: Session) -> None:
    make_article(session, slug="connexion")
    token = page_csrf(client, "/articles/connexion")
    response = client.post(
        "/articles/connexion/comments",
        data={"body": "x", "stance": "for", "csrf_token": token},
        headers={"Referer": "http://testserver/articles/connexion"},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/articles/connexion")


def test_deep_thread_renders_nested_and_its_permalink_shows_context(
    client: TestClient, session: Session
) -> None:
    top = make_comment(session, body="racine")
    r1 = make_comment(session, parent=top, body="réponse un")
    r2 = make_comment(session, parent=r1, body="réponse deux")
    r3 = make_comment(session, parent=r2, body="réponse trois")
    page = client.get(f"/articles/{top.article.slug}").text
    # Each reply sits inside its parent's replies list.
    assert (
        page.index(f'id="replies-{top.id}"')
        < page.index(f'id="comment-{r1.id}"')
        < page.index(f'id="replies-{r1.id}"')
        < page.index(f'id="comment-{r2.id}"')
        < page.index(f'id="replies-{r2.id}"')
        < page.index(f'id="comment-{r3.id}"')
    )
    permalink = client.get(f"/comments/{r3.id}")
    assert permalink.status_code == 200
    html = permalink.text
    assert (
        html.index("racine")
        < html.index("réponse un")
        < html.index("réponse deux")
        < html.index("réponse trois")
    )


def test_replies_deeper_than_six_levels_are_drawn_flat_with_whom_they_answer(
    client: TestClient, session: Session
) -> None:
    node = make_comment(session)
    names = []
    for depth in range(1, 9):
        author = make_user(session, username=f"niveau{depth}")
        names.append(author.username)
        node = make_comment(session, parent=node, author=author, body=f"profondeur {depth}")
    top = node.root_id
    html = client.get(f"/comments/{top}").text
    assert "en réponse à @niveau6" in html
    assert "en réponse à @niveau7" in html
    assert "replies-flat" in html


def test_permalink_of_an_unknown_or_absurd_id_is_a_404(client: TestClient) -> None:
    assert client.get("/comments/99999999999999999999").status_code == 404
    assert client.get("/comments/abc").status_code == 404


def test_edit_form_round_trip(client: TestClient, session: Session) -> None:
    user = make_user(session)
    comment = make_comment(session, author=user, body="premier jet")
    sign_in(client, user.username)
    token = page_csrf(client, f"/comments/{comment.id}/edit")
    response = client.post(
        f"/comments/{comment.id}/edit", data={"body": "version revue", "csrf_token": token}
    )
    assert response.status_code == 303
    html = client.get(f"/comments/{comment.id}").text
    assert "version revue" in html
    assert "modifié" in html


def test_delete_leaves_a_placeholder_when_replies_remain(client: TestClient, session: Session) -> None:
    user = make_user(session)
    comment = make_comment(session, author=user, body="à effacer")
    make_comment(session, parent=comment, body="une réponse qui reste")
    sign_in(client, user.username)
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    assert (
        client.post(
            f"/comments/{comment.id}/delete", data={"csrf_token": token, "confirm": "yes"}
        ).status_code
        == 303
    )
    html = client.get(f"/articles/{comment.article.slug}").text
    assert "[supprimé]" in html
    assert "à effacer" not in html
    assert "une réponse qui reste" in html


def test_page_and_fragment_urls_vary_on_hx_request(client: TestClient, session: Session) -> None:
    article = make_article(session)
    assert "HX-Request" in client.get(f"/articles/{article.slug}").headers["vary"]


def test_healthz_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
