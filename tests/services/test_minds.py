"""Did the debate change minds (issue 20): first and current answers, the count of changed readers
kept on the article, and the flows with their k-anonymity threshold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import Article, Stance, StanceVote
from app.services import articles, minds, privacy
from tests.factories import PASSWORD, make_article, make_user


def _answer(session: Session, article: Article, *stances: Stance | None) -> None:
    reader = make_user(session)
    for stance in stances:
        articles.set_stance(session, user=reader, article=article, stance=stance)


def test_a_change_keeps_the_first_answer_and_its_time(session: Session) -> None:
    article = make_article(session)
    reader = make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    articles.set_stance(session, user=reader, article=article, stance=Stance.nuanced)
    vote = session.exec(select(StanceVote).where(StanceVote.user_id == reader.id)).one()
    assert (vote.first_stance, vote.stance) == (Stance.for_, Stance.nuanced)
    assert vote.changed_at is not None
    assert article.changed_count == 1


def test_coming_back_to_the_first_answer_is_no_change(session: Session) -> None:
    article = make_article(session)
    _answer(session, article, Stance.for_, Stance.against, Stance.for_)
    assert article.changed_count == 0


def test_withdrawing_a_changed_answer_uncounts_it(session: Session) -> None:
    article = make_article(session)
    _answer(session, article, Stance.for_, Stance.against, None)
    assert article.changed_count == 0


def test_withdrawing_keeps_the_first_answer_for_the_next_one(session: Session) -> None:
    article = make_article(session)
    reader = make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    articles.set_stance(session, user=reader, article=article, stance=None)
    vote = session.exec(select(StanceVote).where(StanceVote.user_id == reader.id)).one()
    assert (vote.first_stance, vote.stance) == (Stance.for_, None)
    assert articles.get_stance(session, user=reader, article=article) is None
    assert article.tally == {"for": 0, "against": 0, "nuanced": 0}
    assert article.changed_count == 0
    found = minds.changed_minds(session, article=article)
    assert (found.readers, found.changed) == (0, 0)
    # Answering again, on the other side: a change from the first answer, not a new reader.
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    assert article.changed_count == 1
    assert minds.changed_minds(session, article=article).flow("for", "against").count == 1
    articles.set_stance(session, user=reader, article=article, stance=None)
    assert article.changed_count == 0
    # Back to the first answer after a withdrawal: no change.
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    assert article.changed_count == 0
    assert article.tally["for"] == 1


def test_a_row_without_any_answer_is_refused_by_the_database(session: Session) -> None:
    article = make_article(session)
    reader = make_user(session)
    session.add(StanceVote(user_id=reader.id, article_id=article.id, stance=None, first_stance=None))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_flows_count_readers_from_first_to_current_answer(session: Session) -> None:
    article = make_article(session)
    for _ in range(6):
        _answer(session, article, Stance.for_, Stance.against)
    for _ in range(7):
        _answer(session, article, Stance.for_)
    found = minds.changed_minds(session, article=article)
    assert found.flow("for", "nuanced").shown == 0
    assert found.readers == 13
    assert found.changed == 6
    assert found.flow("for", "against").shown == 6
    assert found.flow("for", "for").shown == 7


def test_a_flow_under_five_is_masked_and_so_is_one_that_would_give_it_away(session: Session) -> None:
    article = make_article(session)
    for _ in range(2):
        _answer(session, article, Stance.for_, Stance.against)
    for _ in range(9):
        _answer(session, article, Stance.for_)
    for _ in range(8):
        _answer(session, article, Stance.against)
    found = minds.changed_minds(session, article=article)
    assert found.flow("for", "against").masked == "small"
    assert found.flow("for", "against").shown is None
    # Shown, for → for (9) would give it away from the tally of "for" first answers; against →
    # against (8) would from the tally of current "against" answers (10).
    assert found.flow("for", "for").masked == "secondary"
    assert found.flow("against", "against").masked == "secondary"


def test_no_flow_of_the_table_can_be_worked_out_from_its_line_totals(session: Session) -> None:
    article = make_article(session)
    plan = [(Stance.for_, Stance.against)] * 3 + [(Stance.against, Stance.for_)] * 6 + [(Stance.for_,)] * 12
    for stances in plan:
        _answer(session, article, *stances)
    found = minds.changed_minds(session, article=article)
    for s in Stance:
        for line in ([f for f in found.flows if f.first == s], [f for f in found.flows if f.current == s]):
            assert len([f for f in line if f.masked]) != 1


def test_the_calculation_is_two_queries(session: Session) -> None:
    article = make_article(session)
    _answer(session, article, Stance.for_, Stance.against)
    statements: list[str] = []
    from sqlalchemy import event

    def count(*_args: object) -> None:
        statements.append("x")

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        minds.changed_minds(session, article=article)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(statements) == 2


def test_an_erased_account_leaves_the_changed_count_and_its_export_holds_both_answers(
    session: Session,
) -> None:
    article = make_article(session)
    reader = make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    exported = privacy.export_data(session, user=reader)["stance_votes"]
    assert [(v["first_stance"], v["stance"]) for v in exported] == [("for", "against")]
    assert exported[0]["changed_at"] is not None
    assert article.changed_count == 1
    privacy.erase_account(session, user=reader, password=PASSWORD)
    session.refresh(article)
    assert article.changed_count == 0
    assert article.tally["against"] == 0
