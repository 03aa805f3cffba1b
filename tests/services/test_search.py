"""Searching the debate (issue 20): words found whatever their accents, case and inflection, only in
live comments for readers, and the index kept by the same transaction as each change of a body."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.models import Article, CommentStatus, Reason, Role, Stance
from app.models.schemas import CommentUpdate
from app.services import comments, moderation, search
from tests.factories import make_article, make_comment, make_user


def _found(session: Session, article: Article, words: str, **filters: object) -> list[int | None]:
    results = search.search_debate(
        session,
        article=article,
        viewer=None,
        query=search.parse_query(words),
        **filters,  # type: ignore[arg-type]
    )
    return [hit.node.comment.id for hit in results.hits]


def test_accents_and_case_do_not_matter(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="La souveraineté numérique de l’État.")
    assert _found(session, article, "SOUVERAINETE numerique etat") == [comment.id]


def test_an_accented_query_finds_an_unaccented_text(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Il faut reguler le marche.")
    assert _found(session, article, "réguler marché") == [comment.id]


def test_french_plurals_and_infinitives_find_each_other(session: Session) -> None:
    article = make_article(session)
    plural = make_comment(session, article=article, body="Les données restent protégées chez nous.")
    verb = make_comment(session, article=article, body="Nous devons protéger cette donnée.")
    assert set(_found(session, article, "donnée protège")) == {plural.id, verb.id}


def test_english_inflections_are_stemmed(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="The contracts were running for years.")
    assert _found(session, article, "contract runs") == [comment.id]


def test_every_word_must_match(session: Session) -> None:
    article = make_article(session)
    make_comment(session, article=article, body="Le cloud souverain.")
    both = make_comment(session, article=article, body="Le cloud souverain coûte cher.")
    assert _found(session, article, "cloud cher") == [both.id]


def test_search_stays_in_its_debate(session: Session) -> None:
    article, other = make_article(session), make_article(session)
    make_comment(session, article=other, body="Hébergement local.")
    assert _found(session, article, "hébergement") == []


def test_readers_never_find_a_pending_comment(session: Session) -> None:
    article = make_article(session, premoderation=True)
    held = make_comment(session, article=article, body="Un argument en attente.")
    assert held.status == CommentStatus.pending
    assert _found(session, article, "attente") == []


def test_a_rejected_comment_leaves_the_results(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Un argument refusé ensuite.")
    moderator = make_user(session, role=Role.moderator)
    moderation.reject(session, moderator=moderator, comment=comment, reason=Reason.spam)
    assert _found(session, article, "argument") == []


def test_an_edit_is_found_by_its_new_words_only(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Ancienne formulation.")
    comments.edit_comment(
        session, user=comment.author, comment=comment, data=CommentUpdate(body="Nouvelle rédaction.")
    )  # type: ignore[arg-type]
    assert _found(session, article, "ancienne") == []
    assert _found(session, article, "rédaction") == [comment.id]


def test_a_deleted_comment_is_not_found(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Message effacé bientôt.")
    make_comment(session, parent=comment, body="Une réponse garde la place.")
    assert comments.delete_comment(session, user=comment.author, comment=comment) is False  # type: ignore[arg-type]
    assert _found(session, article, "effacé") == []


def test_a_hard_deleted_comment_leaves_no_entry(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Disparu sans réponse.")
    comment_id = comment.id
    comments.delete_comment(session, user=comment.author, comment=comment)  # type: ignore[arg-type]
    ids = session.execute(search.matching_ids(session, search.Query(("disparu",)))).scalars().all()
    assert comment_id not in ids


def test_relevance_comes_first_then_votes(session: Session) -> None:
    article = make_article(session)
    once = make_comment(session, article=article, body="Le cloud, et puis d’autres sujets encore et encore.")
    thrice = make_comment(session, article=article, body="Cloud, cloud, cloud.")
    assert _found(session, article, "cloud") == [thrice.id, once.id]


def test_equal_matches_rank_the_most_voted_first(session: Session) -> None:
    article = make_article(session)
    low = make_comment(session, article=article, body="Argument identique.")
    high = make_comment(session, article=article, body="Argument identique.")
    high.score_best = 5.0
    session.flush()
    assert _found(session, article, "identique") == [high.id, low.id]


def test_stance_filter_covers_the_replies_of_that_side(session: Session) -> None:
    article = make_article(session)
    against = make_comment(session, article=article, stance=Stance.against, body="Trop cher.")
    reply = make_comment(session, parent=against, body="Cher, vraiment ?")
    make_comment(session, article=article, stance=Stance.for_, body="Pas si cher.")
    assert set(_found(session, article, "cher", stance=Stance.against)) == {against.id, reply.id}


def test_relevance_pages_follow_each_other(session: Session) -> None:
    article = make_article(session)
    made = {make_comment(session, article=article, body=f"Sujet numéro {i}.").id for i in range(5)}
    first = search.search_debate(
        session, article=article, viewer=None, query=search.parse_query("sujet"), limit=3
    )
    second = search.search_debate(
        session, article=article, viewer=None, query=first.query, cursor=first.next_cursor, limit=3
    )
    assert second.next_cursor is None
    assert {h.node.comment.id for h in first.hits + second.hits} == made


def test_snippet_marks_words_and_escapes_the_rest(session: Session) -> None:
    article = make_article(session)
    comment = make_comment(session, article=article, body="Le <script> & la **souveraineté** des données.")
    snippet = search.snippet(comment.body_html, search.parse_query("souverainete donnee"))
    assert "<mark>souveraineté</mark>" in snippet
    assert "<mark>données</mark>" in snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet


def test_snippet_of_a_long_text_starts_near_the_match() -> None:
    body = "<p>" + " ".join(f"mot{i}" for i in range(100)) + " cible " + "fin " * 100 + "</p>"
    snippet = search.snippet(body, search.parse_query("cible"))
    assert snippet.startswith("… ")
    assert "mot0 " not in snippet
    assert "<mark>cible</mark>" in snippet


def test_a_query_of_punctuation_only_is_no_query() -> None:
    assert search.parse_query(" \"'*-( ") is None


def test_moderators_find_every_status_by_words(session: Session) -> None:
    article = make_article(session, premoderation=True)
    held = make_comment(session, article=article, body="Spam caché dans la file.")
    make_comment(session, article=article, body="Autre chose.")
    page = moderation.list_queue(session, queue=moderation.Queue.pending, q="caché")
    assert [card.comment.id for card in page.cards] == [held.id]


def test_moderators_filter_a_queue_by_author(session: Session) -> None:
    article = make_article(session, premoderation=True)
    author = make_user(session)
    mine = make_comment(session, article=article, author=author, body="Premier.")
    make_comment(session, article=article, body="Second.")
    page = moderation.list_queue(session, queue=moderation.Queue.pending, author=author.username)
    assert [card.comment.id for card in page.cards] == [mine.id]


def test_postgresql_plans_a_search_for_its_words(session: Session) -> None:
    """psycopg prepares a statement run five times and PostgreSQL may then keep a plan made without
    the words, which walks the wrong index for them (5x slower on a large debate): searches are
    planned for their values, every time."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans every statement anew")
    article = make_article(session)
    comment = make_comment(session, article=article, body="Le cloud souverain.")
    for _ in range(12):
        assert _found(session, article, "souverain") == [comment.id]
    assert session.execute(sa.text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
