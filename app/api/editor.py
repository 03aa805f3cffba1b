"""Editor and admin endpoints of API.md; each router is guarded by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.api.common import json_response
from app.api.schemas import ArticleOut, CommentOut, UserOut, article_out, comment_out, user_out
from app.deps import CommentDep, SessionDep, require_role
from app.errors import NotFound
from app.i18n import _
from app.models import Role, User
from app.services import accounts, articles, comments, editorial
from app.services.articles import SLUG_RE
from app.text import SPACES

router = APIRouter(tags=["editor"], dependencies=[Depends(require_role(Role.editor))])
admin_router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_role(Role.admin))])
Editor = Annotated[User, Depends(require_role(Role.editor))]
Admin = Annotated[User, Depends(require_role(Role.admin))]


class FeatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=1000)
    rank: int | None = Field(default=None, ge=1, le=1000)


class Stances(BaseModel):
    model_config = ConfigDict(extra="forbid")
    for_: str | None = Field(default=None, alias="for", max_length=120)
    against: str | None = Field(default=None, max_length=120)
    nuanced: str | None = Field(default=None, max_length=120)


class ArticlePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=300)
    lede: str | None = Field(default=None, max_length=2000)
    body: str | None = Field(default=None, max_length=200_000)
    question: str | None = Field(default=None, max_length=300)
    stances: Stances | None = None
    comments_open: bool | None = None
    premoderation: bool | None = None
    published: bool | None = None

    def fields(self) -> editorial.ArticleFields:
        stances = None
        if self.stances is not None:
            raw = {"for": self.stances.for_, "against": self.stances.against, "nuanced": self.stances.nuanced}
            stances = {k: v for k, v in raw.items() if v is not None}
        return editorial.ArticleFields(
            slug=self.slug,
            title=self.title,
            lede=self.lede,
            body=self.body,
            question=self.question,
            stances=stances,
            comments_open=self.comments_open,
            premoderation=self.premoderation,
            published=self.published,
        )


# What the service checks (editorial._validate), stated in the OpenAPI document.
NOT_BLANK: JsonDict = {"minLength": 1, "pattern": f"[^{SPACES}]"}


class ArticleCreate(ArticlePatch):
    slug: str = Field(max_length=120, json_schema_extra={"pattern": SLUG_RE.pattern})
    title: str = Field(max_length=300, json_schema_extra=NOT_BLANK)
    body: str = Field(max_length=200_000, json_schema_extra=NOT_BLANK)
    question: str = Field(max_length=300, json_schema_extra=NOT_BLANK)
    # Left out, these are what a new article gets: open to comments, no pre-moderation, a draft.
    comments_open: bool | None = Field(default=None, json_schema_extra={"default": True})
    premoderation: bool | None = Field(default=None, json_schema_extra={"default": False})
    published: bool | None = Field(default=None, json_schema_extra={"default": False})


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


@router.put("/comments/{comment_id}/feature", response_model=CommentOut)
def feature(session: SessionDep, editor: Editor, comment: CommentDep, data: FeatureIn) -> Response:
    """Feature a comment ("Choix de la rédaction") with an optional note and rank."""
    editorial.feature(session, editor=editor, comment=comment, note=data.note, rank=data.rank)
    node = comments.nodes_for(session, [comment], editor)[comment.id]  # type: ignore[index]
    return json_response(comment_out(node, slug=comment.article.slug, viewer=editor))


@router.delete("/comments/{comment_id}/feature", status_code=204)
def unfeature(session: SessionDep, editor: Editor, comment: CommentDep) -> Response:
    """Stop featuring a comment."""
    editorial.unfeature(session, editor=editor, comment=comment)
    return Response(status_code=204)


@router.post("/articles", status_code=201, response_model=ArticleOut)
def create_article(session: SessionDep, editor: Editor, data: ArticleCreate) -> Response:
    """Write a new article (a draft unless `published` is true)."""
    article = editorial.create_article(session, editor=editor, fields=data.fields())
    return json_response(article_out(article), 201)


@router.patch("/articles/{slug}", response_model=ArticleOut)
def patch_article(session: SessionDep, editor: Editor, slug: str, data: ArticlePatch) -> Response:
    """Change an article: text, labels, publication, open or closed, pre-moderation."""
    article = articles.get_article(session, slug=slug, viewer=editor)
    editorial.update_article(session, editor=editor, article=article, fields=data.fields())
    return json_response(article_out(article))


@admin_router.put("/users/{username}/role", response_model=UserOut)
def set_role(session: SessionDep, admin: Admin, username: str, data: RoleIn) -> Response:
    """Give or take a role."""
    user = accounts.get_by_username(session, username[:60])
    if user is None:
        raise NotFound(_("Compte introuvable."))
    editorial.set_role(session, admin=admin, user=user, role=data.role)
    return json_response(user_out(user))
