"""The moderators' pages: dashboard, queues, decisions, sanctions, word list, audit log."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.dates import site_zone
from app.deps import CommentDep, RulesDep, SessionDep, require_role
from app.errors import DomainError, Invalid, NotFound
from app.i18n import _
from app.models import Reason, Role, User, WordEffect, utcnow
from app.services import accounts, moderation
from app.templating import is_htmx, render
from app.text import parse_id, parse_number
from app.web import labels
from app.web.common import see_other

router = APIRouter(prefix="/moderation", dependencies=[Depends(require_role(Role.moderator))])
Moderator = Annotated[User, Depends(require_role(Role.moderator))]
Note = Annotated[str, Form(max_length=1000)]


def _reason(value: str) -> Reason | None:
    if not value:
        return None
    try:
        return Reason(value)
    except ValueError as exc:
        raise Invalid(_("Raison inconnue."), field="reason") from exc


def _context() -> dict[str, object]:
    return {
        "reasons": [(r.value, labels.reason_label(r)) for r in Reason],
        "reason_label": labels.reason_label,
        "action_label": labels.action_label,
        "role_label": labels.role_label,
        "user_status_label": labels.user_status_label,
        "comment_status_label": labels.comment_status_label,
        "queue_label": labels.queue_label,
        "log_note": labels.log_note,
        "log_target": labels.log_target,
        "log_actions": labels.LOG_ACTIONS,
    }


@router.get("", name="moderation")
def dashboard(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "moderation/dashboard.html", counts=moderation.queue_counts(session), **_context())


@router.get("/words", name="moderation_words")
def words(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request, "moderation/words.html", rules=moderation.list_words(session), errors={}, values={}
    )


@router.post("/words", name="moderation_add_word")
def add_word(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    phrase: Annotated[str, Form(max_length=300)] = "",
    effect: Annotated[str, Form(max_length=10)] = "hold",
) -> Response:
    try:
        if effect not in ("block", "hold"):
            raise Invalid(_("Effet inconnu : block ou hold."), field="effect")
        moderation.add_word(session, actor=moderator, phrase=phrase, effect=WordEffect(effect))
    except DomainError as exc:
        return render(
            request,
            "moderation/words.html",
            status_code=exc.status_code,
            rules=moderation.list_words(session),
            errors={"phrase": str(exc)},
            values={"phrase": phrase, "effect": effect},
        )
    return see_other(request, "/moderation/words")


@router.post("/words/{rule_id}/delete", name="moderation_remove_word")
def remove_word(request: Request, session: SessionDep, moderator: Moderator, rule_id: str) -> Response:
    rule = parse_id(rule_id, NotFound(_("Règle introuvable.")))
    moderation.remove_word(session, actor=moderator, rule_id=rule)
    return see_other(request, "/moderation/words")


@router.get("/log", name="moderation_log")
def log(
    request: Request,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    rows, next_cursor = moderation.list_log(session, actor=actor, action=action, cursor=cursor)
    return render(
        request,
        "moderation/log.html",
        rows=rows,
        next_cursor=next_cursor,
        actor=actor or "",
        action=action or "",
        **_context(),
    )


@router.get("/users/{username}", name="moderation_user")
def user_page(request: Request, session: SessionDep, username: str) -> HTMLResponse:
    user = accounts.get_by_username(session, username[:60])
    if user is None:
        raise NotFound(_("Lecteur introuvable."))
    actions, recent = moderation.user_record(session, user=user)
    return render(
        request,
        "moderation/user.html",
        person=user,
        actions=actions,
        recent=recent,
        errors={},
        now=utcnow(),
        **_context(),
    )


@router.post("/users/{username}/sanction", name="moderation_sanction")
def sanction(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    username: str,
    action: Annotated[str, Form(max_length=10)] = "",
    duration: Annotated[str, Form(max_length=10)] = "",
    until: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    ground: Annotated[str, Form(max_length=310)] = "",
) -> Response:
    user = accounts.get_by_username(session, username[:60])
    if user is None:
        raise NotFound(_("Lecteur introuvable."))
    try:
        end = _until(duration, until) if action == "suspend" else None
        moderation.sanction(
            session, moderator=moderator, user=user, action=action, reason=reason, until=end, ground=ground
        )
    except DomainError as exc:
        actions, recent = moderation.user_record(session, user=user)
        return render(
            request,
            "moderation/user.html",
            status_code=exc.status_code,
            person=user,
            actions=actions,
            recent=recent,
            errors={"sanction": str(exc)},
            now=utcnow(),
            **_context(),
        )
    return see_other(request, f"/moderation/users/{user.username}")


def _until(duration: str, until: str) -> datetime:
    if duration in moderation.SUSPENSIONS:
        return utcnow() + moderation.SUSPENSIONS[duration]
    if duration == "date":
        try:
            day = datetime.strptime(until, "%Y-%m-%d").date()
        except ValueError as exc:
            raise Invalid(_("Date de fin invalide (AAAA-MM-JJ)."), field="until") from exc
        try:  # the newsroom's end of that day, in UTC as every stored time
            return datetime.combine(day, time(23, 59), tzinfo=site_zone()).astimezone(UTC)
        except OverflowError as exc:
            raise Invalid(_("Date de fin invalide (AAAA-MM-JJ)."), field="until") from exc
    raise Invalid(_("Choisissez une durée de suspension."), field="duration")


@router.post("/decide", name="moderation_decide_many")
def decide_many(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    ids: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Note = "",
    queue: Annotated[str, Form(max_length=20)] = "pending",
) -> Response:
    # A box that is no id is left out, as an unticked one would be.
    chosen = [n for n in map(parse_number, ids or []) if n is not None]
    moderation.decide_many(
        session, moderator=moderator, ids=chosen, action=action, reason=_reason(reason), note=note or None
    )
    return see_other(request, f"/moderation/{moderation.parse_queue(queue).value}")


@router.post("/comments/{comment_id}/decision", name="moderation_decide")
def decide(
    request: Request,
    session: SessionDep,
    moderator: Moderator,
    comment: CommentDep,
    action: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Note = "",
    queue: Annotated[str, Form(max_length=20)] = "pending",
    ground: Annotated[str, Form(max_length=310)] = "",
) -> Response:
    moderation.decide(
        session,
        moderator=moderator,
        comment=comment,
        action=action,
        reason=_reason(reason),
        note=note or None,
        ground=ground or None,
    )
    if is_htmx(request):
        return render(
            request,
            "moderation/_decided.html",
            comment=comment,
            action=action,
            **_context(),
        )
    return see_other(request, f"/moderation/{moderation.parse_queue(queue).value}")


@router.get("/{queue}", name="moderation_queue")
def queue_page(
    request: Request,
    session: SessionDep,
    queue: str,
    rules: RulesDep,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    which = moderation.parse_queue(queue)
    page = moderation.list_queue(session, queue=which, cursor=cursor, rules=rules)
    return render(
        request,
        "moderation/queue.html",
        queue=which,
        page=page,
        counts=moderation.queue_counts(session),
        now=utcnow(),
        **_context(),
    )
