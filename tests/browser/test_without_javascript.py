"""Every reader action works as a plain HTML form in a browser with JavaScript turned off."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import ContextFactory, LiveServer, reader, unique


def no_js_reader(new_context: ContextFactory, server: LiveServer) -> tuple[Page, str]:
    return reader(new_context, server, javascript=False)


def post_reaction_without_js(page: Page, slug: str, body: str, stance: str = "for") -> str:
    page.goto(f"/articles/{slug}")
    page.locator(f"#comment-form .stance-option.stance-{stance} input").check()
    page.get_by_label("Votre réaction").fill(body)
    page.get_by_role("button", name="Publier", exact=True).click()
    # Posting lands on the new comment's permalink, with the confirmation.
    card = page.locator("article.comment", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id"))


def test_javascript_is_really_off_in_these_tests(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    page = new_context(open_server, javascript=False).new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.evaluate("1 + 1") == 2  # Playwright's own evaluation still works
    page.goto("/register")
    # htmx would have processed hx-* attributes and added its classes; without JS nothing runs.
    assert page.locator(".htmx-request, [data-hx-processed]").count() == 0
    assert page.evaluate("typeof window.htmx") == "undefined"


def test_a_reader_registers_without_javascript(new_context: ContextFactory, open_server: LiveServer) -> None:
    page, name = no_js_reader(new_context, open_server)
    expect(page.locator(".whoami")).to_have_text(name)


def test_a_reader_takes_a_stance_without_javascript(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = no_js_reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(".poll-option.stance-nuanced .poll-button").click()
    expect(page).to_have_url(f"{open_server.url}/articles/{slug}#question")
    expect(page.locator(".poll-option.stance-nuanced .poll-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#question .poll-total")).to_have_text("1 lecteur a répondu")


def test_a_reader_posts_a_reaction_without_javascript(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, name = no_js_reader(new_context, open_server)
    body = f"Sans JavaScript, ça marche aussi ({unique('r')})."
    comment_id = post_reaction_without_js(page, slug, body, stance="against")
    number = comment_id.removeprefix("comment-")
    expect(page).to_have_url(f"{open_server.url}/comments/{number}?posted=1#{comment_id}")
    expect(page.locator(".notice-success")).to_have_text("Votre réaction est publiée.")
    expect(page.locator(f"#{comment_id} .author")).to_have_text(name)
    expect(page.locator(f"#{comment_id} .stance-badge")).to_have_text("Non, supprimons-la")


def test_a_reaction_without_a_stance_comes_back_with_the_error_without_javascript(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = no_js_reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.get_by_label("Votre réaction").fill("Oubli de position.")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator(".comment-form .field-error")).to_be_visible()
    expect(page.get_by_label("Votre réaction")).to_have_value("Oubli de position.")


def test_a_reader_replies_without_javascript(new_context: ContextFactory, open_server: LiveServer) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction_without_js(alice, slug, "Premier avis.", stance="for")
    number = comment_id.removeprefix("comment-")
    bob, bob_name = no_js_reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    bob.locator(f"#{comment_id}").get_by_role("link", name="Répondre").click()
    expect(bob).to_have_url(f"{open_server.url}/comments/{number}/reply")
    expect(bob.locator(".quoted")).to_contain_text("Premier avis.")
    bob.get_by_label("Votre réponse").fill("Réponse sans script.")
    bob.get_by_role("button", name="Publier la réponse").click()
    reply = bob.locator("article.comment", has_text="Réponse sans script.")
    expect(reply).to_be_visible()
    expect(reply.locator(".author")).to_have_text(bob_name)


def test_a_reader_votes_and_withdraws_the_vote_without_javascript(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction_without_js(alice, slug, "À approuver.", stance="nuanced")
    bob, _ = no_js_reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    bob.locator(f"#{comment_id} .vote-up").click()
    expect(bob).to_have_url(f"{open_server.url}/articles/{slug}#{comment_id}")
    expect(bob.locator(f"#{comment_id} .vote-up")).to_have_attribute("aria-pressed", "true")
    expect(bob.locator(f"#{comment_id} .vote-up .vote-count")).to_have_text("1")
    bob.locator(f"#{comment_id} .vote-up").click()
    expect(bob.locator(f"#{comment_id} .vote-up .vote-count")).to_have_text("0")
