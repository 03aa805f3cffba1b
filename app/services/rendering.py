"""Markdown to safe HTML, once, on write."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

# Comments: a small subset. No raw HTML, images, headings or tables; links are kept but tamed by nh3.
_comment_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["image", "heading", "lheading", "html_block", "html_inline", "hr"]
)
_COMMENT_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre"}
# A link's address is normalised (percent-encoding, punycode) for every link of every comment, and
# debates link the same few sources again and again: the pure function is remembered.
_comment_md.normalizeLink = functools.lru_cache(maxsize=2048)(_comment_md.normalizeLink)  # type: ignore[method-assign]

# Articles are written by editors: headings, images and rules too, still without raw HTML.
_article_md = MarkdownIt("commonmark", {"html": False, "typographer": False})
_ARTICLE_TAGS = _COMMENT_TAGS | {"h2", "h3", "h4", "hr", "img"}

_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
_SCHEMES = {"http", "https", "mailto"}

# Built once: nh3.clean() builds its sanitiser from the lists at every call (a third of its cost).
_comment_cleaner = nh3.Cleaner(
    tags=_COMMENT_TAGS,
    attributes={"a": _ATTRIBUTES["a"]},
    url_schemes=_SCHEMES,
    link_rel="nofollow ugc noopener",
)
_article_cleaner = nh3.Cleaner(
    tags=_ARTICLE_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel="noopener"
)


def render_comment(markdown: str) -> str:
    return _comment_cleaner.clean(_comment_md.render(markdown)).strip()


def render_article(markdown: str) -> str:
    return _article_cleaner.clean(_article_md.render(markdown)).strip()
