"""Pages read ids and cursors sent as text through app.text.parse_number: a digit of another script is
refused or ignored as each form designs it, never a 500."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Role
from tests.conftest import ClientFor
from tests.factories import make_comment, make_user, page_csrf


@pytest.mark.parametrize("rank", ["²", "٣", "１"])
def test_a_feature_rank_in_another_script_is_refused(
    client_for: ClientFor, session: Session, rank: str
) -> None:
    comment = make_comment(session)
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, "/editor")
    response = editor.post(f"/comments/{comment.id}/feature", data={"rank": rank, "csrf_token": token})
    assert response.status_code == 422
    assert "Le rang est un nombre." in response.text
    session.refresh(comment)
    assert comment.featured_at is None


def test_a_feature_rank_in_ascii_digits_is_kept(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, "/editor")
    response = editor.post(f"/comments/{comment.id}/feature", data={"rank": "2", "csrf_token": token})
    assert response.status_code == 303
    session.refresh(comment)
    assert comment.featured_rank == 2


@pytest.mark.parametrize("before", ["²", "٣", "99999999999"])
def test_a_profile_cursor_that_is_no_number_shows_the_first_page(
    client_for: ClientFor, session: Session, before: str
) -> None:
    comment = make_comment(session, body="Première réaction du lecteur")
    author = comment.author
    response = client_for(None).get(f"/users/{author.username}", params={"before": before})
    assert response.status_code == 200
    assert "Première réaction du lecteur" in response.text


@pytest.mark.parametrize("before", ["²", "٣"])
def test_a_notifications_cursor_that_is_no_number_shows_the_first_page(
    client_for: ClientFor, session: Session, before: str
) -> None:
    reader = client_for(make_user(session))
    response = reader.get("/notifications", params={"before": before})
    assert response.status_code == 200
    assert "<html" in response.text
