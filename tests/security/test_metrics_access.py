"""/metrics tells how busy the site is and how long its queues are: it answers a scraper on this
machine (or in TRIBUNE_METRICS_NETWORKS), or one with TRIBUNE_METRICS_TOKEN, and nobody else."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from tests.conftest import run_in

Scraper = Callable[..., TestClient]


@pytest.fixture
def scraper(settings: Settings, session: Session) -> Iterator[Scraper]:
    """A client at a given address, on an app with the given settings."""
    opened: list[TestClient] = []

    def make(host: str = "127.0.0.1", **overrides: object) -> TestClient:
        app = create_app(settings.model_copy(update=overrides))
        run_in(app, session)
        client = TestClient(app, client=(host, 40000))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_metrics_answer_a_scraper_on_this_machine(scraper: Scraper, host: str) -> None:
    response = scraper(host).get("/metrics")
    assert response.status_code == 200
    assert "tribune_http_requests_total" in response.text


@pytest.mark.parametrize("host", ["203.0.113.9", "10.0.0.7", "2001:db8::1", "testclient"])
def test_metrics_refuse_any_other_address(scraper: Scraper, host: str) -> None:
    response = scraper(host).get("/metrics")
    assert response.status_code == 403
    assert "tribune_" not in response.text


def test_metrics_refuse_a_visitor_forwarded_by_a_proxy_on_this_machine(scraper: Scraper) -> None:
    # The proxy is not declared trusted: its forwarding headers are not believed, and what it
    # forwards is refused rather than taken for a local client.
    local = scraper("127.0.0.1")
    for header in (
        {"X-Forwarded-For": "203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
        {"Forwarded": "for=1.2.3.4"},
    ):
        assert local.get("/metrics", headers=header).status_code == 403


def test_metrics_find_the_client_behind_a_trusted_proxy(scraper: Scraper) -> None:
    proxied = scraper("10.0.0.5", trusted_proxies=["10.0.0.5"])
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    # A forged loopback entry before the real client changes nothing: the right-most untrusted hop counts.
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}).status_code == 403
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    assert proxied.get("/metrics").status_code == 403  # the proxy itself is not on loopback


def test_metrics_trust_a_proxy_only_as_the_abuse_limits_do(scraper: Scraper) -> None:
    # A dual-stack listener shows an IPv4 proxy as ::ffff:…; client_address does not take that for
    # the trusted 127.0.0.1, so neither does /metrics: the visitor it forwards is not let in.
    proxied = scraper("::ffff:127.0.0.1", trusted_proxies=["127.0.0.1"])
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_metrics_answer_a_configured_network(scraper: Scraper) -> None:
    monitoring = scraper("10.0.0.7", metrics_networks=["10.0.0.0/24"])
    assert monitoring.get("/metrics").status_code == 200
    assert scraper("127.0.0.1", metrics_networks=["10.0.0.0/24"]).get("/metrics").status_code == 403


def test_with_a_token_metrics_need_it_from_everywhere(scraper: Scraper) -> None:
    local = scraper("127.0.0.1", metrics_token="jeton-de-supervision")
    refused = local.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert local.get("/metrics", headers={"Authorization": "Bearer autre-chose"}).status_code == 401
    assert local.get("/metrics", headers={"Authorization": "Basic jeton-de-supervision"}).status_code == 401
    remote = scraper("203.0.113.9", metrics_token="jeton-de-supervision")
    response = remote.get("/metrics", headers={"Authorization": "Bearer jeton-de-supervision"})
    assert response.status_code == 200
    assert "tribune_http_requests_total" in response.text


def test_metrics_networks_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUNE_METRICS_NETWORKS", "10.0.0.0/24, fd00::/8")
    assert Settings().metrics_networks == ["10.0.0.0/24", "fd00::/8"]
    monkeypatch.setenv("TRIBUNE_METRICS_NETWORKS", "10.0.0.300/24")
    with pytest.raises(ValidationError):
        Settings()
