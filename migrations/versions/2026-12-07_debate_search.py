"""Search the debate (issue 20): a full-text index of every comment's text, kept by the database itself.

Triggers on `comment` keep the index in the same transaction as every write that changes a body (post,
edit, soft delete) and drop a row's entry when the row goes (delete, an article's cascade), whatever
path made the change: a service, a CLI command, the bench's bulk seed. Statuses are not indexed: the
search joins `comment` and asks its status there, so a moderation decision has nothing to re-index.

SQLite: an FTS5 external-content table (the text stays in `comment`) with the `porter` stemmer over
`unicode61 remove_diacritics 2` (case and accents folded, "débats" finds "debat"). Porter is an English
stemmer; on French it still strips the plural -s, the final -e, -er, -ment and -ion the same way on both
sides of a match, which covers what readers type. Stemming in Python (snowballstemmer) would need a
function registered on every connection, and a trigger calling it would make any other client of the
file (the sqlite3 shell, a backup script) fail to write a comment.

PostgreSQL: `comment_search` holds each comment's tsvector under a GIN index: the `french` stems of the
text without its accents (`unaccent`) and with them (the French stemmer reads "protégées" as proteg,
but "protegees" as protege), and the `english` stems. A query is matched the same three ways, so
"protege", "protège" and "protégées" all find each other.

Revision ID: 0010_search
Revises: 0009_dsa
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_search"
down_revision: str | None = "0009_dsa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE comment_fts USING fts5(
        body_markdown, content='comment', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER comment_fts_insert AFTER INSERT ON comment BEGIN
        INSERT INTO comment_fts(rowid, body_markdown) VALUES (new.id, new.body_markdown);
    END""",
    """CREATE TRIGGER comment_fts_delete AFTER DELETE ON comment BEGIN
        INSERT INTO comment_fts(comment_fts, rowid, body_markdown)
            VALUES ('delete', old.id, old.body_markdown);
    END""",
    """CREATE TRIGGER comment_fts_update AFTER UPDATE OF body_markdown ON comment
    WHEN old.body_markdown IS NOT new.body_markdown BEGIN
        INSERT INTO comment_fts(comment_fts, rowid, body_markdown)
            VALUES ('delete', old.id, old.body_markdown);
        INSERT INTO comment_fts(rowid, body_markdown) VALUES (new.id, new.body_markdown);
    END""",
    "INSERT INTO comment_fts(comment_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS comment_fts_update",
    "DROP TRIGGER IF EXISTS comment_fts_delete",
    "DROP TRIGGER IF EXISTS comment_fts_insert",
    "DROP TABLE IF EXISTS comment_fts",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (it reads its dictionary); naming the dictionary makes the call safe to
    # declare IMMUTABLE, which the document function needs to be used by both the trigger and queries.
    """CREATE FUNCTION tribune_search_document(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT to_tsvector('french'::regconfig, public.unaccent('public.unaccent'::regdictionary, body))
            || to_tsvector('french'::regconfig, body)
            || to_tsvector('english'::regconfig, public.unaccent('public.unaccent'::regdictionary, body))
    $$""",
    """CREATE FUNCTION tribune_search_query(words text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT plainto_tsquery('french'::regconfig, public.unaccent('public.unaccent'::regdictionary, words))
            || plainto_tsquery('french'::regconfig, words)
            || plainto_tsquery('english'::regconfig, public.unaccent('public.unaccent'::regdictionary, words))
    $$""",
    """CREATE TABLE comment_search (
        comment_id integer NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT pk_comment_search PRIMARY KEY (comment_id),
        CONSTRAINT fk_comment_search_comment_id_comment
            FOREIGN KEY (comment_id) REFERENCES comment (id) ON DELETE CASCADE
    )""",
    "CREATE INDEX ix_comment_search_document ON comment_search USING gin (document)",
    """CREATE FUNCTION tribune_comment_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO comment_search (comment_id, document)
        VALUES (NEW.id, tribune_search_document(NEW.body_markdown))
        ON CONFLICT (comment_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER comment_search_insert AFTER INSERT ON comment
        FOR EACH ROW EXECUTE FUNCTION tribune_comment_search_sync()""",
    """CREATE TRIGGER comment_search_update AFTER UPDATE OF body_markdown ON comment
        FOR EACH ROW WHEN (OLD.body_markdown IS DISTINCT FROM NEW.body_markdown)
        EXECUTE FUNCTION tribune_comment_search_sync()""",
    """INSERT INTO comment_search (comment_id, document)
        SELECT id, tribune_search_document(body_markdown) FROM comment""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS comment_search_update ON comment",
    "DROP TRIGGER IF EXISTS comment_search_insert ON comment",
    "DROP FUNCTION IF EXISTS tribune_comment_search_sync()",
    "DROP TABLE IF EXISTS comment_search",
    "DROP FUNCTION IF EXISTS tribune_search_query(text)",
    "DROP FUNCTION IF EXISTS tribune_search_document(text)",
    # The extension stays: another schema object may use it, and it holds no data of ours.
]


def upgrade() -> None:
    statements = SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
