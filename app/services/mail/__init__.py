"""Mail (issue 16): every message goes through the outbox table, written in the transaction of the change
that causes it, and is delivered by the background sender (sender.py) over SMTP, or written as .eml files
under instance/outbox/ when no SMTP server is configured.

- compose.py builds a message (plain text and HTML from one template, in the recipient's language);
- outbox.py queues, claims and records messages; transport.py hands them to SMTP or to files;
- links.py signs the links messages carry (reset, verification, unsubscribe);
- flows.py holds the account journeys (reset, verification, change of address, preferences);
- notify.py turns notifications into messages (immediately, or in the daily digest).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr

from app.config import Settings


@dataclass(frozen=True)
class MailConfig:
    base_url: str
    mail_from: str
    secret: str
    smtp_url: str | None = None
    retry_seconds: float = 60.0
    max_attempts: int = 10
    lease_seconds: float = 900.0
    poll_seconds: float = 2.0

    @classmethod
    def of(cls, settings: Settings) -> MailConfig:
        return cls(
            base_url=settings.base_url.rstrip("/"),
            mail_from=settings.mail_from,
            secret=settings.effective_secret_key,
            smtp_url=settings.smtp_url,
            retry_seconds=settings.mail_retry_seconds,
            max_attempts=settings.mail_max_attempts,
            lease_seconds=settings.mail_lease_seconds,
            poll_seconds=settings.mail_poll_seconds,
        )

    @property
    def sender_address(self) -> str:
        """The bare address of mail_from (the SMTP envelope's sender)."""
        return parseaddr(self.mail_from)[1] or self.mail_from

    @property
    def domain(self) -> str:
        """The domain of Message-IDs: the sender's."""
        address = self.sender_address
        try:
            return Address(addr_spec=address).domain or "localhost"
        except (ValueError, IndexError):
            return "localhost"

    def url(self, path: str) -> str:
        return self.base_url + path
