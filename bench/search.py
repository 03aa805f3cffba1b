"""Searching the 100,000-comment debate (issue 20): the p50 of `search.search_debate`, what the search
page and `GET /api/v1/articles/{slug}/comments?q=` run (the query, the authors, the snippets), on SQLite
and PostgreSQL.
The CPU time of this process is printed beside the wall time: on a shared machine the wall time
counts the time spent waiting for a core (on SQLite the query runs in this process, so its CPU time
is the search's own cost; on PostgreSQL the server's work is not in it).

Run: .venv/bin/python bench/search.py [N] [--sqlite-only]
Seeds the bench's 100,000-comment debate (bench/seed.py: 240 bodies of French Markdown drawn from a
small vocabulary, so common words match a fifth of the debate) into a temporary SQLite file and a fresh
PostgreSQL database (TRIBUNE_BENCH_POSTGRES, default the local server), then runs each query N times
(default 30) after one warm-up and prints the p50 and p90 per query and over all of them; then serves
the database with `tribune serve` and times the same searches over HTTP as a browser sends them (the
page, the htmx fragment, the JSON API).
"""

from __future__ import annotations

import http.client
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Article, Stance  # noqa: E402
from app.services import search  # noqa: E402
from bench import run, seed  # noqa: E402

SIZE = 100_000
# From rare to common in the seeded bodies, one word and several, accents typed or not.
QUERIES = [
    "autarcie",
    "juges frontieres",
    "souveraineté",
    "données de santé",
    "Cour des comptes",
    "compétences formons",
    "marché dupes",
    "introuvable",
]


def seed_database(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = sa.create_engine(url)
    bodies, rendered = seed.rendered_pool()
    t0 = time.monotonic()
    with engine.begin() as conn:
        authors = seed.insert_users(conn, 500, prefix="auteur")
        seed.seed_debate(conn, slug="debat", size=SIZE, user_ids=authors, bodies=bodies, rendered=rendered)
    seed.analyze(engine)
    print(f"  seeded {SIZE:,} comments in {time.monotonic() - t0:.0f} s", flush=True)
    engine.dispose()


def measure(url: str, runs: int) -> None:
    engine = make_engine(url)
    every: list[float] = []
    with Session(engine) as session:
        article = session.exec(sa.select(Article).where(Article.slug == "debat")).scalar_one()  # type: ignore[call-overload]
        for words in QUERIES:
            query = search.parse_query(words)
            found = search.search_debate(session, article=article, viewer=None, query=query)  # warm-up
            times, cpu = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                search.search_debate(session, article=article, viewer=None, query=query)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            matches = session.execute(
                sa.select(sa.func.count()).select_from(search.matching_ids(session, query).subquery())
            ).scalar_one()
            every += times
            print(
                f"  {words!r:24} {matches:>6} matches  p50 {statistics.median(times):6.1f} ms"
                f"  p90 {statistics.quantiles(times, n=10)[-1]:6.1f} ms  ({len(found.hits)} shown;"
                f" this process's CPU p50 {statistics.median(cpu):5.1f} ms)",
                flush=True,
            )
        filtered = []
        query = search.parse_query("souveraineté")
        for _ in range(runs):
            t0 = time.perf_counter()
            search.search_debate(session, article=article, viewer=None, query=query, stance=Stance.against)
            filtered.append((time.perf_counter() - t0) * 1000)
        print(f"  'souveraineté' + stance=against      p50 {statistics.median(filtered):6.1f} ms", flush=True)
    p90 = statistics.quantiles(every, n=10)[-1]
    print(f"  all queries: p50 {statistics.median(every):.1f} ms, p90 {p90:.1f} ms")
    engine.dispose()


def measure_http(url: str, runs: int) -> None:
    """The same searches as a browser sends them to `tribune serve` (one worker) on this database:
    the page without JavaScript, the fragment htmx asks for as the reader types, and the JSON API;
    one connection kept alive, one request at a time."""
    run.RUN.mkdir(parents=True, exist_ok=True)
    port = run.free_port()
    with tempfile.TemporaryDirectory() as instance:
        env = {
            "TRIBUNE_DATABASE_URL": url,
            "TRIBUNE_SECRET_KEY": run.SECRET,
            "TRIBUNE_INSTANCE_PATH": instance,
            "TRIBUNE_RATE_LIMITS": "false",
        }
        proc = run.start(
            [str(ROOT / ".venv" / "bin" / "tribune"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            log_name="search.log",
        )
        try:
            run.wait_http(f"http://127.0.0.1:{port}/healthz")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            kinds = {
                "page (no JavaScript)": ("/articles/debat/search?q={q}", {}),
                "htmx fragment (as typed)": (
                    "/articles/debat/search?q={q}",
                    {"HX-Request": "true", "HX-Target": "search-results"},
                ),
                "JSON API": ("/api/v1/articles/debat/comments?q={q}", {}),
            }
            for kind, (path, headers) in kinds.items():
                times: list[float] = []
                for words in QUERIES:
                    target = path.format(q=urllib.parse.quote(words))
                    for attempt in range(runs + 1):
                        t0 = time.perf_counter()
                        conn.request("GET", target, headers={"Accept-Encoding": "gzip", **headers})
                        response = conn.getresponse()
                        response.read()
                        if response.status != 200:
                            raise RuntimeError(f"{target}: {response.status}")
                        if attempt:  # the first is the warm-up
                            times.append((time.perf_counter() - t0) * 1000)
                p90 = statistics.quantiles(times, n=10)[-1]
                print(
                    f"  HTTP {kind:26} p50 {statistics.median(times):6.1f} ms  p90 {p90:6.1f} ms"
                    f"  ({len(QUERIES)} queries x {runs})",
                    flush=True,
                )
            conn.close()
        finally:
            run.stop(proc)


def main() -> int:
    runs = int(next((a for a in sys.argv[1:] if a.isdigit()), "30"))
    for label, url in seed.each_database("search", sqlite_only="--sqlite-only" in sys.argv):
        print(label, flush=True)
        seed_database(url)
        measure(url, runs)
        measure_http(url, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
