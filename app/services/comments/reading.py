"""Reading the debate: one page of reactions with their first replies, the whole thread, a branch in
context, and the comment lookups behind them (who sees what is asked of services.visibility)."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import BadRequest, Invalid, NotFound
from app.i18n import _
from app.models import Article, Comment, CommentVote, User
from app.services.accounts import Principal, is_staff
from app.services.rules import DEFAULT_RULES, Rules
from app.services.visibility import LIVE, is_visible, visible_clause
from app.text import MAX_ID

COMMENT = Comment.__table__  # type: ignore[attr-defined]


class Sort(StrEnum):
    best = "best"
    newest = "newest"
    oldest = "oldest"
    controversial = "controversial"


def parse_sort(value: str | None) -> Sort:
    if not value:
        return Sort.best
    try:
        return Sort(value)
    except ValueError as exc:
        raise Invalid(
            _("Tri inconnu : choisissez best, newest, oldest ou controversial."), field="sort"
        ) from exc


@dataclass
class Node:
    """A comment as one viewer sees it, with the part of its branch that is shown."""

    comment: Comment
    author: Principal | None
    my_vote: int = 0
    replies: list[Node] = field(default_factory=list)
    more_replies: int = 0
    reply_to: User | None = None  # the parent's author, named on replies drawn flat
    featured_by: User | None = None
    visible_replies: int = 0

    @property
    def id(self) -> int:
        assert self.comment.id is not None
        return self.comment.id


@dataclass
class Page:
    items: list[Node]
    next_cursor: str | None


def get_comment(session: Session, *, comment_id: int, viewer: Principal | None) -> Comment:
    if not 1 <= comment_id <= MAX_ID:
        raise NotFound(_("Commentaire introuvable."))
    comment = session.get(Comment, comment_id)
    if comment is None or not is_visible(comment, viewer):
        raise NotFound(_("Commentaire introuvable."))
    return comment


# Cursors ---------------------------------------------------------------------------------------


def _order(sort: Sort) -> list[sa.ColumnElement[Any]]:
    return {
        Sort.best: [COMMENT.c.score_best.desc(), COMMENT.c.id.desc()],
        Sort.controversial: [COMMENT.c.score_controversy.desc(), COMMENT.c.id.desc()],
        Sort.newest: [COMMENT.c.id.desc()],
        Sort.oldest: [COMMENT.c.id.asc()],
    }[sort]


def _sort_key(sort: Sort, comment: Comment) -> list[Any]:
    if sort is Sort.best:
        return [comment.score_best, comment.id]
    if sort is Sort.controversial:
        return [comment.score_controversy, comment.id]
    return [comment.id]


def encode_cursor(sort: Sort, comment: Comment) -> str:
    raw = json.dumps([sort.value, *_sort_key(sort, comment)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_id(value: object) -> int:
    """An id read back from a cursor's JSON: an int in an id's range (true is an int to Python and
    10**30 overflows the driver, each a 500 once in SQL)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise ValueError(value)
    return value


def _cursor_score(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(value)
    score = float(value)  # OverflowError for an int beyond a float's range
    if not math.isfinite(score):
        raise ValueError(value)
    return score


def _after(sort: Sort, cursor: str) -> sa.ColumnElement[bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or values[0] != sort.value:
            raise ValueError(cursor)
        key = values[1:]
        if sort in (Sort.newest, Sort.oldest):
            (last,) = key
            last_id = _cursor_id(last)
            return COMMENT.c.id < last_id if sort is Sort.newest else COMMENT.c.id > last_id
        given_score, given_id = key
        score, last_id = _cursor_score(given_score), _cursor_id(given_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError, IndexError) as exc:
        raise BadRequest(_("Curseur de pagination invalide."), field="cursor") from exc
    column = COMMENT.c.score_best if sort is Sort.best else COMMENT.c.score_controversy
    return sa.or_(column < score, sa.and_(column == score, COMMENT.c.id < last_id))


# Trees -----------------------------------------------------------------------------------------


def _load_people(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(wanted))).all() if u.id}


def _load_my_votes(session: Session, viewer: Principal | None, ids: Sequence[int]) -> dict[int, int]:
    if viewer is None or not ids:
        return {}
    rows = session.exec(
        select(CommentVote.comment_id, CommentVote.value).where(
            CommentVote.user_id == viewer.id, col(CommentVote.comment_id).in_(ids)
        )
    ).all()
    return dict(rows)


def nodes_for(session: Session, comments: Sequence[Comment], viewer: Principal | None) -> dict[int, Node]:
    """Nodes for these comments, with their authors and the viewer's votes loaded in two queries."""
    return _nodes(session, comments, viewer)


def _nodes(session: Session, comments: Sequence[Comment], viewer: Principal | None) -> dict[int, Node]:
    people = _load_people(session, [c.author_id for c in comments] + [c.featured_by_id for c in comments])
    votes = _load_my_votes(session, viewer, [c.id for c in comments if c.id is not None])
    nodes: dict[int, Node] = {}
    for c in comments:
        assert c.id is not None
        nodes[c.id] = Node(
            comment=c,
            author=people.get(c.author_id) if c.author_id else None,
            my_vote=votes.get(c.id, 0),
            featured_by=people.get(c.featured_by_id) if c.featured_by_id else None,
        )
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id or 0)
        if parent is not None:
            node.reply_to = parent.author
    return nodes


def list_top_level(
    session: Session,
    *,
    article: Article,
    viewer: Principal | None,
    sort: Sort = Sort.best,
    cursor: str | None = None,
    limit: int = 20,
    rules: Rules = DEFAULT_RULES,
) -> Page:
    """One page of top-level reactions with their first replies: a fixed number of queries,
    each reading through an index, whatever the size of the debate."""
    limit = max(1, min(limit, 100))
    query = (
        select(Comment)
        .where(
            Comment.article_id == article.id,
            col(Comment.parent_id).is_(None),
            visible_clause(viewer),
        )
        .order_by(*_order(sort))
        .limit(limit + 1)
    )
    if cursor:
        query = query.where(_after(sort, cursor))
    tops = list(session.exec(query).all())
    has_more = len(tops) > limit
    tops = tops[:limit]
    replies = _first_replies(session, [t.id for t in tops if t.id], viewer, rules)
    nodes = _nodes(session, tops + [r for r, _n in replies], viewer)
    _assemble(nodes, replies, rules)
    items = [nodes[t.id] for t in tops if t.id]
    return Page(items=items, next_cursor=encode_cursor(sort, tops[-1]) if has_more and tops else None)


def _first_replies(
    session: Session, root_ids: list[int], viewer: Principal | None, rules: Rules
) -> list[tuple[Comment, int]]:
    """The oldest few replies under each comment of these branches, down to the indent limit,
    with the number of visible siblings of each (to say how many more there are)."""
    if not root_ids:
        return []
    ranked = (
        sa.select(
            COMMENT.c.id,
            sa.func.row_number().over(partition_by=COMMENT.c.parent_id, order_by=COMMENT.c.id).label("rn"),
            sa.func.count().over(partition_by=COMMENT.c.parent_id).label("siblings"),
        )
        .where(
            COMMENT.c.root_id.in_(root_ids),
            COMMENT.c.depth <= rules.max_indent,
            visible_clause(viewer, by_status=False),
        )
        .subquery()
    )
    query = (
        select(Comment, ranked.c.siblings)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rn <= rules.replies_per_comment)
        .order_by(col(Comment.id))
    )
    return [(c, int(n)) for c, n in session.exec(query).all()]


def _assemble(nodes: dict[int, Node], replies: list[tuple[Comment, int]], rules: Rules) -> None:
    siblings: dict[int, int] = {}
    for reply, count in replies:
        assert reply.parent_id is not None
        siblings[reply.parent_id] = count
    # Replies come oldest first (by id); a reply is attached only if its parent made it in.
    attached: set[int] = set()
    for reply, _count in replies:
        assert reply.id is not None
        assert reply.parent_id is not None
        parent = nodes.get(reply.parent_id)
        if parent is None or (parent.comment.parent_id is not None and reply.parent_id not in attached):
            continue
        parent.replies.append(nodes[reply.id])
        attached.add(reply.id)
    for node in nodes.values():
        if node.comment.parent_id is not None and node.id not in attached:
            continue
        total = (
            siblings.get(node.id, 0) if node.comment.depth < rules.max_indent else node.comment.reply_count
        )
        node.visible_replies = max(total, len(node.replies))
        node.more_replies = max(0, node.visible_replies - len(node.replies))


def _tree(comments: Sequence[Comment], nodes: dict[int, Node], top_ids: Sequence[int]) -> list[Node]:
    children: dict[int, list[Node]] = defaultdict(list)
    for c in sorted(comments, key=lambda c: c.id or 0):
        if c.parent_id is not None and c.id is not None:
            children[c.parent_id].append(nodes[c.id])
    for node_id, node in nodes.items():
        node.replies = children.get(node_id, [])
        node.visible_replies = len(node.replies)
        node.more_replies = 0
    return [nodes[i] for i in top_ids]


def thread(
    session: Session, *, article: Article, viewer: Principal | None, sort: Sort = Sort.best
) -> list[Node]:
    """The whole visible debate, every branch nested to its full depth."""
    comments = list(
        session.exec(
            select(Comment)
            .where(Comment.article_id == article.id, visible_clause(viewer, by_status=False))
            .order_by(col(Comment.id))
        ).all()
    )
    nodes = _nodes(session, comments, viewer)
    # Drop anything whose parent is not visible to this viewer, then order the top level.
    reachable = _reachable(comments)
    comments = [c for c in comments if c.id in reachable]
    nodes = {i: n for i, n in nodes.items() if i in reachable}
    tops = [c for c in comments if c.parent_id is None]
    tops.sort(key=lambda c: _sort_key(sort, c), reverse=sort is not Sort.oldest)
    return _tree(comments, nodes, [t.id for t in tops if t.id])


def latest_published(session: Session, *, article: Article, limit: int = 50) -> list[Comment]:
    """The latest public comments of a debate, newest first (its Atom feed): nothing pending,
    rejected, hidden or deleted. Walks ix_comment_article_latest backwards and stops at `limit`."""
    return list(
        session.exec(
            select(Comment)
            .where(
                Comment.article_id == article.id,
                LIVE,
            )
            .order_by(col(Comment.id).desc())
            .limit(limit)
        ).all()
    )


def _reachable(comments: Sequence[Comment]) -> set[int]:
    ids = {c.id for c in comments}
    reachable: set[int] = set()
    for c in sorted(comments, key=lambda c: c.depth):
        if c.id is not None and (c.parent_id is None or (c.parent_id in ids and c.parent_id in reachable)):
            reachable.add(c.id)
    return reachable


@dataclass
class Branch:
    """A comment in context: the chain of its ancestors and its whole subtree."""

    node: Node
    ancestors: list[Node]


def branch(session: Session, *, comment: Comment, viewer: Principal | None) -> Branch:
    root_id = comment.root_id or comment.id
    comments = list(
        session.exec(
            select(Comment)
            .where(
                sa.or_(col(Comment.id) == root_id, col(Comment.root_id) == root_id),
                sa.or_(visible_clause(viewer, by_status=False), col(Comment.id) == comment.id),
            )
            .order_by(col(Comment.id))
        ).all()
    )
    by_id = {c.id: c for c in comments}
    chain: list[Comment] = []
    cursor = by_id.get(comment.parent_id) if comment.parent_id else None
    while cursor is not None:
        chain.append(cursor)
        cursor = by_id.get(cursor.parent_id) if cursor.parent_id else None
    chain.reverse()
    subtree_ids = _descendants(comments, comment.id)
    inside = [c for c in comments if c.id in subtree_ids]
    nodes = _nodes(session, inside + chain, viewer)
    _tree(inside, {i: nodes[i] for i in subtree_ids}, [])
    assert comment.id is not None
    return Branch(node=nodes[comment.id], ancestors=[nodes[c.id] for c in chain if c.id])


def _descendants(comments: Sequence[Comment], top_id: int | None) -> set[int]:
    found: set[int] = {top_id} if top_id else set()
    for c in sorted(comments, key=lambda c: c.depth):
        if c.parent_id in found and c.id is not None:
            found.add(c.id)
    return found


def own_body(comment: Comment, viewer: Principal | None) -> bool:
    return viewer is not None and (comment.author_id == viewer.id or is_staff(viewer))
