"""Fixtures for the browser tests: servers, Chromium, and recorded browser contexts (see helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from tests.browser.helpers import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_SLUG,
    IN_CI,
    PLAYWRIGHT_ERROR,
    ContextFactory,
    KeyPage,
    LiveServer,
    PageOpener,
    Showcase,
    Traffic,
    login,
    register,
    start_server,
    stop_server,
    unavailable,
)

if PLAYWRIGHT_ERROR is None:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
elif not IN_CI:
    # Nothing to drive a browser with: say so in the header and leave these modules out. Under CI the
    # modules are collected anyway, and their import error fails the run.
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header() -> str | None:
    if PLAYWRIGHT_ERROR and not IN_CI:
        return f"tests/browser skipped: {PLAYWRIGHT_ERROR}"
    return None


@pytest.fixture(scope="session")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A forum without pre-moderation of newcomers (trust threshold 0): posts are published at once."""
    server = start_server(
        tmp_path_factory.mktemp("browser"),
        "open",
        # Readers registered in the journeys publish at once (no mailbox to verify their address from).
        {"TRIBUNE_TRUST_THRESHOLD": "0", "TRIBUNE_REQUIRE_VERIFIED_EMAIL": "false"},
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def moderated_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The product defaults: a newcomer's first comment waits for a moderator."""
    server = start_server(tmp_path_factory.mktemp("browser"), "moderated", {})
    yield server
    stop_server(server)


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    if PLAYWRIGHT_ERROR:
        unavailable(PLAYWRIGHT_ERROR)
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module, not per session: Playwright's sync API keeps an asyncio loop running while it is
    open, which would break the asyncio.run() of other modules that pytest-randomly runs in between."""
    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        unavailable(f"axe-core is not installed at {AXE} (npm ci --prefix tests/browser)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def open_tracked_context(
    browser: Browser,
    traffic: Traffic,
    server: LiveServer,
    *,
    javascript: bool = True,
    locale: str = "fr-FR",
    color_scheme: str = "light",
    width: int = 1280,
    height: int = 900,
    **options: Any,
) -> BrowserContext:
    """A fresh, isolated browser context whose pages record every request they make into `traffic`."""
    traffic.own.add(server.netloc)
    context = browser.new_context(
        base_url=server.url,
        java_script_enabled=javascript,
        locale=locale,
        color_scheme=color_scheme,  # type: ignore[arg-type]
        viewport={"width": width, "height": height},
        **options,
    )
    context.set_default_timeout(10_000)

    def watch(page: Page) -> None:
        page.on("request", lambda request: traffic.requests.append(request.url))
        page.on("console", lambda msg: traffic.note_console(msg.text))

    context.on("page", watch)
    return context


@pytest.fixture
def new_context(browser: Browser, traffic: Traffic) -> Iterator[ContextFactory]:
    """Open isolated browser contexts (one per person) that record every request their pages make.

    After the test, any request to a host other than the app's own, or any Content-Security-Policy
    violation, fails it: no CDN, font service or tracker may ever be reached from a page.
    """
    contexts: list[BrowserContext] = []

    def factory(server: LiveServer, **options: Any) -> BrowserContext:
        server.assert_alive()
        context = open_tracked_context(browser, traffic, server, **options)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()
    traffic.check()


@pytest.fixture(scope="session")
def showcase(open_server: LiveServer) -> Showcase:
    """Seeded by a Chromium of its own, in a thread of its own: the test that first asks for it may
    run in a module whose `browser` is open, and Playwright's sync API keeps an asyncio loop running
    in its thread, so a second one cannot start beside it there (CI's random order found it)."""

    def seed() -> Showcase:
        with launched_chromium() as browser:
            return seed_showcase(browser, open_server)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(seed).result()


def seed_showcase(browser: Browser, open_server: LiveServer) -> Showcase:
    traffic = Traffic()
    contexts: list[BrowserContext] = []

    def person() -> Page:
        context = open_tracked_context(browser, traffic, open_server)
        contexts.append(context)
        page = context.new_page()
        register(page)
        return page

    slug = DEFAULT_SLUG
    bodies = {
        "for": "Un cloud **souverain** peut très bien tourner sur du matériel américain, si les clés de "
        "chiffrement restent en France et si le droit applicable est le nôtre.\n\n"
        "> La souveraineté, c’est le contrôle, pas l’origine du fournisseur.",
        "against": "Le *Cloud Act* s’applique à toute entreprise américaine, où que soient ses serveurs. "
        "Parler de souveraineté dans ces conditions relève de la communication.",
        "nuanced": "Tout dépend des usages : pour les données de santé ou de défense, non ; pour former "
        "des développeurs et équiper des PME, l’investissement reste une bonne nouvelle.",
    }
    pages: dict[str, Page] = {}
    ids: list[int] = []
    for stance, body in bodies.items():
        page = person()
        pages[stance] = page
        page.goto(f"/articles/{slug}")
        page.locator(f".poll-option.stance-{stance} .poll-button").click()
        page.locator(f".poll-option.stance-{stance} .poll-button[aria-pressed=true]").wait_for()
        page.locator(f"#comment-form .stance-option.stance-{stance} input").check()
        page.locator("#comment-form textarea").fill(body)
        page.locator("#comment-form").get_by_role("button", name="Publier", exact=True).click()
        card = page.locator("#comment-list article.comment.stance-" + stance).first
        card.wait_for()
        ids.append(int(str(card.get_attribute("id")).removeprefix("comment-")))

    replier = person()
    replier.goto(f"/articles/{slug}")
    replier.locator(f"#comment-{ids[0]} .vote-up").click()
    replier.locator(f"#comment-{ids[0]} .vote-up[aria-pressed=true]").wait_for()
    replier.locator(f"#comment-{ids[1]} .vote-down").click()
    replier.locator(f"#comment-{ids[1]} .vote-down[aria-pressed=true]").wait_for()
    replier.locator(f"#comment-{ids[0]} a.action", has_text="Répondre").click()
    replier.locator(f"#reply-form-{ids[0]} textarea").fill(
        "Les clés en France, d’accord, mais qui audite le code qui les manipule ?"
    )
    replier.locator(f"#reply-form-{ids[0]}").get_by_role("button", name="Publier la réponse").click()
    reply = replier.locator(f"#replies-{ids[0]} article.comment").first
    reply.wait_for()
    reply_id = int(str(reply.get_attribute("id")).removeprefix("comment-"))

    answerer = person()  # the original author would still be inside the one-post-per-5-s limit
    answerer.goto(f"/articles/{slug}")
    answerer.locator(f"#comment-{reply_id} a.action", has_text="Répondre").click()
    answerer.locator(f"#reply-form-{reply_id} textarea").fill(
        "Des auditeurs qualifiés par l’ANSSI, justement."
    )
    answerer.locator(f"#reply-form-{reply_id}").get_by_role("button", name="Publier la réponse").click()
    deep = answerer.locator(f"#replies-{reply_id} article.comment").first
    deep.wait_for()
    deep_reply_id = int(str(deep.get_attribute("id")).removeprefix("comment-"))

    # A report, so that the reported queue has a card to show.
    reporter = person()
    reporter.goto(f"/comments/{ids[2]}/report")
    reporter.locator("select[name=reason]").select_option("off_topic")
    reporter.locator("textarea[name=note]").fill("Ne répond pas à la question.")
    reporter.locator("form.report-form button[type=submit]").click()
    reporter.locator(f"#report-form-{ids[2]}.notice").wait_for()  # htmx swaps in the thanks

    staff_states = {}
    for role in ("moderator", "editor"):
        context = open_tracked_context(browser, traffic, open_server)
        contexts.append(context)
        page = context.new_page()
        login(page, open_server.staff_account(role))
        if role == "editor":
            # The editor features the first reaction ("Choix de la rédaction"), where the page offers it.
            page.goto(f"/articles/{slug}")
            feature = page.locator(f"#comment-{ids[0]} .feature-box")
            if feature.count():
                feature.locator("summary").click()
                feature.locator("input[name=note]").fill(
                    "Un argument précis, sourcé, et qui fait avancer le débat."
                )
                feature.locator("button[value=feature]").click()
                page.wait_for_load_state()
        staff_states[role] = dict(context.storage_state())

    state = replier.context.storage_state()
    for context in contexts:
        context.close()
    traffic.check()
    return Showcase(slug, ids, reply_id, deep_reply_id, dict(state), staff_states)


@pytest.fixture
def open_key_page(new_context: ContextFactory, open_server: LiveServer, showcase: Showcase) -> PageOpener:
    """Open one of KEY_PAGES as the right person, in a given language, colour scheme and width."""

    def opener(key: KeyPage, *, lang: str = "fr", **options: Any) -> Page:
        if key.who == "reader":
            options["storage_state"] = showcase.reader_state
        elif key.who != "anonymous":
            options["storage_state"] = showcase.staff_states[key.who]
        locale = {"fr": "fr-FR", "en": "en-US"}[lang]
        context = new_context(open_server, locale=locale, **options)
        page = context.new_page()
        response = page.goto(key.path(showcase))
        assert response is not None
        if response.status == 404:
            pytest.skip(f"{key.path(showcase)} does not exist yet")
        assert response.ok, f"{key.path(showcase)} answered {response.status}"
        if key.name == "register-errors":
            page.locator("#reg-username").fill("x")
            page.locator("#reg-email").fill("pas-une-adresse")
            page.locator("#reg-password").fill("court")
            page.locator("form.stacked-form button[type=submit]").click()
            page.locator("#reg-username-error").wait_for()
        return page

    return opener
