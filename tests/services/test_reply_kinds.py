"""How a reply answers (issue 20): its kind, the rule on sources, the counts of supports and rebuttals
kept on the reaction by the same transaction, and the debate view's strongest rebuttal."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.errors import Invalid
from app.models import Comment, Reason, ReplyKind, Role, Stance
from app.models.schemas import CommentCreate, CommentUpdate
from app.services import comments, editorial, moderation
from tests.factories import make_article, make_comment, make_user


def _reply(session: Session, parent: Comment, kind: ReplyKind | None, body: str = "Je réponds.") -> Comment:
    data = CommentCreate(body=body, parent_id=parent.id, reply_kind=kind)
    reply = comments.post_comment(session, author=make_user(session), article=parent.article, data=data)
    session.refresh(parent)
    return reply


def test_a_reply_keeps_its_kind(session: Session) -> None:
    parent = make_comment(session)
    assert _reply(session, parent, ReplyKind.asks_source).reply_kind == ReplyKind.asks_source


def test_a_top_level_reaction_cannot_have_a_kind(session: Session) -> None:
    article = make_article(session)
    data = CommentCreate(body="Un avis.", stance=Stance.for_, reply_kind=ReplyKind.supports)
    with pytest.raises(Invalid) as raised:
        comments.post_comment(session, author=make_user(session), article=article, data=data)
    assert list(raised.value.fields) == ["reply_kind"]


def test_bringing_a_source_requires_a_link(session: Session) -> None:
    parent = make_comment(session)
    with pytest.raises(Invalid) as raised:
        _reply(session, parent, ReplyKind.brings_source, body="Croyez-moi, c’est écrit quelque part.")
    assert list(raised.value.fields) == ["reply_kind"]
    assert "lien" in str(raised.value)


def test_a_source_with_a_link_is_accepted(session: Session) -> None:
    parent = make_comment(session)
    reply = _reply(
        session, parent, ReplyKind.brings_source, body="Voir [le rapport](https://www.ccomptes.fr/r)."
    )
    assert reply.reply_kind == ReplyKind.brings_source


def test_an_edit_cannot_remove_the_link_of_a_source(session: Session) -> None:
    parent = make_comment(session)
    reply = _reply(session, parent, ReplyKind.brings_source, body="https://example.org/rapport.pdf")
    with pytest.raises(Invalid):
        comments.edit_comment(
            session, user=reply.author, comment=reply, data=CommentUpdate(body="Plus de lien.")
        )  # type: ignore[arg-type]


def test_supports_and_rebuttals_are_counted_on_the_reaction(session: Session) -> None:
    parent = make_comment(session)
    _reply(session, parent, ReplyKind.supports)
    _reply(session, parent, ReplyKind.supports)
    _reply(session, parent, ReplyKind.rebuts)
    _reply(session, parent, ReplyKind.asks_source)
    _reply(session, parent, None)
    assert (parent.support_count, parent.rebuttal_count, parent.reply_count) == (2, 1, 5)


def test_a_held_rebuttal_counts_once_approved(session: Session) -> None:
    parent = make_comment(session)
    newcomer = make_user(session, approved_count=0)
    data = CommentCreate(body="Non.", parent_id=parent.id, reply_kind=ReplyKind.rebuts)
    held = comments.post_comment(session, author=newcomer, article=parent.article, data=data)
    session.refresh(parent)
    assert parent.rebuttal_count == 0
    moderation.approve(session, moderator=make_user(session, role=Role.moderator), comment=held)
    session.refresh(parent)
    assert parent.rebuttal_count == 1


def test_a_removed_or_deleted_rebuttal_stops_counting(session: Session) -> None:
    parent = make_comment(session)
    rejected = _reply(session, parent, ReplyKind.rebuts)
    deleted = _reply(session, parent, ReplyKind.rebuts)
    moderation.reject(
        session, moderator=make_user(session, role=Role.moderator), comment=rejected, reason=Reason.spam
    )
    comments.delete_comment(session, user=deleted.author, comment=deleted)  # type: ignore[arg-type]
    session.refresh(parent)
    assert parent.rebuttal_count == 0


def test_the_debate_view_shows_the_most_voted_rebuttal_under_an_argument(session: Session) -> None:
    parent = make_comment(session, stance=Stance.for_)
    weak = _reply(session, parent, ReplyKind.rebuts, body="Faible.")
    strong = _reply(session, parent, ReplyKind.rebuts, body="Fort.")
    _reply(session, parent, ReplyKind.supports, body="Appui très voté.").score_best = 9.0
    strong.score_best, weak.score_best = 3.0, 1.0
    session.flush()
    sides = editorial.sides(session, article=parent.article, viewer=None)
    assert sides.rebuttals[parent.id].comment.id == strong.id  # type: ignore[index]
