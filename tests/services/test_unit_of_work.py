"""services.sql.UnitOfWork, a request's one transaction, on the real database (SQLite or PostgreSQL):
it commits, rolls back, takes SQLite's write lock up front, raises the driver's errors as
SQLAlchemy's, and its ORM session, opened when asked for, works in that same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Article, AuthSession
from app.services import events
from app.services.accounts import start_session, touch_session
from app.services.events import BROKER_KEY, MemoryBroker
from app.services.sql import Prepared, UnitOfWork, persistent, work_scope
from tests.factories import make_article, make_user

NOTE = sa.table("tx_note", sa.column("id", sa.Integer), sa.column("text", sa.String))
_INSERT = Prepared(sa.insert(NOTE).values(id=sa.bindparam("id"), text=sa.bindparam("text")))
_COUNT = Prepared(sa.select(sa.func.count()).select_from(NOTE))
_MISSING = Prepared(sa.select(sa.literal_column("id")).select_from(sa.table("no_such_table")))


@pytest.fixture
def notes(committed: Engine) -> Iterator[Engine]:
    with committed.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS tx_note")
        conn.exec_driver_sql("CREATE TABLE tx_note (id INTEGER PRIMARY KEY, text VARCHAR(20) NOT NULL)")
    yield committed
    with committed.begin() as conn:
        conn.exec_driver_sql("DROP TABLE tx_note")


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM tx_note").scalar_one())


def test_a_committed_unit_of_work_is_seen_by_other_connections(notes: Engine) -> None:
    work = UnitOfWork(notes, write=True)
    _INSERT.run(work, {"id": 1, "text": "un"})
    assert _COUNT.scalar(work) == 1  # its own writes, before the commit
    assert _count(notes) == 0  # nobody else's yet
    work.finish(commit=True)
    assert _count(notes) == 1
    assert not work.begun


def test_a_rolled_back_unit_of_work_leaves_nothing(notes: Engine) -> None:
    work = UnitOfWork(notes, write=True)
    _INSERT.run(work, {"id": 1, "text": "un"})
    work.finish(commit=False)
    assert _count(notes) == 0


def test_a_unit_of_work_without_statements_never_takes_a_connection(notes: Engine) -> None:
    work = UnitOfWork(notes, write=True)
    assert not work.begun
    work.finish(commit=True)  # nothing to do
    assert not work.begun


def test_the_driver_errors_are_sqlalchemy_errors_and_the_connection_goes_back(notes: Engine) -> None:
    checked_out = notes.pool.checkedout()  # type: ignore[attr-defined]
    work = UnitOfWork(notes, write=True)
    with pytest.raises(
        sa.exc.OperationalError if notes.dialect.name == "sqlite" else sa.exc.ProgrammingError
    ):
        _MISSING.rows(work)
    work.finish(commit=False)
    work = UnitOfWork(notes, write=True)
    _INSERT.run(work, {"id": 1, "text": "un"})
    with pytest.raises(sa.exc.IntegrityError):  # the error handlers know these, not sqlite3's or psycopg's
        _INSERT.run(work, {"id": 1, "text": "deux"})
    work.finish(commit=False)
    assert notes.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    assert _count(notes) == 0


def _take_write_lock_at_once(engine: Engine) -> None:
    """BEGIN IMMEDIATE from another connection, without waiting: raises if a writer holds the lock."""
    other = engine.raw_connection()
    try:
        driver = other.driver_connection
        driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute("BEGIN IMMEDIATE")
            driver.execute("ROLLBACK")
        finally:
            driver.execute("PRAGMA busy_timeout=30000")
    finally:
        other.close()


def test_on_sqlite_a_writing_unit_of_work_holds_the_write_lock_from_its_first_statement(
    notes: Engine,
) -> None:
    if notes.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")  # PostgreSQL locks rows, not the database
    work = UnitOfWork(notes, write=True)
    assert _COUNT.scalar(work) == 0  # a read, but the transaction began as a writer (BEGIN IMMEDIATE)
    with pytest.raises(Exception, match="locked"):
        _take_write_lock_at_once(notes)
    work.finish(commit=True)
    _take_write_lock_at_once(notes)
    reader = UnitOfWork(notes, write=False)
    assert _COUNT.scalar(reader) == 0
    _take_write_lock_at_once(notes)  # a reading unit of work leaves the write lock free
    reader.finish(commit=True)


def test_services_run_on_a_unit_of_work_as_on_a_session(committed: Engine) -> None:
    with Session(committed) as session:
        user = make_user(session, username="work-reader")
        start_session(session, user=user, user_agent="test")
        session.commit()
        digest = session.execute(sa.select(AuthSession.id)).scalar_one()
    seen = datetime(2030, 1, 1, tzinfo=UTC)
    work = UnitOfWork(committed, write=True)
    touch_session(work, session_id=digest, now=seen)
    work.finish(commit=True)
    with Session(committed) as session:
        stored = session.get(AuthSession, digest)
        assert stored is not None
        assert stored.last_seen_at == seen


def test_a_lost_connection_leaves_the_pool_and_the_next_unit_of_work_works(notes: Engine) -> None:
    checked_out = notes.pool.checkedout()  # type: ignore[attr-defined]
    work = UnitOfWork(notes, write=True)
    assert _COUNT.scalar(work) == 0
    work.cursor().connection.close()  # the connection goes away under the transaction
    with pytest.raises(sa.exc.DBAPIError):  # SQLAlchemy's error (the handlers' 503), not the driver's
        _COUNT.scalar(work)
    with pytest.raises(sa.exc.OperationalError):
        work.finish(commit=True)  # nothing can be committed on it, and it says so
    assert notes.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    again = UnitOfWork(notes, write=True)
    _INSERT.run(again, {"id": 1, "text": "un"})
    again.finish(commit=True)
    assert _count(notes) == 1


def test_the_orm_session_joins_the_transaction_begun_by_statements(notes: Engine) -> None:
    work = UnitOfWork(notes, write=True)
    _INSERT.run(work, {"id": 1, "text": "un"})
    # The ORM sees the statement's row, in the same transaction, before anything is committed.
    assert work.orm.execute(sa.text("SELECT count(*) FROM tx_note")).scalar_one() == 1
    work.orm.execute(sa.text("INSERT INTO tx_note (id, text) VALUES (2, 'deux')"))
    assert _COUNT.scalar(work) == 2
    assert _count(notes) == 0
    work.finish(commit=True)
    assert _count(notes) == 2
    assert not work.begun


def test_statements_run_in_the_transaction_the_orm_session_began(notes: Engine) -> None:
    checked_out = notes.pool.checkedout()  # type: ignore[attr-defined]
    work = UnitOfWork(notes, write=True)
    user = make_user(work.orm, username="uow-first")  # added and flushed through the ORM
    assert Prepared(sa.select(sa.func.count()).select_from(sa.table("app_user")).where(
        sa.column("username") == "uow-first")).scalar(work) == 1  # fmt: skip
    _INSERT.run(work, {"id": 1, "text": "un"})
    work.finish(commit=False)  # one rollback undoes both
    assert _count(notes) == 0
    with Session(notes) as session:
        assert session.get(type(user), user.id) is None
    assert notes.pool.checkedout() == checked_out  # type: ignore[attr-defined]


def test_events_go_out_once_after_the_commit_and_never_after_a_rollback(notes: Engine) -> None:
    broker = MemoryBroker()
    for work in work_scope(notes, write=True, info={BROKER_KEY: broker}):
        _INSERT.run(work, {"id": 1, "text": "un"})
        events.emit(work.orm, "article:1", "comment", {"id": 1})  # through the ORM session: same queue
        events.emit(work, "article:1", "tally", {"for": 1})
        assert len(broker._after("article:1", 0)) == 0  # nothing before the commit
    assert len(broker._after("article:1", 0)) == 2

    def refused() -> None:
        for work in work_scope(notes, write=True, info={BROKER_KEY: broker}):
            events.emit(work, "article:1", "comment", {"id": 2})
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused()
    assert len(broker._after("article:1", 0)) == 2


# persistent(): the ORM object of a row a prepared statement read or wrote -------------------------


def test_an_object_made_from_a_row_is_persistent_clean_and_flushes_its_changes(session: Session) -> None:
    article = make_article(session, title="Avant")
    session.commit()
    session.expunge_all()
    row = session.execute(sa.select(*Article.__table__.columns).where(Article.id == article.id)).one()  # type: ignore[attr-defined]
    made = persistent(session, Article, row._asdict())
    assert made in session
    assert sa.inspect(made).persistent
    assert not session.new
    assert not session.dirty
    assert made.title == "Avant"
    assert made.slug == article.slug
    made.title = "Après"
    session.flush()
    stored = session.execute(sa.select(Article.title).where(Article.id == article.id)).scalar_one()
    assert stored == "Après"


def test_columns_left_out_of_the_row_load_on_first_use(session: Session) -> None:
    article = make_article(session, body_markdown="Le **texte**.")
    session.commit()
    session.expunge_all()
    made = persistent(session, Article, {"id": article.id, "slug": article.slug})
    assert "body_markdown" in sa.inspect(made).unloaded
    assert made.body_markdown == "Le **texte**."


def test_a_copy_the_session_already_holds_wins_as_with_a_query(session: Session) -> None:
    article = make_article(session, title="En mémoire")
    session.flush()
    made = persistent(session, Article, {"id": article.id, "slug": article.slug, "title": "Périmé"})
    assert made is article
    assert made.title == "En mémoire"
