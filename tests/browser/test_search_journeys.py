"""Searching a debate in a real browser (issue 20): results come as the reader types, without a
reload, and the address follows the search so it can be shared or reloaded. And the issue's "Must
show": the search, the reply-kind labels and the changed-minds flows, in French and English, light
and dark, photographed for review."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    PASSWORD,
    SCREENSHOTS,
    ContextFactory,
    LiveServer,
    assert_not_reloaded,
    mark_page,
    reader,
    unique,
)
from tests.browser.test_reader_journeys import post_reaction


def test_results_come_as_the_reader_types(new_context: ContextFactory, open_server: LiveServer) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    word = unique("cherchable")
    post_reaction(page, slug, f"Un argument {word} pour le débat.")
    page.goto(f"/articles/{slug}/search")
    mark_page(page)
    page.locator("#search-q").press_sequentially(word, delay=20)
    expect(page.locator("#search-results mark")).to_have_text(word)
    expect(page).to_have_url(f"{open_server.url}/articles/{slug}/search?q={word}&stance=")
    assert_not_reloaded(page)


@dataclass
class Debate:
    slug: str
    reaction_id: int
    replies: dict[str, int] = field(default_factory=dict)  # reply kind -> comment id


class ApiReader:
    """A reader who registers and acts through the JSON API, straight to the server: the pages under
    test only read what the many readers did."""

    def __init__(self, server: LiveServer) -> None:
        self.name = unique("lecteur")
        self.api = httpx.Client(base_url=server.url, timeout=30)
        made = self.api.post(
            "/api/v1/auth/register",
            json={"username": self.name, "email": f"{self.name}@example.org", "password": PASSWORD},
        )
        assert made.status_code == 201, made.text
        signed = self.api.post("/api/v1/auth/login", json={"username": self.name, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        self.api.headers["X-CSRF-Token"] = signed.json()["csrf_token"]

    def answer(self, slug: str, *stances: str) -> None:
        for stance in stances:
            done = self.api.put(f"/api/v1/articles/{slug}/stance", json={"stance": stance})
            assert done.status_code == 200, done.text

    def post(self, slug: str, body: str, **fields: object) -> int:
        posted = self.api.post(f"/api/v1/articles/{slug}/comments", json={"body": body, **fields})
        assert posted.status_code == 201, posted.text
        return int(posted.json()["id"])


# First and current answers: three flows of 5 readers or more, drawn to scale; two small ones, in
# words; and the two that would give those away, hidden (services/minds.py _mask).
FLOWS = [
    (("for", "against"), 6),
    (("against", "nuanced"), 5),
    (("for", "nuanced"), 2),
    (("nuanced", "for"), 3),
    (("for",), 5),
    (("nuanced",), 7),
    (("against",), 5),
]


def seed_debate(server: LiveServer, flows: list[tuple[tuple[str, ...], int]] = FLOWS) -> Debate:
    """A fresh article whose readers answered and changed their answers as `flows` says, with a
    reaction answered by one reply of each kind."""
    slug = server.new_article()
    readers = [ApiReader(server) for _plan in flows for _n in range(_plan[1])]
    plans = [stances for stances, n in flows for _ in range(n)]
    for person, stances in zip(readers, plans, strict=True):
        person.answer(slug, *stances)
    reaction = readers[0].post(
        slug,
        "Le gain d’énergie est faible : l’Ademe l’estime à moins de 0,1 % de la consommation. "
        "Changer d’heure deux fois par an fatigue pour presque rien.",
        stance="against",
    )
    readers[1].post(slug, "Un gain d’énergie minime, oui, mais le soir éclairé compte aussi.", stance="for")
    debate = Debate(slug, reaction)
    for person, kind, body in (
        (readers[2], "supports", "D’accord : les médecins du sommeil disent la même chose."),
        (readers[3], "rebuts", "L’énergie n’est pas le seul enjeu : les soirées d’été comptent."),
        (readers[4], "asks_source", "D’où vient ce chiffre de 0,1 % ?"),
        (
            readers[5],
            "brings_source",
            "[Le rapport de l’Ademe](https://example.org/ademe-heure-ete) est en ligne.",
        ),
    ):
        debate.replies[kind] = person.post(slug, body, parent_id=reaction, reply_kind=kind)
    for person in readers:
        person.api.close()
    return debate


@pytest.fixture(scope="module")
def debate(open_server: LiveServer) -> Debate:
    return seed_debate(open_server)


TEXTS = {
    "fr": {
        "search": "Rechercher dans le débat",
        "kinds": ["appuie", "conteste", "demande une source", "apporte une source"],
        "minds": "Le débat a-t-il fait changer d’avis ?",
        "small": "moins de 5",
        "not": "Did the debate change minds?",
    },
    "en": {
        "search": "Search the debate",
        "kinds": ["supports", "rebuts", "asks for a source", "brings a source"],
        "minds": "Did the debate change minds?",
        "small": "fewer than 5",
        "not": "Le débat a-t-il fait changer d’avis ?",
    },
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_search_labels_and_flows_in_each_language_and_scheme(
    new_context: ContextFactory, open_server: LiveServer, debate: Debate, lang: str, scheme: str
) -> None:
    texts = TEXTS[lang]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = new_context(open_server, locale={"fr": "fr-FR", "en": "en-US"}[lang], color_scheme=scheme)
    page = context.new_page()

    # Accents and case do not matter: "ENERGIE" finds "énergie", highlighted in the snippet.
    page.goto(f"/articles/{debate.slug}/search?q=ENERGIE")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(texts["search"])
    marks = page.locator("#search-results mark")
    expect(marks.first).to_have_text("énergie", ignore_case=True)
    expect(page.locator("#search-results .search-hit")).to_have_count(3)
    expect(page.locator("#search-results .kind-badge")).to_have_text(texts["kinds"][1])  # the reply's kind
    page.screenshot(path=SCREENSHOTS / f"issue20-search-{lang}-{scheme}.png")

    # Each reply says how it answers, in the reader's language; the reaction counts them.
    page.goto(f"/articles/{debate.slug}")
    thread = page.locator(f"#comment-{debate.reaction_id}").locator("xpath=..")
    for kind, label in zip(
        ("supports", "rebuts", "asks_source", "brings_source"), texts["kinds"], strict=True
    ):
        expect(page.locator(f"#comment-{debate.replies[kind]} .kind-badge")).to_have_text(label)
    thread.scroll_into_view_if_needed()
    thread.screenshot(path=SCREENSHOTS / f"issue20-labels-{lang}-{scheme}.png")

    # The flows: drawn to scale where 5 readers or more, "fewer than 5" in words otherwise.
    page.goto(f"/articles/{debate.slug}/debate")
    minds = page.locator("#minds")
    expect(minds.locator("h2")).to_have_text(texts["minds"])
    expect(page.get_by_text(texts["not"])).to_have_count(0)
    table = minds.locator("table.minds-table").first
    expect(table).to_contain_text(texts["small"])
    expect(table.locator("tbody tr").first.locator("td").nth(1)).to_have_text("6")
    assert minds.locator("path.band:not(.band-masked)").count() >= 2
    minds.screenshot(path=SCREENSHOTS / f"issue20-flows-{lang}-{scheme}.png")
    best = page.locator(".best-rebuttal .kind-badge")
    expect(best.first).to_have_text(texts["kinds"][1])
