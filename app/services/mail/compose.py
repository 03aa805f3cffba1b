"""Building a message: plain text and HTML rendered from one template (its macros write either), in
the recipient's language, with the standard library's `email` package."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader

from app import i18n
from app.i18n import in_language
from app.models import utcnow
from app.services.mail import MailConfig
from app.templating import TEMPLATES_DIR, format_dt

# Helpers the web layer lends the mail templates (reason_label), set by app/web/mail.py at import.
TEMPLATE_GLOBALS: dict[str, Any] = {}


@functools.cache
def _environment(html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=html,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_dt
    env.globals["html"] = html
    env.globals.update(TEMPLATE_GLOBALS)
    return env


@dataclass(frozen=True)
class Composed:
    message_id: str
    subject: str
    content: str  # the whole message, CRLF line ends, ASCII (non-ASCII parts are encoded)
    text: str


def new_message_id(config: MailConfig) -> str:
    return f"<{uuid.uuid4().hex}@{config.domain}>"


def compose(
    config: MailConfig,
    *,
    to: str,
    template: str,
    locale: str | None,
    context: dict[str, Any],
    unsubscribe_url: str | None = None,
) -> Composed:
    """Render mail/<template>.j2 twice (text, then HTML) and wrap both in one multipart message."""
    with in_language(locale) as chosen:
        values = {"config": config, "locale": chosen, "unsubscribe_url": unsubscribe_url, **context}
        text_template = _environment(False).get_template(f"mail/{template}.j2")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values))).strip()
        text = text_template.render(values, subject=subject)
        html = _environment(True).get_template(f"mail/{template}.j2").render(values, subject=subject)
    message = EmailMessage(policy=SMTP)
    message_id = new_message_id(config)
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(utcnow())
    message["From"] = config.mail_from
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = chosen  # after the parts: set before, it would move into the first
    return Composed(message_id=message_id, subject=message["Subject"], content=message.as_string(), text=text)
