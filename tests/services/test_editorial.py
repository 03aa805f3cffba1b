from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app import dates
from app.errors import Conflict, Invalid, PermissionDenied
from app.models import CommentStatus, ModerationAction, Notification, Role, Stance, utcnow
from app.services import articles, comments, editorial, moderation, votes
from tests.factories import make_article, make_comment, make_user


def test_featuring_orders_by_rank_and_notifies_the_author(session: Session) -> None:
    editor = make_user(session, role=Role.editor)
    article = make_article(session)
    first, second = make_comment(session, article=article), make_comment(session, article=article)
    editorial.feature(session, editor=editor, comment=first, note="Le plus clair", rank=2)
    editorial.feature(session, editor=editor, comment=second, rank=1)
    assert [n.id for n in editorial.featured(session, article=article)] == [second.id, first.id]
    assert first.featured_note == "Le plus clair"
    assert first.featured_by_id == editor.id
    kinds = session.exec(select(Notification.kind).where(Notification.user_id == first.author_id)).all()
    assert "featured" in kinds


def test_featuring_without_a_rank_puts_it_last(session: Session) -> None:
    editor, article = make_user(session, role=Role.editor), make_article(session)
    a, b = make_comment(session, article=article), make_comment(session, article=article)
    editorial.feature(session, editor=editor, comment=a)
    editorial.feature(session, editor=editor, comment=b)
    assert (a.featured_rank, b.featured_rank) == (1, 2)


def test_reordering_and_unfeaturing(session: Session) -> None:
    editor, article = make_user(session, role=Role.editor), make_article(session)
    a, b, c = (make_comment(session, article=article) for _ in range(3))
    for x in (a, b, c):
        editorial.feature(session, editor=editor, comment=x)
    editorial.reorder_featured(session, editor=editor, article=article, ids=[c.id, a.id, b.id])  # type: ignore[list-item]
    assert [n.id for n in editorial.featured(session, article=article)] == [c.id, a.id, b.id]
    editorial.unfeature(session, editor=editor, comment=a)
    assert [n.id for n in editorial.featured(session, article=article)] == [c.id, b.id]
    with pytest.raises(Invalid):
        editorial.reorder_featured(session, editor=editor, article=article, ids=[b.id])  # type: ignore[list-item]


def test_only_a_published_comment_can_be_featured(session: Session) -> None:
    held = make_comment(session, author=make_user(session, approved_count=0))
    with pytest.raises(Conflict):
        editorial.feature(session, editor=make_user(session, role=Role.editor), comment=held)


def test_create_and_update_an_article_are_logged(session: Session) -> None:
    editor = make_user(session, role=Role.editor)
    article = editorial.create_article(
        session,
        editor=editor,
        fields=editorial.ArticleFields(
            slug="nouveau-debat",
            title="Titre",
            body="Corps **gras**",
            question="Oui ?",
            stances={"for": "Oui", "against": "Non", "nuanced": "Bof"},
        ),
    )
    assert article.published_at is None
    assert "<strong>gras</strong>" in article.body_html
    editorial.update_article(
        session,
        editor=editor,
        article=article,
        fields=editorial.ArticleFields(title="Nouveau titre", published=True),
    )
    assert article.title == "Nouveau titre"
    assert article.published_at is not None
    actions = session.exec(
        select(ModerationAction.action).where(
            ModerationAction.target_id == article.id, ModerationAction.target_type == "article"
        )
    ).all()
    assert {"article_create", "article_update", "article_publish"} <= set(actions)


@pytest.mark.parametrize("slug", ["", "Avec Espaces", "accentué", "-tiret"])
def test_article_slugs_are_checked(session: Session, slug: str) -> None:
    with pytest.raises(Invalid):
        editorial.create_article(
            session,
            editor=make_user(session, role=Role.editor),
            fields=editorial.ArticleFields(slug=slug, title="t", body="b", question="q"),
        )


def test_closing_a_debate_refuses_posts_votes_reports_and_stances(session: Session) -> None:
    editor = make_user(session, role=Role.editor)
    comment = make_comment(session)
    reader = make_user(session)
    editorial.set_open(session, editor=editor, article=comment.article, open_=False)
    assert comment.article.closed_at is not None
    with pytest.raises(PermissionDenied):
        make_comment(session, article=comment.article)
    with pytest.raises(PermissionDenied):
        votes.set_vote(session, voter=reader, comment_id=comment.id, value=1)
    with pytest.raises(PermissionDenied):
        moderation.report(session, reporter=reader, comment=comment, reason=moderation.Reason.spam)
    with pytest.raises(PermissionDenied):
        articles.set_stance(session, user=reader, article=comment.article, stance=Stance.for_)
    assert comments.thread(session, article=comment.article, viewer=None)[0].id == comment.id


def test_the_debate_view_splits_by_stance_featured_first(session: Session) -> None:
    editor, article = make_user(session, role=Role.editor), make_article(session)
    strong_for = make_comment(session, article=article, stance=Stance.for_)
    for _ in range(3):
        votes.set_vote(session, voter=make_user(session), comment_id=strong_for.id, value=1)
    featured_for = make_comment(session, article=article, stance=Stance.for_)
    editorial.feature(session, editor=editor, comment=featured_for)
    against = make_comment(session, article=article, stance=Stance.against)
    nuanced = make_comment(session, article=article, stance=Stance.nuanced)
    found = editorial.sides(session, article=article, viewer=None)
    assert [n.id for n in found.for_] == [featured_for.id, strong_for.id]
    assert [n.id for n in found.against] == [against.id]
    assert [n.id for n in found.nuanced] == [nuanced.id]
    assert [n.id for n in found.interleaved()] == [featured_for.id, against.id, strong_for.id]


def test_stance_votes_keep_a_daily_history(session: Session) -> None:
    article = make_article(session)
    articles.set_stance(session, user=make_user(session), article=article, stance=Stance.for_)
    articles.record_daily_tally(session, article=article, today=dates.today() - timedelta(days=1))
    articles.set_stance(session, user=make_user(session), article=article, stance=Stance.against)
    chart = editorial.tally_history(session, article=article)
    assert len(chart.days) == 2
    assert chart.points["against"][-1] == 1
    assert chart.points["for"][-1] == 1


def test_only_an_admin_gives_roles_and_it_is_logged(session: Session) -> None:
    admin, reader = make_user(session, role=Role.admin), make_user(session)
    editorial.set_role(session, admin=admin, user=reader, role=Role.moderator)
    assert reader.role == Role.moderator
    with pytest.raises(PermissionDenied):
        editorial.set_role(session, admin=make_user(session, role=Role.editor), user=reader, role=Role.admin)
    entry = session.exec(select(ModerationAction).where(ModerationAction.action == "role_change")).first()
    assert entry is not None
    assert entry.note == "reader → moderator"


def test_the_debate_view_takes_only_public_top_level_reactions_and_keeps_to_the_limit(
    session: Session,
) -> None:
    editor, article = make_user(session, role=Role.editor), make_article(session)
    featured = []
    for ups in (0, 2, 1):  # featured, then ranked by score among themselves
        c = make_comment(session, article=article, stance=Stance.for_)
        for _ in range(ups):
            votes.set_vote(session, voter=make_user(session), comment_id=c.id, value=1)
        editorial.feature(session, editor=editor, comment=c)
        featured.append(c)
    best_unfeatured = make_comment(session, article=article, stance=Stance.for_)
    votes.set_vote(session, voter=make_user(session), comment_id=best_unfeatured.id, value=1)
    hidden = make_comment(session, article=article, stance=Stance.for_)
    editorial.feature(session, editor=editor, comment=hidden)
    hidden.hidden_at = utcnow()
    reply = make_comment(session, article=article, parent=featured[0])
    editorial.feature(session, editor=editor, comment=reply)
    held = make_comment(session, article=article, stance=Stance.against)
    held.status = CommentStatus.pending
    other_debate = make_comment(session, stance=Stance.against)
    editorial.feature(session, editor=editor, comment=other_debate)
    session.flush()

    found = editorial.sides(session, article=article, viewer=None, per_side=2)
    assert [n.id for n in found.for_] == [featured[1].id, featured[2].id]
    found = editorial.sides(session, article=article, viewer=None, per_side=10)
    assert [n.id for n in found.for_] == [featured[1].id, featured[2].id, featured[0].id, best_unfeatured.id]
    assert found.against == found.nuanced == []
