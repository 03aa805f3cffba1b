"""Reactions and replies, one module per topic: posting, editing (and deleting), reading the debate
as trees, and the counters they move. Everything callers use is named here, so `comments.X` and
`from app.services.comments import X` do not depend on which module holds X."""

from __future__ import annotations

# The errors these services raise, as callers name them (comments.NotFound, comments.PermissionDenied).
from app.errors import NotFound, PermissionDenied
from app.services.comments.counters import bump_version, count_removal
from app.services.comments.editing import can_edit, delete_comment, edit_comment, ensure_can_delete, may_edit
from app.services.comments.posting import announce, initial_status, post_comment, publish, stance_refusal
from app.services.comments.reading import (
    Branch,
    Node,
    Page,
    Sort,
    branch,
    encode_cursor,
    get_comment,
    latest_published,
    list_top_level,
    nodes_for,
    own_body,
    parse_sort,
    thread,
)

__all__ = [
    "Branch",
    "Node",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Sort",
    "announce",
    "branch",
    "bump_version",
    "can_edit",
    "may_edit",
    "count_removal",
    "delete_comment",
    "edit_comment",
    "encode_cursor",
    "ensure_can_delete",
    "get_comment",
    "initial_status",
    "latest_published",
    "list_top_level",
    "nodes_for",
    "own_body",
    "parse_sort",
    "post_comment",
    "publish",
    "stance_refusal",
    "thread",
]
