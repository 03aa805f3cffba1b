"""Moderation, one module per topic: the word list (words), a reader's report (reports), the queues
(queues), a moderator's decision (decisions), sanctions on a reader (sanctions) and the audit log
(log). Callers keep writing `moderation.report(...)`; the names are re-exported here. The reader's
words for moderation codes live in app/web/labels.py."""

from __future__ import annotations

from app.models import Reason
from app.services.moderation.decisions import approve, decide, decide_many, reject
from app.services.moderation.log import list_log, user_record
from app.services.moderation.queues import (
    AuthorRecord,
    Card,
    Queue,
    QueuePage,
    list_queue,
    parse_cursor,
    parse_queue,
    queue_counts,
)
from app.services.moderation.queues import _queue_filter as _queue_filter  # bench/queue_cost.py
from app.services.moderation.reports import has_reported, report
from app.services.moderation.sanctions import SUSPENSIONS, sanction
from app.services.moderation.words import add_word, list_words, remove_word

__all__ = [
    "SUSPENSIONS",
    "AuthorRecord",
    "Card",
    "Queue",
    "QueuePage",
    "Reason",
    "add_word",
    "approve",
    "decide",
    "decide_many",
    "list_log",
    "list_queue",
    "list_words",
    "parse_cursor",
    "parse_queue",
    "queue_counts",
    "reject",
    "remove_word",
    "has_reported",
    "report",
    "sanction",
    "user_record",
]
