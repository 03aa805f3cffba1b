"""Issue 15: the new states pass axe (WCAG 2.2 AA) in light and dark: the composer's error summary and
confirmation, the confirmation dialog, the account's profile form, notifications; and the staff screens
on a phone (390 x 844): the pending queue with a held card, the reported, appeals and notices queues,
the audit log, the word lists and the no-JS confirmation page for closing a debate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import open_tracked_context
from tests.browser.helpers import ContextFactory, LiveServer, Traffic, login, reader, register, unique
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_moderation_journeys import post_reaction


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


@dataclass
class StaffScene:
    """Something on every staff screen, for a moderator and an editor (their signed-in states)."""

    slug: str
    held: str
    reported: str
    notice: str
    appeal: str
    word: str
    moderator_state: dict[str, Any]
    editor_state: dict[str, Any]


def _reader(person: Callable[[], Page]) -> Page:
    page = person()
    register(page)
    return page


@pytest.fixture(scope="module")
def staff_scene(browser: Browser, open_server: LiveServer) -> StaffScene:
    """Seeded once for both colour schemes, through the browser as staff and readers would."""
    traffic = Traffic()
    contexts: list[BrowserContext] = []

    def person() -> Page:
        context = open_tracked_context(browser, traffic, open_server)
        contexts.append(context)
        return context.new_page()

    moderator = person()
    login(moderator, open_server.staff_account("moderator"))
    word = unique("arnaque").replace("_", "")  # one word, its own in this session's shared server
    moderator.goto("/moderation/words")
    moderator.locator("#word-phrase").fill(word)
    moderator.locator("input[name=effect][value=hold]").check()
    moderator.get_by_role("button", name="Ajouter").click()
    expect(moderator.locator(".data-table")).to_contain_text(word)

    slug = open_server.new_article()
    tag = unique("s")
    held = f"Ce changement d’heure est une {word} de plus ({tag})."
    post_reaction(_reader(person), slug, held, "against")  # the word holds it, though the forum is open

    reported = f"Rien à voir avec l’heure d’été ({tag})."
    reported_id = post_reaction(_reader(person), slug, reported, "nuanced")
    denounced_id = post_reaction(_reader(person), slug, f"Un avis nominatif et dénoncé ({tag}).", "for")
    reporter = _reader(person)
    reporter.goto(f"/comments/{reported_id}/report")
    reporter.locator("select[name=reason]").select_option("off_topic")
    reporter.locator("form.report-form button[type=submit]").click()
    expect(reporter.locator(f"#report-form-{reported_id}.notice")).to_be_visible()

    notifier = person()
    notifier.goto(f"/notices/new?comment={denounced_id}")
    notifier.get_by_label("Catégorie").select_option("defamation")
    notifier.get_by_label("Pourquoi ce contenu est-il illicite ?").fill(f"Une accusation nominative ({tag}).")
    notifier.get_by_label("Votre nom").fill("Camille")
    notifier.get_by_label("Votre adresse e-mail").fill("camille@example.org")
    notifier.get_by_label("Je déclare de bonne foi").check()
    notifier.get_by_role("button", name="Envoyer le signalement").click()
    expect(notifier.get_by_role("status")).to_contain_text("N-")

    # An appeal: a second held reaction is refused, and its author contests the decision.
    appellant = _reader(person)
    refused = f"Une autre {word}, refusée puis contestée ({tag})."
    post_reaction(appellant, slug, refused, "for")
    moderator.goto("/moderation/pending")
    card = moderator.locator("article.mod-card", has_text=refused)
    card.get_by_label("Raison").select_option("harassment")
    card.get_by_role("button", name="Refuser").click()
    expect(moderator.get_by_role("status").filter(has_text="Message refusé")).to_be_visible()
    appellant.goto("/notifications")
    appellant.get_by_role("link", name="Exposé des motifs et recours").first.click()
    appeal = f"Je critique une idée, pas une personne ({tag})."
    appellant.get_by_label("Pourquoi la décision devrait-elle être revue ?").fill(appeal)
    appellant.get_by_role("button", name="Contester la décision").click()
    expect(appellant.locator("main")).to_contain_text("Vous avez contesté cette décision")

    editor = person()
    login(editor, open_server.staff_account("editor"))
    scene = StaffScene(
        slug=slug,
        held=held,
        reported=reported,
        notice=tag,
        appeal=appeal,
        word=word,
        moderator_state=dict(moderator.context.storage_state()),
        editor_state=dict(editor.context.storage_state()),
    )
    for context in contexts:
        context.close()
    traffic.check()
    return scene


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_staff_screens_pass_axe_on_a_phone(
    new_context: ContextFactory,
    open_server: LiveServer,
    staff_scene: StaffScene,
    axe_source: str,
    scheme: str,
) -> None:
    scene = staff_scene
    moderator = new_context(
        open_server, storage_state=scene.moderator_state, color_scheme=scheme, **PHONE
    ).new_page()
    screens = {
        "/moderation/pending": moderator.locator("article.mod-card", has_text=scene.held).locator("mark"),
        "/moderation/reported": moderator.locator("article.mod-card", has_text=scene.reported),
        "/moderation/appeals": moderator.locator("article.mod-card", has_text=scene.appeal),
        "/moderation/notices": moderator.locator("article.mod-card", has_text=scene.notice),
        "/moderation/log": moderator.locator(".log-table tbody tr", has_text=scene.word).first,
        "/moderation/words": moderator.locator(".data-table tbody tr", has_text=scene.word),
    }
    for path, shows in screens.items():
        moderator.goto(path)
        expect(shows).to_be_visible()
        _clean(moderator, axe_source)

    # Without JavaScript, closing the debate asks on a page of its own. axe cannot run in that page
    # (its scripts are disabled: axe.run would never finish), so the very HTML it was served is scanned
    # in a page of the same origin that runs scripts, with the same style sheets.
    editor = new_context(
        open_server, storage_state=scene.editor_state, color_scheme=scheme, javascript=False, **PHONE
    ).new_page()
    editor.goto(f"/editor/articles/{scene.slug}")
    editor.get_by_role("button", name="Clore le débat").click()
    expect(editor.get_by_role("heading", name="Clore le débat de")).to_be_visible()
    served = editor.content()
    scan = new_context(open_server, color_scheme=scheme, **PHONE).new_page()
    scan.goto("/terms")
    scan.set_content(served)
    expect(scan.get_by_role("heading", name="Clore le débat de")).to_be_visible()
    # The style sheets are applied, as on the page served (the danger button's border comes from them).
    expect(scan.locator(".confirm-form .button-danger")).to_have_css("border-top-width", "2px")
    _clean(scan, axe_source)
