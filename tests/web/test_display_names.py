"""A reader's chosen name (issue 15, item 7) is the one readers see wherever their words appear: in
the thread, the search results, the debate view's best rebuttal, the featured responses and the
feeds; the handle stays beside it in the thread."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import ReplyKind, Role, Stance
from app.models.schemas import CommentCreate
from app.services import accounts, comments, editorial
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf


def test_the_chosen_name_is_shown_wherever_the_comment_is(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="noms")
    helene = make_user(session, username="helene")
    oceane = make_user(session, username="oceane")
    accounts.update_profile(session, user=helene, display_name="Hélène Dubois", bio="")
    accounts.update_profile(session, user=oceane, display_name="Océane Martin", bio="")
    reaction = make_comment(
        session,
        article=article,
        author=helene,
        stance=Stance.for_,
        body="La souveraineté passe par le cloud.",
    )
    data = CommentCreate(
        body="Objection : la souveraineté a un coût.", parent_id=reaction.id, reply_kind=ReplyKind.rebuts
    )
    comments.post_comment(session, author=oceane, article=article, data=data)
    editorial.feature(session, editor=make_user(session, role=Role.editor), comment=reaction, note="Clair.")
    session.commit()

    found = client.get("/articles/noms/search?q=souveraineté").text
    assert "Hélène Dubois" in found
    assert "Océane Martin" in found
    debate = client.get("/articles/noms/debate").text
    assert "Océane Martin" in debate  # the best rebuttal's author
    article_page = client.get("/articles/noms").text
    assert "— Hélène Dubois" in article_page  # the featured response
    assert '<span class="handle">@helene</span>' in article_page
    feed = client.get("/articles/noms/comments.atom").text
    assert "<name>Hélène Dubois</name>" in feed


def test_the_card_of_a_reaction_just_posted_names_its_author(client_for: ClientFor, session: Session) -> None:
    """The card sent back to the composer is drawn with the poster's session identity, not a User row."""
    make_article(session, slug="tout-juste")
    named = make_user(session, username="helene_k")
    accounts.update_profile(session, user=named, display_name="Hélène Kœnig", bio="")
    plain = make_user(session, username="sans_nom")
    for person, shown in ((named, "Hélène Kœnig"), (plain, "sans_nom")):
        client = client_for(person)
        token = page_csrf(client, "/articles/tout-juste")
        fragment = client.post(
            "/articles/tout-juste/comments",
            data={"body": f"Un avis de {person.username}.", "stance": "for", "csrf_token": token},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert fragment.status_code == 201, fragment.text
        assert f'<a class="author" href="/users/{person.username}">{shown}</a>' in fragment.text
