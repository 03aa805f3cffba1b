"""A reader's journeys in a real browser with JavaScript: htmx swaps the forms' results in place."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    PASSWORD,
    ContextFactory,
    LiveServer,
    assert_not_reloaded,
    mark_page,
    reader,
    register,
    unique,
)


def post_reaction(page: Page, slug: str, body: str, stance: str = "for") -> str:
    """Post a top-level reaction from the article page; returns its element id (comment-N)."""
    page.goto(f"/articles/{slug}")
    form = page.locator("#comment-form")
    form.locator(f".stance-option.stance-{stance} input").check()
    form.get_by_label("Votre réaction").fill(body)
    form.get_by_role("button", name="Publier").click()
    card = page.locator("#comment-list article.comment", has_text=body)
    expect(card).to_be_visible()
    return str(card.get_attribute("id"))


def test_a_visitor_registers_from_the_debate_and_comes_back_to_it_signed_in(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page = new_context(open_server).new_page()
    page.goto(f"/articles/{slug}")
    page.locator("#debate .notice").get_by_role("link", name="créez un compte").click()
    expect(page).to_have_url(f"{open_server.url}/register?next=/articles/{slug}%23debate")
    name = register(page, start=page.url)
    expect(page).to_have_url(f"{open_server.url}/articles/{slug}#debate")
    expect(page.locator(".whoami")).to_have_text(name)
    expect(page.locator("#comment-form")).to_be_visible()


def test_registration_errors_are_shown_beside_their_fields(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    page = new_context(open_server).new_page()
    page.goto("/register")
    page.locator("#reg-username").fill("x")
    page.locator("#reg-email").fill("pas-une-adresse")
    page.locator("#reg-password").fill("court")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#reg-username-error")).to_be_visible()
    expect(page.locator("#reg-password-error")).to_be_visible()
    expect(page.locator("#reg-username")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reg-email")).to_have_value("pas-une-adresse")


def test_taking_a_stance_updates_the_tally_in_place(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    mark_page(page)
    page.locator(".poll-option.stance-against .poll-button").click()
    chosen = page.locator("#question .poll-option.stance-against .poll-button")
    expect(chosen).to_have_attribute("aria-pressed", "true")
    expect(chosen).to_contain_text("100 %")
    expect(page.locator("#question .poll-mine")).to_contain_text("Non, supprimons-la")
    expect(page.locator("#question .poll-total")).to_have_text("1 lecteur a répondu")
    assert_not_reloaded(page)


def test_changing_stance_moves_the_single_vote_to_the_new_side(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(".poll-option.stance-for .poll-button").click()
    expect(page.locator(".poll-option.stance-for .poll-button")).to_have_attribute("aria-pressed", "true")
    page.locator(".poll-option.stance-nuanced .poll-button").click()
    expect(page.locator(".poll-option.stance-nuanced .poll-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".poll-option.stance-for .poll-button")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#question .poll-total")).to_have_text("1 lecteur a répondu")
    page.reload()
    expect(page.locator(".poll-option.stance-nuanced .poll-button")).to_contain_text("100 %")


def test_withdrawing_a_stance_empties_the_tally(new_context: ContextFactory, open_server: LiveServer) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(".poll-option.stance-for .poll-button").click()
    page.get_by_role("button", name="Retirer ma voix").click()
    expect(page.locator("#question .poll-total")).to_have_text("0 lecteurs ont répondu")
    expect(page.locator(".poll-button[aria-pressed=true]")).to_have_count(0)


def test_a_posted_reaction_appears_at_the_top_of_the_debate_with_its_stance_label(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    mark_page(page)
    body = f"Garder l’heure d’été, c’est garder la lumière le soir ({unique('r')})."
    comment_id = post_reaction(page, slug, body, stance="for")
    card = page.locator(f"#{comment_id}")
    expect(page.locator("#comment-list > li").first.locator("article.comment")).to_have_id(comment_id)
    expect(card.locator(".author")).to_have_text(name)
    expect(card.locator(".stance-badge")).to_have_text("Oui, gardons-la")
    expect(page.get_by_label("Votre réaction")).to_have_value("")
    expect(page.locator("#comment-form .stance-option input:checked")).to_have_count(0)


def test_the_posted_reaction_stays_after_a_reload(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    body = f"Une réaction qui reste ({unique('r')})."
    comment_id = post_reaction(page, slug, body, stance="nuanced")
    page.reload()
    expect(page.locator(f"#{comment_id} .comment-body")).to_have_text(body)
    expect(page.locator("#debate-title .count")).to_have_text("1 réaction")


def test_a_reaction_without_a_stance_is_refused_on_the_form_keeping_the_text(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    mark_page(page)
    page.get_by_label("Votre réaction").fill("Sans position.")
    page.get_by_role("button", name="Publier").click()
    expect(page.locator("#comment-form .field-error")).to_be_visible()
    expect(page.get_by_label("Votre réaction")).to_have_value("Sans position.")
    expect(page.locator("#comment-list article.comment")).to_have_count(0)
    assert_not_reloaded(page)


def test_a_reader_replies_to_another_readers_reaction_in_place(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _alice_name = reader(new_context, open_server)
    comment_id = post_reaction(alice, slug, "L’heure d’hiver fatigue tout le monde.", stance="against")
    bob, bob_name = reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    mark_page(bob)
    bob.locator(f"#{comment_id}").get_by_role("link", name="Répondre").click()
    number = comment_id.removeprefix("comment-")
    reply_box = bob.locator(f"#reply-form-{number}")
    expect(reply_box.get_by_label("Votre réponse")).to_be_focused()
    reply_box.get_by_label("Votre réponse").fill("Pas moi : j’aime les matins clairs.")
    reply_box.get_by_role("button", name="Publier la réponse").click()
    reply = bob.locator(f"#replies-{number} article.comment", has_text="j’aime les matins clairs")
    expect(reply).to_be_visible()
    expect(reply.locator(".author")).to_have_text(bob_name)
    expect(reply.locator(".stance-badge")).to_have_count(0)
    expect(bob.locator(f"#reply-form-{number}")).to_have_count(0)
    assert_not_reloaded(bob)
    alice.reload()
    expect(alice.locator(f"#replies-{number}")).to_contain_text("j’aime les matins clairs")


def test_an_upvote_counts_once_and_a_second_click_withdraws_it(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction(alice, slug, "Votez pour moi.", stance="for")
    bob, _ = reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    mark_page(bob)
    up = bob.locator(f"#{comment_id} .vote-up")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up.locator(".vote-count")).to_have_text("1")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up.locator(".vote-count")).to_have_text("0")
    assert_not_reloaded(bob)


def test_the_other_arrow_switches_a_vote_from_up_to_down(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction(alice, slug, "Un avis tranché.", stance="against")
    bob, _ = reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    bob.locator(f"#{comment_id} .vote-up").click()
    expect(bob.locator(f"#{comment_id} .vote-up .vote-count")).to_have_text("1")
    bob.locator(f"#{comment_id} .vote-down").click()
    expect(bob.locator(f"#{comment_id} .vote-down")).to_have_attribute("aria-pressed", "true")
    expect(bob.locator(f"#{comment_id} .vote-down .vote-count")).to_have_text("1")
    expect(bob.locator(f"#{comment_id} .vote-up .vote-count")).to_have_text("0")
    bob.reload()
    expect(bob.locator(f"#{comment_id} .vote-down")).to_have_attribute("aria-pressed", "true")


def test_a_reader_cannot_vote_on_their_own_reaction(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _ = reader(new_context, open_server)
    comment_id = post_reaction(page, slug, "Mon propre avis.", stance="for")
    expect(page.locator(f"#{comment_id} .vote-up")).to_be_disabled()
    expect(page.locator(f"#{comment_id} .vote-down")).to_be_disabled()


def test_an_anonymous_reader_sees_the_debate_but_no_form(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction(alice, slug, "Lisible par tous.", stance="nuanced")
    page = new_context(open_server).new_page()
    page.goto(f"/articles/{slug}")
    expect(page.locator(f"#{comment_id} .comment-body")).to_have_text("Lisible par tous.")
    expect(page.locator("#comment-form")).to_have_count(0)
    expect(page.locator(f"#{comment_id} .vote-up")).to_be_disabled()
    expect(page.locator("#question .poll-mine")).to_contain_text("Connectez-vous pour donner votre position.")


def test_the_permalink_shows_the_reply_under_its_parent_and_the_question(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    alice, _ = reader(new_context, open_server)
    comment_id = post_reaction(alice, slug, "Le message d’origine.", stance="for")
    number = comment_id.removeprefix("comment-")
    bob, _ = reader(new_context, open_server)
    bob.goto(f"/articles/{slug}")
    bob.locator(f"#{comment_id}").get_by_role("link", name="Répondre").click()
    bob.locator(f"#reply-form-{number}").get_by_label("Votre réponse").fill("La réponse en lien.")
    bob.get_by_role("button", name="Publier la réponse").click()
    reply = bob.locator(f"#replies-{number} article.comment").first
    reply.get_by_role("link", name="Lien").click()
    expect(bob.locator(".permalink-question")).to_have_text("Faut-il garder l’heure d’été ?")
    expect(bob.locator(".ancestors")).to_contain_text("Le message d’origine.")
    expect(bob.locator("#replies")).to_contain_text("La réponse en lien.")


def test_a_reader_signs_out_and_back_in(new_context: ContextFactory, open_server: LiveServer) -> None:
    page, name = reader(new_context, open_server)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator(".whoami")).to_have_count(0)
    page.get_by_role("link", name="Se connecter").click()
    page.locator("#login-username").fill(name)
    page.locator("#login-password").fill("mauvais mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-error")).to_be_visible()
    page.locator("#login-password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".whoami")).to_have_text(name)
