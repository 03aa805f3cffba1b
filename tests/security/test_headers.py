"""Security headers on every answer, error pages included; cookies; no banner; API docs off by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.middleware import CSP
from tests.conftest import run_in
from tests.factories import PASSWORD, login, make_article, make_comment, make_user, page_csrf

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_security_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-security-policy"] == EXPECTED_CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in {"strict-origin-when-cross-origin", "same-origin", "no-referrer"}
    assert "server" not in headers


def test_the_policy_constant_is_the_one_the_issue_asks_for() -> None:
    assert CSP == EXPECTED_CSP


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/register", "/privacy", "/healthz", "/api/v1/articles", "/api/v1/auth/session"],
)
def test_pages_and_api_answers_carry_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/articles/nope", 404),
        ("GET", "/api/v1/articles/nope", 404),
        ("GET", "/comments/abc", 404),
        ("DELETE", "/", 405),
        ("POST", "/api/v1/auth/login", 422),
        ("POST", "/login", 403),  # no CSRF token
        ("GET", "/account", 303),  # anonymous: sent to log in
        ("GET", "/api/v1/me/export", 401),
    ],
)
def test_error_answers_carry_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert_security_headers(response)


def test_an_oversized_body_answer_carries_the_security_headers(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", content=b"x" * (65 * 1024))
    assert response.status_code == 413
    assert_security_headers(response)


def test_a_server_error_answer_carries_the_security_headers(settings: Settings, session: Session) -> None:
    app = create_app(settings)
    run_in(app, session)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)
    assert "a bug" not in response.text


def test_a_static_file_carries_the_security_headers(client: TestClient) -> None:
    response = client.get("/static/css/tribune.css")
    assert response.status_code == 200
    assert_security_headers(response)


def test_signed_in_pages_are_not_stored_by_caches(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    for path in ("/", f"/articles/{article.slug}", "/account", "/api/v1/auth/session"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_the_session_cookie_is_httponly_and_samesite_lax(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    cookie = response.headers["set-cookie"]
    assert "tribune_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_every_cookie_is_secure_when_https_is_on(settings: Settings, session: Session) -> None:
    app = create_app(settings.model_copy(update={"https": True}))
    run_in(app, session)
    user = make_user(session)
    with TestClient(app, base_url="https://testserver") as c:
        first = c.get("/login")
        logged = c.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
        out = c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": logged.json()["csrf_token"]})
    cookies = [*first.headers.get_list("set-cookie"), *logged.headers.get_list("set-cookie")]
    cookies += out.headers.get_list("set-cookie")
    assert len(cookies) >= 3
    for cookie in cookies:
        assert "; secure" in cookie.lower(), cookie
        assert "httponly" in cookie.lower(), cookie
        assert "samesite=lax" in cookie.lower(), cookie


def test_the_anonymous_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith("tribune_anon=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


def test_interactive_api_docs_are_off_by_default(client: TestClient) -> None:
    assert client.get("/api/v1/docs").status_code == 404
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_interactive_api_docs_are_served_when_enabled(settings: Settings) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"api_docs": True}))
    with TestClient(app) as c:
        assert c.get("/api/v1/docs").status_code == 200


def test_the_openapi_document_names_no_server_version(client: TestClient) -> None:
    info = client.get("/api/v1/openapi.json").json()["info"]
    assert set(info) <= {"title", "version", "description"}
    assert "fastapi" not in str(info).lower()


def test_no_template_has_inline_script_or_style() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text, re.I):
            offenders.append(f"{path.name}: <style>")
        if re.search(r"\sstyle\s*=", text, re.I):
            offenders.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+\s*=", text, re.I) or re.search(r"\s(data-)?hx-on", text, re.I):
            offenders.append(f"{path.name}: inline event handler")
        if re.search(r"javascript:", text, re.I):
            offenders.append(f"{path.name}: javascript: URL")
    assert offenders == []


def test_htmx_is_configured_from_a_meta_tag_with_eval_and_script_tags_off(
    client: TestClient, session: Session
) -> None:
    article = make_article(session)
    html = client.get(f"/articles/{article.slug}").text
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', html)
    assert config is not None
    import json

    values = json.loads(config.group(1))
    assert values["includeIndicatorStyles"] is False
    assert values["allowEval"] is False
    assert values["allowScriptTags"] is False
    assert values["selfRequestsOnly"] is True


def test_scripts_come_only_from_this_site(client: TestClient, session: Session) -> None:
    make_comment(session)
    html = client.get("/").text
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert sources
    assert all(src.startswith("/static/") for src in sources)


def test_page_csrf_helper_still_finds_the_login_token(client: TestClient) -> None:
    # The forms of the attack suite use this token; the login page must keep embedding it.
    assert len(page_csrf(client, "/login")) == 64
