from __future__ import annotations

from sqlmodel import Session

from app.models import Reason, Role
from app.services import moderation
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf


def test_a_reply_notifies_the_parent_author_and_the_header_counts_it(
    client_for: ClientFor, session: Session
) -> None:
    author = make_user(session, username="auteure")
    parent = make_comment(session, author=author, body="Question ouverte")
    make_comment(session, parent=parent, author=make_user(session, username="repondant"))
    reader = client_for(author)
    page = reader.get("/notifications").text
    assert "repondant a répondu à votre message" in page
    assert 'id="notif-badge"' in reader.get("/").text
    assert ">1</span>" in reader.get("/notifications/badge").text
    token = page_csrf(reader, "/notifications")
    assert reader.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    assert "nouveau" not in reader.get("/notifications").text.split("<main")[1]


def test_a_rejection_notification_gives_the_reason(client_for: ClientFor, session: Session) -> None:
    author = make_user(session)
    comment = make_comment(session, author=author)
    moderation.reject(
        session,
        moderator=make_user(session, role=Role.moderator),
        comment=comment,
        reason=Reason.off_topic,
        note="Restez sur le sujet",
    )
    page = client_for(author).get("/notifications").text
    assert "retiré par la modération" in page
    assert "Hors sujet" in page
    assert "Restez sur le sujet" in page


def test_notifications_api_lists_and_marks_read(client_for: ClientFor, session: Session) -> None:
    author = make_user(session)
    make_comment(session, parent=make_comment(session, author=author))
    api = client_for(author)
    body = api.get("/api/v1/me/notifications").json()
    assert body["unread"] == 1
    assert body["items"][0]["kind"] == "reply"
    token = api.get("/api/v1/auth/session").json()["csrf_token"]
    marked = api.post("/api/v1/me/notifications/read", json={}, headers={"X-CSRF-Token": token}).json()
    assert marked == {"marked": 1, "unread": 0}


def test_profile_lists_published_comments_with_their_stance(client_for: ClientFor, session: Session) -> None:
    person = make_user(session, username="profilee", role=Role.editor)
    article = make_article(session, label_against="Non merci")
    make_comment(session, article=article, author=person, stance="against", body="Mon argument public")
    make_comment(
        session,
        article=make_article(session, premoderation=True),
        author=make_user(session),
        body="invisible",
    )
    page = client_for(None).get("/users/profilee")
    assert page.status_code == 200
    assert "Mon argument public" in page.text
    assert "Non merci" in page.text
    assert "Membre depuis le" in page.text
    assert "rédaction" in page.text
    assert client_for(None).get("/users/personne").status_code == 404


def test_live_fragments_answer_htmx_without_the_page(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session, body="Arrivé en direct")
    anonymous = client_for(None)
    card = anonymous.get(f"/comments/{comment.id}/card", headers={"HX-Request": "true"})
    assert card.status_code == 200
    assert "<html" not in card.text
    assert f'id="comment-{comment.id}"' in card.text
    poll = anonymous.get(f"/articles/{comment.article.slug}/poll", headers={"HX-Request": "true"})
    assert 'id="question"' in poll.text
    assert "<html" not in poll.text


def test_reply_box_is_a_fragment_for_htmx_and_a_page_without(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    reader = client_for(make_user(session))
    fragment = reader.get(f"/comments/{comment.id}/reply", headers={"HX-Request": "true"})
    page = reader.get(f"/comments/{comment.id}/reply")
    assert "<html" not in fragment.text
    assert f'id="reply-form-{comment.id}"' in fragment.text
    assert "<html" in page.text
    assert "HX-Request" in fragment.headers["vary"]


def test_load_more_is_a_fragment_for_htmx_and_a_page_without(client_for: ClientFor, session: Session) -> None:
    article = make_article(session)
    author = make_user(session)
    for n in range(25):
        make_comment(session, article=article, author=author, body=f"réaction {n}")
    anonymous = client_for(None)
    first = anonymous.get(f"/articles/{article.slug}?sort=newest").text
    after = first.split("after=")[1].split("#")[0].split('"')[0]
    more = anonymous.get(
        f"/articles/{article.slug}?sort=newest&after={after}", headers={"HX-Request": "true"}
    )
    assert "<html" not in more.text
    assert more.text.count('class="comment-item level-0"') == 5
    full = anonymous.get(f"/articles/{article.slug}?sort=newest&after={after}")
    assert "<html" in full.text


def test_article_page_subscribes_to_live_events(client_for: ClientFor, session: Session) -> None:
    article = make_article(session)
    html = client_for(None).get(f"/articles/{article.slug}").text
    assert f'data-live="/articles/{article.slug}/events"' in html
    assert "/static/js/live.js" in html
    assert 'id="live-banner"' in html


def test_comment_preview_in_place_and_without_javascript(client_for: ClientFor, session: Session) -> None:
    article = make_article(session, slug="apercu")
    reader = client_for(make_user(session))
    token = page_csrf(reader, "/articles/apercu")
    fragment = reader.post(
        "/comments/preview",
        data={"body": "**fort** <script>x</script>"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert "<strong>fort</strong>" in fragment.text
    assert "<script>" not in fragment.text
    assert "<html" not in fragment.text
    page = reader.post(
        f"/articles/{article.slug}/comments",
        data={"body": "*penché*", "stance": "for", "intent": "preview", "csrf_token": token},
    )
    assert page.status_code == 200
    assert "<em>penché</em>" in page.text
    assert 'value="for" required checked' in page.text or "checked" in page.text
    assert article.comment_count == 0
