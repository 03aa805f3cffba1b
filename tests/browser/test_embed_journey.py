"""The debate embedded in a newsroom's page, in Chromium, on two origins of one site (issue 17): the
host page on www.journal.test, Tribune on debats.journal.test (both mapped to 127.0.0.1 with
--host-resolver-rules). The reader reads, signs in, posts, votes and sees a live update inside the
frame, and no request leaves for a third host."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    PLAYWRIGHT_ERROR,
    LiveServer,
    start_server,
    stop_server,
    unavailable,
    unique,
)

HOST_PAGE = "/2026/12/07/heure-d-ete.html"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """The newsroom's site (www) and Tribune (debats), two origins of journal.test."""

    tribune: LiveServer
    tribune_url: str
    www_url: str
    slug: str

    @property
    def hosts(self) -> set[str]:
        return {urlsplit(self.tribune_url).netloc, urlsplit(self.www_url).netloc}


def _host_page(tribune_url: str, slug: str) -> bytes:
    """An article page of the newsroom's CMS, with the snippet of the README."""
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>L’heure d’été — Le Journal</title></head>
<body><h1>L’heure d’été, un débat qui revient</h1><p>Le texte de l’article du journal.</p>
<div data-tribune-article="{slug}"><a href="{tribune_url}/articles/{slug}">Le débat des lecteurs</a></div>
<script src="{tribune_url}/embed.js" async></script>
</body></html>""".encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    www_port = _free_port()
    www_url = f"http://www.journal.test:{www_port}"
    tribune = start_server(
        tmp_path_factory.mktemp("browser"),
        "embedded",
        {
            "TRIBUNE_EMBED_ORIGINS": www_url,
            "TRIBUNE_TRUST_THRESHOLD": "0",
            "TRIBUNE_REQUIRE_VERIFIED_EMAIL": "false",
            "TRIBUNE_RATE_LIMITS": "false",
        },
    )
    tribune_url = tribune.url.replace("127.0.0.1", "debats.journal.test")
    tribune.env["TRIBUNE_BASE_URL"] = tribune_url
    slug = tribune.new_article()
    page = _host_page(tribune_url, slug)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            found = urlsplit(self.path).path == HOST_PAGE
            body = page if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    www = ThreadingHTTPServer(("127.0.0.1", www_port), Handler)
    threading.Thread(target=www.serve_forever, daemon=True).start()
    yield Site(tribune, tribune_url, www_url, slug)
    www.shutdown()
    www.server_close()
    stop_server(tribune)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if PLAYWRIGHT_ERROR:
        unavailable(PLAYWRIGHT_ERROR)
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.journal.test 127.0.0.1"]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield launched
        launched.close()


def _post_as(site: Site, body: str) -> int:
    """Another reader posts through the JSON API (straight to the server, not through the page)."""
    name = site.tribune.create_user("reader", "voisin")
    with httpx.Client(base_url=site.tribune.url, timeout=30) as api:
        signed = api.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        posted = api.post(
            f"/api/v1/articles/{site.slug}/comments",
            json={"body": body, "stance": "against"},
            headers={"X-CSRF-Token": signed.json()["csrf_token"]},
        )
        assert posted.status_code == 201, posted.text
        return int(posted.json()["id"])


def test_a_reader_debates_inside_the_newsroom_page(browser: Browser, site: Site) -> None:
    requests: list[str] = []
    console: list[str] = []
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    context.on("request", lambda request: requests.append(request.url))
    context.on("console", lambda message: console.append(message.text))
    earlier = _post_as(site, f"Un avis déjà là ({unique('r')}).")
    name = site.tribune.create_user("reader", "lectrice")
    try:
        page: Page = context.new_page()
        page.goto(site.www_url + HOST_PAGE)

        # Reading: the debate is in the frame, and the frame has grown to its content.
        frame_element = page.locator(f"div[data-tribune-article='{site.slug}'] iframe")
        source = "?source=" + quote(site.www_url + HOST_PAGE, safe="")
        origin = "#origin=" + quote(site.www_url, safe="")
        src = f"{site.tribune_url}/embed/{site.slug}{source}{origin}&page="
        expect(frame_element).to_have_attribute("src", re.compile("^" + re.escape(src)))
        frame = page.frame_locator(f"div[data-tribune-article='{site.slug}'] iframe")
        expect(frame.locator("#debate-title")).to_be_visible()
        expect(frame.locator(f"#comment-{earlier}")).to_be_visible()
        expect(frame.locator(".site-header")).to_have_count(0)
        expect(page.locator(f"a[href='{site.tribune_url}/articles/{site.slug}']")).to_have_count(0)
        page.wait_for_function(
            "() => { const f = document.querySelector('iframe'); return f && f.style.height !== '600px'; }"
        )

        # Signing in: the link leaves the frame for the top window, and comes back to this page.
        frame.locator("#debate .notice").get_by_role("link", name="Connectez-vous").click()
        page.wait_for_url(f"{site.tribune_url}/login**")
        page.locator("#login-username").fill(name)
        page.locator("#login-password").fill(PASSWORD)
        page.locator("form.stacked-form button[type=submit]").click()
        page.wait_for_url(site.www_url + HOST_PAGE)

        # Posting, in the frame, signed in by the first-party cookie of journal.test.
        frame = page.frame_locator(f"div[data-tribune-article='{site.slug}'] iframe")
        form = frame.locator("#comment-form")
        form.locator(".stance-option.stance-for input").check()
        mine = f"Posté depuis la page du journal ({unique('r')})."
        form.get_by_label("Votre réaction").fill(mine)
        form.get_by_role("button", name="Publier", exact=True).click()
        expect(frame.locator("#comment-list article.comment", has_text=mine)).to_be_visible()

        # Voting on another reader's reaction.
        frame.locator(f"#comment-{earlier} .vote-up").click()
        expect(frame.locator(f"#comment-{earlier} .vote-up[aria-pressed=true] .vote-count")).to_have_text("1")

        # A live update: another reader posts, the frame shows it behind its banner.
        live = f"Arrivée en direct ({unique('r')})."
        arrived = _post_as(site, live)
        show = frame.locator("#live-show")
        expect(show).to_have_text("1 nouvelle réaction, afficher")
        show.click()
        expect(frame.locator(f"#comment-{arrived} .comment-body")).to_have_text(live)
        assert page.url == site.www_url + HOST_PAGE  # all of it without leaving the newsroom's page
    finally:
        context.close()
    foreign = [url for url in requests if urlsplit(url).scheme in ("http", "https")]
    foreign = [url for url in foreign if urlsplit(url).netloc not in site.hosts]
    assert not foreign, f"requests to a third host: {foreign}"
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_link_stays_for_readers_without_javascript(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.www_url + HOST_PAGE)
        link = page.get_by_role("link", name="Le débat des lecteurs")
        expect(link).to_have_attribute("href", f"{site.tribune_url}/articles/{site.slug}")
        link.click()
        expect(page.locator("#debate-title")).to_be_visible()
    finally:
        context.close()


def test_another_site_cannot_frame_the_debate(browser: Browser, site: Site) -> None:
    """A page on an origin not in TRIBUNE_EMBED_ORIGINS gets a blocked frame (frame-ancestors)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        # The same host page, served under another name: blog.journal.test is not an allowed origin.
        with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
            page.goto(site.www_url.replace("www.", "blog.") + HOST_PAGE)
        frame = page.frame_locator("iframe")
        expect(frame.locator("#debate-title")).to_have_count(0)
    finally:
        context.close()
