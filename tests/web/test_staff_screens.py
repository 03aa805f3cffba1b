"""Issue 15, item 5: staff screens that explain themselves."""

from __future__ import annotations

from sqlmodel import Session

from app.models import CommentStatus, Role, WordEffect
from app.services.moderation import words
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user


def test_a_held_card_says_why_and_highlights_the_matched_words(
    client_for: ClientFor, session: Session
) -> None:
    moderator = make_user(session, role=Role.moderator)
    words.add_word(session, actor=moderator, phrase="arnaque", effect=WordEffect.hold)
    newcomer = make_user(session, approved_count=0)
    article = make_article(session, premoderation=True)
    comment = make_comment(session, article=article, author=newcomer, body="Des **arnaques** & rien d’autre.")
    assert comment.status == CommentStatus.pending
    html = client_for(moderator).get("/moderation/pending").text
    card = html[html.index(f'id="mod-card-{comment.id}"') :]
    assert "Retenu pour relecture :" in card
    assert "Article en pré-modération : chaque réaction y est relue." in card
    assert "Nouveau lecteur : 0 messages approuvés jusqu’ici." in card
    assert "Mot suspect : « arnaque »." in card
    assert "<strong><mark>arnaques</mark></strong> &amp; rien" in card


def test_a_held_card_speaks_english_to_an_english_moderator(client_for: ClientFor, session: Session) -> None:
    moderator = make_user(session, role=Role.moderator)
    comment = make_comment(session, author=make_user(session, approved_count=0))
    assert comment.status == CommentStatus.pending
    client = client_for(moderator)
    client.cookies.set("tribune_lang", "en")
    html = client.get("/moderation/pending").text
    assert "Held for review:" in html
    assert "New reader: 0 approved messages so far." in html
