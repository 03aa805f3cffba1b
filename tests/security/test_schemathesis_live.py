"""Schemathesis, with all its checks, against a live server (uvicorn over real HTTP, on the suite's kind
of database) as a signed-in reader: the OpenAPI document declares every constraint the server enforces,
so that nothing valid is refused, nothing invalid accepted, and nothing answers a 5xx.

Bounded for the suite (TRIBUNE_FUZZ_EXAMPLES cases per operation, 10 by default, a few minutes on two
cores); `TRIBUNE_FUZZ_SECONDS=600` runs it for ten minutes instead, and TRIBUNE_FUZZ_LOG=FILE keeps
its report. What is left out, and why, is in the README ("Fuzzing the API")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from app.db import make_engine
from tests.factories import make_article, make_comment
from tests.perf.live import fresh_database, live_server
from tests.perf.readers import make_readers

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("TRIBUNE_FUZZ_EXAMPLES", "10"))
SECONDS = os.environ.get("TRIBUNE_FUZZ_SECONDS")
# Operations that end the reader's own session, which every later case needs.
EXCLUDED_PATHS = ("/api/v1/auth/logout",)


def test_schemathesis_with_all_checks_finds_no_failure_against_the_live_server(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            article = make_article(session, slug="fuzz")
            top = make_comment(session, article=article)
            make_comment(session, parent=top)
            reader = make_readers(session, 1)[0]
            session.commit()
        engine.dispose()
        with live_server(url, tmp_path, TRIBUNE_RATE_LIMITS="false") as base:
            command = [
                str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
                "run", f"{base}/api/v1/openapi.json",
                "--checks", "all",
                "--seed", "19",
                "--workers", "1",
                "--request-timeout", "20",
                "--header", f"Cookie: tribune_session={reader.cookies['tribune_session']}",
                "--header", f"X-CSRF-Token: {reader.headers['X-CSRF-Token']}",
                "--suppress-health-check", "all",
                "--output-truncate", "false",
            ]  # fmt: skip
            for path in EXCLUDED_PATHS:
                command += ["--exclude-path", path]
            command += ["--max-time", SECONDS] if SECONDS else ["--max-examples", str(EXAMPLES)]
            run = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=float(SECONDS or 0) + 900,
                env={**os.environ, "NO_COLOR": "1"},
            )
    if os.environ.get("TRIBUNE_FUZZ_LOG"):  # where to keep schemathesis's report, its summary included
        Path(os.environ["TRIBUNE_FUZZ_LOG"]).write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
