"""The two-sided debate view and the Atom feeds of an article."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import ArticleDep, RulesDep, SessionDep, Viewer
from app.models import utcnow
from app.services import articles, comments, editorial, minds
from app.templating import render

router = APIRouter()
FEED_SIZE = 50


@router.get("/articles/{slug}/debate", name="debate")
def debate(
    request: Request, session: SessionDep, viewer: Viewer, article: ArticleDep, rules: RulesDep
) -> HTMLResponse:
    return render(
        request,
        "articles/debate.html",
        article=article,
        sides=editorial.sides(session, article=article, viewer=viewer),
        chart=editorial.tally_history(session, article=article),
        percentages=articles.tally_percentages(article),
        minds=minds.changed_minds(session, article=article),
        now=utcnow(),
        rules=rules,
    )


def _feed(request: Request, article: ArticleDep, nodes: list[comments.Node], kind: str) -> Response:
    updated = max(
        (n.comment.edited_at or n.comment.featured_at or n.comment.created_at for n in nodes),
        default=article.updated_at or datetime.now(UTC),
    )
    response = render(
        request,
        "feeds/comments.xml",
        article=article,
        nodes=nodes,
        kind=kind,
        updated=updated,
        base=str(request.base_url).rstrip("/"),
    )
    response.headers["content-type"] = "application/atom+xml; charset=utf-8"
    return response


@router.get("/articles/{slug}/featured.atom", name="feed_featured")
def feed_featured(request: Request, session: SessionDep, article: ArticleDep) -> Response:
    """The newsroom's featured responses, in rank order."""
    return _feed(request, article, editorial.featured(session, article=article), "featured")


@router.get("/articles/{slug}/comments.atom", name="feed_comments")
def feed_comments(request: Request, session: SessionDep, article: ArticleDep) -> Response:
    """The latest published comments: nothing pending, rejected, hidden or deleted."""
    rows = comments.latest_published(session, article=article, limit=FEED_SIZE)
    nodes = comments.nodes_for(session, rows, None)
    return _feed(request, article, [nodes[c.id] for c in rows if c.id is not None], "comments")
