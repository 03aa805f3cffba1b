"""Seed debates fast, with bulk inserts, into a database built by Alembic.

The shape of a debate is drawn once (`plan_debate`) so that Tribune and the peer get the same
comments: 30 % top-level reactions with a stance, the rest replies down to depth 4 and beyond,
bodies of about 300 characters of French Markdown (bold, links, quotes), and votes spread across
them. Every counter Tribune keeps on rows is computed here and stored consistent: reply_count,
upvotes/downvotes, score_best/score_controversy (app.services.ranking), the article's
comment_count/top_level_count, and each comment's root_id/depth.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.models import (
    Article,
    AuthSession,
    Comment,
    CommentStatus,
    CommentVote,
    Role,
    Stance,
    StanceDaily,
    StanceVote,
    User,
)
from app.security import new_token, sign, token_digest
from app.services.ranking import controversy, wilson_lower_bound
from app.services.rendering import render_article, render_comment

COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
VOTE = CommentVote.__table__  # type: ignore[attr-defined]
AUTH = AuthSession.__table__  # type: ignore[attr-defined]
STANCE_VOTE = StanceVote.__table__  # type: ignore[attr-defined]
STANCE_DAILY = StanceDaily.__table__  # type: ignore[attr-defined]

# A fixed argon2 hash: the seeded accounts never log in with a password (the bench gives them sessions).
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VlZGVkc2VlZGVk$Yl0d7xk0mEhQ3UQpIsu0xwqrZ2Vt0iNlT7r0VQmFhAc"

OPENINGS = [
    "Je ne suis **pas du tout convaincu** par cet argument.",
    "**Souveraineté** : le mot est galvaudé, mais l’enjeu est réel.",
    "Merci pour cet article, qui pose **enfin** les bonnes questions.",
    "Il faut distinguer *l’hébergement* des données et **le contrôle** du logiciel.",
    "Ayant travaillé dix ans dans un service informatique de l’État, je nuance.",
    "**Quatre milliards**, c’est beaucoup, mais c’est peu face aux enjeux.",
]
MIDDLES = [
    "Comme le rappelle [l’ANSSI](https://cyber.gouv.fr/), le *cloud de confiance* suppose une immunité "
    "aux lois extraterritoriales, ce que l’offre actuelle ne garantit pas.",
    "Le rapport de la [Cour des comptes](https://www.ccomptes.fr/) soulignait déjà la dépendance "
    "des administrations à quelques fournisseurs américains.",
    "Les entreprises françaises n’ont **pas attendu** Microsoft pour investir : "
    "voyez [OVHcloud](https://www.ovhcloud.com/fr/) ou Scaleway.",
    "On confond souvent *souveraineté* et *autarcie* ; personne ne propose de tout refaire seul.",
    "Des emplois locaux, oui, mais **qui décide** en cas de crise diplomatique ?",
]
QUOTES = [
    "> « Le cloud n’a pas de frontières, mais les juges en ont. »",
    "> Les données de santé des Français ne peuvent pas dépendre d’un contrat révocable.",
    "> « Un investissement n’est pas une alliance. »",
    "",
    "",
]
CLOSINGS = [
    "Bref, **oui**, mais avec des garde-fous écrits dans la loi.",
    "À mon sens, c’est un *marché de dupes*.",
    "Je reste partagé : voir [ce fil](https://example.org/debat) pour les chiffres.",
    "La vraie question est celle des **compétences** que nous formons ici.",
    "Qu’en pensent les lecteurs qui travaillent dans le secteur ?",
]


def make_bodies(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        parts = [rng.choice(OPENINGS), rng.choice(MIDDLES)]
        quote = rng.choice(QUOTES)
        if quote:
            parts.append(quote)
        parts.append(rng.choice(CLOSINGS))
        bodies.append("\n\n".join(parts))
    return bodies


@dataclass
class PlannedComment:
    index: int  # 0-based position in the debate; ids are base + index + 1
    parent: int | None  # index of the parent
    root: int | None  # index of the top-level reaction of the branch
    depth: int
    stance: Stance | None
    body: int  # index into the body pool
    author: int  # index into the user pool
    voters: list[tuple[int, int]] = field(default_factory=list)  # (user index, +1/-1)
    offset_seconds: int = 0


def plan_debate(size: int, *, users: int, seed: int = 1) -> list[PlannedComment]:
    """The same debate every time for the same arguments."""
    rng = random.Random(seed * 1_000_003 + size)
    stances = list(Stance)
    top_count = max(1, size * 3 // 10)
    # Top-level reactions first in time, replies interleaved after them.
    order_tops = set(rng.sample(range(size), top_count))
    order_tops.add(0)
    plan: list[PlannedComment] = []
    tops: list[int] = []
    for i in range(size):
        if i in order_tops or not tops:
            plan.append(PlannedComment(i, None, None, 0, rng.choice(stances), 0, 0))
            tops.append(i)
        else:
            # Half the replies answer a reaction, half answer a recent reply: branches grow deep.
            if rng.random() < 0.5 or i < 2:
                parent = plan[rng.choice(tops[-200:])]
            else:
                parent = plan[rng.randrange(max(0, i - 50), i)]
            root = parent.index if parent.root is None else parent.root
            plan.append(PlannedComment(i, parent.index, root, parent.depth + 1, None, 0, 0))
    for c in plan:
        c.body = rng.randrange(1 << 30)
        c.author = rng.randrange(users)
        c.offset_seconds = i_seconds(c.index)
        # Votes: most comments get a few, some get many; never by the author.
        n = min(int(rng.expovariate(1 / 3.0)), users - 1)
        voters = rng.sample(range(users), n + 1)
        c.voters = [(v, 1 if rng.random() < 0.7 else -1) for v in voters if v != c.author][:n]
    return plan


def i_seconds(index: int) -> int:
    return index * 7


@dataclass
class Seeded:
    article_id: int
    slug: str
    first_id: int
    size: int
    top_ids: list[int]


def insert_users(conn: sa.Connection, count: int, *, prefix: str = "lecteur") -> list[int]:
    now = datetime.now(UTC)
    rows = [
        {
            "username": f"{prefix}{i}",
            "username_key": f"{prefix}{i}",
            "email": f"{prefix}{i}@example.org",
            "password_hash": PASSWORD_HASH,
            "role": Role.reader,
            "created_at": now,
            # Readers who confirmed their address: their reactions are published, not held.
            "email_verified_at": now,
        }
        for i in range(count)
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(USER.insert(), rows[start : start + 5000])
    ids = conn.execute(
        sa.select(USER.c.id).where(USER.c.username_key.like(f"{prefix}%")).order_by(USER.c.id)
    ).scalars()
    return list(ids)


def insert_article(conn: sa.Connection, *, slug: str, title: str) -> int:
    now = datetime.now(UTC)
    body = (
        "Microsoft annonce **4 milliards d’euros** d’investissement en France.\n\n## Et ensuite ?\n\nDébat."
    )
    return int(
        conn.execute(
            ARTICLE.insert()
            .values(
                slug=slug,
                title=title,
                lede="Un investissement, une question.",
                body_markdown=body,
                body_html=render_article(body),
                question="Souveraineté avec Microsoft, ou pas ?",
                label_for="Pour",
                label_against="Contre",
                label_nuanced="Nuancé",
                published_at=now - timedelta(days=3),
                created_at=now,
                updated_at=now,
            )
            .returning(ARTICLE.c.id)
        ).scalar_one()
    )


def seed_debate(
    conn: sa.Connection,
    *,
    slug: str,
    size: int,
    user_ids: list[int],
    bodies: list[str],
    rendered: list[str],
    seed: int = 1,
) -> Seeded:
    """Insert one debate of `size` published comments with consistent counters and vote rows."""
    article_id = insert_article(conn, slug=slug, title=f"Débat de {size:,} réactions".replace(",", " "))
    plan = plan_debate(size, users=len(user_ids), seed=seed)
    base = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(COMMENT.c.id), 0))).scalar_one())
    start = datetime.now(UTC) - timedelta(seconds=i_seconds(size) + 3600)
    reply_counts = [0] * size
    for c in plan:
        if c.parent is not None:
            reply_counts[c.parent] += 1
    comment_rows = []
    vote_rows = []
    for c in plan:
        up = sum(1 for _v, value in c.voters if value == 1)
        down = len(c.voters) - up
        body = c.body % len(bodies)
        created = start + timedelta(seconds=c.offset_seconds)
        comment_rows.append(
            {
                "id": base + c.index + 1,
                "article_id": article_id,
                "parent_id": None if c.parent is None else base + c.parent + 1,
                "root_id": None if c.root is None else base + c.root + 1,
                "depth": c.depth,
                "author_id": user_ids[c.author],
                "body_markdown": bodies[body],
                "body_html": rendered[body],
                "stance": c.stance,
                "status": CommentStatus.published,
                "created_at": created,
                "upvotes": up,
                "downvotes": down,
                "reply_count": reply_counts[c.index],
                "score_best": wilson_lower_bound(up, down),
                "score_controversy": controversy(up, down),
                "report_count": 0,
            }
        )
        for voter, value in c.voters:
            vote_rows.append(
                {
                    "user_id": user_ids[voter],
                    "comment_id": base + c.index + 1,
                    "value": value,
                    "created_at": created,
                }
            )
    for i in range(0, len(comment_rows), 5000):
        conn.execute(COMMENT.insert(), comment_rows[i : i + 5000])
    for i in range(0, len(vote_rows), 10000):
        conn.execute(VOTE.insert(), vote_rows[i : i + 10000])
    tops = [row["id"] for row in comment_rows if row["parent_id"] is None]
    conn.execute(
        ARTICLE.update()
        .where(ARTICLE.c.id == article_id)
        .values(comment_count=size, top_level_count=len(tops), version=1)
    )
    if conn.dialect.name == "postgresql":
        # Explicit ids do not move the sequence: later inserts must not collide.
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('comment', 'id'), (SELECT max(id) FROM comment))"
        )
    return Seeded(article_id, slug, base + 1, size, tops)


def insert_reader_votes(conn: sa.Connection, *, user_id: int, debate: Seeded, every: int = 3) -> int:
    """One reader's votes on every `every`-th comment of a debate (two up for one down), never on
    their own, the comments' tallies and scores moved to match. Returns how many votes."""
    now = datetime.now(UTC)
    targets = conn.execute(
        sa.select(COMMENT.c.id, COMMENT.c.upvotes, COMMENT.c.downvotes)
        .where(
            COMMENT.c.id.in_(range(debate.first_id, debate.first_id + debate.size, every)),
            COMMENT.c.author_id != user_id,
        )
        .order_by(COMMENT.c.id)
    ).all()
    votes, tallies = [], []
    for n, (comment_id, up, down) in enumerate(targets):
        value = -1 if n % 3 == 2 else 1
        up, down = up + (value == 1), down + (value == -1)
        votes.append({"user_id": user_id, "comment_id": comment_id, "value": value, "created_at": now})
        tallies.append(
            {
                "target": comment_id,
                "up": up,
                "down": down,
                "best": wilson_lower_bound(up, down),
                "controversy": controversy(up, down),
            }
        )
    if votes:
        conn.execute(VOTE.insert(), votes)
        conn.execute(
            COMMENT.update()
            .where(COMMENT.c.id == sa.bindparam("target"))
            .values(
                upvotes=sa.bindparam("up"),
                downvotes=sa.bindparam("down"),
                score_best=sa.bindparam("best"),
                score_controversy=sa.bindparam("controversy"),
            ),
            tallies,
        )
    return len(votes)


def insert_stance(conn: sa.Connection, *, user_id: int, article_id: int, stance: Stance) -> None:
    """One reader's answer to the article's question, the article's tally and today's row of its
    history counting it."""
    now = datetime.now(UTC)
    conn.execute(
        STANCE_VOTE.insert().values(
            user_id=user_id, article_id=article_id, stance=stance, created_at=now, updated_at=now
        )
    )
    column = ARTICLE.c[f"tally_{stance.value}"]
    conn.execute(ARTICLE.update().where(ARTICLE.c.id == article_id).values({column: column + 1}))
    tally = conn.execute(
        sa.select(ARTICLE.c.tally_for, ARTICLE.c.tally_against, ARTICLE.c.tally_nuanced).where(
            ARTICLE.c.id == article_id
        )
    ).one()
    conn.execute(STANCE_DAILY.insert().values(article_id=article_id, day=now.date(), **tally._mapping))


def rendered_pool(count: int = 240) -> tuple[list[str], list[str]]:
    bodies = make_bodies(count)
    return bodies, [render_comment(b) for b in bodies]


@dataclass(frozen=True)
class Credential:
    user_id: int
    cookie: str
    csrf: str


def insert_sessions(conn: sa.Connection, user_ids: list[int], *, secret: str) -> list[Credential]:
    """Signed-in sessions for the load: a cookie and the CSRF token that goes with it."""
    now = datetime.now(UTC)
    creds = []
    rows = []
    for user_id in user_ids:
        token = new_token()
        digest = token_digest(token)
        rows.append(
            {"id": digest, "user_id": user_id, "created_at": now, "last_seen_at": now, "user_agent": "bench"}
        )
        creds.append(Credential(user_id, f"tribune_session={token}", sign(secret, "csrf-session", digest)))
    conn.execute(AUTH.insert(), rows)
    return creds


# Where a bench runs: both databases -------------------------------------------------------------

POSTGRES = os.environ.get("TRIBUNE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def analyze(engine: sa.Engine) -> None:
    """Fresh statistics for PostgreSQL's planner after a bulk seed (SQLite has none to refresh)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def each_database(name: str, *, sqlite_only: bool = False) -> Iterator[tuple[str, str]]:
    """(label, url): a temporary SQLite file, then a fresh PostgreSQL database on TRIBUNE_BENCH_POSTGRES
    (default the local server), each removed once the loop has moved on (or stopped)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield "SQLite", f"sqlite:///{Path(tmp) / f'{name}.db'}"
    if sqlite_only:
        return
    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    try:
        yield "PostgreSQL", sa.make_url(POSTGRES).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()
