"""axe-core finds no WCAG 2.2 A or AA violation on the pages people use, in French and in English,
in the light and the dark colour scheme. axe-core comes from npm (tests/browser/node_modules)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.helpers import KEY_PAGES, KeyPage, PageOpener

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# axe.run is asynchronous and schedules its checks with timers. A page whose scripts are disabled
# (a context opened with javascript=False) never runs them: awaiting axe.run through page.evaluate,
# which has no timeout, then waits for ever. This is what hung the staff screens' scan (its no-JS
# confirmation page). So axe is started without being awaited, and its result is awaited with
# wait_for_function, bounded by Playwright's timeout: a page without scripts fails, it does not hang.
START_AXE = """(tags) => {
  window.__tribuneAxe = null;
  axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then((result) => { window.__tribuneAxe = {violations: result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
    }))}; })
    .catch((error) => { window.__tribuneAxe = {error: String(error)}; });
}"""
AXE_TIMEOUT_MS = 60_000


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays in force.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    page.evaluate(START_AXE, WCAG_TAGS)
    try:
        done = page.wait_for_function("() => window.__tribuneAxe", polling=100, timeout=AXE_TIMEOUT_MS)
    except PlaywrightTimeoutError as error:
        raise AssertionError(
            f"axe did not finish on {page.url} in {AXE_TIMEOUT_MS // 1000} s (a page whose "
            "scripts are disabled never runs it: scan its HTML in a page that runs scripts)"
        ) from error
    result = done.json_value()
    assert "error" not in result, f"axe failed on {page.url}: {result['error']}"
    return list(result["violations"])


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
