"""Issue 15, item 1: what the composer says, where the reader is looking, with and without JavaScript."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import (
    SCREENSHOTS,
    ContextFactory,
    LiveServer,
    assert_not_reloaded,
    mark_page,
    reader,
)


def test_an_empty_submit_lists_every_missing_field_in_the_composer_and_focuses_it(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    mark_page(page)
    page.locator("#comment-form").get_by_role("button", name="Publier", exact=True).click()
    errors = page.locator("#comment-form .form-errors[role=alert]")
    expect(errors).to_be_visible()
    expect(errors.locator("li")).to_have_count(2)
    expect(errors).to_contain_text("Le message est vide.")
    expect(errors).to_contain_text("Choisissez votre position")
    expect(errors).to_be_focused()
    assert_not_reloaded(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "issue15-composer-errors.png", full_page=True, caret="initial")
    # The link in the summary leads to the field.
    errors.get_by_role("link", name="Le message est vide.").click()
    expect(page.locator("#comment-form-body")).to_be_focused()


def test_a_published_reaction_is_confirmed_in_the_composer(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    form = page.locator("#comment-form")
    form.locator(".stance-option.stance-for input").check()
    form.get_by_label("Votre réaction").fill("Confirmez-moi la publication, s’il vous plaît.")
    form.get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator("#comment-form .notice-success[role=status]")).to_have_text(
        "Votre réaction est publiée."
    )
    expect(page.locator("#comment-list article.comment", has_text="Confirmez-moi")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "issue15-composer-published.png", caret="initial")


def test_without_javascript_an_empty_submit_lists_every_missing_field(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server, javascript=False)
    page.goto(f"/articles/{slug}")
    page.get_by_role("button", name="Publier", exact=True).click()
    errors = page.locator(".comment-form .form-errors[role=alert]")
    expect(errors.locator("li")).to_have_count(2)
    expect(errors).to_be_focused()  # autofocus on the page that comes back
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "issue15-composer-errors-nojs.png", full_page=True, caret="initial")
