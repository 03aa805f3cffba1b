"""Posting, replying, editing, deleting and voting as HTML forms, with htmx fragments in place."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.deps import (
    ArticleDep,
    CommentDep,
    CommentId,
    CurrentUser,
    LimiterDep,
    RulesDep,
    SessionDep,
    Viewer,
    WorkDep,
    run_db,
)
from app.errors import DomainError, NotFound, TooManyRequests
from app.i18n import _
from app.models import Article, Reason, Stance, utcnow
from app.models.schemas import CommentCreate, CommentUpdate
from app.services import articles, comments, moderation, votes
from app.services.accounts import Identity, write_refusal
from app.services.cache import article_state, permalink_key
from app.services.ratelimit import Limiter
from app.services.rendering import render_comment
from app.services.rules import Rules
from app.templating import is_htmx, render
from app.text import clean_text, parse_id
from app.web import labels
from app.web.common import field_errors, see_other, serve_shared
from app.web.confirm import Question, ask_first, confirmed

router = APIRouter()

Body = Annotated[str, Form(max_length=100_000)]


def article_url(article: Article, anchor: str = "") -> str:
    return f"/articles/{article.slug}" + (f"#{anchor}" if anchor else "")


@router.post("/articles/{slug}/stance", name="set_stance")
def set_stance(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    article: ArticleDep,
    stance: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if stance not in ("", "withdraw", *[s.value for s in Stance]):
        raise DomainError(_("Position inconnue."))
    chosen = Stance(stance) if stance in {s.value for s in Stance} else None
    articles.set_stance(session, user=user, article=article, stance=chosen)
    if is_htmx(request):
        return render(
            request,
            "articles/_poll.html",
            article=article,
            my_stance=chosen,
            percentages=articles.tally_percentages(article),
        )
    return see_other(request, article_url(article, "question"))


@router.post("/articles/{slug}/comments", name="post_comment")
async def post_comment(
    request: Request,
    work: WorkDep,
    user: CurrentUser,
    article: ArticleDep,
    rules: RulesDep,
    limiter: LimiterDep,
) -> Response:
    # The composer's fields, read from the form as sent (body, stance or parent_id, intent): each
    # is checked below, by CommentCreate and parse_id, as the reader will be told. (Declared as Form
    # parameters they cost FastAPI a validation pass each, a tenth of a post.)
    form = await request.form()
    body, stance, parent_id, intent, reply_kind = (
        _text(form, name) for name in ("body", "stance", "parent_id", "intent", "reply_kind")
    )
    form_values = {"body": body, "stance": stance, "parent_id": parent_id, "reply_kind": reply_kind}
    if intent == "preview":
        # Without JavaScript the "Aperçu" button lands here: the form comes back with the preview.
        return render(
            request,
            "comments/form_page.html",
            article=article,
            values=form_values,
            errors={},
            parent_id=parent_id or None,
            preview=render_comment(clean_text(body)),
        )
    parent_ref = (
        parse_id(parent_id, NotFound(_("Le message auquel vous répondez n’existe pas.")))
        if parent_id
        else None
    )
    try:
        data = CommentCreate(
            body=body, stance=stance or None, parent_id=parent_ref, reply_kind=reply_kind or None
        )
    except ValidationError as exc:
        # Every missing field at once: the stance too, which the service would refuse next.
        errors = field_errors(exc)
        refusal = comments.stance_refusal(parent_id=parent_ref, stance=stance or None)
        if refusal is not None:
            errors = {**refusal.fields, **errors}
        return _form_error(request, article, form_values, errors, 422)
    return await run_db(request, _post, request, work.orm, user, article, rules, limiter, data, form_values)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _post(
    request: Request,
    session: Session,
    user: Identity,
    article: Article,
    rules: Rules,
    limiter: Limiter,
    data: CommentCreate,
    form_values: dict[str, str],
) -> Response:
    try:
        comment = comments.post_comment(
            session, author=user, article=article, data=data, rules=rules, limiter=limiter
        )
    except DomainError as exc:
        # Refused (a rule, too fast, a suspended account, a closed debate): said in the composer that
        # sent it, where the reader is looking.
        errors = dict(exc.fields)
        if str(exc) not in errors.values():
            errors["form"] = str(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return _form_error(request, article, form_values, errors, exc.status_code, headers)
    if is_htmx(request):
        node = comments.Node(comment=comment, author=user)
        return render(
            request,
            "comments/_posted.html",
            status_code=201,
            node=node,
            article=article,
            now=utcnow(),
            rules=rules,
            level=comment.depth,
            posted=comment.status.value,
        )
    # Without JavaScript: to the new comment in its context, with the confirmation.
    return see_other(request, f"/comments/{comment.id}?posted=1#comment-{comment.id}")


def _form_error(
    request: Request,
    article: Article,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    parent_id = values.get("parent_id") or None
    if is_htmx(request):
        form_id = f"reply-form-{parent_id}" if parent_id else "comment-form"
        return render(
            request,
            "comments/_form.html",
            status_code=status,
            article=article,
            values=values,
            errors=errors,
            parent_id=parent_id,
            headers={"HX-Retarget": f"#{form_id}", "HX-Reswap": "outerHTML", **(headers or {})},
        )
    return render(
        request,
        "comments/form_page.html",
        status_code=status,
        article=article,
        values=values,
        errors=errors,
        parent_id=parent_id,
        headers=headers,
    )


@router.post("/comments/preview", name="preview_comment")
def preview_comment(request: Request, user: CurrentUser, body: Body = "") -> HTMLResponse:
    """The body as it will appear, rendered by the same code that will store it."""
    return render(request, "comments/_preview.html", preview=render_comment(clean_text(body)))


@router.get("/comments/{comment_id}", name="permalink")
def permalink(
    request: Request, work: WorkDep, viewer: Viewer, comment: CommentDep, rules: RulesDep
) -> Response:
    def context(who: Identity | None) -> tuple[str, dict[str, Any]]:
        found = comments.branch(work.orm, comment=comment, viewer=who)
        return "comments/permalink.html", {
            "article": comment.article,
            "branch": found,
            "now": utcnow(),
            "rules": rules,
        }

    if request.query_params.get("posted") and viewer is not None and comment.author_id == viewer.id:
        # Where posting without JavaScript lands: the author's own comment, with the confirmation.
        template, values = context(viewer)
        return render(request, template, posted=comment.status.value, **values)
    # A shared link brings readers in bursts: they share one rendering per version of the debate, as
    # on the article page.
    state = article_state(work, comment.article.slug)
    if state is not None and comment.id is not None:
        key = permalink_key(state, comment_id=comment.id, locale=request.state.locale)
        body = serve_shared(request, work, key, state, viewer, rules, context)
        if body is not None:
            return Response(body, media_type="text/html; charset=utf-8")
    template, values = context(viewer)
    return render(request, template, **values)


@router.get("/comments/{comment_id}/replies", name="more_replies")
def more_replies(
    request: Request, session: SessionDep, viewer: Viewer, comment: CommentDep, rules: RulesDep
) -> Response:
    """The whole branch under a comment ("voir plus de réponses")."""
    if not is_htmx(request):
        return see_other(request, f"/comments/{comment.id}#replies")
    found = comments.branch(session, comment=comment, viewer=viewer)
    return render(
        request,
        "comments/_replies.html",
        node=found.node,
        article=comment.article,
        level=comment.depth,
        now=utcnow(),
        rules=rules,
        headers={"Vary": "HX-Request"},
    )


@router.get("/comments/{comment_id}/reply", name="reply_form")
def reply_form(request: Request, user: CurrentUser, comment: CommentDep) -> HTMLResponse:
    refusal = write_refusal(user)
    if refusal is not None:
        # Suspended or banned: why and until when, instead of a form they could not send.
        raise refusal
    template = "comments/_form.html" if is_htmx(request) else "comments/form_page.html"
    return render(
        request,
        template,
        article=comment.article,
        values={},
        errors={},
        parent_id=comment.id,
        parent=comment,
        headers={"Vary": "HX-Request"},
    )


@router.get("/comments/{comment_id}/edit", name="edit_form")
def edit_form(request: Request, user: CurrentUser, comment: CommentDep, rules: RulesDep) -> HTMLResponse:
    if not comments.can_edit(comment, user, rules=rules):
        raise comments.PermissionDenied(_("Vous ne pouvez plus modifier ce message."))
    template = "comments/_edit.html" if is_htmx(request) else "comments/edit_page.html"
    return render(
        request,
        template,
        comment=comment,
        values={"body": comment.body_markdown},
        errors={},
        headers={"Vary": "HX-Request"},
    )


@router.post("/comments/{comment_id}/edit", name="edit_comment")
def edit_comment(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    comment: CommentDep,
    rules: RulesDep,
    body: Body = "",
) -> Response:
    try:
        data = CommentUpdate(body=body)
    except ValidationError as exc:
        template = "comments/_edit.html" if is_htmx(request) else "comments/edit_page.html"
        return render(
            request,
            template,
            status_code=422,
            comment=comment,
            values={"body": body},
            errors=field_errors(exc),
        )
    comments.edit_comment(session, user=user, comment=comment, data=data, rules=rules)
    if is_htmx(request):
        node = comments.Node(comment=comment, author=comment.author)
        return render(
            request,
            "comments/_card.html",
            node=node,
            article=comment.article,
            now=utcnow(),
            rules=rules,
            level=comment.depth,
        )
    return see_other(request, article_url(comment.article, f"comment-{comment.id}"))


@router.post("/comments/{comment_id}/delete", name="delete_comment")
def delete_comment(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    comment: CommentDep,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    article = comment.article
    if not confirmed(confirm):
        comments.ensure_can_delete(user, comment)
        return ask_first(
            request,
            Question(
                title=_("Supprimer ce message ?"),
                message=_("Il disparaîtra du débat, et cela ne pourra pas être annulé."),
                action=f"/comments/{comment.id}/delete",
                button=_("Supprimer définitivement"),
                cancel_url=article_url(article, f"comment-{comment.id}"),
            ),
        )
    comments.delete_comment(session, user=user, comment=comment)
    return see_other(request, article_url(article, "debate"))


@router.post("/comments/{comment_id}/vote", name="vote")
async def vote(
    request: Request,
    work: WorkDep,
    user: CurrentUser,
    comment_id: CommentId,
) -> Response:
    # The arrow's one field, read as posting reads its form (a Form parameter costs FastAPI a
    # validation pass, a tenth of a vote); anything but up or down is refused below.
    direction = _text(await request.form(), "direction")
    if direction not in ("up", "down"):
        raise DomainError(_("Vote inconnu : « up » ou « down »."))
    result = await run_db(
        request,
        votes.toggle_vote,
        work,
        voter=user,
        comment_id=comment_id,
        direction=1 if direction == "up" else -1,
    )
    if is_htmx(request):
        return render(
            request,
            "comments/_votes.html",
            comment_id=comment_id,
            upvotes=result.upvotes,
            downvotes=result.downvotes,
            my_vote=result.my_vote,
            can_vote=True,
        )

    def back_to_comment() -> str:
        comment = comments.get_comment(work.orm, comment_id=comment_id, viewer=None)
        return article_url(comment.article, f"comment-{comment_id}")

    return see_other(request, await run_db(request, back_to_comment))


def _reasons() -> list[tuple[str, str]]:
    return [(r.value, labels.reason_label(r)) for r in Reason]


@router.get("/comments/{comment_id}/report", name="report_form")
def report_form(
    request: Request, session: SessionDep, user: CurrentUser, comment: CommentDep
) -> HTMLResponse:
    if moderation.has_reported(session, reporter=user, comment_id=comment.id or 0):
        # Reported already: said, and the form not offered again.
        template = "comments/_reported.html" if is_htmx(request) else "comments/report_page.html"
        return render(request, template, comment=comment, already=True, headers={"Vary": "HX-Request"})
    template = "comments/_report.html" if is_htmx(request) else "comments/report_page.html"
    return render(
        request,
        template,
        comment=comment,
        reasons=_reasons(),
        errors={},
        values={},
        headers={"Vary": "HX-Request"},
    )


@router.post("/comments/{comment_id}/report", name="report_comment")
def report_comment(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    comment: CommentDep,
    rules: RulesDep,
    limiter: LimiterDep,
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    values = {"reason": reason, "note": note}
    try:
        chosen = Reason(reason)
    except ValueError:
        template = "comments/_report.html" if is_htmx(request) else "comments/report_page.html"
        return render(
            request,
            template,
            status_code=422,
            comment=comment,
            reasons=_reasons(),
            values=values,
            errors={"reason": _("Choisissez la raison du signalement.")},
        )
    moderation.report(
        session,
        reporter=user,
        comment=comment,
        reason=chosen,
        note=note or None,
        rules=rules,
        limiter=limiter,
    )
    if is_htmx(request):
        return render(request, "comments/_reported.html", comment=comment)
    return see_other(request, article_url(comment.article, f"comment-{comment.id}"))
