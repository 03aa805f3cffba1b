"""Searching a debate in a real browser (issue 20): results come as the reader types, without a
reload, and the address follows the search so it can be shared or reloaded."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import ContextFactory, LiveServer, assert_not_reloaded, mark_page, reader, unique
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
