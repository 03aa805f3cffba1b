"""The changed-minds figure on the debate view and its summary on the article page (issue 20)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, Stance
from app.services import articles
from tests.conftest import ClientFor
from tests.factories import make_article, make_user


def _answers(session: Session, slug: str) -> None:
    article = make_article(session, slug=slug, label_for="Oui", label_against="Non")
    for _ in range(2):
        reader = make_user(session)
        articles.set_stance(session, user=reader, article=article, stance=Stance.for_)
        articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    for _ in range(8):
        articles.set_stance(session, user=make_user(session), article=article, stance=Stance.for_)


def test_the_debate_view_draws_the_flows_with_a_table(client: TestClient, session: Session) -> None:
    _answers(session, "flux")
    page = client.get("/articles/flux/debate").text
    assert 'class="flow-chart"' in page
    assert "<path" in page
    assert '<table class="minds-table">' in page
    assert "moins de 5" in page
    assert "20\u00a0%" in page


def test_the_debate_view_speaks_english(client: TestClient, session: Session) -> None:
    _answers(session, "flows")
    page = client.get("/articles/flows/debate", headers={"Accept-Language": "en"}).text
    assert "fewer than 5" in page
    assert "Did the debate change minds?" in page


def test_the_article_page_gives_the_share_without_a_query(client: TestClient, session: Session) -> None:
    _answers(session, "resume")
    page = client.get("/articles/resume").text
    assert "20\u00a0% des lecteurs ayant répondu ont changé de réponse" in page


def test_the_editor_sees_the_figures_to_cite_beside_the_synthesis(
    client_for: ClientFor, session: Session
) -> None:
    _answers(session, "a-citer")
    page = client_for(make_user(session, role=Role.editor)).get("/editor/articles/a-citer").text
    box = page.split('id="f-figures"', 1)[1].split("</textarea>", 1)[0]
    assert "20\u00a0% des lecteurs ayant répondu à la question (10 réponses)" in box
    assert "- de « Oui » à « Non » : moins de 5" in box
    assert "2 lecteurs" not in box
    assert 'data-insert-into="f-synthesis"' in page
    assert "/static/js/editor.js" in page


def test_before_any_answer_the_editor_is_told_there_is_nothing_to_cite(
    client_for: ClientFor, session: Session
) -> None:
    make_article(session, slug="sans-reponse")
    page = client_for(make_user(session, role=Role.editor)).get("/editor/articles/sans-reponse").text
    assert 'id="f-figures"' not in page
    assert "Personne n’a encore répondu à la question." in page
