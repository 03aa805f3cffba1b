"""Markdown to safe HTML (app/services/rendering.py): what a comment and an article may contain, and
what they may not. The expected HTML is the contract, whatever renders it."""

from __future__ import annotations

import pytest

from app.services.rendering import render_article, render_comment

REL = 'rel="nofollow ugc noopener"'

COMMENTS = [
    # Raw HTML is text, escaped: never a tag.
    (
        "Hello <b>x</b> & <script>alert(1)</script>",
        "<p>Hello &lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>",
    ),
    ("<!-- c --> <div>bloc</div>", "<p>&lt;!-- c --&gt; &lt;div&gt;bloc&lt;/div&gt;</p>"),
    # No headings, rules or images in a comment: they stay as typed (the image's link survives).
    ("# titre\n\nTexte", "<p># titre</p>\n<p>Texte</p>"),
    ("Titre\n===", "<p>Titre\n===</p>"),
    ("---\ntext", "<p>---\ntext</p>"),
    ("![img](http://x/y.png)", f'<p>!<a href="http://x/y.png" {REL}>img</a></p>'),
    # Paragraphs, hard breaks, lists, quotes, code.
    ("a\nb\n\nc  \nd", "<p>a\nb</p>\n<p>c<br>\nd</p>"),
    (
        "- un\n- deux\n\n1. a\n2. b",
        "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>\n<ol>\n<li>a</li>\n<li>b</li>\n</ol>",
    ),
    ("> cite **gras** *em*", "<blockquote>\n<p>cite <strong>gras</strong> <em>em</em></p>\n</blockquote>"),
    ("`a<b`", "<p><code>a&lt;b</code></p>"),
    ("```\nx < y\n```", "<pre><code>x &lt; y\n</code></pre>"),
    # Links: tamed, percent-encoded; a script address is no link at all.
    ("[lien](javascript:alert(1))", "<p>[lien](javascript:alert(1))</p>"),
    ("[é](https://exemple.fr/é)", f'<p><a href="https://exemple.fr/%C3%A9" {REL}>é</a></p>'),
    (
        "<https://exemple.fr/a?b=c&d=é>",
        f'<p><a href="https://exemple.fr/a?b=c&amp;d=%C3%A9" {REL}>https://exemple.fr/a?b=c&amp;d=é</a></p>',
    ),
    ("[ref]\n\n[ref]: https://x.fr 'T'", f'<p><a href="https://x.fr" title="T" {REL}>ref</a></p>'),
    ("Voilà l’été — « guillemets » &copy;", "<p>Voilà l’été — « guillemets » ©</p>"),
    # A bare address with its scheme is a link (a source pasted as is); without one it stays text.
    (
        "Source : https://www.insee.fr/fr/statistiques/1, page 3.",
        f'<p>Source : <a href="https://www.insee.fr/fr/statistiques/1" {REL}>'
        "https://www.insee.fr/fr/statistiques/1</a>, page 3.</p>",
    ),
    ("voir www.insee.fr ou fichier.py", "<p>voir www.insee.fr ou fichier.py</p>"),
    ("`https://code.exemple.fr`", "<p><code>https://code.exemple.fr</code></p>"),
]


@pytest.mark.parametrize(("markdown", "html"), COMMENTS)
def test_a_comment_renders_to_its_small_safe_subset(markdown: str, html: str) -> None:
    assert render_comment(markdown) == html


def test_an_article_has_headings_images_and_rules_but_no_raw_html() -> None:
    html = render_article('## Titre\n\n![carte](https://x.fr/c.png "t")\n\n---\n\n<i>brut</i>')
    assert html == (
        '<h2>Titre</h2>\n<p><img src="https://x.fr/c.png" alt="carte" title="t"></p>\n<hr>\n'
        "<p>&lt;i&gt;brut&lt;/i&gt;</p>"
    )


def test_an_article_drops_a_first_level_heading_tag_but_keeps_its_words() -> None:
    assert render_article("# Grand titre") == "Grand titre"
