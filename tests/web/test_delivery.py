"""How pages and files travel: compressed when worth it, static files cached for a year under
versioned URLs, a favicon, and a description and Open Graph card for each article."""

from __future__ import annotations

import gzip
import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.static import STATIC_DIR
from tests.factories import make_article, make_comment

GZIP = {"Accept-Encoding": "gzip"}


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_an_article_page_goes_out_gzipped_to_a_browser_that_accepts_it(
    client: TestClient, session: Session
) -> None:
    article = make_article(session, title="Compressé")
    for n in range(5):
        make_comment(session, article=article, body=f"Réaction numéro {n}, assez longue pour compter.")
    response = client.get(f"/articles/{article.slug}", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) < len(response.content) / 3  # decoded by the client
    assert "Compressé" in response.text


def test_a_client_that_does_not_accept_gzip_gets_the_page_as_is(client: TestClient, session: Session) -> None:
    article = make_article(session)
    response = client.get(f"/articles/{article.slug}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_small_answer_is_not_compressed(client: TestClient) -> None:
    response = client.get("/healthz", headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


def test_the_json_api_is_compressed_too(client: TestClient, session: Session) -> None:
    article = make_article(session)
    for n in range(10):
        make_comment(session, article=article, body=f"Réaction {n} de l’API, dans une liste assez longue.")
    response = client.get(f"/api/v1/articles/{article.slug}/comments", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["items"]) == 10


def test_pages_link_static_files_under_their_content_version(client: TestClient) -> None:
    urls = asset_urls(client.get("/").text)
    assert any(u.startswith("/static/css/tribune.css?v=") for u in urls)
    assert any(u.startswith("/static/js/htmx-") for u in urls)
    for url in urls:
        assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{12}", url), url


def test_a_versioned_static_file_is_cached_for_a_year_untouched(client: TestClient) -> None:
    css = next(u for u in asset_urls(client.get("/").text) if "tribune.css" in u)
    response = client.get(css, headers=GZIP)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (STATIC_DIR / "css" / "tribune.css").read_bytes()


def test_an_unversioned_or_stale_static_url_is_revalidated_each_time(client: TestClient) -> None:
    plain = client.get("/static/css/tribune.css")
    assert plain.headers["cache-control"] == "no-cache"
    assert client.get("/static/css/tribune.css?v=000000000000").headers["cache-control"] == "no-cache"
    again = client.get("/static/css/tribune.css", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


def test_the_favicon_is_served_as_an_svg_and_at_the_classic_address(client: TestClient) -> None:
    html = client.get("/").text
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert svg
    icon = client.get(svg[1])
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    classic = client.get("/favicon.ico")
    assert classic.status_code == 200
    assert classic.headers["content-type"] == "image/x-icon"
    assert classic.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert "max-age=86400" in classic.headers["cache-control"]


def test_an_article_page_carries_its_description_and_open_graph_card(
    client: TestClient, session: Session
) -> None:
    article = make_article(
        session,
        slug="carte",
        title="Cloud « souverain » & Microsoft",
        lede="Quatre milliards d’euros investis en France : une bonne nouvelle ?",
    )
    html = client.get(f"/articles/{article.slug}").text
    head = html.split("</head>")[0]
    lede = "Quatre milliards d’euros investis en France : une bonne nouvelle ?"
    assert f'<meta name="description" content="{lede}">' in head
    assert head.count('name="description"') == 1
    assert '<meta property="og:title" content="Cloud « souverain » &amp; Microsoft">' in head
    assert f'<meta property="og:description" content="{lede}">' in head
    assert '<meta property="og:type" content="article">' in head
    assert re.search(r'<meta property="og:url" content="https?://[^"]+/articles/carte">', head)


def test_a_long_lede_is_cut_at_a_word_for_the_description(client: TestClient, session: Session) -> None:
    article = make_article(session, lede="mot " * 100)
    head = client.get(f"/articles/{article.slug}").text.split("</head>")[0]
    description = re.search(r'<meta name="description" content="([^"]*)">', head)
    assert description
    assert len(description[1]) <= 200
    assert description[1].endswith("mot…")


def test_other_pages_carry_the_site_description(client: TestClient) -> None:
    head = client.get("/login").text.split("</head>")[0]
    assert '<meta name="description" content="Tribune — le débat des lecteurs' in head


def test_a_gzipped_page_is_what_the_server_rendered(client: TestClient, session: Session) -> None:
    """Read raw, without the client's decoding: the bytes on the wire are gzip of the page."""
    article = make_article(session, title="Sur le fil")
    with client.stream("GET", f"/articles/{article.slug}", headers=GZIP) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw).decode().startswith("<!doctype html>")
