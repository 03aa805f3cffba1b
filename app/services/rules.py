"""Tunable rules, built once from Settings and handed to services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Rules:
    edit_window: timedelta = timedelta(minutes=15)
    trust_threshold: int = 1
    report_threshold: int = 3
    page_size: int = 20
    # Levels drawn indented; deeper replies are shown flat, "en réponse à @nom".
    max_indent: int = 6
    # A page shows at most this many replies under each comment, oldest first.
    replies_per_comment: int = 5
    # Mail (issue 16): an author whose address is not verified is held for moderation.
    require_verified_email: bool = True


DEFAULT_RULES = Rules()
