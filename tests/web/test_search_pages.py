"""The search page (issue 20): a plain GET form without JavaScript, its results as a fragment for htmx,
and the JSON API's `q`, `stance` and `featured` on the debate's comments."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, Stance
from app.services import editorial
from tests.factories import login, make_article, make_comment, make_user


def test_the_search_page_lists_matches_with_marked_words(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="cherche")
    hit = make_comment(session, article=article, body="La souveraineté des <b>données</b>.")
    make_comment(session, article=article, body="Autre sujet.")
    response = client.get("/articles/cherche/search", params={"q": "donnees"})
    assert response.status_code == 200
    assert "<html" in response.text
    assert f'id="hit-{hit.id}"' in response.text
    assert "<mark>données</mark>" in response.text
    assert "Autre sujet" not in response.text


def test_htmx_gets_only_the_results(client: TestClient, session: Session) -> None:
    make_comment(session, article=make_article(session, slug="frag"), body="Un argument fort.")
    response = client.get(
        "/articles/frag/search",
        params={"q": "argument"},
        headers={"HX-Request": "true", "HX-Target": "search-results"},
    )
    assert response.status_code == 200
    assert response.text.startswith('<div id="search-results"')
    assert "<mark>argument</mark>" in response.text
    assert "HX-Request" in response.headers["vary"]


def test_an_empty_search_shows_the_form_only(client: TestClient, session: Session) -> None:
    make_article(session, slug="vide")
    response = client.get("/articles/vide/search")
    assert response.status_code == 200
    assert 'name="q"' in response.text
    assert "search-hit" not in response.text


def test_no_match_says_so(client: TestClient, session: Session) -> None:
    make_comment(session, article=make_article(session, slug="rien"), body="Un avis.")
    response = client.get("/articles/rien/search", params={"q": "introuvable"})
    assert "Aucune réaction publiée ne contient ces mots." in response.text


def test_a_forged_cursor_is_a_400_on_the_page(client: TestClient, session: Session) -> None:
    make_article(session, slug="curseur")
    response = client.get("/articles/curseur/search", params={"q": "mot", "after": "nimportequoi"})
    assert response.status_code == 400
    assert "Curseur de pagination invalide." in response.text


def test_the_article_page_and_the_debate_view_offer_the_search(client: TestClient, session: Session) -> None:
    make_article(session, slug="boite")
    for path in ("/articles/boite", "/articles/boite/debate"):
        assert 'action="/articles/boite/search"' in client.get(path).text


def test_the_page_speaks_english_to_english_readers(client: TestClient, session: Session) -> None:
    make_article(session, slug="english")
    response = client.get("/articles/english/search", headers={"Accept-Language": "en"})
    assert "Search the debate" in response.text


def test_api_search_returns_matches_with_a_snippet(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="api")
    hit = make_comment(session, article=article, body="Protéger les données.")
    make_comment(session, article=article, body="Autre chose.")
    response = client.get("/api/v1/articles/api/comments", params={"q": "protège"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [hit.id]
    assert items[0]["snippet"] == "<mark>Protéger</mark> les données."


def test_api_search_combines_words_and_stance(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="camps")
    make_comment(session, article=article, stance=Stance.for_, body="Le prix compte.")
    against = make_comment(session, article=article, stance=Stance.against, body="Le prix est trop haut.")
    response = client.get("/api/v1/articles/camps/comments", params={"q": "prix", "stance": "against"})
    assert [i["id"] for i in response.json()["items"]] == [against.id]


def test_api_featured_filter_keeps_the_newsroom_choices(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="une")
    chosen = make_comment(session, article=article, body="Choisi par la rédaction.")
    make_comment(session, article=article, body="Pas choisi par la rédaction.")
    editor = make_user(session, role=Role.editor)
    editorial.feature(session, editor=editor, comment=chosen)
    response = client.get("/api/v1/articles/une/comments", params={"q": "rédaction", "featured": "true"})
    assert [i["id"] for i in response.json()["items"]] == [chosen.id]


def test_api_search_pages_with_a_named_sort(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="tri")
    made = [make_comment(session, article=article, body=f"Mot commun {i}.").id for i in range(3)]
    first = client.get("/api/v1/articles/tri/comments", params={"q": "commun", "sort": "oldest", "limit": 2})
    body = first.json()
    assert [i["id"] for i in body["items"]] == made[:2]
    second = client.get(
        "/api/v1/articles/tri/comments",
        params={"q": "commun", "sort": "oldest", "limit": 2, "cursor": body["next_cursor"]},
    )
    assert [i["id"] for i in second.json()["items"]] == made[2:]


def test_api_moderators_search_a_queue(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="file", premoderation=True)
    held = make_comment(session, article=article, body="Publicité cachée.")
    make_comment(session, article=article, body="Autre message.")
    moderator = make_user(session, role=Role.moderator)
    login(client, moderator)
    response = client.get("/api/v1/moderation/queues/pending", params={"q": "publicite"})
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [held.id]


def test_the_form_as_sent_with_every_side_finds_matches(client: TestClient, session: Session) -> None:
    make_comment(session, article=make_article(session, slug="formulaire"), body="Un argument.")
    response = client.get("/articles/formulaire/search", params={"q": "argument", "stance": ""})
    assert response.status_code == 200
    assert "<mark>argument</mark>" in response.text


def test_the_form_filters_by_side(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="cote")
    make_comment(session, article=article, stance=Stance.for_, body="Argument pour.")
    against = make_comment(session, article=article, stance=Stance.against, body="Argument contre.")
    response = client.get("/articles/cote/search", params={"q": "argument", "stance": "against"})
    assert response.text.count('class="search-hit"') == 1
    assert f'id="hit-{against.id}"' in response.text


def test_api_relevance_without_words_lists_by_votes(client: TestClient, session: Session) -> None:
    make_comment(session, article=make_article(session, slug="pertinence"), body="Un avis.")
    response = client.get("/api/v1/articles/pertinence/comments", params={"sort": "relevance"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_the_thread_does_not_offer_relevance(client: TestClient) -> None:
    sort = next(
        p
        for p in client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/articles/{slug}/thread"]["get"][
            "parameters"
        ]
        if p["name"] == "sort"
    )
    assert "relevance" not in sort["schema"]["enum"]
