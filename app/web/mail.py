"""Mail journeys (issue 16): forgotten password, reset and verification links, the account's address
and mail preferences, one-click unsubscribe, the admin's view of undeliverable mail; and the lifespan
that runs this process's background sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.db import make_engine
from app.deps import (
    Account,
    LimiterDep,
    LocalAccounts,
    SessionDep,
    SettingsDep,
    Viewer,
    begin_session,
    client_ip,
    require_role,
    set_session_cookie,
)
from app.errors import DomainError, TooManyRequests
from app.models import Role
from app.services.mail import MailConfig, compose, flows, outbox
from app.services.mail.sender import MailSender
from app.services.ratelimit import Limit
from app.templating import render
from app.web.account import _page
from app.web.common import see_other
from app.web.labels import reason_label

router = APIRouter()
# Without the CSRF check: the signed link is the authority, and a mail client's one-click POST
# (RFC 8058) carries no cookie and no token.
public_router = APIRouter(include_in_schema=False)
admin_router = APIRouter(prefix="/admin")

Text = Annotated[str, Form(max_length=1000)]


compose.TEMPLATE_GLOBALS["reason_label"] = reason_label


def mail_config(request: Request) -> MailConfig:
    config: MailConfig = request.app.state.mail
    return config


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """This process's mail sender, on an engine of its own (its few statements stay out of the
    requests' pool and of their statement counts)."""
    settings = app.state.settings
    sender = None
    if settings.mail_sender:
        engine = make_engine(settings.effective_database_url)
        sender = MailSender(engine, app.state.mail, settings.instance_path)
        sender.start()
        app.state.mail_sender = sender
    try:
        yield
    finally:
        if sender is not None:
            await sender.stop()


# Forgotten password ---------------------------------------------------------------------------------


@router.get("/password/forgot", name="password_forgot", dependencies=[LocalAccounts])
def forgot_form(request: Request) -> HTMLResponse:
    return render(request, "auth/forgot.html", email="", error=None)


@router.post("/password/forgot", name="password_forgot_submit", dependencies=[LocalAccounts])
def forgot(
    request: Request, session: SessionDep, settings: SettingsDep, limiter: LimiterDep, email: Text = ""
) -> Response:
    try:
        flows.request_password_reset(
            session,
            mail_config(request),
            email=email,
            limiter=limiter,
            address=client_ip(request),
            resets_per_address=settings.password_resets_per_address,
            resets_per_account=settings.password_resets_per_account,
        )
    except DomainError as exc:
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return render(
            request,
            "auth/forgot.html",
            status_code=exc.status_code,
            headers=retry,
            email=email,
            error=str(exc),
        )
    # The same answer whether or not the address has an account.
    return render(request, "auth/forgot_sent.html", email=email.strip())


@router.get("/password/reset/{token}", name="password_reset", dependencies=[LocalAccounts])
def reset_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    try:
        flows.reset_target(session, mail_config(request), token=token)
    except DomainError as exc:
        return render(request, "auth/reset_invalid.html", status_code=exc.status_code, message=str(exc))
    return render(request, "auth/reset.html", token=token, error=None)


@router.post("/password/reset/{token}", name="password_reset_submit", dependencies=[LocalAccounts])
def reset(
    request: Request, session: SessionDep, settings: SettingsDep, token: str, password: Text = ""
) -> Response:
    try:
        user = flows.reset_password(session, mail_config(request), token=token, password=password)
    except DomainError as exc:
        if exc.fields:
            return render(
                request, "auth/reset.html", status_code=exc.status_code, token=token, error=str(exc)
            )
        return render(request, "auth/reset_invalid.html", status_code=exc.status_code, message=str(exc))
    # Every session of the account has ended; this browser gets a new one.
    response = see_other(request, "/account?mail=reset")
    set_session_cookie(response, begin_session(request, session, user), settings)
    return response


# Address verification ----------------------------------------------------------------------------------


@router.get("/verify/{token}", name="verify_email")
def verify_page(request: Request, session: SessionDep, viewer: Viewer, token: str) -> HTMLResponse:
    """A button to press, not a link that verifies: GET changes nothing (mail scanners follow links)."""
    try:
        user = flows.verify_target(session, mail_config(request), token=token)
    except DomainError as exc:
        return render(request, "auth/verified.html", status_code=exc.status_code, error=str(exc), token=None)
    return render(request, "auth/verified.html", error=None, token=token, done=user.email_verified)


@router.post("/verify/{token}", name="verify_email_submit")
def verify(request: Request, session: SessionDep, viewer: Viewer, token: str) -> HTMLResponse:
    try:
        flows.verify_email(session, mail_config(request), token=token)
    except DomainError as exc:
        return render(request, "auth/verified.html", status_code=exc.status_code, error=str(exc), token=None)
    return render(request, "auth/verified.html", error=None, token=token, done=True)


# Verification links and address changes per account and hour: each sends mail to an address the
# account chose, which could be somebody else's.
ADDRESS_MAIL = Limit("address-mail", 5, 3600)


@router.post("/account/verification", name="account_verification")
def resend_verification(
    request: Request, session: SessionDep, limiter: LimiterDep, user: Account
) -> Response:
    try:
        limiter.hit_limit(ADDRESS_MAIL, user.id)
    except TooManyRequests as exc:
        return _page(request, status_code=exc.status_code, account=user, errors={"email": str(exc)})
    flows.send_verification(session, mail_config(request), user=user)
    return see_other(request, "/account?mail=sent#email")


@router.post("/account/email", name="account_email")
def change_email(
    request: Request,
    session: SessionDep,
    limiter: LimiterDep,
    user: Account,
    email: Text = "",
    password: Text = "",
) -> Response:
    try:
        limiter.hit_limit(ADDRESS_MAIL, user.id)
        flows.change_email(session, mail_config(request), user=user, password=password, email=email)
    except DomainError as exc:
        return _page(request, status_code=exc.status_code, account=user, errors={"email": str(exc)})
    return see_other(request, "/account?mail=email#email")


@router.post("/account/mail", name="account_mail")
async def mail_preferences(request: Request, session: SessionDep, user: Account) -> Response:
    form = await request.form()
    choices = {kind: str(form.get(kind, "")) for kind in flows.PREFERENCES if kind in form}
    try:
        flows.set_preferences(session, user=user, choices=choices)
    except DomainError as exc:
        return _page(request, status_code=exc.status_code, account=user, errors={"mail": str(exc)})
    return see_other(request, "/account?mail=prefs#mail")


# One-click unsubscribe -------------------------------------------------------------------------------


@public_router.get("/mail/unsubscribe/{token}", name="mail_unsubscribe")
def unsubscribe_page(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    try:
        user, kind = flows.unsubscribe_target(session, mail_config(request), token=token)
    except DomainError as exc:
        return render(request, "errors/page.html", status_code=exc.status_code, message=str(exc))
    return render(request, "auth/unsubscribe.html", token=token, kind=kind, done=False)


@public_router.post("/mail/unsubscribe/{token}", name="mail_unsubscribe_submit")
def unsubscribe(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    try:
        _user, kind = flows.unsubscribe(session, mail_config(request), token=token)
    except DomainError as exc:
        return render(request, "errors/page.html", status_code=exc.status_code, message=str(exc))
    return render(request, "auth/unsubscribe.html", token=token, kind=kind, done=True)


# Undeliverable mail, for admins ------------------------------------------------------------------------


@admin_router.get("/mail", name="admin_mail", dependencies=[Depends(require_role(Role.admin))])
def mail_admin(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request, "editor/mail.html", counts=outbox.counts(session), dead=outbox.dead_messages(session)
    )


@admin_router.post("/mail/retry", name="admin_mail_retry", dependencies=[Depends(require_role(Role.admin))])
def retry_mail(request: Request, session: SessionDep) -> Response:
    outbox.retry_dead(session)
    return see_other(request, "/admin/mail")
