"""Reading a newsroom page that embeds a debate Tribune does not know yet (issue 17,
TRIBUNE_EMBED_AUTOCREATE): its canonical address, title and description, and proof that it embeds
that very slug. Only pages of TRIBUNE_EMBED_ORIGINS are fetched, without following redirects, with a
short timeout and a size cap: what a frame's address claims is checked against the page itself."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

MAX_PAGE_BYTES = 1_000_000
TIMEOUT = 5


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class PageInfo:
    canonical: str
    title: str
    description: str
    slugs: frozenset[str]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.og_title: str | None = None
        self.description: str | None = None
        self.title_parts: list[str] = []
        self.in_title = False
        self.slugs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "link" and "canonical" in found.get("rel", "").lower().split():
            self.canonical = self.canonical or found.get("href")
        elif tag == "meta":
            key = found.get("property") or found.get("name") or ""
            if key == "og:title":
                self.og_title = self.og_title or found.get("content")
            elif key == "og:description" or (key == "description" and self.description is None):
                self.description = found.get("content")
        elif tag == "title":
            self.in_title = True
        if tag == "div" and "data-tribune-article" in found:
            self.slugs.add(found["data-tribune-article"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)


def read_page(url: str, *, allowed: list[str]) -> PageInfo | None:
    """What the page at url says of itself, or None when it is not an allowed site's page, cannot be
    read, or names a canonical address outside the allowed sites."""
    if origin_of(url) not in allowed:
        return None
    try:
        with requests.get(url, timeout=TIMEOUT, allow_redirects=False, stream=True) as response:
            if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
                return None
            raw = response.raw.read(MAX_PAGE_BYTES + 1, decode_content=True)
            encoding = response.encoding or "utf-8"
    except requests.RequestException:
        return None
    if len(raw) > MAX_PAGE_BYTES:
        return None
    reader = _Reader()
    reader.feed(raw.decode(encoding, errors="replace"))
    canonical = urljoin(url, reader.canonical) if reader.canonical else url
    if origin_of(canonical) not in allowed:
        return None
    title = " ".join((reader.og_title or "".join(reader.title_parts)).split())
    return PageInfo(canonical, title, " ".join((reader.description or "").split()), frozenset(reader.slugs))
