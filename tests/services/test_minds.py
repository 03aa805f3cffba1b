"""Did the debate change minds (issue 20): first and current answers, the count of changed readers
kept on the article, and the flows with their k-anonymity threshold."""

from __future__ import annotations

from datetime import date

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
    for line in (
        [f for f in found.flows if f.first != f.current],
        [f for f in found.flows if f.first == f.current],
    ):
        assert len([f for f in line if f.masked]) != 1


@pytest.mark.parametrize(
    "plan",
    [
        # A lone small change beside a large one: rows and columns alone would leave it the only
        # masked change, and the share of readers who changed (9) would give its 2 away.
        [((Stance.for_, Stance.against), 2), ((Stance.against, Stance.nuanced), 7), ((Stance.for_,), 9)]
        + [((Stance.against,), 8), ((Stance.nuanced,), 6)],
        [((Stance.for_, Stance.against), 3), ((Stance.against, Stance.for_), 6), ((Stance.for_,), 12)],
        [((Stance.for_, Stance.nuanced), 1), ((Stance.for_,), 7), ((Stance.against,), 5)],
        [((Stance.nuanced, Stance.for_), 4), ((Stance.against, Stance.nuanced), 2), ((Stance.nuanced,), 8)],
    ],
)
def test_no_published_total_leaves_a_single_masked_flow(
    session: Session, plan: list[tuple[tuple[Stance, ...], int]]
) -> None:
    """Each total a reader can know (a first answer's, a current answer's, the changes', the kept
    answers') covers no masked flow or at least two."""
    article = make_article(session)
    for stances, n in plan:
        for _ in range(n):
            _answer(session, article, *stances)
    found = minds.changed_minds(session, article=article)
    assert any(f.masked == "small" for f in found.flows)
    lines = [[f for f in found.flows if f.first == s] for s in Stance]
    lines += [[f for f in found.flows if f.current == s] for s in Stance]
    lines += [
        [f for f in found.flows if f.first != f.current],
        [f for f in found.flows if f.first == f.current],
    ]
    for line in lines:
        assert len([f for f in line if f.masked]) != 1, line


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


# The passage the editors' synthesis can cite (minds.citation).
CITED = [
    ((Stance.for_, Stance.against), 6),
    ((Stance.against, Stance.nuanced), 5),
    ((Stance.for_, Stance.nuanced), 2),  # fewer than 5: "moins de 5"
    ((Stance.nuanced, Stance.for_), 3),  # fewer than 5
    ((Stance.for_,), 5),  # kept their answer: masked so the line's tally gives nothing away
    ((Stance.nuanced,), 7),
    ((Stance.against,), 5),
]


def _cited_article(session: Session, **overrides: object) -> Article:
    article = make_article(session, **overrides)
    for stances, n in CITED:
        for _ in range(n):
            _answer(session, article, *stances)
    return article


def test_the_citation_gives_the_share_and_the_flows_but_never_a_small_count(session: Session) -> None:
    article = _cited_article(session)
    passage = minds.citation(session, article=article, on=date(2026, 12, 7))
    assert passage == (
        "**Le débat a-t-il fait changer d’avis ?**\n\n"
        "Au 7 décembre 2026, 48\u00a0% des lecteurs ayant répondu à la question (33 réponses) "
        "ont changé de réponse au fil du débat.\n\n"
        "Entre la première réponse et l’actuelle :\n\n"
        "- de « Oui » à « Non » : 6 lecteurs\n"
        "- de « Non » à « Ça dépend » : 5 lecteurs\n"
        "- de « Oui » à « Ça dépend » : moins de 5\n"
        "- de « Ça dépend » à « Oui » : moins de 5\n\n"
        "Pour que personne ne puisse être reconnu, les flux de moins de 5 lecteurs ne sont pas chiffrés."
    )


def test_the_citation_is_written_in_the_articles_language(session: Session) -> None:
    article = _cited_article(
        session, language="en", label_for="Yes", label_against="No", label_nuanced="It depends"
    )
    passage = minds.citation(session, article=article, on=date(2026, 12, 7))
    assert "As of 7 December 2026, 48% of the readers who answered the question (33 answers)" in passage
    assert "- from “Yes” to “No”: 6 readers\n" in passage
    assert "- from “Yes” to “It depends”: fewer than 5\n" in passage
    assert "2 readers" not in passage
    assert "3 readers" not in passage


def test_a_flow_masked_to_protect_a_small_one_is_cited_without_its_count(session: Session) -> None:
    article = make_article(session)
    plan = [((Stance.for_, Stance.against), 2), ((Stance.for_, Stance.nuanced), 6), ((Stance.for_,), 9)]
    for stances, n in plan:
        for _ in range(n):
            _answer(session, article, *stances)
    passage = minds.citation(session, article=article, on=date(2026, 12, 7))
    assert minds.changed_minds(session, article=article).flow("for", "nuanced").masked == "secondary"
    assert "- de « Oui » à « Ça dépend » : masqué\n" in passage
    assert "6 lecteurs" not in passage


def test_there_is_nothing_to_cite_before_anyone_answers(session: Session) -> None:
    assert minds.citation(session, article=make_article(session)) == ""
