"""Handing messages over: to an SMTP server (smtplib, run off the event loop by the sender), or to
.eml files under instance/outbox/ when no server is configured (their links are logged)."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from email import message_from_string
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("tribune.mail")

Send = Callable[[str, str, str], None]  # (envelope sender, recipient, whole message)


class DeliveryError(Exception):
    """A message not handed over; permanent when the server refused it for good (5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    def open(self) -> AbstractContextManager[Send]: ...


class SmtpTransport:
    """smtp://user:pass@host:587?starttls=true, or smtps://user:pass@host:465 (TLS from the start)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"TRIBUNE_SMTP_URL must be smtp://host[:port] or smtps://host[:port], not {url!r}"
            )
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 587 if self.starttls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    @contextmanager
    def open(self) -> Iterator[Send]:
        try:
            if self.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc}") from exc

        def send(sender: str, recipient: str, content: str) -> None:
            try:
                refused = smtp.sendmail(sender, [recipient], content.encode("utf-8"))
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise DeliveryError(f"{code} {text!r}", permanent=code >= 500) from exc
            except smtplib.SMTPResponseException as exc:
                raise DeliveryError(
                    f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
                ) from exc
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryError(f"SMTP error: {exc}") from exc
            if refused:
                raise DeliveryError(f"refused: {refused!r}", permanent=True)

        try:
            yield send
        finally:
            with suppress(OSError, smtplib.SMTPException):
                smtp.quit()


_LINK = re.compile(r"https?://\S+")


class FileTransport:
    """The offline default: each message becomes instance/outbox/<message id>.eml, and its links are
    logged so a developer can follow a reset or verification journey without a mail server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def open(self) -> Iterator[Send]:
        def send(sender: str, recipient: str, content: str) -> None:
            message = message_from_string(content, policy=default_policy)
            name = re.sub(r"[^A-Za-z0-9@._-]", "", str(message["Message-ID"])) or "message"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{name}.eml").write_text(content, encoding="utf-8")
            except OSError as exc:
                raise DeliveryError(f"cannot write {self.folder}: {exc}") from exc
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            links = " ".join(_LINK.findall(text))
            log.info("mail to %s: %s %s", recipient, message["Subject"], links)

        yield send


def make_transport(smtp_url: str | None, outbox_folder: Path) -> SmtpTransport | FileTransport:
    return SmtpTransport(smtp_url) if smtp_url else FileTransport(outbox_folder)
