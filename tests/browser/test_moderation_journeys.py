"""Reports and the moderation queues in a real browser, with and without JavaScript.

The moderated server runs the product defaults: a newcomer's first reaction waits for a moderator.
Reports are made on the open server, where reactions are published at once.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import ContextFactory, LiveServer, reader, staff, unique


def post_reaction(page: Page, slug: str, body: str, stance: str = "for") -> str:
    page.goto(f"/articles/{slug}")
    page.locator(f"#comment-form .stance-option.stance-{stance} input").check()
    page.get_by_label("Votre réaction").fill(body)
    page.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("#comment-list article.comment", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id")).removeprefix("comment-")


def queue_card(page: Page, queue: str, body: str) -> str:
    """Open a moderation queue and return the id of the card showing `body`."""
    page.goto(f"/moderation/{queue}")
    card = page.locator("article.mod-card", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id"))


def test_a_newcomers_first_reaction_is_shown_only_to_its_author_until_approved(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    body = f"Ma première réaction ({unique('m')})."
    number = post_reaction(author, slug, body)
    expect(author.locator(f"#comment-{number} .awaiting")).to_contain_text("En attente de modération")
    passer_by = new_context(moderated_server).new_page()
    passer_by.goto(f"/articles/{slug}")
    expect(passer_by.locator("#comment-list")).not_to_contain_text(body)


def test_a_moderator_approves_a_pending_reaction_from_the_queue_in_place(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    body = f"À approuver ({unique('m')})."
    number = post_reaction(author, slug, body)
    moderator, _ = staff(new_context, moderated_server, "moderator")
    card_id = queue_card(moderator, "pending", body)
    moderator.locator(f"#{card_id}").get_by_role("button", name="Approuver", exact=True).click()
    expect(moderator.locator(f"#{card_id}")).to_contain_text("Message approuvé.")
    expect(moderator).to_have_url(f"{moderated_server.url}/moderation/pending")
    passer_by = new_context(moderated_server).new_page()
    passer_by.goto(f"/articles/{slug}")
    expect(passer_by.locator(f"#comment-{number} .comment-body")).to_have_text(body)


def test_a_moderator_rejects_with_a_reason_that_the_author_then_reads(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    body = f"Achetez mes montres ({unique('m')})."
    number = post_reaction(author, slug, body)
    moderator, _ = staff(new_context, moderated_server, "moderator")
    card_id = queue_card(moderator, "pending", body)
    card = moderator.locator(f"#{card_id}")
    card.get_by_label("Raison").select_option("spam")
    card.get_by_label("Note pour l’auteur").fill("Publicité.")
    card.get_by_role("button", name="Refuser").click()
    expect(moderator.locator(f"#{card_id}")).to_contain_text("Message refusé : Spam.")
    author.goto(f"/articles/{slug}")
    expect(author.locator(f"#comment-{number} .awaiting")).to_contain_text("Retiré par la modération : Spam")
    expect(author.locator(f"#comment-{number} .awaiting")).to_contain_text("Publicité.")
    moderator.goto("/moderation/rejected")
    expect(moderator.locator("article.mod-card", has_text=body)).to_be_visible()


def test_a_reader_reports_a_reaction_in_place_and_it_reaches_the_reported_queue(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    body = f"Un message douteux ({unique('m')})."
    number = post_reaction(author, slug, body, stance="against")
    reporter, _ = reader(new_context, open_server)
    reporter.goto(f"/articles/{slug}")
    reporter.evaluate("window.__tribuneMarker = 'still here'")
    reporter.locator(f"#comment-{number}").get_by_role("link", name="Signaler").click()
    form = reporter.locator(f"#report-form-{number}")
    form.get_by_label("Motif du signalement").select_option("off_topic")
    form.get_by_label("Précisions (facultatif)").fill("Rien à voir avec l’heure d’été.")
    form.get_by_role("button", name="Signaler").click()
    expect(reporter.locator(f"#report-form-{number}")).to_have_text(
        "Merci : l’équipe de modération examinera ce message."
    )
    assert reporter.evaluate("window.__tribuneMarker") == "still here"
    moderator, _ = staff(new_context, open_server, "moderator")
    card_id = queue_card(moderator, "reported", body)
    expect(moderator.locator(f"#{card_id} .mod-reports")).to_contain_text("Hors sujet")
    expect(moderator.locator(f"#{card_id} .mod-reports")).to_contain_text("Rien à voir avec l’heure d’été.")


def test_a_report_without_a_reason_is_refused_on_its_form(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    number = post_reaction(author, slug, f"Message ({unique('m')}).")
    reporter, _ = reader(new_context, open_server)
    reporter.goto(f"/articles/{slug}")
    reporter.locator(f"#comment-{number}").get_by_role("link", name="Signaler").click()
    reporter.locator(f"#report-form-{number}").get_by_role("button", name="Signaler").click()
    expect(reporter.locator(f"#report-error-{number}")).to_have_text("Choisissez la raison du signalement.")


def test_dismissing_a_report_keeps_the_reaction_published(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    body = f"Un avis franc mais correct ({unique('m')})."
    number = post_reaction(author, slug, body, stance="nuanced")
    reporter, _ = reader(new_context, open_server)
    reporter.goto(f"/comments/{number}/report")
    reporter.get_by_label("Motif du signalement").select_option("harassment")
    reporter.get_by_role("button", name="Signaler").click()
    moderator, _ = staff(new_context, open_server, "moderator")
    card_id = queue_card(moderator, "reported", body)
    moderator.locator(f"#{card_id}").get_by_role("button", name="Approuver", exact=True).click()
    expect(moderator.locator(f"#{card_id}")).to_contain_text("Message approuvé.")
    moderator.goto("/moderation/reported")
    expect(moderator.locator("article.mod-card", has_text=body)).to_have_count(0)
    author.goto(f"/articles/{slug}")
    expect(author.locator(f"#comment-{number} .comment-body")).to_have_text(body)


def test_a_reader_reports_without_javascript(new_context: ContextFactory, open_server: LiveServer) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    body = f"Signalé sans script ({unique('m')})."
    number = post_reaction(author, slug, body)
    reporter, _ = reader(new_context, open_server, javascript=False)
    reporter.goto(f"/articles/{slug}")
    reporter.locator(f"#comment-{number}").get_by_role("link", name="Signaler").click()
    expect(reporter).to_have_url(f"{open_server.url}/comments/{number}/report")
    reporter.get_by_label("Motif du signalement").select_option("misinformation")
    reporter.get_by_role("button", name="Signaler").click()
    expect(reporter).to_have_url(f"{open_server.url}/articles/{slug}#comment-{number}")
    moderator, _ = staff(new_context, open_server, "moderator")
    card_id = queue_card(moderator, "reported", body)
    expect(moderator.locator(f"#{card_id} .mod-reports")).to_contain_text("Désinformation")


def test_a_moderator_decides_without_javascript(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    approved = f"Approuvé sans script ({unique('m')})."
    number = post_reaction(author, slug, approved)
    moderator, _ = staff(new_context, moderated_server, "moderator", javascript=False)
    card_id = queue_card(moderator, "pending", approved)
    moderator.locator(f"#{card_id}").get_by_role("button", name="Approuver", exact=True).click()
    expect(moderator).to_have_url(f"{moderated_server.url}/moderation/pending")
    expect(moderator.locator("article.mod-card", has_text=approved)).to_have_count(0)
    passer_by = new_context(moderated_server, javascript=False).new_page()
    passer_by.goto(f"/articles/{slug}")
    expect(passer_by.locator(f"#comment-{number} .comment-body")).to_have_text(approved)
