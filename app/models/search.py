"""The full-text index of the debate lives beside the models, made and kept by the database itself
(migration 0010_search: an FTS5 table on SQLite, `comment_search` on PostgreSQL, both filled by
triggers). Alembic's comparison of models and schema leaves these tables out."""

from __future__ import annotations

from collections.abc import Mapping

# The FTS5 table and its shadow tables (comment_fts_data, _idx, _docsize, _config), or PostgreSQL's.
SEARCH_TABLES = ("comment_fts", "comment_search")


def include_name(name: str | None, type_: str, _parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's include_name: every object except the search index's tables."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))
