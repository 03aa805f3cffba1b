"""Helpers for the browser tests: the real server (uvicorn on a free loopback port, a fresh SQLite
database built by `tribune init`) driven by Debian's Chromium through Playwright.

Without Chromium, Playwright or axe-core the tests skip with the reason; under CI=true they fail instead,
so CI can never pass by not running them. Playwright's own browser download is never used.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

PLAYWRIGHT_ERROR: str | None = (
    None
    if importlib.util.find_spec("playwright") is not None
    else "the Python package playwright is not installed (pip install -e '.[dev]')"
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHROMIUM = Path(os.environ.get("TRIBUNE_CHROMIUM", "/usr/bin/chromium"))
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("TRIBUNE_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
# Playwright's launch() gives every run a fresh temporary user data dir; these flags keep Chromium
# from phoning home, so the only requests on the wire are the pages' own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "motdepasse-solide"
QUESTION = "Faut-il garder l’heure d’été ?"
DEFAULT_SLUG = "souverainete-avec-microsoft-ou-pas"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine without the browser; fail under CI, where it must be there."""
    if IN_CI:
        pytest.fail(f"{reason}; CI=true, so the browser tests must run (see .ci/run)", pytrace=False)
    pytest.skip(f"{reason}: browser tests skipped (CI=true bash .ci/run installs it)")


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """One `tribune serve` process over its own instance folder and SQLite database."""

    url: str
    instance: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    articles: int = field(default=0)
    staff: dict[str, str] = field(default_factory=dict)

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def tribune(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "tribune"), *args],
            env={**self.env, **(extra_env or {})},
            cwd=self.instance,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"tribune {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def create_user(self, role: str, prefix: str | None = None) -> str:
        name = unique(prefix or role)
        self.tribune("create-user", name, "--role", role, extra_env={"TRIBUNE_NEW_PASSWORD": PASSWORD})
        return name

    def assert_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            log = self.log.read_text(errors="replace")[-3000:] if self.log else ""
            raise AssertionError(f"tribune serve exited with {self.process.returncode}:\n{log}")

    def staff_account(self, role: str) -> str:
        """One account per staff role and server, made once by `tribune create-user` (staff are shared)."""
        if role not in self.staff:
            self.staff[role] = self.create_user(role)
        return self.staff[role]

    def new_article(
        self, *, title: str | None = None, question: str = "Faut-il garder l’heure d’été ?"
    ) -> str:
        """A fresh published article, so that each test has its own tally and its own debate."""
        self.articles += 1
        slug = f"{unique('debat').replace('_', '-')}"
        source = self.instance / f"{slug}.md"
        source.write_text(
            "---\n"
            f"slug: {slug}\n"
            f'title: "{title or "L’heure d’été, un débat qui revient chaque printemps"}"\n'
            'lede: "Deux fois par an, la France change d’heure. Faut-il y mettre fin ?"\n'
            "language: fr\n"
            f'question: "{question}"\n'
            "stances:\n"
            '  for: "Oui, gardons-la"\n'
            '  against: "Non, supprimons-la"\n'
            '  nuanced: "Ça dépend"\n'
            "---\n"
            "Le changement d’heure revient. **Les avis** divergent depuis des années.\n\n"
            "## Ce que dit l’étude\n\n"
            "> Le gain d’énergie est faible, selon l’Ademe.\n\n"
            "Les lecteurs sont invités à en débattre ci-dessous.\n",
            encoding="utf-8",
        )
        self.tribune("import-article", str(source))
        return slug


def start_server(base: Path, name: str, extra_env: dict[str, str]) -> LiveServer:
    instance = base / name
    instance.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUNE_")}
    env.update(
        {
            "TRIBUNE_INSTANCE_PATH": str(instance),
            "TRIBUNE_DATABASE_URL": f"sqlite:///{instance / 'tribune.db'}",
            "TRIBUNE_SECRET_KEY": secrets.token_urlsafe(32),
            **extra_env,
        }
    )
    port = _free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", instance=instance, env=env)
    server.tribune("init")
    server.log = instance / "server.log"
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(
            [str(BIN / "tribune"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=instance,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"tribune serve exited:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.process.kill()
            raise RuntimeError(f"tribune serve did not answer in 30 s:\n{server.log.read_text()}")
        time.sleep(0.1)


def stop_server(server: LiveServer) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass
class Traffic:
    """Every request the pages made, and every CSP complaint Chromium logged, per context."""

    own: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    csp_errors: list[str] = field(default_factory=list)

    def note_console(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.csp_errors.append(text)

    def check(self) -> None:
        foreign = self.foreign()
        assert not foreign, f"third-party requests left the page: {foreign}"
        assert not self.csp_errors, f"Content-Security-Policy violations: {self.csp_errors}"

    def foreign(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob", "about"}:
                continue
            if parts.netloc not in self.own:
                out.append(url)
        return out


ContextFactory = Callable[..., "BrowserContext"]
PageOpener = Callable[..., "Page"]


def register(page: Page, username: str | None = None, *, start: str = "/register") -> str:
    """Create an account through the registration form; returns the username."""
    username = username or unique("lecteur")
    page.goto(start)
    page.locator("#reg-username").fill(username)
    page.locator("#reg-email").fill(f"{username}@example.org")
    page.locator("#reg-password").fill(PASSWORD)
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_load_state()
    page.locator(".whoami", has_text=username).wait_for()
    return username


def login(page: Page, username: str, *, next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("form.stacked-form button[type=submit]").click()
    page.locator(".whoami", has_text=username).wait_for()


def reader(new_context: ContextFactory, server: LiveServer, **options: Any) -> tuple[Page, str]:
    """A fresh browser for a freshly registered reader."""
    page = new_context(server, **options).new_page()
    return page, register(page)


def staff(new_context: ContextFactory, server: LiveServer, role: str, **options: Any) -> tuple[Page, str]:
    """A fresh browser signed in as a new account with `role`, created by `tribune create-user`."""
    name = server.staff_account(role)
    page = new_context(server, **options).new_page()
    login(page, name)
    return page, name


def mark_page(page: Page) -> None:
    """Leave a marker in the window: it survives an htmx swap, not a page load."""
    page.evaluate("window.__tribuneMarker = 'still here'")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__tribuneMarker") == "still here", "the page was reloaded"


@dataclass
class Showcase:
    """A lively debate on the default article, seeded through the browser, for scans and screenshots."""

    slug: str
    reaction_ids: list[int]
    reply_id: int
    deep_reply_id: int
    reader_state: dict[str, Any]
    staff_states: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class KeyPage:
    """A page worth scanning and photographing: who looks at it, and where."""

    name: str
    who: str  # anonymous, reader, moderator, editor

    def path(self, showcase: Showcase) -> str:
        return {
            "front": "/",
            "article": f"/articles/{showcase.slug}",
            "article-anonymous": f"/articles/{showcase.slug}",
            "permalink": f"/comments/{showcase.reply_id}",
            "reply-page": f"/comments/{showcase.reaction_ids[1]}/reply",
            "login": "/login",
            "register": "/register",
            "register-errors": "/register",
            "account": "/account",
            "moderation": "/moderation",
            "moderation-pending": "/moderation/pending",
            "moderation-reported": "/moderation/reported",
            "editor": "/editor",
            "editor-article": f"/editor/articles/{showcase.slug}",
            "embed": f"/embed/{showcase.slug}",
            "terms": "/terms",
            "notice-form": f"/notices/new?comment={showcase.reply_id}",
            "transparency": "/transparence",
            "moderation-notices": "/moderation/notices",
            "moderation-appeals": "/moderation/appeals",
            # Issue 20: the search page with results, the debate view with its flows.
            "search": f"/articles/{showcase.slug}/search?q=le",
            "debate": f"/articles/{showcase.slug}/debate",
        }[self.name]


KEY_PAGES = [
    KeyPage("front", "reader"),
    KeyPage("article", "reader"),
    KeyPage("article-anonymous", "anonymous"),
    KeyPage("permalink", "reader"),
    KeyPage("reply-page", "reader"),
    KeyPage("login", "anonymous"),
    KeyPage("register", "anonymous"),
    KeyPage("register-errors", "anonymous"),
    KeyPage("account", "reader"),
    KeyPage("moderation", "moderator"),
    KeyPage("moderation-pending", "moderator"),
    KeyPage("moderation-reported", "moderator"),
    KeyPage("editor", "editor"),
    KeyPage("editor-article", "editor"),
    KeyPage("embed", "reader"),  # the debate alone, as the newsroom's pages frame it (issue 17)
    # Issue 18 (EU DSA)
    KeyPage("terms", "anonymous"),
    KeyPage("notice-form", "anonymous"),
    KeyPage("transparency", "anonymous"),
    KeyPage("moderation-notices", "moderator"),
    KeyPage("moderation-appeals", "moderator"),
    KeyPage("search", "anonymous"),
    KeyPage("debate", "reader"),
]
