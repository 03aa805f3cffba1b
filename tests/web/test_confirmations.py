"""Issue 15, item 3: deleting a comment, unpublishing an article and closing a debate are asked first:
a page of its own without JavaScript, a <dialog> for htmx; nothing changes until confirmed."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Comment, Role
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf


def test_deleting_a_comment_asks_first_on_a_page_without_javascript(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author, body="Encore là ?")
    client = client_for(author)
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    asked = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token})
    assert asked.status_code == 200
    assert "<html" in asked.text
    assert "Supprimer ce message ?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert f'href="/articles/{comment.article.slug}#comment-{comment.id}"' in asked.text  # Annuler
    session.expire_all()
    assert session.get(Comment, comment.id) is not None
    done = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Comment, comment.id) is None


def test_deleting_a_comment_with_htmx_answers_a_dialog_added_to_the_page(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    client = client_for(author)
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    asked = client.post(
        f"/comments/{comment.id}/delete",
        data={"csrf_token": token},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert asked.status_code == 200
    assert "<dialog" in asked.text
    assert "<html" not in asked.text
    assert asked.headers["HX-Retarget"] == "body"
    assert asked.headers["HX-Reswap"] == "beforeend"
    assert 'formmethod="dialog"' in asked.text


def test_nobody_is_asked_to_confirm_what_they_may_not_do(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    client = client_for(make_user(session))
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    assert client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token}).status_code == 403


def test_unpublishing_and_closing_are_asked_first(client_for: ClientFor, session: Session) -> None:
    article = make_article(session, title="Le grand débat")
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, f"/editor/articles/{article.slug}")
    url = f"/editor/articles/{article.slug}/settings"
    closing = editor.post(url, data={"setting": "open", "value": "off", "csrf_token": token})
    assert closing.status_code == 200
    assert "Clore le débat de « Le grand débat » ?" in closing.text
    unpublishing = editor.post(url, data={"setting": "published", "value": "off", "csrf_token": token})
    assert "Dépublier « Le grand débat » ?" in unpublishing.text
    session.refresh(article)
    assert article.comments_open
    assert article.published_at is not None
    done = editor.post(url, data={"setting": "open", "value": "off", "confirm": "yes", "csrf_token": token})
    assert done.status_code == 303
    session.refresh(article)
    assert not article.comments_open
    # Reopening cannot hurt: done at once.
    reopened = editor.post(url, data={"setting": "open", "value": "on", "csrf_token": token})
    assert reopened.status_code == 303


def test_the_confirmation_speaks_english_to_an_english_reader(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    client = client_for(author)
    client.cookies.set("tribune_lang", "en")
    token = page_csrf(client, f"/articles/{comment.article.slug}")
    asked = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token})
    assert "Delete this message?" in asked.text
    assert "Delete for good" in asked.text
