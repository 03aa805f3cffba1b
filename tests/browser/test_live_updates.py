"""Live updates in a real browser: what others post reaches an open page behind its banner, even when
it was posted after the page was rendered and before its event stream had connected."""

from __future__ import annotations

from playwright.sync_api import Route, expect

from tests.browser.helpers import ContextFactory, LiveServer, assert_not_reloaded, mark_page, reader, unique
from tests.browser.test_reader_journeys import post_reaction


def test_a_reaction_posted_before_the_page_stream_connects_still_reaches_the_page(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _name = reader(new_context, open_server)
    body = f"Arrivée entre la page et son flux ({unique('r')})."
    posted: list[str] = []

    def post_then_connect(route: Route) -> None:
        # The page is rendered and its script is connecting: Alice's reaction is published first.
        if not posted:
            posted.append(post_reaction(alice, slug, body))
        route.continue_()

    page = new_context(open_server).new_page()
    page.route("**/articles/*/events*", post_then_connect)
    page.goto(f"/articles/{slug}")
    mark_page(page)
    show = page.locator("#live-show")
    expect(show).to_have_text("1 nouvelle réaction, afficher")
    assert posted
    expect(page.locator(f"#{posted[0]}")).to_have_count(0)  # not in the page it was given
    show.click()
    expect(page.locator(f"#{posted[0]} .comment-body")).to_have_text(body)
    expect(page.locator("#live-banner")).to_be_hidden()
    assert_not_reloaded(page)


def test_the_readers_own_reaction_is_not_announced_as_new_when_its_event_outruns_its_card(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _name = reader(new_context, open_server)
    bob, _bob = reader(new_context, open_server)
    alice.goto(f"/articles/{slug}")
    mark_page(alice)
    show = alice.locator("#live-show")
    held: list[str] = []

    def answer_after_the_event(route: Route) -> None:
        # The server has published Alice's reaction; its answer is held until the page's event stream
        # has announced it, the order a busy network can give.
        response = route.fetch()
        held.append(route.request.url)
        expect(show).to_have_text("1 nouvelle réaction, afficher")
        route.fulfill(response=response)

    alice.route(f"**/articles/{slug}/comments", answer_after_the_event)
    form = alice.locator("#comment-form")
    form.locator(".stance-option.stance-for input").check()
    mine = f"Ma propre réaction ({unique('r')})."
    form.get_by_label("Votre réaction").fill(mine)
    form.get_by_role("button", name="Publier", exact=True).click()
    expect(alice.locator("#comment-list article.comment", has_text=mine)).to_have_count(1)
    assert held, "the composer's post did not go through the held route"
    expect(alice.locator("#live-banner")).to_be_hidden()

    # Another reader's reaction is the only new one.
    theirs = f"La réaction de quelqu’un d’autre ({unique('r')})."
    post_reaction(bob, slug, theirs)
    expect(show).to_have_text("1 nouvelle réaction, afficher")
    show.click()
    expect(alice.locator("#comment-list article.comment", has_text=theirs)).to_be_visible()
    expect(alice.locator("#comment-list article.comment", has_text=mine)).to_have_count(1)
    expect(alice.locator("#live-banner")).to_be_hidden()
    assert_not_reloaded(alice)
