"""EU Digital Services Act pages (issue 18): the site's terms, a statement of reasons and the appeal
against it, and the appeals queue."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import select

from app.deps import AdminUser, LimiterDep, SessionDep, Viewer, client_ip, load_article, require_role
from app.errors import DomainError, NotFound
from app.i18n import _
from app.models import (
    Appeal,
    AppealOutcome,
    Automation,
    Comment,
    Notice,
    NoticeCategory,
    NoticeOutcome,
    Reason,
    Restriction,
    Role,
    Statement,
    User,
)
from app.services import opendata, terms, transparency
from app.services.moderation import appeals, notices, statements
from app.templating import render
from app.text import parse_id, parse_number
from app.web import labels
from app.web.common import see_other
from app.web.mail import mail_config

router = APIRouter()
Moderator = Annotated[User, Depends(require_role(Role.moderator))]
Key = Annotated[str | None, Query(max_length=64)]


def restriction_label(value: Restriction | str) -> str:
    return {
        Restriction.removed: _("Message retiré"),
        Restriction.hidden: _("Message masqué en attendant une décision"),
        Restriction.suspended: _("Compte suspendu"),
        Restriction.banned: _("Compte banni"),
    }.get(Restriction(value), str(value))


def automation_label(value: Automation | str) -> str:
    return {
        Automation.none: _("Non : décision prise par un modérateur, sans moyen automatisé."),
        Automation.word_list: _(
            "Oui : le message a été retenu automatiquement par la liste de mots, "
            "puis examiné par un modérateur."
        ),
        Automation.auto_hide: _(
            "Oui : le message a été masqué automatiquement après plusieurs signalements de lecteurs."
        ),
    }.get(Automation(value), str(value))


def outcome_label(value: AppealOutcome | str | None) -> str:
    if value is None:
        return _("en attente")
    return {AppealOutcome.upheld: _("décision maintenue"), AppealOutcome.reversed: _("décision annulée")}.get(
        AppealOutcome(value), str(value)
    )


def ground_text(statement: Statement, rule_text: str | None = None) -> str:
    if statement.ground_law:
        return _("Loi : %(law)s") % {"law": statement.ground_law}
    text = _("Règle n° %(number)s des conditions d’utilisation (version %(version)s)") % {
        "number": statement.ground_rule,
        "version": statement.terms_version,
    }
    return text + (f" — « {rule_text} »" if rule_text else "")


def category_label(value: NoticeCategory | str) -> str:
    return {
        NoticeCategory.hate: _("Discours de haine illégal"),
        NoticeCategory.defamation: _("Diffamation ou injure"),
        NoticeCategory.privacy: _("Atteinte à la vie privée"),
        NoticeCategory.intellectual_property: _("Propriété intellectuelle"),
        NoticeCategory.terrorism: _("Terrorisme"),
        NoticeCategory.child_abuse: _("Abus sexuels sur mineurs"),
        NoticeCategory.fraud: _("Fraude ou escroquerie"),
        NoticeCategory.other: _("Autre infraction"),
    }.get(NoticeCategory(value), str(value))


def notice_outcome_label(value: NoticeOutcome | str | None) -> str:
    if value is None:
        return _("en cours d’examen")
    return {NoticeOutcome.acted: _("message retiré"), NoticeOutcome.dismissed: _("signalement classé")}.get(
        NoticeOutcome(value), str(value)
    )


def _context() -> dict[str, object]:
    return {
        "category_label": category_label,
        "notice_outcome_label": notice_outcome_label,
        "categories": list(NoticeCategory),
        "reasons": [(r.value, labels.reason_label(r)) for r in Reason],
        "restriction_label": restriction_label,
        "automation_label": automation_label,
        "outcome_label": outcome_label,
        "ground_text": ground_text,
        "reason_label": labels.reason_label,
    }


# Terms ----------------------------------------------------------------------------------------------


@router.get("/terms", name="terms")
def terms_page(
    request: Request, session: SessionDep, version: Annotated[str | None, Query(max_length=10)] = None
) -> HTMLResponse:
    number = parse_number(version) if version else None
    shown = terms.get_version(session, number) if number else terms.in_force(session)
    if shown is None:
        raise NotFound(_("Version des conditions introuvable."))
    return render(request, "dsa/terms.html", terms=shown, versions=terms.list_versions(session))


@router.get("/admin/terms", name="admin_terms")
def edit_terms(request: Request, session: SessionDep, admin: AdminUser) -> HTMLResponse:
    current = terms.current(session)
    return render(
        request,
        "dsa/terms_edit.html",
        intro=current.intro if current else "",
        rules="\n".join(current.rule_list) if current else "",
        errors={},
    )


@router.post("/admin/terms", name="admin_publish_terms")
def publish_terms(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    intro: Annotated[str, Form(max_length=5000)] = "",
    rules: Annotated[str, Form(max_length=110_000)] = "",
) -> Response:
    try:
        terms.publish(session, actor=admin, intro=intro, rules=rules)
    except DomainError as exc:
        return render(
            request,
            "dsa/terms_edit.html",
            status_code=exc.status_code,
            intro=intro,
            rules=rules,
            errors={"rules": str(exc)},
        )
    return see_other(request, "/terms")


# Statements and appeals ---------------------------------------------------------------------------


def _statement(
    request: Request, session: SessionDep, viewer: Viewer, statement_id: str, key: str | None
) -> Statement:
    number = parse_id(statement_id, NotFound(_("Décision introuvable.")))
    return statements.get_for(
        session, statement_id=number, viewer=viewer, secret=request.app.state.secret_key, key=key
    )


def _statement_page(
    request: Request,
    session: SessionDep,
    statement: Statement,
    key: str | None,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    explanation: str = "",
) -> HTMLResponse:
    cited = terms.get_version(session, statement.terms_version) if statement.terms_version else None
    rules = cited.rule_list if cited else []
    rule_text = (
        rules[statement.ground_rule - 1]
        if statement.ground_rule and statement.ground_rule <= len(rules)
        else None
    )
    comment = session.get(Comment, statement.comment_id) if statement.comment_id else None
    return render(
        request,
        "dsa/statement.html",
        status_code=status_code,
        statement=statement,
        comment=comment,
        rule_text=rule_text,
        appeal=appeals.appeal_of(session, statement=statement),
        deadline=statements.appeal_deadline(statement),
        can_appeal=statements.is_open(statement),
        key=key or "",
        errors=errors or {},
        explanation=explanation,
        **_context(),
    )


@router.get("/statements/{statement_id}", name="statement")
def statement_page(
    request: Request, session: SessionDep, viewer: Viewer, statement_id: str, key: Key = None
) -> HTMLResponse:
    statement = _statement(request, session, viewer, statement_id, key)
    return _statement_page(request, session, statement, key)


@router.post("/statements/{statement_id}/appeal", name="statement_appeal")
def appeal_statement(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    statement_id: str,
    explanation: Annotated[str, Form(max_length=6000)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    statement = _statement(request, session, viewer, statement_id, key or None)
    if viewer is not None and viewer.id != statement.user_id and not key:
        # Staff may read a statement; only its author contests it.
        raise NotFound(_("Décision introuvable."))
    try:
        appeals.file_appeal(session, statement=statement, appellant=viewer, explanation=explanation)
    except DomainError as exc:
        return _statement_page(
            request,
            session,
            statement,
            key,
            status_code=exc.status_code,
            errors={"explanation": str(exc)},
            explanation=explanation,
        )
    suffix = f"?key={key}" if key else ""
    return see_other(request, f"/statements/{statement.id}{suffix}")


def _appeal_cards(session: SessionDep, rows: list[Appeal]) -> list[dict[str, object]]:
    cards = []
    for appeal in rows:
        statement = session.get(Statement, appeal.statement_id) if appeal.statement_id else None
        notice = session.get(Notice, appeal.notice_id) if appeal.notice_id else None
        comment_id = statement.comment_id if statement else (notice.comment_id if notice else None)
        cards.append(
            {
                "appeal": appeal,
                "statement": statement,
                "notice": notice,
                "comment": session.get(Comment, comment_id) if comment_id else None,
            }
        )
    return cards


@router.get("/moderation/appeals", name="moderation_appeals")
def appeals_queue(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    rows, next_cursor = appeals.list_open(session, cursor=cursor)
    return render(
        request,
        "dsa/appeals.html",
        cards=_appeal_cards(session, rows),
        next_cursor=next_cursor,
        may_decide=lambda appeal: appeals.may_decide(moderator, appeal),
        errors={},
        **_context(),
    )


@router.post("/moderation/appeals/{appeal_id}/decision", name="moderation_decide_appeal")
def decide_appeal(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    appeal_id: str,
    outcome: Annotated[str, Form(max_length=10)] = "",
    reasons: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    appeal = appeals.get_appeal(session, parse_id(appeal_id, NotFound(_("Recours introuvable."))))
    try:
        appeals.decide_appeal(
            session,
            moderator=moderator,
            appeal=appeal,
            outcome=outcome,
            reasons=reasons,
            config=mail_config(request),
        )
    except DomainError as exc:
        rows, next_cursor = appeals.list_open(session)
        return render(
            request,
            "dsa/appeals.html",
            status_code=exc.status_code,
            cards=_appeal_cards(session, rows),
            next_cursor=next_cursor,
            may_decide=lambda a: appeals.may_decide(moderator, a),
            errors={str(appeal.id): str(exc)},
            **_context(),
        )
    return see_other(request, "/moderation/appeals")


# Notices from anyone ------------------------------------------------------------------------------


def _notice_form(
    request: Request, *, status_code: int = 200, values: dict[str, str], errors: dict[str, str]
) -> HTMLResponse:
    return render(
        request, "dsa/notice_form.html", status_code=status_code, values=values, errors=errors, **_context()
    )


@router.get("/notices/new", name="notice_form")
def notice_form(
    request: Request, comment: Annotated[str | None, Query(max_length=20)] = None
) -> HTMLResponse:
    number = parse_number(comment) if comment else None
    url = mail_config(request).url(f"/comments/{number}") if number else ""
    return _notice_form(request, values={"url": url}, errors={})


@router.post("/notices", name="notice_submit")
def submit_notice(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    limiter: LimiterDep,
    url: Annotated[str, Form(max_length=600)] = "",
    category: Annotated[str, Form(max_length=20)] = "",
    explanation: Annotated[str, Form(max_length=6000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    good_faith: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    config = mail_config(request)
    try:
        notice = notices.submit(
            session,
            config,
            url=url,
            category=category,
            explanation=explanation,
            name=name,
            email=email,
            good_faith=good_faith == "yes",
            notifier=viewer,
            limiter=limiter,
            address=client_ip(request),
            locale=request.state.locale,
        )
    except DomainError as exc:
        field = next(iter(getattr(exc, "fields", None) or {"form": ""}))
        values = {"url": url, "category": category, "explanation": explanation, "name": name, "email": email}
        return _notice_form(request, status_code=exc.status_code, values=values, errors={field: str(exc)})
    return see_other(
        request, f"/notices/{notice.reference}?key={notices.key(config.secret, notice.reference)}"
    )


def _notice_page(
    request: Request,
    session: SessionDep,
    notice: Notice,
    key: str,
    *,
    status_code: int = 200,
    error: str = "",
) -> HTMLResponse:
    appeal = session.exec(select(Appeal).where(Appeal.notice_id == notice.id)).first()
    return render(
        request,
        "dsa/notice.html",
        status_code=status_code,
        notice=notice,
        key=key,
        appeal=appeal,
        error=error,
        **_context(),
    )


@router.get("/notices/{reference}", name="notice")
def notice_page(request: Request, session: SessionDep, reference: str, key: Key = None) -> HTMLResponse:
    notice = notices.for_notifier(
        session, reference=reference, given_key=key, secret=request.app.state.secret_key
    )
    return _notice_page(request, session, notice, key or "")


@router.post("/notices/{reference}/appeal", name="notice_appeal")
def appeal_notice(
    request: Request,
    session: SessionDep,
    reference: str,
    key: Annotated[str, Form(max_length=64)] = "",
    explanation: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    notice = notices.for_notifier(
        session, reference=reference, given_key=key, secret=request.app.state.secret_key
    )
    try:
        appeals.file_notice_appeal(session, notice=notice, explanation=explanation)
    except DomainError as exc:
        return _notice_page(request, session, notice, key, status_code=exc.status_code, error=str(exc))
    return see_other(request, f"/notices/{notice.reference}?key={key}")


@router.get("/moderation/notices", name="moderation_notices")
def notices_queue(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _queue(request, session, cursor=cursor)


def _queue(
    request: Request,
    session: SessionDep,
    *,
    cursor: str | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    rows, next_cursor = notices.list_open(session, cursor=cursor)
    comments = {c.id: c for c in (session.get(Comment, n.comment_id) for n in rows if n.comment_id) if c}
    return render(
        request,
        "dsa/notices.html",
        status_code=status_code,
        rows=rows,
        comments=comments,
        next_cursor=next_cursor,
        errors=errors or {},
        **_context(),
    )


@router.post("/moderation/notices/{notice_id}/decision", name="moderation_decide_notice")
def decide_notice(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    notice_id: str,
    action: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    ground: Annotated[str, Form(max_length=310)] = "",
) -> Response:
    notice = notices.get_notice(session, parse_id(notice_id, NotFound(_("Signalement introuvable."))))
    try:
        notices.decide(
            session,
            mail_config(request),
            moderator=moderator,
            notice=notice,
            action=action,
            reason=Reason(reason) if reason in Reason.__members__.values() else None,
            note=note,
            ground=ground or None,
        )
    except DomainError as exc:
        return _queue(request, session, status_code=exc.status_code, errors={str(notice.id): str(exc)})
    return see_other(request, "/moderation/notices")


# Open data -----------------------------------------------------------------------------------------


@router.get("/articles/{slug}/open-data.{fmt}", name="open_data")
def open_data(request: Request, session: SessionDep, slug: str, fmt: str) -> Response:
    if fmt not in ("csv", "json"):
        raise NotFound(_("Format inconnu : csv ou json."))
    article = load_article(session, slug[:200], None)  # what everyone may read, whoever asks
    settings = request.app.state.settings
    licence = opendata.Licence(settings.open_data_licence, settings.open_data_licence_url)
    items = opendata.reactions(session, article=article, secret=request.app.state.secret_key)
    headers = {
        "Link": f'<{licence.url}>; rel="license"',
        "Content-Disposition": f'inline; filename="{article.slug}-open-data.{fmt}"',
        "Access-Control-Allow-Origin": "*",
    }
    if fmt == "csv":
        return Response(opendata.as_csv(items), media_type="text/csv; charset=utf-8", headers=headers)
    source = mail_config(request).url(f"/articles/{article.slug}")
    return JSONResponse(opendata.as_json(article, items, licence, source), headers=headers)


# Transparency report ------------------------------------------------------------------------------


def _bars(items: list[tuple[str, int]]) -> dict[str, object]:
    """Geometry of a horizontal bar chart drawn by the server as SVG."""
    top = max((v for _label, v in items), default=0) or 1
    row, label_w, bar_w = 28, 340, 300
    return {
        "width": label_w + bar_w + 70,
        "height": row * len(items) + 10,
        "bars": [
            {
                "label": label,
                "value": value,
                "y": 5 + i * row,
                "w": round(bar_w * value / top, 1),
                "x": label_w,
            }
            for i, (label, value) in enumerate(items)
        ],
    }


@router.get("/transparence", name="transparency")
def transparency_page(
    request: Request, session: SessionDep, period: Annotated[str | None, Query(max_length=10)] = None
) -> HTMLResponse:
    chosen = transparency.parse_period(period)
    report = transparency.build(session, period=chosen)
    kinds = [(restriction_label(k), report.decisions_by_kind.get(k.value, 0)) for k in Restriction]
    categories = [(category_label(c), report.notices_by_category.get(c.value, 0)) for c in NoticeCategory]
    return render(
        request,
        "dsa/transparency.html",
        report=report,
        kinds=kinds,
        category_rows=categories,
        kinds_chart=_bars(kinds),
        categories_chart=_bars(categories),
        grounds=[(_ground_label(key), n) for key, n in report.decisions_by_ground],
        **_context(),
    )


def _ground_label(key: str) -> str:
    if key.startswith("law:"):
        return _("Loi : %(law)s") % {"law": key[4:]}
    _kind, number, version = key.split(":")
    return _("Règle n° %(number)s (version %(version)s)") % {"number": number, "version": version[1:]}


@router.get("/transparence.csv", name="transparency_csv")
def transparency_csv(
    session: SessionDep, period: Annotated[str | None, Query(max_length=10)] = None
) -> Response:
    chosen = transparency.parse_period(period)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "value"])
    writer.writerows(transparency.rows(transparency.build(session, period=chosen)))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="transparence-{chosen.key}.csv"'},
    )
