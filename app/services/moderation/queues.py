"""The moderation queues: what waits (pending, reported) and what was decided (rejected, approved),
their counts, and a page of cards with what a moderator needs to decide."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.errors import BadRequest, NotFound
from app.i18n import _
from app.models import Article, Comment, CommentReport, CommentStatus, ModerationAction, User, WordRule
from app.services import search
from app.services.accounts import Principal
from app.services.moderation.held import Held, explain
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import plan_each_time
from app.text import parse_id

COMMENT = Comment.__table__  # type: ignore[attr-defined]


class Queue(StrEnum):
    pending = "pending"
    reported = "reported"
    rejected = "rejected"
    approved = "approved"


def parse_queue(value: str) -> Queue:
    try:
        return Queue(value)
    except ValueError as exc:
        raise NotFound(_("File de modération inconnue.")) from exc


def parse_cursor(cursor: str | None) -> int | None:
    """The id a keyset page starts after (the queues' and the log's); None for the first page."""
    if not cursor:
        return None
    return parse_id(cursor, BadRequest(_("Curseur de pagination invalide."), field="cursor"))


def _queue_filter(queue: Queue) -> sa.ColumnElement[bool]:
    if queue is Queue.pending:
        return COMMENT.c.status == CommentStatus.pending
    if queue is Queue.reported:
        # Written as the partial indexes' own predicates, so both databases pick those indexes.
        return sa.and_(sa.text("comment.report_count > 0"), COMMENT.c.status == CommentStatus.published)
    if queue is Queue.rejected:
        return COMMENT.c.status == CommentStatus.rejected
    return sa.and_(sa.text("comment.decided_at IS NOT NULL"), COMMENT.c.status == CommentStatus.published)


def queue_counts(session: Session) -> dict[str, int]:
    return {
        q.value: int(session.execute(sa.select(func.count()).where(_queue_filter(q))).scalar_one())
        for q in Queue
    }


@dataclass
class AuthorRecord:
    user: Principal | None
    approved: int = 0
    rejected: int = 0
    sanctions: list[ModerationAction] = field(default_factory=list)


@dataclass
class Card:
    comment: Comment
    article: Article
    parent: Comment | None
    parent_author: User | None
    author: AuthorRecord
    reports: list[CommentReport]
    reporters: int
    held: Held = field(default_factory=Held)


@dataclass
class QueuePage:
    cards: list[Card]
    next_cursor: str | None


def list_queue(
    session: Session,
    *,
    queue: Queue,
    cursor: str | None = None,
    limit: int = 20,
    rules: Rules = DEFAULT_RULES,
    q: str | None = None,
    author: str | None = None,
) -> QueuePage:
    """A page of a queue, oldest first for work to do, newest first for history. Keyset on id, so
    the first page costs the same for 10 or 10,000 waiting comments. `q` keeps the comments whose
    text matches those words (every status: the search index holds them all), `author` one
    reader's (by username)."""
    limit = max(1, min(limit, 100))
    newest_first = queue in (Queue.rejected, Queue.approved)
    query = select(Comment).where(_queue_filter(queue))
    words = search.parse_query(q)
    if words is not None:
        plan_each_time(session)
        query = query.where(col(Comment.id).in_(search.matching_ids(session, words)))
    if author:
        wanted = select(User.id).where(User.username_key == author.strip().casefold())
        query = query.where(col(Comment.author_id) == wanted.scalar_subquery())
    after = parse_cursor(cursor)
    if after is not None:
        query = query.where(col(Comment.id) < after if newest_first else col(Comment.id) > after)
    query = query.order_by(col(Comment.id).desc() if newest_first else col(Comment.id)).limit(limit + 1)
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(
        cards=_cards(session, rows, rules=rules), next_cursor=str(rows[-1].id) if more and rows else None
    )


def _cards(session: Session, rows: list[Comment], *, rules: Rules = DEFAULT_RULES) -> list[Card]:
    if not rows:
        return []
    phrases = list(session.exec(select(WordRule.phrase).order_by(col(WordRule.id))).all())
    ids = [c.id for c in rows]
    parent_ids = {c.parent_id for c in rows if c.parent_id}
    parents = {p.id: p for p in session.exec(select(Comment).where(col(Comment.id).in_(parent_ids))).all()}
    article_ids = {c.article_id for c in rows}
    articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(article_ids))).all()}
    user_ids = {c.author_id for c in rows} | {p.author_id for p in parents.values()}
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids - {None}))).all()}
    reports: dict[int, list[CommentReport]] = defaultdict(list)
    for r in session.exec(
        select(CommentReport)
        .where(col(CommentReport.comment_id).in_(ids), col(CommentReport.resolved_at).is_(None))
        .order_by(col(CommentReport.id))
    ).all():
        reports[r.comment_id].append(r)
    sanctions: dict[int, list[ModerationAction]] = defaultdict(list)
    author_ids = [i for i in {c.author_id for c in rows} if i is not None]
    for action in session.exec(
        select(ModerationAction)
        .where(
            ModerationAction.target_type == "user",
            col(ModerationAction.target_id).in_(author_ids),
            col(ModerationAction.action).in_(("suspend", "ban", "lift")),
        )
        .order_by(col(ModerationAction.id).desc())
    ).all():
        if action.target_id is not None:
            sanctions[action.target_id].append(action)
    cards = []
    for c in rows:
        author = people.get(c.author_id) if c.author_id else None
        parent = parents.get(c.parent_id) if c.parent_id else None
        cards.append(
            Card(
                comment=c,
                article=articles[c.article_id],
                parent=parent,
                parent_author=people.get(parent.author_id) if parent and parent.author_id else None,
                author=AuthorRecord(
                    user=author,
                    approved=author.approved_count if author else 0,
                    rejected=author.rejected_count if author else 0,
                    sanctions=sanctions.get(c.author_id or 0, [])[:5],
                ),
                reports=reports.get(c.id or 0, []),
                reporters=len(reports.get(c.id or 0, [])),
                held=explain(
                    c,
                    article=articles[c.article_id],
                    author=author,
                    reporters=len(reports.get(c.id or 0, [])),
                    rules_phrases=phrases,
                    rules=rules,
                ),
            )
        )
    return cards
