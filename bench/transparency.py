"""The transparency report (issue 18) for 12 months over 1,000,000 moderation rows on PostgreSQL.

Run: .venv/bin/python bench/transparency.py [--postgres URL] [--rows 1000000]
URL names a server whose database may be replaced (default: a throwaway database on
postgresql+psycopg://postgres@127.0.0.1:5432, created and dropped here). Seeds, through Alembic and
generate_series, 60 % statements of reasons, 30 % notices and 10 % appeals spread over 2025, then
times the report for the year and for one month (build() runs every aggregate of the page).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from app.cli import alembic_config
from app.db import make_engine
from app.services import transparency

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
YEAR = "timestamptz '2025-01-01 00:00:00+00' + random() * interval '365 days'"


def seed(engine: sa.Engine, total: int) -> None:
    statements, notices = total * 6 // 10, total * 3 // 10
    appeals = total - statements - notices
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"""
                INSERT INTO moderation_statement
                    (restriction, facts, reason, ground_rule, terms_version, ground_law, automation,
                     created_at)
                SELECT (ARRAY['removed','removed','removed','hidden','suspended','banned'])[1 + i % 6], 'x',
                       'spam', CASE WHEN i % 10 = 0 THEN NULL ELSE 1 + i % 9 END,
                       CASE WHEN i % 10 = 0 THEN NULL ELSE 1 END,
                       CASE WHEN i % 10 = 0 THEN 'LCEN art. 6' END,
                       (ARRAY['none','none','none','word_list','auto_hide'])[1 + i % 5], {YEAR}
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": statements},
        )
        conn.execute(
            sa.text(
                f"""
                INSERT INTO notice (reference, url, category, explanation, good_faith, created_at)
                SELECT 'B-' || i, '/comments/1',
                       (ARRAY['hate','defamation','privacy','ip','terrorism','child_abuse','fraud',
                              'other'])[1 + i % 8],
                       'x', true, {YEAR}
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": notices},
        )
        conn.execute(
            sa.text(
                """
                UPDATE notice SET decided_at = created_at + random() * interval '48 hours',
                       outcome = CASE WHEN id % 2 = 0 THEN 'acted' ELSE 'dismissed' END
                WHERE id % 3 <> 0
                """
            )
        )
        conn.execute(
            sa.text(
                """
                INSERT INTO moderation_appeal (statement_id, explanation, created_at, decided_at, outcome)
                SELECT s.id, 'x', s.created_at + interval '1 day',
                       CASE WHEN s.id % 5 <> 0
                            THEN s.created_at + interval '1 day' + random() * interval '72 hours' END,
                       CASE WHEN s.id % 5 = 0 THEN NULL WHEN s.id % 3 = 0 THEN 'reversed' ELSE 'upheld' END
                FROM moderation_statement AS s ORDER BY s.id LIMIT :n
                """
            ),
            {"n": appeals},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def measure(engine: sa.Engine, key: str, runs: int = 7) -> tuple[float, float, transparency.Report]:
    period = transparency.parse_period(key)
    times = []
    report = None
    for _ in range(runs):
        with Session(engine) as session:
            start = time.perf_counter()
            report = transparency.build(session, period=period)
            times.append((time.perf_counter() - start) * 1000)
    assert report is not None
    return statistics.median(times), max(times), report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL database URL that may be replaced")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    name = f"tribune_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(f"{SERVER}/postgres")
    if not args.postgres:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = args.postgres or f"{SERVER}/{name}"
    try:
        if args.postgres:
            command.downgrade(alembic_config(url), "base")
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        start = time.perf_counter()
        seed(engine, args.rows)
        print(f"seeded {args.rows:,} rows in {time.perf_counter() - start:.1f} s")
        for key in ("2025", "2025-06"):
            p50, worst, report = measure(engine, key)
            print(
                f"report {key:>7}: p50 {p50:7.1f} ms, max {worst:7.1f} ms "
                f"(notices {report.notices_total:,}, decisions {report.decisions_total:,}, "
                f"appeals {report.appeals_received:,})"
            )
        engine.dispose()
    finally:
        if not args.postgres:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
