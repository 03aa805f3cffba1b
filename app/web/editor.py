"""The editors' desk: articles, featuring, opening and closing debates; and the admins' roles page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.deps import CommentDep, SessionDep, require_role
from app.errors import DomainError, Invalid, NotFound
from app.i18n import _
from app.models import Article, Role, User
from app.services import accounts, articles, editorial, minds
from app.services.accounts import Principal
from app.services.rendering import render_article
from app.templating import is_htmx, render
from app.text import parse_id, parse_number
from app.web import labels
from app.web.common import see_other
from app.web.confirm import Question, ask_first, confirmed

router = APIRouter(dependencies=[Depends(require_role(Role.editor))])
admin_router = APIRouter(prefix="/admin", dependencies=[Depends(require_role(Role.admin))])
Editor = Annotated[User, Depends(require_role(Role.editor))]
Admin = Annotated[User, Depends(require_role(Role.admin))]
Text = Annotated[str, Form(max_length=200_000)]
Short = Annotated[str, Form(max_length=2000)]

FIELDS = ("slug", "title", "lede", "question", "label_for", "label_against", "label_nuanced", "body")


def _fields(values: dict[str, str], *, flags: dict[str, bool] | None = None) -> editorial.ArticleFields:
    flags = flags or {}
    return editorial.ArticleFields(
        slug=values["slug"].strip(),
        title=values["title"],
        lede=values["lede"],
        body=values["body"],
        question=values["question"],
        stances={
            "for": values["label_for"],
            "against": values["label_against"],
            "nuanced": values["label_nuanced"],
        },
        **flags,  # type: ignore[arg-type]
    )


def _values(article: object | None = None) -> dict[str, str]:
    if article is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "slug": article.slug,
        "title": article.title,
        "lede": article.lede,  # type: ignore[attr-defined]
        "question": article.question,
        "label_for": article.label_for,  # type: ignore[attr-defined]
        "label_against": article.label_against,
        "label_nuanced": article.label_nuanced,  # type: ignore[attr-defined]
        "body": article.body_markdown,  # type: ignore[attr-defined]
    }


@router.get("/editor", name="editor")
def desk(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "editor/index.html", articles=editorial.list_all_articles(session), errors={})


@router.get("/editor/articles/new", name="editor_new")
def new_article(request: Request) -> HTMLResponse:
    return render(request, "editor/form.html", article=None, values=_values(), errors={}, preview=None)


@router.post("/editor/preview", name="editor_preview")
def preview(request: Request, body: Text = "") -> HTMLResponse:
    """The Markdown as it will appear (htmx swaps it under the form)."""
    return render(request, "editor/_preview.html", preview=render_article(body))


@router.post("/editor/articles", name="editor_create")
def create_article(
    request: Request,
    session: SessionDep,
    editor: Editor,
    slug: Short = "",
    title: Short = "",
    lede: Short = "",
    question: Short = "",
    label_for: Short = "",
    label_against: Short = "",
    label_nuanced: Short = "",
    body: Text = "",
    intent: Annotated[str, Form(max_length=20)] = "save",
    published: Annotated[str, Form(max_length=5)] = "",
    premoderation: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    values = {
        "slug": slug,
        "title": title,
        "lede": lede,
        "question": question,
        "label_for": label_for,
        "label_against": label_against,
        "label_nuanced": label_nuanced,
        "body": body,
    }
    if intent == "preview":
        return render(
            request, "editor/form.html", article=None, values=values, errors={}, preview=render_article(body)
        )
    try:
        article = editorial.create_article(
            session,
            editor=editor,
            fields=_fields(
                values, flags={"published": bool(published), "premoderation": bool(premoderation)}
            ),
        )
    except DomainError as exc:
        return render(
            request,
            "editor/form.html",
            status_code=exc.status_code,
            article=None,
            values=values,
            errors=exc.fields or {"form": str(exc)},
            preview=None,
        )
    return see_other(request, f"/editor/articles/{article.slug}")


def _article(session: SessionDep, slug: str, editor: Principal) -> articles.Article:
    return articles.get_article(session, slug=slug, viewer=editor)


@router.get("/editor/articles/{slug}", name="editor_edit")
def edit_article(request: Request, session: SessionDep, editor: Editor, slug: str) -> HTMLResponse:
    article = _article(session, slug, editor)
    return _edit_page(request, session, article, _values(article))


def _edit_page(
    request: Request,
    session: SessionDep,
    article: Article,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The article's form and its settings, with the changed-minds figures the synthesis can cite."""
    return render(
        request,
        "editor/form.html",
        status_code=status_code,
        article=article,
        values=values,
        errors=errors or {},
        preview=preview,
        featured=editorial.featured(session, article=article),
        figures=minds.citation(session, article=article),
    )


@router.post("/editor/articles/{slug}", name="editor_update")
def update_article(
    request: Request,
    session: SessionDep,
    editor: Editor,
    slug: str,
    new_slug: Annotated[str, Form(alias="slug", max_length=2000)] = "",
    title: Short = "",
    lede: Short = "",
    question: Short = "",
    label_for: Short = "",
    label_against: Short = "",
    label_nuanced: Short = "",
    body: Text = "",
    intent: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    article = _article(session, slug, editor)
    values = {
        "slug": new_slug or article.slug,
        "title": title,
        "lede": lede,
        "question": question,
        "label_for": label_for,
        "label_against": label_against,
        "label_nuanced": label_nuanced,
        "body": body,
    }
    if intent == "preview":
        return _edit_page(request, session, article, values, preview=render_article(body))
    try:
        editorial.update_article(session, editor=editor, article=article, fields=_fields(values))
    except DomainError as exc:
        return _edit_page(
            request,
            session,
            article,
            values,
            errors=exc.fields or {"form": str(exc)},
            status_code=exc.status_code,
        )
    return see_other(request, f"/editor/articles/{article.slug}")


def _ask_before(article: articles.Article, setting: str, on: bool) -> Question | None:
    """Unpublishing an article and closing its debate are asked first."""
    back = f"/editor/articles/{article.slug}"
    action = f"/editor/articles/{article.slug}/settings"
    if setting == "published" and not on and article.published_at is not None:
        return Question(
            title=_("Dépublier « {title} » ?").format(title=article.title),
            message=_("L’article et son débat ne seront plus visibles des lecteurs."),
            action=action,
            button=_("Dépublier"),
            cancel_url=back,
            fields={"setting": setting, "value": "off"},
        )
    if setting == "open" and not on and article.comments_open:
        return Question(
            title=_("Clore le débat de « {title} » ?").format(title=article.title),
            message=_("Les lecteurs ne pourront plus y réagir, voter ni signaler."),
            action=action,
            button=_("Clore le débat"),
            cancel_url=back,
            fields={"setting": setting, "value": "off"},
        )
    return None


@router.post("/editor/articles/{slug}/settings", name="editor_settings")
def article_settings(
    request: Request,
    session: SessionDep,
    editor: Editor,
    slug: str,
    setting: Annotated[str, Form(max_length=20)] = "",
    value: Annotated[str, Form(max_length=5)] = "",
    synthesis: Text = "",
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Publish or unpublish, open or close the debate, pre-moderation on or off, the closing synthesis."""
    article = _article(session, slug, editor)
    on = value == "on"
    question = _ask_before(article, setting, on)
    if question is not None and not confirmed(confirm):
        return ask_first(request, question)
    if setting == "published":
        editorial.set_published(session, editor=editor, article=article, published=on)
    elif setting == "open":
        editorial.set_open(session, editor=editor, article=article, open_=on)
    elif setting == "premoderation":
        editorial.update_article(
            session, editor=editor, article=article, fields=editorial.ArticleFields(premoderation=on)
        )
    elif setting == "synthesis":
        editorial.set_synthesis(session, editor=editor, article=article, markdown=synthesis)
    else:
        raise Invalid(_("Réglage inconnu."), field="setting")
    return see_other(request, f"/editor/articles/{article.slug}")


@router.post("/editor/import", name="editor_import")
def import_article(request: Request, session: SessionDep, editor: Editor, file: UploadFile) -> Response:
    """Import a Markdown file with front matter, as `tribune import-article` does."""
    raw = file.file.read(256 * 1024 + 1)
    if len(raw) > 256 * 1024:
        raise Invalid(_("Fichier trop volumineux (256 Kio au plus)."), field="file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(_("Le fichier doit être en UTF-8."), field="file") from exc
    article, _created = editorial.import_source(
        session, editor=editor, source=articles.parse_markdown_article(text)
    )
    return see_other(request, f"/editor/articles/{article.slug}")


@router.post("/comments/{comment_id}/feature", name="feature_comment")
def feature_comment(
    request: Request,
    session: SessionDep,
    editor: Editor,
    comment: CommentDep,
    note: Annotated[str, Form(max_length=1000)] = "",
    rank: Annotated[str, Form(max_length=5)] = "",
    action: Annotated[str, Form(max_length=10)] = "feature",
) -> Response:
    if action == "unfeature":
        editorial.unfeature(session, editor=editor, comment=comment)
    else:
        place = None
        if rank:
            place = parse_id(rank, Invalid(_("Le rang est un nombre."), field="rank"))
        editorial.feature(session, editor=editor, comment=comment, note=note or None, rank=place)
    target = request.headers.get("referer", "")
    back = f"/editor/articles/{comment.article.slug}" if "/editor/" in target else f"/comments/{comment.id}"
    return see_other(request, back)


@router.post("/editor/articles/{slug}/featured-order", name="editor_featured_order")
def featured_order(
    request: Request,
    session: SessionDep,
    editor: Editor,
    slug: str,
    order: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    article = _article(session, slug, editor)
    parts = (parse_number(part) for part in order.replace(" ", "").split(","))
    ids = [number for number in parts if number is not None]
    editorial.reorder_featured(session, editor=editor, article=article, ids=ids)
    return see_other(request, f"/editor/articles/{article.slug}")


@admin_router.get("/users", name="admin_users")
def users(
    request: Request, session: SessionDep, q: Annotated[str | None, Query(max_length=30)] = None
) -> HTMLResponse:
    return render(
        request,
        "editor/users.html",
        users=editorial.list_users(session, query=q),
        q=q or "",
        roles=[(r.value, labels.role_label(r)) for r in Role],
        errors={},
    )


@admin_router.post("/users/{username}/role", name="admin_set_role")
def set_role(
    request: Request,
    session: SessionDep,
    admin: Admin,
    username: str,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    user = accounts.get_by_username(session, username[:60])
    if user is None:
        raise NotFound(_("Compte introuvable."))
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise Invalid(_("Rôle inconnu."), field="role") from exc
    editorial.set_role(session, admin=admin, user=user, role=chosen)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return see_other(request, "/admin/users")
