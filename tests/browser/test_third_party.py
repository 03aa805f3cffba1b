"""The recorder behind every journey's third-party check (the `new_context` fixture) really catches
a request to another host. The request is answered inside the browser: nothing leaves the machine."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.conftest import open_tracked_context
from tests.browser.helpers import LiveServer, Traffic


def test_a_request_to_another_host_is_recorded_as_third_party(
    browser: Browser, open_server: LiveServer
) -> None:
    traffic = Traffic()
    context = open_tracked_context(browser, traffic, open_server)
    context.route(
        "http://tracker.invalid/**",
        lambda route: route.fulfill(status=200, body="GIF89a", content_type="image/gif"),
    )
    page = context.new_page()
    page.goto("/")
    page.goto("http://tracker.invalid/pixel.gif")
    context.close()
    assert traffic.foreign() == ["http://tracker.invalid/pixel.gif"]
    assert any(url.startswith(open_server.url) for url in traffic.requests)


def test_the_front_page_loads_only_from_the_app_itself(browser: Browser, open_server: LiveServer) -> None:
    traffic = Traffic()
    context = open_tracked_context(browser, traffic, open_server)
    page = context.new_page()
    page.goto("/")
    page.wait_for_load_state("networkidle")
    context.close()
    assert {url.split("/")[2] for url in traffic.requests} == {open_server.netloc}
    assert any(url.split("?")[0].endswith(".css") for url in traffic.requests)  # versioned: ?v=
    assert any(url.split("?")[0].endswith(".js") for url in traffic.requests)
