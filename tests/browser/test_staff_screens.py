"""Issue 15, item 5 in a real browser: the pending card says why it was held with the matched words
highlighted; the audit log reads as text and stacks on a phone; radios sit beside their labels; the
editor's Markdown field is wide; the staff header holds on one line at 1280 px, two on a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import SCREENSHOTS, ContextFactory, LiveServer, reader, staff


def _shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"issue15-{name}.png", full_page=full_page, caret="initial")


def _line_tops(page: Page, selector: str) -> list[int]:
    """The lines the elements sit on: their tops, those within 12 px of each other counted once."""
    tops = sorted(page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect().top)"))
    lines: list[int] = []
    for top in tops:
        if not lines or top - lines[-1] > 12:
            lines.append(round(top))
    return lines


def test_a_held_card_says_why_with_the_matched_words_highlighted(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    moderator, _ = staff(new_context, moderated_server, "moderator")
    moderator.goto("/moderation/words")
    if not moderator.locator(".data-table, ul").filter(has_text="escroquerie").count():
        moderator.locator("#word-phrase").fill("escroquerie")
        moderator.locator("input[name=effect][value=hold]").check()
        moderator.get_by_role("button", name="Ajouter").click()
        moderator.wait_for_load_state()
    slug = moderated_server.new_article()
    author, name = reader(new_context, moderated_server)
    author.goto(f"/articles/{slug}")
    author.locator("#comment-form .stance-option.stance-against input").check()
    author.get_by_label("Votre réaction").fill("Ce changement d’heure est une escroqueries de plus.")
    author.get_by_role("button", name="Publier", exact=True).click()
    expect(author.locator("#comment-form .notice-success")).to_contain_text("en attente de modération")

    moderator.goto("/moderation/pending")
    card = moderator.locator(".mod-card", has_text="une escroqueries de plus")
    why = card.locator(".mod-why")
    expect(why).to_contain_text("Retenu pour relecture")
    expect(why).to_contain_text("Nouveau lecteur")
    expect(why).to_contain_text("Mot suspect : « escroquerie »")
    expect(card.locator(".comment-body mark")).to_have_text("escroqueries")
    # One primary action; the refusal is styled apart from the approval.
    approve = card.get_by_role("button", name="Approuver")
    refuse = card.get_by_role("button", name="Refuser")
    assert approve.evaluate("b => getComputedStyle(b).backgroundColor") != refuse.evaluate(
        "b => getComputedStyle(b).backgroundColor"
    )
    card.scroll_into_view_if_needed()
    _shoot(moderator, "pending-card-why")


def test_the_audit_log_is_readable_and_stacks_on_a_phone(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    moderator, _ = staff(new_context, open_server, "moderator", width=390, height=844)
    moderator.goto("/moderation/words")
    moderator.locator("#word-phrase").fill("bidonnage")
    moderator.locator("input[name=effect][value=block]").check()
    # The radio sits beside its label, on the same line.
    radio_input = moderator.locator("input[name=effect][value=block]")
    radio = radio_input.bounding_box()
    label = moderator.locator("label", has=radio_input).bounding_box()
    assert radio is not None
    assert label is not None
    assert label["height"] < 2.2 * radio["height"] + 8  # one line: the text beside the radio, not under it
    assert abs((radio["y"] + radio["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
    moderator.get_by_role("button", name="Ajouter").click()
    moderator.wait_for_load_state()
    moderator.goto("/moderation/log")
    row = moderator.locator(".log-table tbody tr", has_text="bidonnage").first
    expect(row).to_contain_text("Ajout à la liste de mots")
    expect(row).to_contain_text("refuser le message")
    expect(row).not_to_contain_text("block")
    assert row.locator("td").first.evaluate("td => getComputedStyle(td).display") == "block"
    assert moderator.evaluate("document.documentElement.scrollWidth") <= 390
    _shoot(moderator, "audit-log-390")
    # The staff header takes at most two lines on a phone.
    assert len(_line_tops(moderator, ".site-header .brand, .site-header .nav-list > li")) <= 2


def test_the_staff_header_holds_on_one_line_at_1280_and_the_editor_writes_wide(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    editor, _ = staff(new_context, open_server, "editor", width=1280, height=800)
    editor.goto("/editor/articles/new")
    assert len(_line_tops(editor, ".site-header .nav-list > li")) == 1
    body = editor.locator("#f-body").bounding_box()
    assert body is not None
    assert body["width"] >= 900
    assert body["height"] >= 400
    # Each error once.
    editor.get_by_role("button", name="Enregistrer").click()
    editor.wait_for_load_state()
    expect(editor.locator("#f-title-error")).to_have_count(1)
    errors = editor.locator(".editor-form .field-error")
    assert errors.count() == editor.locator(".editor-form [aria-invalid=true]").count()
    texts = [(e.get_attribute("id"), e.inner_text()) for e in errors.all()]
    assert len(set(texts)) == len(texts)
    _shoot(editor, "editor-form-1280")
    moderator, _ = staff(new_context, open_server, "moderator", width=1280, height=800)
    moderator.goto("/moderation")
    assert len(_line_tops(moderator, ".site-header .nav-list > li")) == 1
    _shoot(moderator, "staff-header-1280", full_page=False)
