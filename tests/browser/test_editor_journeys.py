"""An editor's journey in a real browser: write an article, feature two responses in a chosen order,
close the debate; readers then see the featured block in that order, each reaction in its column of
the two-sided view, and no way left to post."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import SCREENSHOTS, ContextFactory, LiveServer, reader, staff, unique
from tests.browser.test_search_journeys import seed_debate


def test_an_editor_writes_features_two_responses_and_closes_the_debate(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    editor, _name = staff(new_context, open_server, "editor")
    slug = unique("redaction").replace("_", "-")
    editor.goto("/editor/articles/new")
    editor.locator("#f-slug").fill(slug)
    editor.locator("#f-title").fill("La semaine de quatre jours, vraiment ?")
    editor.locator("#f-question").fill("Faut-il passer à la semaine de quatre jours ?")
    editor.locator("#f-label_for").fill("Oui, essayons")
    editor.locator("#f-label_against").fill("Non, pas ainsi")
    editor.locator("#f-label_nuanced").fill("Selon les métiers")
    editor.locator("#f-body").fill("Plusieurs entreprises **testent** la semaine de quatre jours.")
    editor.get_by_label("Publier tout de suite").check()
    editor.locator("form.editor-form button[value=save]").click()
    expect(editor).to_have_url(f"{open_server.url}/editor/articles/{slug}")

    bodies = {}
    for stance, text in (
        ("for", "Plus de temps pour vivre."),
        ("against", "Les services publics ne suivront pas."),
        ("for", "La productivité tient, les études le montrent."),
    ):
        page, name = reader(new_context, open_server)
        page.goto(f"/articles/{slug}")
        page.locator(f"#comment-form .stance-option.stance-{stance} input").check()
        page.locator("#comment-form-body").fill(f"{text} ({name})")
        page.locator("#comment-form button.button", has_text="Publier").first.click()
        card = page.locator("#comment-list article.comment", has_text=name)
        expect(card).to_be_visible()
        bodies[name] = (stance, str(card.get_attribute("id")))
    (first_name, (_s1, first_id)), (second_name, (_s2, second_id)), _third = bodies.items()

    # Feature the against response first and the first for response second, from the thread itself.
    for card_id, rank, note in ((second_id, "1", "Un angle qu’on oublie"), (first_id, "2", "Bien dit")):
        editor.goto(f"/articles/{slug}#{card_id}")
        card = editor.locator(f"#{card_id}")
        card.locator("details.feature-box summary").click()
        card.get_by_label("Note de la rédaction").fill(note)
        card.get_by_label("Rang").fill(rank)
        card.locator("form.feature-form button[value=feature]").click()
        expect(editor.locator(f"#{card_id} .badge-featured")).to_be_visible()

    editor.goto(f"/editor/articles/{slug}")
    editor.get_by_role("button", name="Clore le débat").click()
    # Asked first, in a modal dialog (issue 15).
    editor.locator("dialog.confirm-dialog[open]").get_by_role("button", name="Clore le débat").click()
    expect(editor.get_by_role("button", name="Rouvrir le débat")).to_be_visible()

    visitor = new_context(open_server).new_page()
    visitor.goto(f"/articles/{slug}")
    featured = visitor.locator("#featured .featured-item")
    expect(featured).to_have_count(2)
    expect(featured.nth(0)).to_contain_text(second_name)
    expect(featured.nth(0)).to_contain_text("Un angle qu’on oublie")
    expect(featured.nth(1)).to_contain_text(first_name)
    expect(visitor.locator(".notice-closed")).to_contain_text("Débat clos depuis le")

    visitor.goto(f"/articles/{slug}/debate")
    columns = visitor.evaluate(
        """() => Array.from(document.querySelectorAll('.side-item')).map(li => [
               li.classList.contains('side-for') ? 'for' : 'against',
               Math.round(li.getBoundingClientRect().left)])"""
    )
    lefts = {stance: {left for s, left in columns if s == stance} for stance in ("for", "against")}
    assert len(lefts["for"]) == 1, columns
    assert len(lefts["against"]) == 1, columns
    assert min(lefts["for"]) < min(lefts["against"])

    late, _late_name = reader(new_context, open_server)
    late.goto(f"/articles/{slug}")
    expect(late.locator("#comment-form")).to_have_count(0)
    expect(late.locator(".notice-closed")).to_be_visible()
    refused = late.request.post(f"/articles/{slug}/comments", form={"body": "Trop tard", "stance": "for"})
    assert refused.status == 403


def test_the_editor_cites_the_changed_minds_figures_in_the_synthesis(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    debate = seed_debate(open_server)
    editor, _name = staff(new_context, open_server, "editor")
    editor.goto(f"/editor/articles/{debate.slug}")
    editor.get_by_role("button", name="Clore le débat").click()
    editor.locator("dialog.confirm-dialog[open]").get_by_role("button", name="Clore le débat").click()
    expect(editor.get_by_role("button", name="Rouvrir le débat")).to_be_visible()

    figures = editor.locator("#f-figures")
    expect(figures).to_contain_text("- de « Oui, gardons-la » à « Non, supprimons-la » : 6 lecteurs")
    expect(figures).to_contain_text("- de « Oui, gardons-la » à « Ça dépend » : moins de 5")
    passage = figures.input_value()
    assert "2 lecteurs" not in passage
    assert "3 lecteurs" not in passage

    # The figures go where the cursor is, as a paragraph of their own.
    synthesis = editor.locator("#f-synthesis")
    synthesis.fill("Un débat vif.\n\nMerci à tous.")
    synthesis.evaluate("el => { el.focus(); el.setSelectionRange(15, 15); }")
    editor.get_by_role("button", name="Insérer les chiffres").click()
    expect(synthesis).to_have_value(f"Un débat vif.\n\n{passage}\n\nMerci à tous.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    editor.locator(".synthesis-desk").screenshot(path=SCREENSHOTS / "issue20-synthesis-editor.png")
    editor.get_by_role("button", name="Publier la synthèse").click()
    expect(editor).to_have_url(f"{open_server.url}/editor/articles/{debate.slug}")

    visitor = new_context(open_server).new_page()
    visitor.goto(f"/articles/{debate.slug}")
    expect(visitor.locator(".notice-closed")).to_be_visible()
    shown = visitor.locator("#synthesis")
    expect(shown).to_contain_text(
        "des lecteurs ayant répondu à la question (33 réponses) ont changé de réponse"
    )
    expect(shown.locator("li", has_text="6 lecteurs")).to_have_text(
        "de « Oui, gardons-la » à « Non, supprimons-la » : 6 lecteurs"
    )
    expect(shown.locator("li", has_text="moins de 5")).to_have_count(2)
    expect(shown.locator("strong")).to_have_text("Le débat a-t-il fait changer d’avis ?")
    shown.screenshot(path=SCREENSHOTS / "issue20-synthesis-closed.png")


def test_without_javascript_the_editor_copies_the_figures_from_a_read_only_box(
    new_context: ContextFactory, open_server: LiveServer
) -> None:
    slug = open_server.new_article()
    page, _name = reader(new_context, open_server)
    page.goto(f"/articles/{slug}")
    page.locator(".poll-option.stance-for .poll-button").click()
    page.locator(".poll-option.stance-for .poll-button[aria-pressed=true]").wait_for()
    editor, _editor = staff(new_context, open_server, "editor", javascript=False)
    editor.goto(f"/editor/articles/{slug}")
    figures = editor.locator("#f-figures")
    expect(figures).to_be_visible()
    expect(figures).to_have_attribute("readonly", "")
    expect(figures).to_contain_text("0\u00a0% des lecteurs ayant répondu à la question (1 réponse)")
    expect(editor.get_by_role("button", name="Insérer les chiffres")).to_be_hidden()
