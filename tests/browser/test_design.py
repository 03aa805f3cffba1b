"""The reading design: it fits a phone, follows the system's dark mode, keeps stances labelled in words.

The width tests also save a screenshot of every key page (desktop 1280 px and mobile 375 px, light and
dark) into artifacts/screenshots, for people to look at; the folder is git-ignored.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import KEY_PAGES, SCREENSHOTS, KeyPage, PageOpener

ARTICLE = next(k for k in KEY_PAGES if k.name == "article")


def luminance(page: Page, selector: str, prop: str) -> float:
    """Relative luminance (WCAG) of a computed colour, 0 for black to 1 for white."""
    return float(
        page.evaluate(
            """([selector, prop]) => {
              const value = getComputedStyle(document.querySelector(selector))[prop];
              const [r, g, b] = value.match(/[\\d.]+/g).slice(0, 3).map(Number).map((c) => {
                c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
              return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            }""",
            [selector, prop],
        )
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("key", KEY_PAGES, ids=lambda k: k.name)
def test_the_page_fits_its_width_without_sideways_scrolling(
    open_key_page: PageOpener, key: KeyPage, width: int, scheme: str
) -> None:
    page = open_key_page(key, color_scheme=scheme, width=width, height=800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{key.name}-{width}-{scheme}.png", full_page=True)
    page.screenshot(path=SCREENSHOTS / f"{key.name}-{width}-{scheme}-top.png")
    if page.locator("#question").count():
        debate = page.locator("#question").bounding_box()
        assert debate is not None
        page.screenshot(
            path=SCREENSHOTS / f"{key.name}-{width}-{scheme}-debate.png",
            full_page=True,
            clip={"x": 0, "y": debate["y"] - 16, "width": width, "height": 1400},
        )
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{key.name} scrolls sideways by {overflow}px at {width}px"


def test_dark_mode_follows_the_system_setting(open_key_page: PageOpener) -> None:
    light = open_key_page(ARTICLE, color_scheme="light")
    dark = open_key_page(ARTICLE, color_scheme="dark")
    assert luminance(light, "body", "backgroundColor") > 0.8
    assert luminance(dark, "body", "backgroundColor") < 0.05
    assert luminance(dark, "body", "color") > 0.6


def test_every_stance_colour_comes_with_its_label_in_words(open_key_page: PageOpener) -> None:
    page = open_key_page(ARTICLE)
    coloured = page.locator(".stance-badge, .poll-option, .stance-option")
    assert coloured.count() >= 9  # the poll, the form's choices, the reactions' badges
    texts = coloured.evaluate_all("(els) => els.map((el) => el.innerText.trim())")
    assert all(texts), f"a stance colour without its label: {texts}"
    labels = {"Oui, c’est compatible", "Non, pas avec Microsoft", "Ça dépend"}
    badges = set(page.locator(".comment .stance-badge").all_inner_texts())
    assert badges == labels


def test_the_article_keeps_a_readable_line_length_on_a_wide_screen(open_key_page: PageOpener) -> None:
    page = open_key_page(ARTICLE, width=1600)
    ems = page.evaluate(
        """() => { const p = document.querySelector('.article-body p');
                   return p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize); }"""
    )
    assert 25 <= ems <= 40, f"article lines are {ems:.1f} em wide"


def test_the_debate_sits_right_under_its_question(open_key_page: PageOpener) -> None:
    page = open_key_page(ARTICLE)
    order = page.evaluate(
        """() => ['.article-body', '#question', '#debate'].map(
             (s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY)"""
    )
    assert order == sorted(order)
    assert (
        page.locator("#comment-form legend .question-inline").inner_text()
        == "Souveraineté avec Microsoft, ou pas ?"
    )
