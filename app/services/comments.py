"""Reactions and replies: posting, editing, deleting, and reading the debate as trees."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from app.errors import BadRequest, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import (
    Article,
    Comment,
    CommentRevision,
    CommentStatus,
    CommentVote,
    User,
    WordEffect,
    utcnow,
)
from app.models.schemas import CommentCreate, CommentUpdate
from app.services import events, notifications, screening
from app.services.accounts import Principal, ensure_can_write, is_staff
from app.services.ratelimit import Limiter
from app.services.rendering import render_comment
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import Db, Prepared, expire_loaded
from app.services.visibility import PUBLIC_STATUSES, is_visible, visible_clause

MAX_ID = 2**31 - 1
COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]


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
            _("Tri inconnu : choisissez best, newest, oldest ou controversial."), fields={"sort": "unknown"}
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


# Posting ---------------------------------------------------------------------------------------


def initial_status(
    session: Session, *, author: Principal, article: Article, body: str, rules: Rules
) -> CommentStatus:
    """Held (pending) when the article is pre-moderated, the author is not yet trusted, or a hold word
    matches; a block word refuses the comment outright."""
    held = screening.screen(session, author=author, article=article, body=body, rules=rules)
    return CommentStatus.pending if held else CommentStatus.published


_REPLY_COUNT = Prepared(
    sa.update(COMMENT)
    .where(COMMENT.c.id == sa.bindparam("parent"))
    .values(reply_count=COMMENT.c.reply_count + sa.bindparam("d_replies"))
)
_ARTICLE_COUNTS = Prepared(
    sa.update(ARTICLE)
    .where(ARTICLE.c.id == sa.bindparam("target_article"))
    .values(
        comment_count=ARTICLE.c.comment_count + sa.bindparam("d_published"),
        top_level_count=ARTICLE.c.top_level_count + sa.bindparam("d_top"),
        version=ARTICLE.c.version + 1,
    )
)


def _counters(
    session: Session, *, comment: Comment, published: int = 0, public: int = 0, top_level: int = 0
) -> None:
    """Move the counters kept on rows with atomic UPDATEs (no read-modify-write race).
    Comment rows are always locked before the article row, in every service, so no two
    transactions wait on each other in a cycle."""
    if public and comment.parent_id is not None:
        _REPLY_COUNT.run(session, {"parent": comment.parent_id, "d_replies": public})
    _ARTICLE_COUNTS.run(
        session, {"target_article": comment.article_id, "d_published": published, "d_top": top_level}
    )
    expire_loaded(session, Article, comment.article_id, ["comment_count", "top_level_count", "version"])
    if public and comment.parent_id is not None:
        expire_loaded(session, Comment, comment.parent_id, ["reply_count"])


# What posting a reply needs of its parent, read without loading the row through the ORM.
_PARENT = Prepared(
    sa.select(
        COMMENT.c.id,
        COMMENT.c.article_id,
        COMMENT.c.root_id,
        COMMENT.c.depth,
        COMMENT.c.author_id,
        COMMENT.c.status,
        COMMENT.c.hidden_at,
    ).where(COMMENT.c.id == sa.bindparam("parent"))
)


_COLUMNS = [column.key for column in COMMENT.columns if column.key != "id"]
_INSERT = Prepared(
    sa.insert(COMMENT).values({key: sa.bindparam(key) for key in _COLUMNS}).returning(COMMENT.c.id)
)


def _insert(session: Session, comment: Comment) -> Comment:
    """INSERT the new comment as one prepared statement, then hand the session the row it now holds
    (merge without a load: every value is already known): the ORM's flush of one new row cost more
    than the rest of posting (its unit of work, events and bookkeeping)."""
    comment.id = _INSERT.scalar(session, {key: getattr(comment, key) for key in _COLUMNS})
    make_transient_to_detached(comment)
    return session.merge(comment, load=False)


def post_comment(
    session: Session,
    *,
    author: Principal,
    article: Article,
    data: CommentCreate,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
    limiter: Limiter | None = None,
) -> Comment:
    ensure_can_write(author, now=now)
    if not article.comments_open:
        raise PermissionDenied(_("Ce débat est clos : on ne peut plus y réagir."))
    parent: Any = None
    if data.parent_id is not None:
        if not 1 <= data.parent_id <= MAX_ID:
            raise Invalid(_("Le message auquel vous répondez n’existe pas."), fields={"parent_id": "unknown"})
        parent = _PARENT.first(session, {"parent": data.parent_id})
        if parent is None or not is_visible(parent, author):
            raise Invalid(_("Le message auquel vous répondez n’existe pas."), fields={"parent_id": "unknown"})
        if parent.article_id != article.id:
            raise Invalid(
                _("Le message auquel vous répondez appartient à un autre article."),
                fields={"parent_id": "other_article"},
            )
        if parent.status != CommentStatus.published:
            raise Invalid(
                _("On ne peut répondre qu’à un message publié."), fields={"parent_id": "not_published"}
            )
        if data.stance is not None:
            raise Invalid(
                _("Une réponse ne prend pas position : seule une réaction principale a une position."),
                fields={"stance": "reply"},
            )
    elif data.stance is None:
        raise Invalid(
            _("Choisissez votre position sur la question avant de publier votre réaction."),
            fields={"stance": "required"},
        )
    status = initial_status(session, author=author, article=article, body=data.body, rules=rules)
    if limiter is not None:
        # Counted only once the comment is known to be acceptable: a form sent back for a fix is free.
        limiter.hit_comment(user_id=author.id, body=data.body)
    comment = Comment(
        article_id=article.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=author.id,
        body_markdown=data.body,
        body_html=render_comment(data.body),
        stance=data.stance,
        status=status,
        created_at=now or utcnow(),
    )
    comment = _insert(session, comment)
    if status == CommentStatus.published:
        _counters(session, comment=comment, published=1, public=1, top_level=int(parent is None))
        announce(session, comment)
        if parent is not None:
            notifications.notify(
                session, user_id=parent.author_id, kind="reply", comment=comment, actor=author
            )
    return comment


def publish(session: Session, *, comment: Comment) -> None:
    """Make a held comment public (moderation's approve) and count it."""
    was_public = comment.status in PUBLIC_STATUSES
    comment.status = CommentStatus.published
    session.flush()
    if not was_public:
        _counters(session, comment=comment, published=1, public=1, top_level=int(comment.parent_id is None))
        announce(session, comment)


# Editing and deleting ----------------------------------------------------------------------------


def can_edit(
    comment: Comment, user: Principal | None, *, rules: Rules = DEFAULT_RULES, now: datetime | None = None
) -> bool:
    if user is None or comment.status in (CommentStatus.deleted, CommentStatus.rejected):
        return False
    if is_staff(user):
        return True
    return comment.author_id == user.id and (now or utcnow()) - comment.created_at <= rules.edit_window


def edit_comment(
    session: Session,
    *,
    user: Principal,
    comment: Comment,
    data: CommentUpdate,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
) -> Comment:
    now = now or utcnow()
    if comment.author_id != user.id and not is_staff(user):
        raise PermissionDenied(_("Vous ne pouvez modifier que vos propres messages."))
    if comment.author_id == user.id:
        ensure_can_write(user, now=now)
    if comment.status in (CommentStatus.deleted, CommentStatus.rejected):
        raise PermissionDenied(_("Ce message ne peut plus être modifié."))
    if not can_edit(comment, user, rules=rules, now=now):
        minutes = int(rules.edit_window.total_seconds() // 60)
        raise PermissionDenied(
            _("Le délai de modification ({minutes} minutes) est dépassé.").format(minutes=minutes)
        )
    if data.body == comment.body_markdown:
        return comment
    found = screening.match_words(session, data.body)
    if found is not None and found.effect == WordEffect.block:
        raise screening.blocked(found.phrase)
    if found is not None and comment.status == CommentStatus.published and not is_staff(user):
        # An edit cannot slip a held word past moderation: the comment goes back to the queue.
        comment.status = CommentStatus.pending
        _counters(
            session, comment=comment, published=-1, public=-1, top_level=-int(comment.parent_id is None)
        )
    session.add(CommentRevision(comment_id=comment.id, body_markdown=comment.body_markdown, created_at=now))
    comment.body_markdown = data.body
    comment.body_html = render_comment(data.body)
    comment.edited_at = now
    bump_version(session, comment.article_id)
    session.flush()
    return comment


def delete_comment(
    session: Session, *, user: Principal, comment: Comment, now: datetime | None = None
) -> bool:
    """Delete a comment. Returns True when the row is gone, False when a placeholder stays for its replies."""
    if comment.author_id != user.id and not is_staff(user):
        raise PermissionDenied(_("Vous ne pouvez supprimer que vos propres messages."))
    if comment.status == CommentStatus.deleted:
        return False
    was_published = comment.status == CommentStatus.published
    was_public = comment.status in PUBLIC_STATUSES
    has_replies = session.exec(select(Comment.id).where(Comment.parent_id == comment.id).limit(1)).first()
    if has_replies is not None:
        # Soft delete: replies still point at this row, so a "[supprimé]" placeholder keeps their place.
        comment.status = CommentStatus.deleted
        comment.body_markdown = ""
        comment.body_html = ""
        comment.deleted_at = now or utcnow()
        session.flush()
        _counters(session, comment=comment, published=-int(was_published), top_level=0)
        return False
    session.delete(comment)
    session.flush()
    _counters(
        session,
        comment=comment,
        published=-int(was_published),
        public=-int(was_public),
        top_level=-int(was_published and comment.parent_id is None),
    )
    return True


def announce(session: Session, comment: Comment) -> None:
    """Tell open pages of the article that a comment is now published (never a pending one)."""
    events.emit(
        session,
        events.article_channel(comment.article_id),
        "comment",
        {"id": comment.id, "parent_id": comment.parent_id, "depth": comment.depth},
    )


def count_removal(session: Session, *, comment: Comment) -> None:
    """A published comment taken down by moderation: its tombstone keeps its place among the replies,
    but it no longer counts as a published reaction."""
    _counters(session, comment=comment, published=-1, top_level=-int(comment.parent_id is None))


_BUMP = Prepared(
    sa.update(ARTICLE).where(ARTICLE.c.id == sa.bindparam("article_id")).values(version=ARTICLE.c.version + 1)
)


def bump_version(session: Db, article_id: int) -> None:
    """Every change a page shows moves the article's version: cached renders of it are then stale."""
    _BUMP.run(session, {"article_id": article_id})
    expire_loaded(session, Article, article_id, ["version"])


# Reading ---------------------------------------------------------------------------------------


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


def _after(sort: Sort, cursor: str) -> sa.ColumnElement[bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or values[0] != sort.value:
            raise ValueError(cursor)
        key = values[1:]
        if sort in (Sort.newest, Sort.oldest):
            (last_id,) = key
            if not isinstance(last_id, int):
                raise ValueError(cursor)
            return COMMENT.c.id < last_id if sort is Sort.newest else COMMENT.c.id > last_id
        score, last_id = key
        if not isinstance(score, (int, float)) or not isinstance(last_id, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, IndexError) as exc:
        raise BadRequest(_("Curseur de pagination invalide."), fields={"cursor": "invalid"}) from exc
    column = COMMENT.c.score_best if sort is Sort.best else COMMENT.c.score_controversy
    return sa.or_(column < score, sa.and_(column == score, COMMENT.c.id < last_id))


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
                Comment.status == CommentStatus.published,
                col(Comment.hidden_at).is_(None),
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
