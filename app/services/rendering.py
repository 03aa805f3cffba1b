"""Markdown to safe HTML, once, on write."""

from __future__ import annotations

import nh3
from markdown_it_pyrs import MarkdownIt

# markdown-it's CommonMark rules, in Rust (markdown-it-pyrs): 15 times faster than markdown-it-py,
# the same HTML once sanitised (tests/services/test_rendering.py holds the cases), and rendering was a
# sixth of what a post costs. Built from the empty preset with the rules wanted: raw HTML has no rule,
# so it stays text and is escaped.
_COMMON_RULES = ["blockquote", "code", "fence", "list", "paragraph", "reference"]
_COMMON_RULES += ["autolink", "backticks", "emphasis", "entity", "escape", "link", "newline"]
# A bare address (https://…) becomes a link, as in every forum: a reply that brings a source by
# pasting its address gets a link one can follow (issue 20). Only addresses with a scheme.
_COMMON_RULES += ["linkify"]

# Comments: a small subset. No raw HTML, images, headings or tables; links are kept but tamed by nh3.
_comment_md = MarkdownIt("zero")
_comment_md.enable_many(_COMMON_RULES)
_COMMENT_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre"}

# Articles are written by editors: headings, images and rules too, still without raw HTML.
_article_md = MarkdownIt("zero")
_article_md.enable_many([*_COMMON_RULES, "heading", "lheading", "hr", "image"])
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
