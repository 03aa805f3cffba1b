"""Articles, their import from Markdown with front matter, and the stance poll."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session, col, select

from app import dates
from app.errors import Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import Article, Role, Stance, StanceDaily, StanceVote, utcnow
from app.services import events
from app.services.accounts import Principal, ensure_can_write
from app.services.rendering import render_article
from app.services.sql import Prepared, insert_ignore, persistent

DEFAULT_ARTICLE = Path(__file__).resolve().parent.parent / "content" / "souverainete-avec-microsoft-ou-pas.md"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


@dataclass
class ArticleSource:
    slug: str
    title: str
    lede: str
    question: str
    stances: dict[str, str]
    body: str
    language: str = "fr"


def parse_markdown_article(text: str) -> ArticleSource:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise Invalid(_("Le fichier doit commencer par un en-tête YAML entre deux lignes ---."))
    try:
        meta: Any = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise Invalid(_("En-tête YAML illisible : {error}").format(error=exc)) from exc
    if not isinstance(meta, dict):
        raise Invalid(_("L’en-tête YAML doit être un dictionnaire."))
    missing = [key for key in ("slug", "title", "question") if not meta.get(key)]
    if missing:
        raise Invalid(_("Champs manquants dans l’en-tête : {fields}").format(fields=", ".join(missing)))
    slug = str(meta["slug"]).strip()
    if not SLUG_RE.fullmatch(slug) or len(slug) > 120:
        raise Invalid(_("Slug invalide : minuscules, chiffres et tirets."), field="slug")
    stances = meta.get("stances") or {}
    if not isinstance(stances, dict):
        raise Invalid(_("« stances » doit associer for, against et nuanced à leurs libellés."))
    labels = {
        "for": str(stances.get("for") or _("Pour")),
        "against": str(stances.get("against") or _("Contre")),
        "nuanced": str(stances.get("nuanced") or _("Nuancé")),
    }
    return ArticleSource(
        slug=slug,
        title=str(meta["title"]).strip(),
        lede=str(meta.get("lede") or "").strip(),
        question=str(meta["question"]).strip(),
        stances=labels,
        body=match.group(2).strip() + "\n",
        language=str(meta.get("language") or "fr"),
    )


def import_article(
    session: Session, *, source: ArticleSource, now: datetime | None = None
) -> tuple[Article, bool]:
    """Create the article, or update the one with the same slug. Returns (article, created)."""
    now = now or utcnow()
    article = session.exec(select(Article).where(Article.slug == source.slug)).first()
    created = article is None
    if article is None:
        article = Article(
            slug=source.slug,
            published_at=now,
            body_markdown="",
            body_html="",
            title="",
            question="",
            label_for="",
            label_against="",
            label_nuanced="",
        )
        session.add(article)
    article.title = source.title
    article.lede = source.lede
    article.question = source.question
    article.body_markdown = source.body
    article.body_html = render_article(source.body)
    article.label_for = source.stances["for"]
    article.label_against = source.stances["against"]
    article.label_nuanced = source.stances["nuanced"]
    article.language = source.language
    article.updated_at = now
    session.flush()
    return article, created


def ensure_default_article(session: Session) -> Article | None:
    """Load the shipped article on first run; never overwrite an existing one."""
    if session.exec(select(Article.id).limit(1)).first() is not None:
        return None
    article, _created = import_article(
        session, source=parse_markdown_article(DEFAULT_ARTICLE.read_text("utf-8"))
    )
    return article


def can_see_unpublished(user: Principal | None) -> bool:
    return user is not None and user.role.at_least(Role.editor)


ARTICLE = Article.__table__  # type: ignore[attr-defined]

# Every article page, post and stance starts here: prepared, and made into the ORM object directly.
# The texts (tens of kilobytes, a third of the read) are left out: posting, voting and answering the
# question never show them, and the pages that do load them in one more statement on first use.
_TEXTS = {"body_markdown", "body_html", "synthesis_markdown", "synthesis_html"}
_BY_SLUG = Prepared(
    sa.select(*[column for column in ARTICLE.columns if column.key not in _TEXTS]).where(
        ARTICLE.c.slug == sa.bindparam("slug")
    )
)


def get_article(session: Session, *, slug: str, viewer: Principal | None = None) -> Article:
    row = _BY_SLUG.first(session, {"slug": slug[:200]})
    article = persistent(session, Article, row._asdict()) if row is not None else None
    if article is None or (not article.is_published and not can_see_unpublished(viewer)):
        raise NotFound(_("Article introuvable."))
    return article


def list_articles(
    session: Session, *, viewer: Principal | None = None, before_id: int | None = None, limit: int = 20
) -> tuple[list[Article], int | None]:
    query = select(Article)
    if not can_see_unpublished(viewer):
        query = query.where(col(Article.published_at).is_not(None))
    if before_id is not None:
        query = query.where(col(Article.id) < before_id)
    rows = list(session.exec(query.order_by(col(Article.id).desc()).limit(limit + 1)).all())
    next_id = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_id


def get_stance(session: Session, *, user: Principal | None, article: Article) -> Stance | None:
    if user is None:
        return None
    value = session.exec(
        select(StanceVote.stance).where(StanceVote.user_id == user.id, StanceVote.article_id == article.id)
    ).first()
    return Stance(value) if value else None


def _tally_column(stance: Stance) -> sa.Column[int]:
    return {
        Stance.for_: Article.__table__.c.tally_for,  # type: ignore[attr-defined]
        Stance.against: Article.__table__.c.tally_against,  # type: ignore[attr-defined]
        Stance.nuanced: Article.__table__.c.tally_nuanced,  # type: ignore[attr-defined]
    }[stance]


def set_stance(session: Session, *, user: Principal, article: Article, stance: Stance | None) -> Article:
    """Vote, change or withdraw (stance=None) on the article's question; tallies move atomically."""
    ensure_can_write(user)
    if not article.comments_open:
        raise PermissionDenied(_("Ce débat est clos."))
    table = StanceVote.__table__  # type: ignore[attr-defined]
    # Lock this reader's row (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE) so two
    # clicks at once cannot both count.
    current = session.execute(
        sa.select(table.c.id, table.c.stance, table.c.first_stance)
        .where(table.c.user_id == user.id, table.c.article_id == article.id)
        .with_for_update()
    ).first()
    old = Stance(current.stance) if current and current.stance else None
    if old == stance:
        return article
    now = utcnow()
    # Minds changed (issue 20): the first answer is kept once the reader changes or withdraws it
    # (a withdrawn answer keeps its row with no current stance); the article counts the readers
    # whose current answer is not their first.
    first = Stance(current.first_stance) if current and current.first_stance else old
    was_changed = old is not None and first is not None and first != old
    is_changed = stance is not None and first is not None and first != stance
    if current is None:
        inserted = session.execute(
            insert_ignore(session, table)
            .values(user_id=user.id, article_id=article.id, stance=stance, created_at=now, updated_at=now)
            .returning(table.c.id)
        ).first()
        if inserted is None:
            # Another request of the same reader inserted first: start again against its row.
            return set_stance(session, user=user, article=article, stance=stance)
    else:
        session.execute(
            sa.update(table)
            .where(table.c.id == current.id)
            .values(stance=stance, updated_at=now, first_stance=first, changed_at=now)
        )
    changes: dict[str, Any] = {}
    if is_changed != was_changed:
        changed = Article.__table__.c.changed_count  # type: ignore[attr-defined]
        changes["changed_count"] = changed + (1 if is_changed else -1)
    if old is not None:
        column = _tally_column(old)
        changes[column.name] = column - 1
    if stance is not None:
        column = _tally_column(stance)
        changes[column.name] = column + 1
    changes["version"] = Article.__table__.c.version + 1  # type: ignore[attr-defined]
    session.execute(
        sa.update(Article.__table__).where(Article.__table__.c.id == article.id).values(**changes)
    )  # type: ignore[attr-defined]
    session.refresh(article)
    record_daily_tally(session, article=article)
    events.emit(session, events.article_channel(article.id), "tally", article.tally)  # type: ignore[arg-type]
    return article


def tally_percentages(article: Article) -> dict[str, int]:
    """Whole percentages that add up to 100 (largest remainder), or all zero before any vote."""
    tally = article.tally
    total = sum(tally.values())
    if total == 0:
        return dict.fromkeys(tally, 0)
    exact = {key: 100 * value / total for key, value in tally.items()}
    shares = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[: 100 - sum(shares.values())]:
        shares[key] += 1
    return shares


def record_daily_tally(session: Session, *, article: Article, today: date | None = None) -> None:
    """Keep today's row of the tally history equal to the current tally (an upsert)."""
    today = today or dates.today()  # the newsroom's day
    table = StanceDaily.__table__  # type: ignore[attr-defined]
    values = {
        "tally_for": article.tally_for,
        "tally_against": article.tally_against,
        "tally_nuanced": article.tally_nuanced,
        "changed_count": article.changed_count,
    }
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(table).values(article_id=article.id, day=today, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["article_id", "day"], set_=values))


def article_exists(session: Session, *, slug: str) -> bool:
    """Whether the slug is taken, published or not (the embed's autocreation asks, issue 17)."""
    return session.exec(select(Article.id).where(Article.slug == slug[:200])).first() is not None


def create_embedded_draft(
    session: Session, *, slug: str, title: str, lede: str, source_url: str, now: datetime | None = None
) -> Article | None:
    """A draft for a debate first seen in a newsroom page (TRIBUNE_EMBED_AUTOCREATE): unpublished and
    closed until an editor opens it; its body links to the page. None when the slug is not one Tribune
    accepts, or another request has just made it."""
    if not SLUG_RE.fullmatch(slug) or len(slug) > 120:
        return None
    title = (title or slug)[:300]
    label = _("Article du journal")
    body = f"[{label}]({source_url.replace(')', '%29')})\n"
    article = Article(
        slug=slug,
        title=title,
        lede=lede[:2000],
        body_markdown=body,
        body_html=render_article(body),
        question=_("Qu’en pensez-vous ?"),
        label_for=_("Pour"),
        label_against=_("Contre"),
        label_nuanced=_("Nuancé"),
        comments_open=False,
        published_at=None,
        created_at=now or utcnow(),
        updated_at=now or utcnow(),
    )
    session.add(article)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        return None  # the unique slug: a concurrent first view made it
    return article
