"""Issue 15, item 3 in a real browser: deleting asks first in a native modal <dialog> (Escape and
"Annuler" leave everything as it was); without JavaScript the question is a page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import SCREENSHOTS, ContextFactory, LiveServer, reader


def _post(page, slug: str, body: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/articles/{slug}")
    form = page.locator("#comment-form")
    form.locator(".stance-option.stance-nuanced input").check()
    form.get_by_label("Votre réaction").fill(body)
    form.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("#comment-list article.comment", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id"))


def test_deleting_a_comment_asks_in_a_modal_dialog(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    comment_id = _post(page, slug, "Un message que je vais regretter.")
    page.goto(f"/articles/{slug}")
    page.locator(f"#{comment_id}").get_by_role("button", name="Supprimer").click()
    dialog = page.locator("dialog.confirm-dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Supprimer ce message ?")
    assert dialog.evaluate("d => d.matches(':modal')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "issue15-confirm-delete-dialog.png", caret="initial")
    page.keyboard.press("Escape")
    expect(page.locator("dialog.confirm-dialog")).to_have_count(0)
    expect(page.locator(f"#{comment_id}")).to_be_visible()
    # Asked again, cancelled with the button, then confirmed.
    page.locator(f"#{comment_id}").get_by_role("button", name="Supprimer").click()
    page.locator("dialog.confirm-dialog[open]").get_by_role("button", name="Annuler").click()
    expect(page.locator("dialog.confirm-dialog")).to_have_count(0)
    page.locator(f"#{comment_id}").get_by_role("button", name="Supprimer").click()
    page.locator("dialog.confirm-dialog[open]").get_by_role("button", name="Supprimer définitivement").click()
    page.wait_for_url(f"**/articles/{slug}#debate")
    expect(page.locator(f"#{comment_id}")).to_have_count(0)


def test_without_javascript_deleting_asks_on_a_page(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server, javascript=False)
    page.goto(f"/articles/{slug}")
    page.locator("#comment-form .stance-option.stance-for input").check()
    page.get_by_label("Votre réaction").fill("Sans script, et bientôt sans message.")
    page.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("article.comment", has_text="Sans script, et bientôt")
    comment_id = str(card.get_attribute("id"))
    card.get_by_role("button", name="Supprimer").click()
    expect(page.get_by_role("heading", name="Supprimer ce message ?")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "issue15-confirm-delete-page-nojs.png", caret="initial")
    page.get_by_role("link", name="Annuler").click()
    expect(page.locator(f"#{comment_id}")).to_be_visible()
    page.locator(f"#{comment_id}").get_by_role("button", name="Supprimer").click()
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.locator(f"#{comment_id}")).to_have_count(0)
