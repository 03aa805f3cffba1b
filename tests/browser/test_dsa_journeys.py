"""EU DSA journeys in a real browser (issue 18): an anonymous notice acted upon and its notifier
informed; a reader's appeal decided by a second moderator and the comment restored; the public
transparency report."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.helpers import ContextFactory, LiveServer, login, reader, staff, unique
from tests.browser.test_moderation_journeys import post_reaction, queue_card


def test_an_anonymous_notice_is_acted_upon_and_its_notifier_informed(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    body = f"Mon voisin Untel est un escroc ({unique('n')})."
    number = post_reaction(author, slug, body)
    notifier = new_context(open_server).new_page()
    notifier.goto(f"/articles/{slug}")
    notifier.locator(f"#comment-{number}").get_by_role("link", name="Contenu illicite ?").click()
    expect(notifier.get_by_label("Lien exact du message")).to_have_value(re.compile(f"/comments/{number}$"))
    notifier.get_by_label("Catégorie").select_option("defamation")
    notifier.get_by_label("Pourquoi ce contenu est-il illicite ?").fill("Il accuse nommément une personne.")
    notifier.get_by_label("Votre nom").fill("Camille")
    notifier.get_by_label("Votre adresse e-mail").fill("camille@example.org")
    notifier.get_by_role("button", name="Envoyer le signalement").click()
    expect(notifier.locator(".field-error")).to_contain_text("déclaration de bonne foi")
    notifier.get_by_label("Je déclare de bonne foi").check()
    notifier.get_by_role("button", name="Envoyer le signalement").click()
    expect(notifier.get_by_role("status")).to_contain_text("N-")
    expect(notifier.locator(".statement")).to_contain_text("en cours d’examen")
    status_page = notifier.url

    moderator, _ = staff(new_context, open_server, "moderator")
    moderator.goto("/moderation/notices")
    card = moderator.locator("article.mod-card", has_text=body)
    card.get_by_label("Motifs (envoyés à l’auteur et à la personne qui signale)").fill(
        "Allégation diffamatoire."
    )
    card.get_by_role("button", name="Retirer le message").click()
    expect(moderator.locator("article.mod-card", has_text=body)).to_have_count(0)

    notifier.goto(status_page)
    expect(notifier.locator(".statement")).to_contain_text("message retiré")
    expect(notifier.locator(".statement")).to_contain_text("Allégation diffamatoire.")
    author.goto("/notifications")
    author.get_by_role("link", name="Exposé des motifs et recours").first.click()
    expect(author.locator(".statement")).to_contain_text("Message retiré")


def test_an_appeal_is_decided_by_a_second_moderator_and_the_comment_restored(
    new_context: ContextFactory, moderated_server: LiveServer
) -> None:
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    body = f"Une critique vive mais juste ({unique('a')})."
    number = post_reaction(author, slug, body)
    first, _ = staff(new_context, moderated_server, "moderator")
    card = first.locator(f"#{queue_card(first, 'pending', body)}")
    card.get_by_label("Raison").select_option("harassment")
    card.get_by_role("button", name="Refuser").click()
    expect(card).to_contain_text("Message refusé")

    author.goto("/notifications")
    author.get_by_role("link", name="Exposé des motifs et recours").first.click()
    expect(author.locator(".statement")).to_contain_text("Règle n° 2")
    author.get_by_label("Pourquoi la décision devrait-elle être revue ?").fill(
        "Je critique une idée, pas une personne."
    )
    author.get_by_role("button", name="Contester la décision").click()
    expect(author.locator("main")).to_contain_text("Vous avez contesté cette décision")

    first.goto("/moderation/appeals")
    appeal = first.locator("article.mod-card", has_text="Je critique une idée")
    expect(appeal).to_contain_text("un autre membre de l’équipe doit trancher")
    expect(appeal.get_by_role("button", name="Trancher")).to_have_count(0)

    second = new_context(moderated_server).new_page()
    login(second, moderated_server.create_user("moderator", "second"))
    second.goto("/moderation/appeals")
    appeal = second.locator("article.mod-card", has_text="Je critique une idée")
    appeal.get_by_label("Annuler la décision").check()
    appeal.get_by_label("Motifs (envoyés à la personne)").fill("Critique d’une idée : légitime.")
    appeal.get_by_role("button", name="Trancher").click()
    expect(second.locator("article.mod-card", has_text="Je critique une idée")).to_have_count(0)

    passer_by = new_context(moderated_server).new_page()
    passer_by.goto(f"/articles/{slug}")
    expect(passer_by.locator(f"#comment-{number} .comment-body")).to_have_text(body)
    author.goto("/notifications")
    expect(author.locator(".notification-list")).to_contain_text("Votre recours est accepté")


def test_the_transparency_report_shows_the_figures_of_its_records(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    page = new_context(open_server).new_page()
    page.goto("/")
    page.get_by_role("link", name="Transparence").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport de transparence")
    figures = {
        name: page.locator(f'[data-figure="{name}"]').inner_text()
        for name in ("notices-received", "decisions-total", "appeals-received")
    }
    api = json.loads(page.request.get("/api/v1/transparency").text())
    assert figures == {
        "notices-received": str(api["notices"]["received"]),
        "decisions-total": str(api["decisions"]["total"]),
        "appeals-received": str(api["appeals"]["received"]),
    }
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger en CSV")).to_have_attribute(
        "href", re.compile(r"^/transparence\.csv\?period=\d{4}-\d{2}$")
    )
