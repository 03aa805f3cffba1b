"""Did the debate change minds (issue 20): the time of `minds.changed_minds` (its two aggregates and
the chart's geometry) over 100,000 poll answers, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/minds.py [N] [--sqlite-only]
Seeds 100,000 readers and their answers to one article's question in a temporary SQLite file and a
fresh PostgreSQL database (TRIBUNE_BENCH_POSTGRES, default the local server): a tenth changed their
answer once, on one of the last 30 days. Prints the p50 and p90 of N calls (default 30).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Article, Stance  # noqa: E402
from app.services import minds  # noqa: E402
from bench import seed  # noqa: E402

ANSWERS = 100_000


def seed_answers(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = sa.create_engine(url)
    rng = random.Random(20)
    now = datetime.now(UTC)
    stances = list(Stance)
    t0 = time.monotonic()
    with engine.begin() as conn:
        readers = seed.insert_users(conn, ANSWERS, prefix="sondage")
        article_id = seed.insert_article(conn, slug="sondage", title="Sondage")
        rows = []
        for user_id in readers:
            stance = rng.choice(stances)
            first = rng.choice([s for s in stances if s != stance]) if rng.random() < 0.1 else None
            rows.append(
                {
                    "user_id": user_id,
                    "article_id": article_id,
                    "stance": stance,
                    "first_stance": first,
                    "changed_at": now - timedelta(days=rng.randrange(30)) if first else None,
                    "created_at": now - timedelta(days=40),
                    "updated_at": now,
                }
            )
        for start in range(0, len(rows), 5000):
            conn.execute(seed.STANCE_VOTE.insert(), rows[start : start + 5000])
        # The counters set_stance keeps: the article's tallies and changed_count, the daily history.
        tally = {s: sum(1 for r in rows if r["stance"] == s) for s in stances}
        changed = [r for r in rows if r["first_stance"] and r["first_stance"] != r["stance"]]
        conn.execute(
            seed.ARTICLE.update()
            .where(seed.ARTICLE.c.id == article_id)
            .values(
                tally_for=tally[Stance.for_],
                tally_against=tally[Stance.against],
                tally_nuanced=tally[Stance.nuanced],
                changed_count=len(changed),
            )
        )
        conn.execute(
            seed.STANCE_DAILY.insert(),
            [
                {
                    "article_id": article_id,
                    "day": (now - timedelta(days=d)).date(),
                    "changed_count": sum(1 for r in changed if r["changed_at"] <= now - timedelta(days=d)),
                }
                for d in range(30)
            ],
        )
    seed.analyze(engine)
    print(f"  seeded {ANSWERS:,} answers in {time.monotonic() - t0:.0f} s", flush=True)
    engine.dispose()


def measure(url: str, runs: int) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        article = session.execute(sa.select(Article).where(Article.slug == "sondage")).scalar_one()
        found = minds.changed_minds(session, article=article)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            minds.changed_minds(session, article=article)
            times.append((time.perf_counter() - t0) * 1000)
    p90 = statistics.quantiles(times, n=10)[-1]
    print(
        f"  {found.readers:,} answers, {found.changed:,} changed: p50 {statistics.median(times):.1f} ms,"
        f" p90 {p90:.1f} ms",
        flush=True,
    )
    engine.dispose()


def main() -> int:
    runs = int(next((a for a in sys.argv[1:] if a.isdigit()), "30"))
    for label, url in seed.each_database("minds", sqlite_only="--sqlite-only" in sys.argv):
        print(label, flush=True)
        seed_answers(url)
        measure(url, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
