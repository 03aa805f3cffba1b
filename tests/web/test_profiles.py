"""Issue 15, item 7: a display name in any letters and a short bio, shown on the profile and beside
comments; each notification links to the comment itself."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.errors import Invalid
from app.services import accounts
from tests.conftest import ClientFor
from tests.factories import make_comment, make_user, page_csrf


@pytest.mark.parametrize(
    "name", ["Hélène", "Océane", "Zoë Dubois-Lefèvre", "Ελένη", "Jean-Loup d’Artagnan", "Søren"]
)
def test_a_display_name_takes_letters_of_any_language(session: Session, name: str) -> None:
    user = make_user(session)
    accounts.update_profile(session, user=user, display_name=f"  {name} ", bio="")
    assert user.display_name == name


@pytest.mark.parametrize("name", ["R2D2", "<b>moi</b>", "admin\u202e", "-Hélène", "x" * 61, "a\u200bb"])
def test_a_display_name_refuses_what_is_not_a_name(session: Session, name: str) -> None:
    user = make_user(session)
    with pytest.raises(Invalid) as refused:
        accounts.update_profile(session, user=user, display_name=name, bio="")
    assert set(refused.value.fields) == {"display_name"}
    assert refused.value.fields["display_name"].startswith("Nom affiché")


def test_an_empty_profile_clears_the_name_and_bio(session: Session) -> None:
    user = make_user(session, display_name="Hélène", bio="Lectrice.")
    accounts.update_profile(session, user=user, display_name=" ", bio="  ")
    assert user.display_name is None
    assert user.bio is None


def test_a_bio_longer_than_500_characters_is_refused(session: Session) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.update_profile(session, user=make_user(session), display_name="", bio="é" * 501)
    assert "bio" in refused.value.fields


def test_the_profile_form_sets_the_name_shown_on_the_profile_and_beside_comments(
    client_for: ClientFor, session: Session
) -> None:
    user = make_user(session, username="helene")
    comment = make_comment(session, author=user, body="Mon avis.")
    client = client_for(user)
    token = page_csrf(client, "/account")
    saved = client.post(
        "/account/profile",
        data={
            "display_name": "Hélène Océane",
            "bio": "Lectrice à Lyon.\nAime les débats.",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    assert "Profil enregistré." in client.get(saved.headers["location"]).text
    profile = client_for(None).get("/users/helene").text
    assert "Hélène Océane" in profile
    assert "@helene" in profile
    assert "Lectrice à Lyon." in profile
    debate = client_for(None).get(f"/comments/{comment.id}").text
    assert (
        '<a class="author" href="/users/helene">Hélène Océane</a> <span class="handle">@helene</span>'
        in debate
    )


def test_the_profile_form_says_what_is_wrong_beside_the_field(
    client_for: ClientFor, session: Session
) -> None:
    user = make_user(session)
    client = client_for(user)
    token = page_csrf(client, "/account")
    refused = client.post("/account/profile", data={"display_name": "R2D2", "bio": "", "csrf_token": token})
    assert refused.status_code == 422
    assert 'id="display-name-error"' in refused.text
    assert 'value="R2D2"' in refused.text
    session.refresh(user)
    assert user.display_name is None


def test_each_notification_links_to_the_comment_itself(client_for: ClientFor, session: Session) -> None:
    author = make_user(session)
    parent = make_comment(session, author=author)
    replier = make_user(session, display_name="Océane")
    reply = make_comment(session, parent=parent, author=replier, body="Je réponds.")
    html = client_for(author).get("/notifications").text
    assert f'<a href="/comments/{reply.id}#comment-{reply.id}">Océane a répondu à votre message</a>' in html
    assert '<p class="meta"><time' not in html  # no <form> inside a <p>
