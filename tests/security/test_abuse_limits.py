"""Abuse limits through both front doors: login brute force, posting floods, repeats, reports, size."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import CommentReport
from tests.factories import PASSWORD, login, make_article, make_comment, make_user, page_csrf
from tests.security.conftest import Clock


def api_login(client: TestClient, username: str, password: str, **headers: str) -> object:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers
    )


def test_api_login_answers_429_with_retry_after_after_ten_failures(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    answers = [api_login(limited, user.username, "wrong password").status_code for _ in range(10)]
    assert answers == [401] * 10
    response = api_login(limited, user.username, "wrong password")
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 900
    assert response.json()["error"] == "too_many_requests"


def test_the_right_password_is_refused_too_while_the_account_is_locked(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    for _ in range(10):
        api_login(limited, user.username, "wrong password")
    assert api_login(limited, user.username, PASSWORD).status_code == 429


def test_the_lock_is_not_permanent(limited: TestClient, session: Session, clock: Clock) -> None:
    user = make_user(session)
    for _ in range(10):
        api_login(limited, user.username, "wrong password")
    clock.advance(15 * 60 + 1)
    assert api_login(limited, user.username, PASSWORD).status_code == 200


def test_an_unknown_name_and_a_wrong_password_get_the_same_answers(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    known = [api_login(limited, user.username, "wrong password") for _ in range(11)]
    unknown = [api_login(limited, "nobody_here", "wrong password") for _ in range(11)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert known[0].json() == unknown[0].json()
    assert known[-1].json()["error"] == unknown[-1].json()["error"] == "too_many_requests"


def test_failures_by_name_and_by_email_count_against_the_same_account(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    for n in range(10):
        api_login(limited, user.username if n % 2 else user.email, "wrong password")
    assert api_login(limited, user.email, PASSWORD).status_code == 429


def test_thirty_failures_from_one_address_lock_that_address(limited: TestClient, session: Session) -> None:
    user = make_user(session)
    for n in range(30):
        api_login(limited, f"guess{n}", "wrong password")
    assert api_login(limited, user.username, PASSWORD).status_code == 429


def test_forwarding_headers_from_an_untrusted_peer_do_not_reset_the_address_count(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    for n in range(30):
        api_login(limited, f"guess{n}", "wrong password", **{"X-Forwarded-For": f"198.51.100.{n}"})
    assert api_login(limited, user.username, PASSWORD, **{"X-Forwarded-For": "192.0.2.1"}).status_code == 429


def test_a_trusted_proxy_has_each_client_counted_apart(limited_app: FastAPI, session: Session) -> None:
    from app.services.ratelimit import parse_networks

    limited_app.state.trusted_proxies = parse_networks(["10.0.0.0/8"])
    user = make_user(session)
    with TestClient(limited_app, follow_redirects=False, client=("10.0.0.2", 40000)) as c:
        for n in range(30):
            api_login(c, f"guess{n}", "wrong password", **{"X-Forwarded-For": "198.51.100.66"})
        blocked = api_login(c, user.username, PASSWORD, **{"X-Forwarded-For": "198.51.100.66"})
        other = api_login(c, user.username, PASSWORD, **{"X-Forwarded-For": "198.51.100.67"})
    assert blocked.status_code == 429
    assert other.status_code == 200


def test_the_login_form_answers_429_with_retry_after_and_keeps_the_form(
    limited: TestClient, session: Session
) -> None:
    user = make_user(session)
    token = page_csrf(limited, "/login")
    form = {"username": user.username, "password": "wrong password", "csrf_token": token}
    for _ in range(10):
        assert limited.post("/login", data=form).status_code == 401
    response = limited.post("/login", data=form)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert 'action="/login"' in response.text


def test_a_second_comment_within_five_seconds_gets_429(limited: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(limited, make_user(session))
    url = f"/api/v1/articles/{article.slug}/comments"
    first = limited.post(url, json={"body": "Premier.", "stance": "for"}, headers={"X-CSRF-Token": token})
    second = limited.post(url, json={"body": "Second.", "stance": "for"}, headers={"X-CSRF-Token": token})
    assert first.status_code == 201
    assert second.status_code == 429
    assert 1 <= int(second.headers["retry-after"]) <= 5


def test_an_eleventh_comment_in_ten_minutes_gets_429(
    limited: TestClient, session: Session, clock: Clock
) -> None:
    article = make_article(session)
    token = login(limited, make_user(session))
    url = f"/api/v1/articles/{article.slug}/comments"
    for n in range(10):
        answer = limited.post(
            url, json={"body": f"Avis {n}", "stance": "for"}, headers={"X-CSRF-Token": token}
        )
        assert answer.status_code == 201
        clock.advance(6)
    refused = limited.post(url, json={"body": "Avis 11", "stance": "for"}, headers={"X-CSRF-Token": token})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 5


def test_the_same_comment_twice_within_five_minutes_is_refused(
    limited: TestClient, session: Session, clock: Clock
) -> None:
    article = make_article(session)
    token = login(limited, make_user(session))
    url = f"/api/v1/articles/{article.slug}/comments"
    body = {"body": "Exactement le même avis.", "stance": "for"}
    assert limited.post(url, json=body, headers={"X-CSRF-Token": token}).status_code == 201
    clock.advance(30)
    again = limited.post(url, json=body, headers={"X-CSRF-Token": token})
    assert again.status_code == 409
    clock.advance(5 * 60)
    assert limited.post(url, json=body, headers={"X-CSRF-Token": token}).status_code == 201


def test_a_comment_form_sent_back_for_a_fix_does_not_count(limited: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(limited, make_user(session))
    url = f"/api/v1/articles/{article.slug}/comments"
    missing_stance = limited.post(url, json={"body": "Sans position."}, headers={"X-CSRF-Token": token})
    fixed = limited.post(
        url, json={"body": "Sans position.", "stance": "for"}, headers={"X-CSRF-Token": token}
    )
    assert missing_stance.status_code == 422
    assert fixed.status_code == 201


def test_the_html_comment_form_is_throttled_too(limited: TestClient, session: Session) -> None:
    article = make_article(session)
    user = make_user(session)
    login(limited, user)
    token = page_csrf(limited, f"/articles/{article.slug}")
    url = f"/articles/{article.slug}/comments"
    first = limited.post(url, data={"body": "Un.", "stance": "for", "csrf_token": token})
    second = limited.post(url, data={"body": "Deux.", "stance": "for", "csrf_token": token})
    assert first.status_code == 303
    assert second.status_code == 429
    assert "retry-after" in second.headers


def test_a_twenty_first_report_in_a_day_gets_429(limited: TestClient, session: Session) -> None:
    article = make_article(session)
    reporter = make_user(session)
    targets = [make_comment(session, article=article) for _ in range(21)]
    token = login(limited, reporter)
    answers = [
        limited.post(
            f"/api/v1/comments/{c.id}/reports", json={"reason": "spam"}, headers={"X-CSRF-Token": token}
        )
        for c in targets
    ]
    assert [a.status_code for a in answers[:20]] == [201] * 20
    assert answers[20].status_code == 429
    assert "retry-after" in answers[20].headers
    assert session.exec(select(CommentReport).where(CommentReport.comment_id == targets[20].id)).all() == []


def test_a_comment_body_over_its_route_limit_gets_413_on_the_api(
    client: TestClient, session: Session
) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    body = {"body": "x" * (130 * 1024), "stance": "for"}  # a comment's route takes 125 KiB
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments", json=body, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_streamed_body_over_64_kib_without_length_gets_413(client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(70):
            yield b"x" * 1024

    response = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_a_comment_form_over_its_route_limit_gets_413(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    token = page_csrf(client, f"/articles/{article.slug}")
    response = client.post(
        f"/articles/{article.slug}/comments",
        data={"body": "x" * (130 * 1024), "stance": "for", "csrf_token": token},
    )
    assert response.status_code == 413
