"""Statements of reasons (DSA Art. 17) and appeals (Art. 20), at the service layer, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import Conflict, Invalid, PermissionDenied
from app.models import (
    Appeal,
    Automation,
    CommentStatus,
    ModerationAction,
    Notification,
    Reason,
    Restriction,
    Role,
    Statement,
    UserStatus,
    WordEffect,
    utcnow,
)
from app.services import moderation, privacy, terms
from app.services.moderation import appeals, statements
from app.services.rules import Rules
from tests.factories import make_article, make_comment, make_user


def _statement_of(session: Session, comment_id: int | None = None, user_id: int | None = None) -> Statement:
    query = select(Statement)
    if comment_id is not None:
        query = query.where(Statement.comment_id == comment_id)
    if user_id is not None:
        query = query.where(Statement.user_id == user_id)
    found = session.exec(query.order_by(Statement.id.desc())).first()  # type: ignore[union-attr]
    assert found is not None
    return found


def test_a_removal_records_a_statement_citing_the_reasons_rule_and_notifies_with_a_link(
    session: Session,
) -> None:
    comment = make_comment(session, body="Achetez mes montres pas chères")
    moderator = make_user(session, role=Role.moderator)
    statement = moderation.reject(
        session, moderator=moderator, comment=comment, reason=Reason.spam, note="Publicité"
    )
    assert statement.restriction is Restriction.removed
    assert statement.user_id == comment.author_id
    assert statement.ground_rule == terms.REASON_RULE[Reason.spam] == 1
    assert statement.terms_version == terms.in_force(session).version
    assert statement.automation is Automation.none
    assert "Achetez mes montres" in statement.facts
    assert "Publicité" in statement.facts
    note = session.exec(select(Notification).where(Notification.user_id == comment.author_id)).one()
    assert (note.kind, note.statement_id) == ("rejected", statement.id)


def test_a_decision_can_cite_a_numbered_rule_or_a_law(session: Session) -> None:
    moderator = make_user(session, role=Role.moderator)
    by_rule = moderation.reject(
        session, moderator=moderator, comment=make_comment(session), reason=Reason.other, ground="4"
    )
    assert by_rule.ground_rule == 4
    assert by_rule.ground_law is None
    by_law = moderation.reject(
        session,
        moderator=moderator,
        comment=make_comment(session),
        reason=Reason.illegal,
        ground="law: Loi du 29 juillet 1881, art. 29",
    )
    assert by_law.ground_law == "Loi du 29 juillet 1881, art. 29"
    assert by_law.ground_rule is None


@pytest.mark.parametrize("ground", ["99", "règle trois", "law:"])
def test_a_ground_that_is_no_rule_nor_law_is_refused(session: Session, ground: str) -> None:
    comment = make_comment(session)
    with pytest.raises(Invalid):
        moderation.reject(
            session,
            moderator=make_user(session, role=Role.moderator),
            comment=comment,
            reason=Reason.spam,
            ground=ground,
        )
    assert comment.status is CommentStatus.published


def test_a_comment_held_by_the_word_list_then_removed_says_automated_means_were_involved(
    session: Session,
) -> None:
    moderator = make_user(session, role=Role.moderator)
    moderation.add_word(session, actor=moderator, phrase="casino", effect=WordEffect.hold)
    held = make_comment(session, body="Venez au casino ce soir")
    assert held.status is CommentStatus.pending
    statement = moderation.reject(session, moderator=moderator, comment=held, reason=Reason.spam)
    assert statement.automation is Automation.word_list


def test_auto_hide_at_k_reports_sends_a_statement_and_a_later_removal_says_so(session: Session) -> None:
    comment = make_comment(session)
    rules = Rules(report_threshold=2)
    for _ in range(2):
        moderation.report(
            session, reporter=make_user(session), comment=comment, reason=Reason.hate, rules=rules
        )
    hidden = _statement_of(session, comment_id=comment.id)
    assert (hidden.restriction, hidden.automation, hidden.moderator_id) == (
        Restriction.hidden,
        Automation.auto_hide,
        None,
    )
    assert hidden.ground_rule == terms.REASON_RULE[Reason.hate]
    removed = moderation.reject(
        session, moderator=make_user(session, role=Role.moderator), comment=comment, reason=Reason.hate
    )
    assert removed.automation is Automation.auto_hide


def test_suspension_and_ban_record_statements_with_duration_and_the_ban_is_notified(session: Session) -> None:
    moderator = make_user(session, role=Role.moderator)
    reader = make_user(session)
    until = utcnow() + timedelta(days=7)
    moderation.sanction(
        session, moderator=moderator, user=reader, action="suspend", reason="Insultes", until=until
    )
    suspended = _statement_of(session, user_id=reader.id)
    assert suspended.restriction is Restriction.suspended
    assert suspended.until == until
    assert suspended.ground_rule == terms.SANCTION_RULE
    moderation.sanction(session, moderator=moderator, user=reader, action="ban", reason="Récidive")
    banned = _statement_of(session, user_id=reader.id)
    assert banned.restriction is Restriction.banned
    assert banned.facts == "Récidive"
    kinds = session.exec(select(Notification.kind).where(Notification.user_id == reader.id)).all()
    assert set(kinds) == {"suspended", "banned"}


def test_terms_are_versioned_and_a_statement_keeps_the_version_it_cited(session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    moderator = make_user(session, role=Role.moderator)
    first = moderation.reject(session, moderator=moderator, comment=make_comment(session), reason=Reason.spam)
    before = terms.in_force(session).version
    new = terms.publish(session, actor=admin, intro="Nouvelles règles", rules="Règle A\n\n  Règle   B  \n")
    assert new.version == before + 1
    assert new.rule_list == ["Règle A", "Règle B"]
    assert first.terms_version == before
    assert terms.get_version(session, before) is not None
    with pytest.raises(Invalid):
        moderation.reject(
            session, moderator=moderator, comment=make_comment(session), reason=Reason.spam, ground="3"
        )
    with pytest.raises(Invalid):
        terms.publish(session, actor=admin, intro="", rules="   \n")


def test_the_data_export_holds_the_statements_and_their_appeal(session: Session) -> None:
    comment = make_comment(session)
    statement = moderation.reject(
        session, moderator=make_user(session, role=Role.moderator), comment=comment, reason=Reason.spam
    )
    appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Ce n’était pas de la publicité."
    )
    exported = privacy.export_data(session, user=comment.author)
    (entry,) = exported["statements"]
    assert entry["restriction"] == "removed"
    assert entry["ground_rule"] == 1
    assert entry["appeal"]["explanation"] == "Ce n’était pas de la publicité."
    assert exported["notices"] == []


# Appeals ------------------------------------------------------------------------------------------


def _rejected(session: Session) -> tuple[Statement, object, object]:
    comment = make_comment(session, body="Un avis tranché mais correct")
    moderator = make_user(session, role=Role.moderator)
    statement = moderation.reject(session, moderator=moderator, comment=comment, reason=Reason.harassment)
    return statement, comment, moderator


def test_an_appeal_is_accepted_once_per_decision(session: Session) -> None:
    statement, comment, _moderator = _rejected(session)
    appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Rien de harcelant ici."
    )
    with pytest.raises(Conflict):
        appeals.file_appeal(
            session, statement=statement, appellant=comment.author, explanation="Je réessaie donc."
        )


def test_an_appeal_after_six_months_is_refused(session: Session) -> None:
    statement, comment, _moderator = _rejected(session)
    with pytest.raises(PermissionDenied):
        appeals.file_appeal(
            session,
            statement=statement,
            appellant=comment.author,
            explanation="Je conteste bien tard.",
            now=utcnow() + timedelta(days=184),
        )


def test_an_appeal_without_explanation_is_refused(session: Session) -> None:
    statement, comment, _moderator = _rejected(session)
    with pytest.raises(Invalid):
        appeals.file_appeal(session, statement=statement, appellant=comment.author, explanation="  non ")


def test_the_moderator_who_decided_cannot_decide_the_appeal(session: Session) -> None:
    statement, comment, moderator = _rejected(session)
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Rien de harcelant ici."
    )
    with pytest.raises(PermissionDenied):
        appeals.decide_appeal(session, moderator=moderator, appeal=appeal, outcome="reversed", reasons="Oups")
    assert appeal.decided_at is None


def test_the_database_refuses_an_appeal_decided_by_the_moderator_who_decided(session: Session) -> None:
    statement, comment, moderator = _rejected(session)
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Rien de harcelant ici."
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            sa.update(Appeal)
            .where(Appeal.id == appeal.id)  # type: ignore[arg-type]
            .values(decided_by_id=moderator.id, decided_at=utcnow(), outcome="upheld")
        )


def test_a_reversal_by_a_second_moderator_restores_the_comment_at_once_and_tells_the_author(
    session: Session,
) -> None:
    statement, comment, _moderator = _rejected(session)
    article = comment.article
    count_before = article.comment_count
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Rien de harcelant ici."
    )
    second = make_user(session, role=Role.moderator)
    appeals.decide_appeal(
        session, moderator=second, appeal=appeal, outcome="reversed", reasons="Critique légitime."
    )
    session.refresh(comment)
    session.refresh(article)
    assert comment.status is CommentStatus.published
    assert comment.hidden_at is None
    assert article.comment_count == count_before + 1
    assert statement.reversed_at is not None
    note = session.exec(
        select(Notification).where(Notification.user_id == comment.author_id, Notification.kind == "appeal")
    ).one()
    assert (note.reason, note.message, note.statement_id) == ("reversed", "Critique légitime.", statement.id)
    actions = session.exec(
        select(ModerationAction.action).where(ModerationAction.target_type.in_(("appeal", "comment")))  # type: ignore[attr-defined]
    ).all()
    assert {"appeal_filed", "appeal_reversed", "restore"} <= set(actions)


def test_an_upheld_appeal_changes_nothing_but_is_answered(session: Session) -> None:
    statement, comment, _moderator = _rejected(session)
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=comment.author, explanation="Rien de harcelant ici."
    )
    appeals.decide_appeal(
        session,
        moderator=make_user(session, role=Role.moderator),
        appeal=appeal,
        outcome="upheld",
        reasons="Attaque personnelle caractérisée.",
    )
    session.refresh(comment)
    assert comment.status is CommentStatus.rejected
    assert statement.reversed_at is None
    with pytest.raises(Conflict):
        appeals.decide_appeal(
            session,
            moderator=make_user(session, role=Role.moderator),
            appeal=appeal,
            outcome="reversed",
            reasons="Non",
        )


def test_a_reversed_ban_lifts_the_sanction_at_once(session: Session) -> None:
    moderator = make_user(session, role=Role.moderator)
    reader = make_user(session)
    moderation.sanction(session, moderator=moderator, user=reader, action="ban", reason="Spam répété")
    statement = _statement_of(session, user_id=reader.id)
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=None, explanation="Compte piraté à l’époque."
    )
    appeals.decide_appeal(
        session,
        moderator=make_user(session, role=Role.admin),
        appeal=appeal,
        outcome="reversed",
        reasons="Piratage avéré.",
    )
    assert reader.status is UserStatus.active


def test_a_reversed_pending_removal_publishes_the_comment(session: Session) -> None:
    author = make_user(session, approved_count=0)
    held = make_comment(session, author=author, article=make_article(session))
    assert held.status is CommentStatus.pending
    statement = moderation.reject(
        session, moderator=make_user(session, role=Role.moderator), comment=held, reason=Reason.off_topic
    )
    appeal = appeals.file_appeal(
        session, statement=statement, appellant=author, explanation="C’est bien le sujet."
    )
    appeals.decide_appeal(
        session,
        moderator=make_user(session, role=Role.moderator),
        appeal=appeal,
        outcome="reversed",
        reasons="En effet.",
    )
    session.refresh(held)
    assert held.status is CommentStatus.published
    assert held.hidden_at is None
    assert statements.is_open(statement) is False
