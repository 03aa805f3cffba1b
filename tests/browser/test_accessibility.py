"""axe-core finds no WCAG 2.2 A or AA violation on the pages people use, in French and in English,
in the light and the dark colour scheme. axe-core comes from npm (tests/browser/node_modules)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import KEY_PAGES, KeyPage, PageOpener

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays in force.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    return list(page.evaluate(RUN_AXE, WCAG_TAGS))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", KEY_PAGES, ids=lambda k: k.name)
def test_the_page_has_no_wcag_22_aa_violation(
    open_key_page: PageOpener, axe_source: str, key: KeyPage, lang: str, scheme: str
) -> None:
    page = open_key_page(key, lang=lang, color_scheme=scheme)
    assert page.locator("html").get_attribute("lang") == lang
    violations = axe_violations(page, axe_source)
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )
