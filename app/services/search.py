"""Searching the debate: the words a reader typed, matched against the database's full-text index
(migration 0010_search: FTS5 on SQLite, tsvector on PostgreSQL), ranked by relevance then votes, with a
snippet of each match where the words are marked. Readers find live reactions and replies only; the
moderation queues ask `matching_ids` to search every status."""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import snowballstemmer
import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from app.errors import BadRequest, Invalid
from app.i18n import _
from app.models import Article, Comment, Stance
from app.services.accounts import Principal
from app.services.comments.reading import Node, Sort, _after, _order, encode_cursor, nodes_for
from app.services.comments.reading import parse_sort as parse_sort_of_debate
from app.services.sql import plan_each_time
from app.services.visibility import LIVE

COMMENT = Comment.__table__  # type: ignore[attr-defined]
FTS = sa.table("comment_fts", sa.column("rowid"))
DOCUMENTS = sa.table("comment_search", sa.column("comment_id"), sa.column("document"))

RELEVANCE = "relevance"  # the search's own order, its default
MAX_QUERY = 200  # characters a search may hold
MAX_WORDS = 12
MIN_PREFIX = 4  # letters of a French stem searched as a prefix
CANDIDATES = 1000  # matches ranked by relevance: the newest this many
MAX_OFFSET = CANDIDATES
WORD = re.compile(r"\w+")
SNIPPET_BEFORE = 12  # words kept before the first match
SNIPPET_WORDS = 40  # words a snippet holds at most


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def parse_query(value: str | None) -> Query | None:
    """The words of a search, or None when there are none (the page shows its empty form)."""
    if value is None:
        return None
    if len(value) > MAX_QUERY:
        raise Invalid(_("Recherche trop longue : {n} caractères au plus.").format(n=MAX_QUERY), field="q")
    words = tuple(WORD.findall(value))[:MAX_WORDS]
    return Query(words) if words else None


def parse_sort(value: str | None) -> Sort | None:
    """A search's order: None (by relevance) unless one of the debate's sorts is named."""
    if not value or value == RELEVANCE:
        return None
    return parse_sort_of_debate(value)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_query(query: Query) -> str:
    """The FTS5 query: every word, each quoted so that FTS5 reads it as a plain term (its own syntax,
    NEAR, -, *, never applies; \\w+ words hold no quote to escape). The index's porter stemmer is
    English; a word whose French stem differs also matches the words that begin with that stem
    ("protège" finds "protégées" through proteg*), when the stem is long enough to say something."""
    terms = []
    for word in query.words:
        stem = _french().stemWord(fold(word))
        if len(stem) >= MIN_PREFIX and stem != fold(word):
            terms.append(f'("{word}" OR "{stem}"*)')
        else:
            terms.append(f'"{word}"')
    return " AND ".join(terms)


def matching_ids(session: Session, query: Query) -> sa.Select[Any]:
    """The ids of every comment whose text matches, whatever its status (the moderation queues)."""
    if _is_sqlite(session):
        return sa.select(FTS.c.rowid).where(
            sa.text("comment_fts MATCH :fts").bindparams(fts=_fts_query(query))
        )
    tsquery = sa.func.tribune_search_query(query.text)
    return sa.select(DOCUMENTS.c.comment_id).where(
        DOCUMENTS.c.document.op("@@", return_type=sa.Boolean)(tsquery)
    )


def _candidates(session: Session, query: Query, conditions: list[sa.ColumnElement[bool]]) -> sa.Subquery:
    """The newest CANDIDATES matches (id and relevance), read newest first so that the index stops
    there: a common word matches a third of a large debate, and scoring every match costs 150 ms where
    scoring these costs a few. A rarer query (fewer matches than that) is ranked over all of them.
    SQLite walks the FTS5 index in rowid order and looks each row up; PostgreSQL walks the debate's
    (article_id, id) index checking each document, or reads the GIN index for a rare word, as its
    statistics say."""
    if _is_sqlite(session):
        match = sa.text("comment_fts MATCH :fts").bindparams(fts=_fts_query(query))
        # bm25() is smaller for a better match.
        relevance: sa.ColumnElement[Any] = sa.func.bm25(sa.literal_column("comment_fts"))
        return (
            sa.select(COMMENT.c.id, relevance.label("relevance"))
            .select_from(FTS.join(COMMENT, COMMENT.c.id == FTS.c.rowid))
            .where(match, *conditions)
            .order_by(FTS.c.rowid.desc())
            .limit(CANDIDATES)
            .subquery("candidate")
        )
    tsquery = sa.func.tribune_search_query(query.text)
    return (
        sa.select(COMMENT.c.id, (-sa.func.ts_rank(DOCUMENTS.c.document, tsquery)).label("relevance"))
        .select_from(COMMENT.join(DOCUMENTS, DOCUMENTS.c.comment_id == COMMENT.c.id))
        .where(DOCUMENTS.c.document.op("@@", return_type=sa.Boolean)(tsquery), *conditions)
        .order_by(COMMENT.c.id.desc())
        .limit(CANDIDATES)
        .subquery("candidate")
    )


@dataclass
class Hit:
    node: Node
    snippet: Markup


@dataclass
class Results:
    query: Query | None
    hits: list[Hit]
    next_cursor: str | None
    sort: Sort | None  # None: by relevance


def _offset_cursor(offset: int) -> str:
    raw = json.dumps(["relevance", offset], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_offset(cursor: str) -> int:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        kind, offset = values
        if kind != "relevance" or isinstance(offset, bool) or not isinstance(offset, int):
            raise ValueError(cursor)
        if not 0 < offset <= MAX_OFFSET:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest(_("Curseur de pagination invalide."), field="cursor") from exc
    return offset


def search_debate(
    session: Session,
    *,
    article: Article,
    viewer: Principal | None,
    query: Query | None,
    stance: Stance | None = None,
    featured: bool = False,
    sort: Sort | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Results:
    """Live reactions and replies of one debate that match the words (and the filters): by relevance
    then votes unless a sort is asked for, which pages by keyset as the debate's own list does."""
    limit = max(1, min(limit, 100))
    if query is None and sort is None:
        sort = Sort.best
    conditions: list[sa.ColumnElement[bool]] = [COMMENT.c.article_id == article.id, LIVE]
    if stance is not None:
        # A reply takes the side of the reaction it belongs to.
        root = COMMENT.alias("root")
        conditions.append(
            sa.or_(
                COMMENT.c.stance == stance,
                # Looked up by primary key for each row walked, not gathered for the whole side.
                sa.exists().where(root.c.id == COMMENT.c.root_id, root.c.stance == stance),
            )
        )
    if featured:
        conditions.append(COMMENT.c.featured_at.is_not(None))
    offset = 0
    if query is not None:
        plan_each_time(session)
    if sort is None:
        assert query is not None
        candidate = _candidates(session, query, conditions)
        if cursor:
            offset = _read_offset(cursor)
        statement = (
            select(Comment)
            .join(candidate, candidate.c.id == col(Comment.id))
            .order_by(candidate.c.relevance, *_order(Sort.best))
            .offset(offset)
        )
    else:
        statement = select(Comment).where(*conditions).order_by(*_order(sort))
        if query is not None:
            statement = statement.where(col(Comment.id).in_(matching_ids(session, query)))
        if cursor:
            statement = statement.where(_after(sort, cursor))
    rows = list(session.exec(statement.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    nodes = nodes_for(session, rows, viewer)
    hits = [Hit(node=nodes[c.id], snippet=snippet(c.body_html, query)) for c in rows if c.id is not None]
    next_cursor = None
    if more and rows:
        next_cursor = (
            encode_cursor(sort, rows[-1])
            if sort is not None
            else (_offset_cursor(offset + limit) if offset + limit <= MAX_OFFSET else None)
        )
    return Results(query=query, hits=hits, next_cursor=next_cursor, sort=sort)


# Snippets ------------------------------------------------------------------------------------------


@lru_cache(maxsize=20_000)
def fold(word: str) -> str:
    """Lower case without accents, as the index compares words."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _french() -> Any:
    return snowballstemmer.stemmer("french")


@cache
def _stemmers() -> tuple[Any, ...]:
    return tuple(snowballstemmer.stemmer(name) for name in ("french", "english", "porter"))


@lru_cache(maxsize=20_000)
def _stems(folded: str) -> frozenset[tuple[int, str]]:
    """The word's stems by each stemmer (a debate's vocabulary repeats: cached)."""
    return frozenset({(i, s.stemWord(folded)) for i, s in enumerate(_stemmers())} | {(-1, folded)})


def _plain_text(body_html: str) -> str:
    """The sanitised HTML's text: tags out, entities read, runs of space made one."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body_html)).split())


def snippet(body_html: str, query: Query | None) -> Markup:
    """A passage of the comment's text around the first match, escaped first and then marked: the
    marks are the only markup in it, so it can never break the page or carry the comment's HTML."""
    text = _plain_text(body_html)
    spans = [m.span() for m in WORD.finditer(text)]
    wanted: set[tuple[int, str]] = set()
    # Words that share no first two letters with a searched word are not stemmed at all.
    starts: set[str] = set()
    for word in query.words if query else ():
        folded = fold(word)
        wanted |= _stems(folded)
        starts.add(folded[:2])

    def matches(a: int, b: int) -> bool:
        folded = fold(text[a:b])
        return folded[:2] in starts and bool(_stems(folded) & wanted)

    marked = [matches(a, b) for a, b in spans] if wanted else [False] * len(spans)
    first = marked.index(True) if True in marked else 0
    start_word = max(0, first - SNIPPET_BEFORE)
    end_word = min(len(spans), start_word + SNIPPET_WORDS)
    if not spans:
        return Markup("")
    start = spans[start_word][0]
    end = spans[end_word - 1][1] if end_word < len(spans) else len(text)
    out: list[str] = ["… " if start_word > 0 else ""]
    position = start
    for (a, b), is_marked in zip(spans[start_word:end_word], marked[start_word:end_word], strict=True):
        if not is_marked:
            continue
        out.append(str(escape(text[position:a])))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        position = b
    out.append(str(escape(text[position:end])))
    if end_word < len(spans):
        out.append(" …")
    return Markup("".join(out))
