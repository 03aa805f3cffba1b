"""The DSA endpoints (issue 18): the terms, a statement of reasons and its appeal, the appeals queue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.common import ModerationCursor, json_response
from app.api.schemas import iso
from app.deps import LimiterDep, SessionDep, Viewer, client_ip, require_role
from app.errors import NotFound
from app.i18n import _
from app.models import Appeal, Notice, NoticeCategory, Reason, Role, Statement, TermsVersion, User
from app.services import terms, transparency
from app.services.moderation import appeals, notices, statements
from app.text import parse_id

router = APIRouter(tags=["dsa"])
moderation_router = APIRouter(
    prefix="/moderation", tags=["moderation"], dependencies=[Depends(require_role(Role.moderator))]
)
Moderator = Annotated[User, Depends(require_role(Role.moderator))]


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    explanation: str = Field(max_length=6000)
    key: str | None = Field(default=None, max_length=64)


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["upheld", "reversed"]
    reasons: str = Field(max_length=5000)


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=600)
    category: NoticeCategory
    explanation: str = Field(max_length=6000)
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=300)
    good_faith: bool = False


class NoticeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["act", "dismiss"]
    reason: Reason | None = None
    note: str | None = Field(default=None, max_length=1000)
    ground: str | None = Field(default=None, max_length=310)


def notice_out(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "reference": notice.reference,
        "comment_id": notice.comment_id,
        "url": notice.url,
        "category": notice.category.value,
        "explanation": notice.explanation,
        "created_at": iso(notice.created_at),
        "outcome": notice.outcome.value if notice.outcome else None,
        "decided_at": iso(notice.decided_at),
        "decision_note": notice.decision_note,
    }


def terms_out(version: TermsVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "intro": version.intro,
        "rules": [{"number": n, "text": t} for n, t in enumerate(version.rule_list, start=1)],
        "published_at": iso(version.created_at),
    }


def appeal_out(appeal: Appeal | None) -> dict[str, Any] | None:
    if appeal is None:
        return None
    return {
        "id": appeal.id,
        "statement_id": appeal.statement_id,
        "notice_id": appeal.notice_id,
        "explanation": appeal.explanation,
        "created_at": iso(appeal.created_at),
        "outcome": appeal.outcome.value if appeal.outcome else None,
        "outcome_reasons": appeal.outcome_reasons,
        "decided_at": iso(appeal.decided_at),
    }


def statement_out(statement: Statement, appeal: Appeal | None) -> dict[str, Any]:
    return {
        "id": statement.id,
        "restriction": statement.restriction.value,
        "comment_id": statement.comment_id,
        "until": iso(statement.until),
        "facts": statement.facts,
        "reason": statement.reason,
        "ground": {
            "rule": statement.ground_rule,
            "terms_version": statement.terms_version,
            "law": statement.ground_law,
        },
        "automation": statement.automation.value,
        "created_at": iso(statement.created_at),
        "reversed_at": iso(statement.reversed_at),
        "appeal_until": iso(statements.appeal_deadline(statement)),
        "appeal": appeal_out(appeal),
    }


@router.get("/terms")
def get_terms(session: SessionDep) -> Response:
    """The site's rules in force, numbered."""
    return json_response(terms_out(terms.in_force(session)))


def _statement(
    request: Request, session: SessionDep, viewer: Viewer, statement_id: str, key: str | None
) -> Statement:
    return statements.get_for(
        session,
        statement_id=parse_id(statement_id, NotFound(_("Décision introuvable."))),
        viewer=viewer,
        secret=request.app.state.secret_key,
        key=key,
    )


@router.get("/statements/{statement_id}")
def get_statement(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    statement_id: str,
    key: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A statement of reasons: for its author (or with the mailed key), or for staff."""
    statement = _statement(request, session, viewer, statement_id, key)
    return json_response(statement_out(statement, appeals.appeal_of(session, statement=statement)))


@router.post("/statements/{statement_id}/appeal", status_code=201)
def appeal_statement(
    request: Request, session: SessionDep, viewer: Viewer, statement_id: str, data: AppealIn
) -> Response:
    """Contest a decision, once, within six months."""
    statement = _statement(request, session, viewer, statement_id, data.key)
    if viewer is not None and viewer.id != statement.user_id and not data.key:
        raise NotFound(_("Décision introuvable."))
    appeal = appeals.file_appeal(session, statement=statement, appellant=viewer, explanation=data.explanation)
    return json_response(appeal_out(appeal), 201)


@router.get("/transparency")
def get_transparency(
    session: SessionDep, period: Annotated[str | None, Query(max_length=10)] = None
) -> Response:
    """The transparency report for a month (YYYY-MM) or a year (YYYY): the figures of /transparence."""
    report = transparency.build(session, period=transparency.parse_period(period))
    return json_response(
        {
            "period": report.period.key,
            "notices": {
                "by_category": report.notices_by_category,
                "received": report.notices_total,
                "acted": report.notices_acted,
                "dismissed": report.notices_dismissed,
                "median_hours_to_act": report.notice_median_hours,
            },
            "decisions": {
                "by_kind": report.decisions_by_kind,
                "by_ground": dict(report.decisions_by_ground),
                "total": report.decisions_total,
                "automated": report.decisions_automated,
            },
            "appeals": {
                "received": report.appeals_received,
                "upheld": report.appeals_upheld,
                "reversed": report.appeals_reversed,
                "median_hours_to_decide": report.appeal_median_hours,
            },
        }
    )


@router.get("/notices/categories")
def notice_categories() -> Response:
    """The published list of categories of a notice; `anonymous` where name and e-mail may be left out."""
    return json_response(
        {"items": [{"code": c.value, "anonymous": c in notices.ANONYMOUS_CATEGORIES} for c in NoticeCategory]}
    )


@router.post("/notices", status_code=201)
def submit_notice(
    request: Request, session: SessionDep, viewer: Viewer, limiter: LimiterDep, data: NoticeIn
) -> Response:
    """Notify content thought illegal, with or without an account; answers the reference number."""
    config = request.app.state.mail
    notice = notices.submit(
        session,
        config,
        url=data.url,
        category=data.category.value,
        explanation=data.explanation,
        name=data.name,
        email=data.email,
        good_faith=data.good_faith,
        notifier=viewer,
        limiter=limiter,
        address=client_ip(request),
        locale=request.state.locale,
    )
    key = notices.key(config.secret, notice.reference)
    return json_response(
        {"reference": notice.reference, "status_url": config.url(f"/notices/{notice.reference}?key={key}")},
        201,
    )


@moderation_router.get("/notices")
def list_notices(session: SessionDep, cursor: ModerationCursor = None) -> Response:
    """The notices to decide, by category, then oldest first."""
    rows, next_cursor = notices.list_open(session, cursor=cursor)
    return json_response({"items": [notice_out(n) for n in rows], "next_cursor": next_cursor})


@moderation_router.post("/notices/{notice_id}/decision")
def decide_notice(
    request: Request, session: SessionDep, moderator: Moderator, notice_id: str, data: NoticeDecisionIn
) -> Response:
    """Act on a notice (remove the comment: its author gets a statement) or dismiss it with reasons."""
    notice = notices.get_notice(session, parse_id(notice_id, NotFound(_("Signalement introuvable."))))
    notices.decide(
        session,
        request.app.state.mail,
        moderator=moderator,
        notice=notice,
        action=data.action,
        reason=data.reason,
        note=data.note,
        ground=data.ground,
    )
    return json_response(notice_out(notice))


@moderation_router.get("/appeals")
def list_appeals(session: SessionDep, moderator: Moderator, cursor: ModerationCursor = None) -> Response:
    """The appeals to decide, oldest first; `may_decide` is false on appeals of your own decisions."""
    rows, next_cursor = appeals.list_open(session, cursor=cursor)
    return json_response(
        {
            "items": [
                {**(appeal_out(a) or {}), "may_decide": appeals.may_decide(moderator, a)} for a in rows
            ],
            "next_cursor": next_cursor,
        }
    )


@moderation_router.post("/appeals/{appeal_id}/decision")
def decide_appeal(
    request: Request, session: SessionDep, moderator: Moderator, appeal_id: str, data: AppealDecisionIn
) -> Response:
    """Uphold or reverse, with reasons sent to the appellant; a reversal takes effect at once."""
    appeal = appeals.get_appeal(session, parse_id(appeal_id, NotFound(_("Recours introuvable."))))
    appeals.decide_appeal(
        session,
        moderator=moderator,
        appeal=appeal,
        outcome=data.outcome,
        reasons=data.reasons,
        config=request.app.state.mail,
    )
    return json_response(appeal_out(appeal))
