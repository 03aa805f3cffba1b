"""Operations: request ids, JSON logs, Prometheus metrics, online SQLite backup."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.observability import JsonFormatter, request_id_var
from tests.factories import login, make_comment, make_user


def test_a_request_id_is_given_back_or_made_up(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    # Anything that could forge a log line is replaced.
    assert client.get("/healthz", headers={"X-Request-ID": 'a" b'}).headers["x-request-id"] != 'a" b'


def test_log_lines_are_json_with_the_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("tribune", logging.INFO, __file__, 1, "posted %s", ("x",), None)
        record.route = "/articles/{slug}"
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "posted x"
    assert line["request_id"] == "req-42"
    assert line["route"] == "/articles/{slug}"
    assert line["level"] == "info"


def test_metrics_count_requests_by_route_template_comments_votes_and_queues(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    comment = make_comment(session)
    voter = make_user(session)
    csrf = login(client, voter)
    for _ in range(2):
        client.get(f"/articles/{comment.article.slug}")
    assert (
        client.put(
            f"/api/v1/comments/{comment.id}/vote", json={"value": 1}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 200
    )
    posted = client.post(
        f"/api/v1/articles/{comment.article.slug}/comments",
        json={"body": "Compté.", "stance": "for"},
        headers={"X-CSRF-Token": csrf},
    )
    assert posted.status_code in (201, 202)
    # Read as a scraper on this machine does: /metrics answers loopback only.
    with TestClient(app, client=("127.0.0.1", 9090)) as scraper:
        text = scraper.get("/metrics").text
    assert 'tribune_http_requests_total{method="GET",route="/articles/{slug}",status="200"' in text
    assert 'route="/api/v1/comments/{comment_id}/vote",status="200"' in text
    assert "tribune_http_request_duration_seconds_bucket{" in text
    assert [line for line in text.splitlines() if line.startswith("tribune_votes_total")][0].endswith(" 1")
    assert [line for line in text.splitlines() if line.startswith("tribune_comments_posted_total")][
        0
    ].endswith(" 1")
    assert 'tribune_moderation_queue_size{queue="pending"}' in text


def test_backup_copies_a_live_sqlite_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "live.db"
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
    monkeypatch.setenv("TRIBUNE_DATABASE_URL", f"sqlite:///{source}")
    monkeypatch.setenv("TRIBUNE_INSTANCE_PATH", str(tmp_path / "instance"))
    target = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*), sum(x) FROM t").fetchone() == (5000, sum(range(5000)))
    again = CliRunner().invoke(cli, ["backup", str(target)])
    assert again.exit_code == 2


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUNE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tribune")
    monkeypatch.setenv("TRIBUNE_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 2
    assert "pg_dump" in result.output
