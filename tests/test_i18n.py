"""French and English: complete catalogues, language chosen from Accept-Language or the switcher, and
dates and numbers in the reader's locale.

The first test extracts every msgid from app/ and templates/ the way `make messages` does (same
babel.cfg, same keywords) and fails on any string that either catalogue lacks: a new interface string
must come with its translation (run `make messages`, then translate what it reports).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import dates, i18n
from app.middleware import LOCALE_COOKIE
from app.models import Reason, Role, User, utcnow
from app.services import editorial, moderation
from app.templating import make_environment
from tests.conftest import ClientFor
from tests.factories import PASSWORD, make_article, make_comment, make_user, page_csrf

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "app" / "translations"
# As in the Makefile: pybabel's default keywords plus these.
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]*\}")

Msgid = str | tuple[str, str]


def _source_messages() -> dict[Msgid, list[str]]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))  # type: ignore[no-untyped-call]
    found: dict[Msgid, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        key: Msgid = message if isinstance(message, str) else (message[0], message[1])
        if key:
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def _strings(value: object) -> tuple[str, ...]:
    """A message's id or string as a tuple: one item, or the plural forms."""
    items = value if isinstance(value, tuple | list) else (value,)
    return tuple(str(item or "") for item in items)


def _catalogue(locale: str) -> Catalog:
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def source_messages() -> dict[Msgid, list[str]]:
    return _source_messages()


def test_extraction_finds_the_interface_strings(source_messages: dict[Msgid, list[str]]) -> None:
    # Both front doors are covered: Python (errors) and templates, plural forms included.
    assert "Le débat" in source_messages
    assert "Commentaire introuvable." in source_messages
    assert ("%(n)s réaction", "%(n)s réactions") in source_messages
    assert len(source_messages) > 300


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_source_string_is_translated(locale: str, source_messages: dict[Msgid, list[str]]) -> None:
    catalogue = _catalogue(locale)
    missing = []
    for msgid, where in source_messages.items():
        message = catalogue.get(msgid if isinstance(msgid, str) else msgid[0])
        strings: tuple[str, ...] = ()
        if message is not None and not message.fuzzy:
            strings = _strings(message.string)
        plural_ok = message is not None and isinstance(msgid, tuple) == isinstance(message.id, tuple)
        if not strings or not all(s.strip() for s in strings) or not plural_ok:
            missing.append(f"{msgid!r} ({where[0]})")
    assert not missing, (
        f"{len(missing)} string(s) missing from the {locale} catalogue; run `make messages` and translate "
        f"app/translations/{locale}/LC_MESSAGES/messages.po:\n  " + "\n  ".join(missing)
    )


def test_the_french_catalogue_is_the_source_itself() -> None:
    for message in _catalogue("fr"):
        if message.id:
            assert message.string == message.id, message.id


def test_english_translations_keep_their_placeholders() -> None:
    catalogue = _catalogue("en")
    assert catalogue.num_plurals == 2
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        ids = _strings(message.id)
        strings = _strings(message.string)
        if isinstance(message.id, tuple) and len(strings) != 2:
            wrong.append(f"{message.id!r}: needs 2 plural forms")
            continue
        for source, translated in zip(ids, strings, strict=True):
            if translated and sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append(f"{source!r} -> {translated!r}")
    # Babel's own checks too (python-format placeholders, number of plural forms).
    wrong += [f"{m.id!r}: {e}" for m, errors in catalogue.check() for e in errors]
    assert not wrong, "\n".join(wrong)


# Choosing the language ---------------------------------------------------------------------------


def test_article_page_follows_accept_language(client: TestClient, session: Session) -> None:
    make_article(session, slug="langues", comment_count=2)
    english = client.get("/articles/langues", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}).text
    assert '<html lang="en">' in english
    assert ">The debate" in english
    assert "2 responses" in english
    assert "Le débat" not in english

    french = client.get("/articles/langues", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert '<html lang="fr">' in french
    assert ">Le débat" in french
    assert "2 réactions" in french

    # Nothing asked, or only languages Tribune does not speak: French.
    assert '<html lang="fr">' in client.get("/articles/langues", headers={"Accept-Language": "de, it"}).text
    assert '<html lang="fr">' in client.get("/articles/langues").text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("de-DE, en;q=0.5, fr;q=0.4", "en"),
        ("fr-CA, en;q=0.8", "fr"),
        ("en;q=0, fr;q=0.1", "fr"),
        ("en;q=0", "fr"),
        ("de, *;q=0.5", "fr"),
        ("en;q=abc", "fr"),
        ("", "fr"),
    ],
)
def test_accept_language_negotiation(header: str, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_python_messages_are_translated_too(client: TestClient) -> None:
    response = client.get("/articles/nope", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Article not found." in response.text


def test_every_page_has_the_switcher(client: TestClient, session: Session) -> None:
    make_article(session, slug="bascule")
    for path in ("/", "/articles/bascule", "/login", "/register"):
        html = client.get(path).text
        assert 'action="/lang"' in html, path
        assert 'name="lang" value="en" lang="en">English</button>' in html, path
        html = client.get(path, headers={"Accept-Language": "en"}).text
        assert 'name="lang" value="fr" lang="fr">Français</button>' in html, path


def test_switcher_sets_a_lasting_cookie_and_returns_to_the_page(client: TestClient, session: Session) -> None:
    make_article(session, slug="retour", comment_count=1)
    token = page_csrf(client, "/articles/retour")
    response = client.post(
        "/lang", data={"lang": "en", "next": "/articles/retour?sort=newest", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/articles/retour?sort=newest"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{LOCALE_COOKIE}=en;")
    assert "Max-Age=31536000" in cookie
    assert "SameSite=lax" in cookie

    # The choice beats the browser's Accept-Language from now on.
    html = client.get("/articles/retour", headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in html
    assert "1 response" in html
    assert "Sign in" in html

    token = page_csrf(client, "/articles/retour")
    client.post("/lang", data={"lang": "fr", "next": "/articles/retour", "csrf_token": token})
    html = client.get("/articles/retour", headers={"Accept-Language": "en"}).text
    assert '<html lang="fr">' in html
    assert "1 réaction" in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", ""])
def test_switcher_only_returns_to_this_site(client: TestClient, target: str) -> None:
    token = page_csrf(client, "/")
    response = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_switcher_refuses_an_unknown_language_and_a_missing_token(client: TestClient) -> None:
    token = page_csrf(client, "/")
    response = client.post("/lang", data={"lang": "xx", "next": "/", "csrf_token": token})
    assert response.status_code == 400
    assert LOCALE_COOKIE not in response.headers.get("set-cookie", "")
    response = client.post("/lang", data={"lang": "en", "next": "/"})
    assert response.status_code == 403


def test_switcher_remembers_the_choice_on_the_account(client_for: ClientFor, session: Session) -> None:
    user = make_user(session)
    browser = client_for(user)
    token = page_csrf(browser, "/")
    response = browser.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 303
    assert session.get(User, user.id).locale == "en"  # type: ignore[union-attr]
    assert '<html lang="en">' in browser.get("/").text


@pytest.mark.parametrize("door", ["form", "api"])
def test_signing_in_on_a_new_browser_brings_back_the_saved_language(
    client: TestClient, session: Session, door: str
) -> None:
    user = make_user(session, locale="en")
    if door == "form":
        token = page_csrf(client, "/login")  # a fresh browser: no language cookie, French by default
        response = client.post(
            "/login",
            data={"username": user.username, "password": PASSWORD, "csrf_token": token},
            headers={"Accept-Language": "fr"},
        )
        assert response.status_code == 303
    else:  # a page's script signing in through the JSON API, then the reader browsing the site
        response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert response.json()["user"]["username"] == user.username
    html = client.get("/", headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in html
    assert "Sign out" in html


@pytest.mark.parametrize("door", ["form", "api"])
def test_signing_in_without_a_saved_language_keeps_the_browsers(
    client: TestClient, session: Session, door: str
) -> None:
    user = make_user(session)
    if door == "form":
        token = page_csrf(client, "/login")
        response = client.post(
            "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
    else:
        response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
    assert LOCALE_COOKIE not in response.headers.get("set-cookie", "")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_a_language_picked_before_registering_is_saved_on_the_account(
    client: TestClient, session: Session
) -> None:
    token = page_csrf(client, "/register")
    client.post("/lang", data={"lang": "en", "next": "/register", "csrf_token": token})
    response = client.post(
        "/register",
        data={
            "username": "anglophone",
            "email": "en@example.org",
            "password": "motdepasse",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    user = session.exec(select(User).where(User.username == "anglophone")).one()
    assert user.locale == "en"


# Staff pages in English: words, not codes ------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside <script> and <style>, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def _visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.nodes


# What the log, the queues and a reader's record store (decisions, sanctions, roles, statuses). Shown raw,
# a code starts its text node ("approve", "— suspend by…", "(published) — …"); compound ones show anywhere.
RAW_CODE = re.compile(
    r"^[\s—(]*(approve|reject|feature|unfeature|suspend|ban|lift|active|suspended|banned|reader|moderator"
    r"|editor|pending|published|rejected|deleted|reported|approved|spam|harassment)\b"
    r"|\b(role_change|role_from_newsroom|article_[a-z]+|word_add|word_remove)\b"
)


def test_english_staff_pages_show_labels_not_codes_nor_french_spacing(
    client_for: ClientFor, session: Session
) -> None:
    admin = make_user(session, username="chef", role=Role.admin)
    moderator = make_user(session, username="vigie", role=Role.moderator)
    author = make_user(session, username="auteur")
    article = make_article(session)
    parent = make_comment(session, article=article, author=author, body="Le message parent")
    reported = make_comment(session, parent=parent, author=author, body="Une réponse signalée")
    rejected = make_comment(session, article=article, author=author, body="Un message refusé")
    held = make_comment(session, article=article, author=make_user(session, approved_count=0), body="Retenu")
    moderation.report(session, reporter=make_user(session), comment=reported, reason=Reason.spam, note="pub")
    moderation.reject(
        session, moderator=moderator, comment=rejected, reason=Reason.harassment, note="Trop vif"
    )
    moderation.approve(session, moderator=moderator, comment=held)
    moderation.sanction(
        session,
        moderator=moderator,
        user=author,
        action="suspend",
        reason="Insultes",
        until=utcnow() + timedelta(days=1),
    )
    editorial.set_role(session, admin=admin, user=make_user(session, username="promue"), role=Role.editor)

    browser = client_for(admin)
    browser.headers["Accept-Language"] = "en"
    pages = {
        path: _visible_text(browser.get(path).text)
        for path in (
            "/moderation/log",
            "/moderation/reported",
            "/moderation/rejected",
            "/moderation/users/auteur",
        )
    }
    for path, nodes in pages.items():
        for node in nodes:
            if node.startswith("Keyboard:"):  # "a to approve, r to reject": English words, meant so
                continue
            assert not RAW_CODE.search(node), f"{path}: raw code in {node!r}"
            assert not re.search(r"[ \xa0\u202f][:;?!]", node), f"{path}: French spacing in {node!r}"
            assert "«" not in node, f"{path}: French quotes in {node!r}"
    log = pages["/moderation/log"]
    assert {"Approval", "Rejection", "Suspension", "Role change"} <= set(log)
    assert "Reader → Editor" in log  # the note alone, without a dash before it (issue 15)
    assert "In reply to auteur:" in pages["/moderation/reported"]
    with i18n.in_language("en"):
        today = dates.format_dt(utcnow(), "d MMM y")  # the newsroom's day, whatever the hour in UTC
    assert f"Suspension ({today})" in pages["/moderation/reported"]
    assert "Rejected: Harassment — Trop vif" in pages["/moderation/rejected"]
    record = pages["/moderation/users/auteur"]
    assert "Reader" in record
    assert any(node.startswith("Suspended until ") for node in record)
    assert any(node.startswith("— Suspension by vigie: Insultes") for node in record)


def test_french_staff_pages_keep_the_french_spacing(client_for: ClientFor, session: Session) -> None:
    moderator = make_user(session, role=Role.moderator)
    comment = make_comment(session, body="Un message refusé")
    moderation.reject(
        session, moderator=moderator, comment=comment, reason=Reason.harassment, note="Trop vif"
    )
    nodes = _visible_text(client_for(moderator).get("/moderation/rejected").text)
    assert "Refusé : Harcèlement — Trop vif" in nodes


# Dates and numbers -------------------------------------------------------------------------------


def _render(locale: str, source: str, **context: object) -> str:
    i18n.activate(locale)
    try:
        return make_environment().from_string(source).render(**context)
    finally:
        i18n.activate(i18n.SOURCE_LOCALE)


def test_dates_and_numbers_follow_the_locale() -> None:
    moment = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    source = (
        "{{ d|datetime }} | {{ d|datetime('d MMMM y') }} | {{ n|number }} | {{ x|number }} | {{ p|percent }}"
    )
    french = _render("fr", source, d=moment, n=1234567, x=0.5, p=42)
    english = _render("en", source, d=moment, n=1234567, x=0.5, p=42)
    assert french == "5 mars 2026 à 15:30 | 5 mars 2026 | 1\u202f234\u202f567 | 0,5 | 42\xa0%"
    assert english == "5 Mar 2026, 15:30 | 5 March 2026 | 1,234,567 | 0.5 | 42%"


def test_article_page_dates_and_counts_in_the_readers_locale(client: TestClient, session: Session) -> None:
    make_article(
        session,
        slug="chiffres",
        comment_count=1234,
        published_at=datetime(2026, 3, 5, 14, 30, tzinfo=UTC),
        tally_for=3000,
        tally_against=1000,
    )
    french = client.get("/articles/chiffres", headers={"Accept-Language": "fr"}).text
    assert "5 mars 2026 à 15:30" in french  # 14:30 UTC, in Paris
    assert "1\u202f234 réactions" in french
    assert "75\xa0% · 3\u202f000 voix" in french
    english = client.get("/articles/chiffres", headers={"Accept-Language": "en"}).text
    assert "5 Mar 2026, 15:30" in english
    assert "1,234 responses" in english
    assert "75% · 3,000 votes" in english
    assert "4,000 readers have answered" in english
