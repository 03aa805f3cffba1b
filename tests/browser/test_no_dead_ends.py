"""Issue 15, items 2 and 4 in a real browser: a suspended reader is told why and until when instead of
the controls; unusable arrows look disabled and say why; no second report form; the composer starts
from the reader's answer and says when a reaction takes another side."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import SCREENSHOTS, ContextFactory, LiveServer, reader, staff


def _post(page, slug: str, body: str, stance: str = "for") -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/articles/{slug}")
    form = page.locator("#comment-form")
    form.locator(f".stance-option.stance-{stance} input").check()
    form.get_by_label("Votre réaction").fill(body)
    form.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("#comment-list article.comment", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id"))


def test_a_suspended_reader_sees_why_and_until_when_instead_of_the_controls(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    comment_id = _post(author, slug, "Un avis à lire, pas à voter.")
    suspended, name = reader(new_context, open_server)
    moderator, _ = staff(new_context, open_server, "moderator")
    moderator.goto(f"/moderation/users/{name}")
    moderator.locator("input[name=action][value=suspend]").check()
    moderator.locator("#duration").select_option("7d")
    moderator.locator("#sanction-reason").fill("Propos injurieux")
    moderator.get_by_role("button", name="Appliquer").click()
    moderator.wait_for_load_state()

    suspended.goto(f"/articles/{slug}")
    refusal = suspended.locator("#composer-refusal")
    expect(refusal).to_contain_text("Votre compte est suspendu jusqu’au")
    expect(refusal).to_contain_text("Propos injurieux")
    expect(suspended.locator("#comment-form")).to_have_count(0)
    card = suspended.locator(f"#{comment_id}")
    expect(card.get_by_role("link", name="Répondre")).to_have_count(0)
    expect(card.locator(".vote-up")).to_be_disabled()
    expect(card.locator(".votes")).to_have_attribute(
        "title", "Votre compte ne peut pas voter pour l’instant."
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suspended.screenshot(path=SCREENSHOTS / "issue15-suspended-reader.png", full_page=True, caret="initial")


def test_anonymous_arrows_look_disabled_and_say_to_sign_in(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    comment_id = _post(author, slug, "Votez pour moi, si vous êtes inscrit.")
    page = new_context(open_server, width=390, height=844).new_page()
    page.goto(f"/articles/{slug}")
    votes = page.locator(f"#{comment_id} .votes")
    expect(votes.locator(".vote-up")).to_be_disabled()
    expect(votes).to_have_attribute("title", "Connectez-vous pour voter.")
    expect(votes.locator(".vote-up")).to_have_accessible_name("Approuver (Connectez-vous pour voter.) 0")
    assert float(votes.locator(".vote-up").evaluate("b => getComputedStyle(b).opacity")) < 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "issue15-anonymous-votes-390.png", caret="initial")


def test_the_report_form_is_not_offered_again_after_reporting(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    author, _ = reader(new_context, open_server)
    comment_id = _post(author, slug, "Un message que quelqu’un va signaler.")
    page, _ = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(f"#{comment_id}").get_by_role("link", name="Signaler").click()
    page.locator("select[name=reason]").select_option("off_topic")
    page.locator("form.report-form button[type=submit]").click()
    expect(page.locator(".notice[role=status]", has_text="Merci")).to_be_visible()
    page.reload()
    card = page.locator(f"#{comment_id}")
    expect(card.get_by_role("link", name="Signaler")).to_have_count(0)
    expect(card.locator(".action-done")).to_have_text("Signalé")


def test_the_composer_starts_from_the_poll_answer_and_says_when_a_reaction_differs(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(".poll-option.stance-for .poll-button").click()
    expect(page.locator(".poll-option.stance-for .poll-button")).to_have_attribute("aria-pressed", "true")
    page.reload()
    form = page.locator("#comment-form")
    expect(form.locator(".stance-option.stance-for input")).to_be_checked()
    expect(form.locator(".stance-differs-against")).to_be_hidden()
    form.locator(".stance-option.stance-against input").check()
    note = form.locator(".stance-differs-against")
    expect(note).to_be_visible()
    expect(note).to_contain_text(
        "Vous avez répondu « Oui, gardons-la » à la question ; cette réaction est « Non, supprimons-la »"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    form.screenshot(path=SCREENSHOTS / "issue15-stance-differs.png", caret="initial")
    form.get_by_label("Votre réaction").fill("Contre, malgré ma réponse au sondage.")
    form.get_by_role("button", name="Publier", exact=True).click()
    card = page.locator("#comment-list article.comment", has_text="Contre, malgré")
    expect(card.locator(".stance-badge")).to_have_text("Non, supprimons-la")


def test_comment_times_read_relative_with_the_exact_date_in_their_title(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    comment_id = _post(page, slug, "Quand ai-je écrit ceci ?")
    page.reload()
    when = page.locator(f"#{comment_id} .when time")
    expect(when).to_have_text(re.compile(r"^(maintenant|il y a \d+ (s|min))$"))
    expect(when).to_have_attribute("title", re.compile(r"^\d{1,2} \S+ \d{4} à \d\d:\d\d$"))
    expect(when).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$"))
    english = new_context(open_server, locale="en-US").new_page()
    english.goto(f"/articles/{slug}")
    expect(english.locator(f"#{comment_id} .when time")).to_have_text(
        re.compile(r"^(now|\d+ (sec|min)\. ago)$")
    )
