"""What the first page of a moderation queue costs with 10 and with 10,000 waiting comments.

Run: .venv/bin/python bench/queue_cost.py [--postgres URL]
Seeds a fresh database (SQLite by default) through Alembic, then times the queue's first page and the
dashboard counts, and prints the query plans of both.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from app.cli import alembic_config
from app.db import make_engine
from app.models import Article, Comment, CommentStatus, Stance, User, utcnow
from app.services import moderation


def seed(engine: sa.Engine, pending: int) -> None:
    with Session(engine) as session:
        article = Article(
            slug=f"q-{uuid.uuid4().hex[:6]}",
            title="File",
            body_markdown="x",
            body_html="x",
            question="?",
            label_for="a",
            label_against="b",
            label_nuanced="c",
            published_at=utcnow(),
        )
        author = User(
            username=f"u{uuid.uuid4().hex[:8]}",
            username_key=uuid.uuid4().hex[:12],
            email=f"{uuid.uuid4().hex}@example.org",
            password_hash="x",
        )
        session.add_all([article, author])
        session.flush()
        rows = [
            {
                "article_id": article.id,
                "author_id": author.id,
                "body_markdown": f"attente {i}",
                "body_html": f"<p>attente {i}</p>",
                "stance": Stance.for_,
                "status": CommentStatus.pending,
                "created_at": utcnow(),
                "depth": 0,
            }
            for i in range(pending)
        ]
        # A published debate beside the queue, as on a real site.
        rows += [
            {
                "article_id": article.id,
                "author_id": author.id,
                "body_markdown": f"publié {i}",
                "body_html": f"<p>publié {i}</p>",
                "stance": Stance.against,
                "status": CommentStatus.published,
                "created_at": utcnow(),
                "depth": 0,
            }
            for i in range(pending * 2)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(Comment), rows[start : start + 5000])
        session.commit()


def measure(engine: sa.Engine, runs: int = 200) -> tuple[float, float]:
    page, counts = [], []
    with Session(engine) as session:
        for _ in range(runs):
            t0 = time.perf_counter()
            moderation.list_queue(session, queue=moderation.Queue.pending)
            t1 = time.perf_counter()
            moderation.queue_counts(session)
            t2 = time.perf_counter()
            page.append(t1 - t0)
            counts.append(t2 - t1)
    return statistics.median(page) * 1000, statistics.median(counts) * 1000


def plans(engine: sa.Engine) -> dict[str, list[str]]:
    """The plan of each queue's first page and count."""
    table = Comment.__table__  # type: ignore[attr-defined]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for queue in moderation.Queue:
            where = moderation._queue_filter(queue)
            for label, query in (
                ("page", sa.select(table.c.id).where(where).order_by(table.c.id).limit(21)),
                ("count", sa.select(sa.func.count()).select_from(table).where(where)),
            ):
                sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
                out[f"{queue.value} {label}"] = [
                    " ".join(str(v) for v in row) for row in conn.exec_driver_sql(prefix + sql)
                ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL server URL whose database may be replaced")
    args = parser.parse_args()
    print(f"{'pending':>8} {'first page p50 (ms)':>20} {'queue counts p50 (ms)':>22}")
    for pending in (10, 20, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.postgres or f"sqlite:///{Path(tmp) / 'queue.db'}"
            if args.postgres:
                command.downgrade(alembic_config(url), "base")
            command.upgrade(alembic_config(url), "head")
            engine = make_engine(url)
            seed(engine, pending)
            page_ms, counts_ms = measure(engine)
            print(f"{pending:>8} {page_ms:>20.2f} {counts_ms:>22.2f}")
            if pending == 10_000:
                for name, lines in plans(engine).items():
                    print(f"plan, {name}:", *lines, sep="\n  ")
            engine.dispose()


if __name__ == "__main__":
    main()
