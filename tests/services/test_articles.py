from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.errors import Invalid, PermissionDenied
from app.models import Article, Stance
from app.services import articles
from tests.factories import make_article, make_user

SHARED = (articles.DEFAULT_ARTICLE).read_text("utf-8")


def test_shipped_article_carries_its_question_and_stance_labels() -> None:
    source = articles.parse_markdown_article(SHARED)
    assert source.slug == "souverainete-avec-microsoft-ou-pas"
    assert source.question == "Souveraineté avec Microsoft, ou pas ?"
    assert source.stances == {
        "for": "Oui, c’est compatible",
        "against": "Non, pas avec Microsoft",
        "nuanced": "Ça dépend",
    }


def test_default_article_loads_once_on_first_run(session: Session) -> None:
    if session.exec(select(Article.id)).first() is None:
        article = articles.ensure_default_article(session)
        assert article is not None
        assert "<h2>" in article.body_html
    assert articles.ensure_default_article(session) is None


def test_importing_the_same_slug_again_updates_the_article(session: Session) -> None:
    text = "---\nslug: mon-debat\ntitle: Premier titre\nquestion: Pour ou contre ?\n---\nCorps."
    first, created = articles.import_article(session, source=articles.parse_markdown_article(text))
    again, created_again = articles.import_article(
        session, source=articles.parse_markdown_article(text.replace("Premier titre", "Second titre"))
    )
    assert created
    assert not created_again
    assert again.id == first.id
    assert again.title == "Second titre"


@pytest.mark.parametrize(
    "text",
    [
        "pas d'en-tête",
        "---\n: [\n---\nx",
        "---\ntitle: t\nquestion: q\n---\nx",
        "---\nslug: Pas Bon\ntitle: t\nquestion: q\n---\n",
    ],
)
def test_malformed_article_files_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(Invalid):
        articles.parse_markdown_article(text)


def test_stance_vote_counts_changes_and_withdraws(session: Session) -> None:
    article, reader = make_article(session), make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
    assert article.tally == {"for": 1, "against": 0, "nuanced": 0}
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    assert article.tally == {"for": 0, "against": 1, "nuanced": 0}
    assert articles.get_stance(session, user=reader, article=article) == Stance.against
    articles.set_stance(session, user=reader, article=article, stance=None)
    assert article.tally == {"for": 0, "against": 0, "nuanced": 0}
    assert articles.get_stance(session, user=reader, article=article) is None


def test_the_same_stance_twice_counts_once(session: Session) -> None:
    article, reader = make_article(session), make_user(session)
    articles.set_stance(session, user=reader, article=article, stance=Stance.nuanced)
    articles.set_stance(session, user=reader, article=article, stance=Stance.nuanced)
    assert article.tally["nuanced"] == 1


def test_no_stance_vote_in_a_closed_debate(session: Session) -> None:
    article = make_article(session, comments_open=False)
    with pytest.raises(PermissionDenied):
        articles.set_stance(session, user=make_user(session), article=article, stance=Stance.for_)


def test_percentages_add_up_to_100(session: Session) -> None:
    article = make_article(session, tally_for=1, tally_against=1, tally_nuanced=1)
    shares = articles.tally_percentages(article)
    assert sum(shares.values()) == 100
    assert sorted(shares.values()) == [33, 33, 34]


def test_unpublished_article_is_hidden_from_readers(session: Session) -> None:
    draft = make_article(session, published_at=None)
    with pytest.raises(articles.NotFound):
        articles.get_article(session, slug=draft.slug, viewer=make_user(session))
