"""The embedded debate over real HTTP (`tribune serve` on a free loopback port): the frame and its
headers, the loader script, and sign-in coming back to the newsroom's page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.browser.helpers import DEFAULT_SLUG, PASSWORD, LiveServer, start_server, stop_server
from tests.sso.tokens import ISSUER, SECRET, hs256

EMBEDDER = "https://www.journal.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("embed"),
        "embed",
        {
            "TRIBUNE_EMBED_ORIGINS": f"{EMBEDDER},https://blog.journal.example",
            "TRIBUNE_SSO_SECRET": SECRET,
            "TRIBUNE_SSO_ISSUER": ISSUER,
            "TRIBUNE_RATE_LIMITS": "false",
        },
    )
    yield live
    stop_server(live)


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as client:
        yield client


def test_the_frame_is_the_debate_without_the_site_around_it(http: httpx.Client) -> None:
    response = http.get(f"/embed/{DEFAULT_SLUG}")
    assert response.status_code == 200
    html = response.text
    assert 'id="debate"' in html
    assert 'id="question"' in html  # the question and its tally
    assert 'class="sort"' in html
    assert "data-live=" in html
    assert "site-header" not in html
    assert "site-footer" not in html
    assert "article-body" not in html
    assert '<base target="_top">' in html
    assert f'content="{EMBEDDER} https://blog.journal.example"' in html


def test_only_the_frame_may_be_framed_and_only_by_the_newsroom(http: httpx.Client) -> None:
    framed = http.get(f"/embed/{DEFAULT_SLUG}").headers
    assert f"frame-ancestors {EMBEDDER} https://blog.journal.example;" in framed["content-security-policy"]
    assert "x-frame-options" not in framed
    for path in (f"/articles/{DEFAULT_SLUG}", "/", "/login", "/embed.js", "/api/v1/articles"):
        headers = http.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        # Signing in from the frame ends with a redirect to the newsroom's page: form-action allows it.
        assert (
            f"form-action 'self' {EMBEDDER} https://blog.journal.example"
            in headers["content-security-policy"]
        )


def test_an_unknown_article_is_a_404_the_frame_can_show(http: httpx.Client) -> None:
    response = http.get("/embed/nulle-part")
    assert response.status_code == 404
    assert f"frame-ancestors {EMBEDDER}" in response.headers["content-security-policy"]


def test_sorts_stay_in_the_frame_and_other_links_leave_it(http: httpx.Client) -> None:
    html = http.get(f"/embed/{DEFAULT_SLUG}", params={"sort": "newest"}).text
    assert f'href="/embed/{DEFAULT_SLUG}?sort=oldest#debate" target="_self"' in html
    assert f'href="/login?next=/articles/{DEFAULT_SLUG}%23debate"' in html  # leaves by <base target>


def test_the_loader_is_small_cached_long_and_names_no_host(http: httpx.Client) -> None:
    response = http.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=86400" in response.headers["cache-control"]
    assert len(response.content) < 4096
    assert not re.search(r"https?://", response.text)
    assert "data-tribune-article" in response.text


def test_the_frame_script_is_served(http: httpx.Client) -> None:
    assert http.get("/static/js/embed-frame.js").status_code == 200


def test_signing_in_from_the_frame_comes_back_to_the_newsroom_page(
    http: httpx.Client, server: LiveServer
) -> None:
    name = server.create_user("reader")
    page = f"{EMBEDDER}/2026/12/07/heure-d-ete.html"
    form = http.get("/login", params={"next": page}).text
    assert f'name="next" value="{page}"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = http.post(
        "/login", data={"username": name, "password": PASSWORD, "next": page, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == page


def test_login_next_never_leads_to_a_site_that_does_not_embed(http: httpx.Client, server: LiveServer) -> None:
    name = server.create_user("reader")
    form = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = http.post(
        "/login",
        data={
            "username": name,
            "password": PASSWORD,
            "next": "https://evil.example/www.journal.example",
            "csrf_token": token.group(1),
        },
    )
    assert response.headers["location"] == "/"


def test_a_token_given_to_the_frame_signs_the_reader_in(http: httpx.Client) -> None:
    response = http.get("/sso", params={"token": hs256(), "next": f"/embed/{DEFAULT_SLUG}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/embed/{DEFAULT_SLUG}"
    html = http.get(f"/embed/{DEFAULT_SLUG}").text
    assert 'class="comment-form' in html  # the composer, not the invitation to sign in
    assert "whoami" not in html  # no account menu in the frame
