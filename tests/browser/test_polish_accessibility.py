"""Issue 15: the new reader states pass axe (WCAG 2.2 AA) in light and dark: the composer's error
summary and confirmation, the confirmation dialog, the account's profile form, notifications."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import ContextFactory, LiveServer, reader
from tests.browser.test_accessibility import axe_violations


def _clean(page: Page, axe_source: str) -> None:
    violations = axe_violations(page, axe_source)
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_new_reader_states_pass_axe(
    new_context: ContextFactory, open_server: LiveServer, axe_source: str, scheme: str
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server, color_scheme=scheme)
    page.goto(f"/articles/{slug}")
    page.locator("#comment-form").get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator("#comment-form .form-errors")).to_be_visible()
    _clean(page, axe_source)
    form = page.locator("#comment-form")
    form.locator(".stance-option.stance-for input").check()
    form.get_by_label("Votre réaction").fill("Un message pour vérifier l’accessibilité.")
    form.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("#comment-list article.comment").first
    expect(page.locator("#comment-form .notice-success")).to_be_visible()
    _clean(page, axe_source)
    card.get_by_role("button", name="Supprimer").click()
    expect(page.locator("dialog.confirm-dialog[open]")).to_be_visible()
    _clean(page, axe_source)
    page.keyboard.press("Escape")
    page.goto("/account")
    _clean(page, axe_source)
    page.goto("/notifications")
    _clean(page, axe_source)
