from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from passlib.context import CryptContext
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import writer
from app.errors import Conflict, PermissionDenied, Unauthorized
from app.models import AuthSession, User, UserStatus, utcnow
from app.models.schemas import UserCreate
from app.security import token_digest
from app.services import accounts
from tests.factories import PASSWORD, make_user


def new_user(
    username: str = "Alice", email: str = "alice@example.org", password: str = "s3cret-pass"
) -> UserCreate:
    return UserCreate(username=username, email=email, password=password)


def test_username_is_unique_without_regard_to_case(session: Session) -> None:
    accounts.register(session, data=new_user("Alice"))
    with pytest.raises(Conflict) as exc:
        accounts.register(session, data=new_user("ALICE", email="other@example.org"))
    assert "username" in exc.value.fields


def test_email_is_unique(session: Session) -> None:
    accounts.register(session, data=new_user("alice", email="Same@Example.org"))
    with pytest.raises(Conflict) as exc:
        accounts.register(session, data=new_user("bob", email="same@example.org"))
    assert "email" in exc.value.fields


@pytest.mark.parametrize("password", ["x" * 7, "x" * 257, ""])
def test_password_length_is_checked_before_hashing(password: str) -> None:
    with pytest.raises(ValidationError, match="8 à 256"):
        new_user(password=password)


@pytest.mark.parametrize("password", ["x" * 8, "x" * 256])
def test_password_of_8_to_256_characters_is_accepted(password: str) -> None:
    assert new_user(password=password).password == password


@pytest.mark.parametrize("username", ["ab", "a" * 31, "élodie", "bad name", "x<script>"])
def test_malformed_usernames_are_refused(username: str) -> None:
    with pytest.raises(ValidationError):
        new_user(username=username)


def test_password_is_stored_as_an_argon2_hash(session: Session) -> None:
    user = accounts.register(session, data=new_user(password="s3cret-pass"))
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in user.password_hash


def test_unknown_user_and_wrong_password_get_the_same_answer(session: Session) -> None:
    make_user(session, username="carol")
    with pytest.raises(Unauthorized) as wrong:
        accounts.authenticate(session, login="carol", password="not the password")
    with pytest.raises(Unauthorized) as unknown:
        accounts.authenticate(session, login="nobody", password="not the password")
    assert str(wrong.value) == str(unknown.value)


def test_login_accepts_any_case_and_the_email(session: Session) -> None:
    user = make_user(session, username="Dora")
    assert accounts.authenticate(session, login="dora", password=PASSWORD).id == user.id
    assert accounts.authenticate(session, login="DORA@example.org", password=PASSWORD).id == user.id


def test_login_rehashes_a_hash_that_needs_update(session: Session) -> None:
    weak = CryptContext(schemes=["argon2"], argon2__memory_cost=1024, argon2__rounds=1)
    user = make_user(session, password_hash=weak.hash(PASSWORD))
    old_hash = user.password_hash
    accounts.authenticate(session, login=user.username, password=PASSWORD)
    assert user.password_hash != old_hash
    assert accounts.authenticate(session, login=user.username, password=PASSWORD).id == user.id


def test_banned_reader_cannot_log_in_and_is_told_why(session: Session) -> None:
    user = make_user(session, status=UserStatus.banned, status_reason="spam répété")
    with pytest.raises(PermissionDenied, match="spam répété"):
        accounts.authenticate(session, login=user.username, password=PASSWORD)


def test_session_resolves_until_logout(session: Session) -> None:
    user = make_user(session)
    token = accounts.start_session(session, user=user)
    policy = accounts.SessionPolicy()
    resolved = accounts.resolve_identity(session, token=token, policy=policy)
    assert resolved is not None
    assert resolved.id == user.id
    accounts.end_session(session, token=token)
    assert accounts.resolve_identity(session, token=token, policy=policy) is None


def test_session_expires_when_idle_and_at_its_absolute_limit(session: Session) -> None:
    user = make_user(session)
    token = accounts.start_session(session, user=user)
    policy = accounts.SessionPolicy(idle=timedelta(days=7), absolute=timedelta(days=30))
    now = utcnow()
    assert (
        accounts.resolve_identity(session, token=token, policy=policy, now=now + timedelta(days=6))
        is not None
    )
    assert accounts.resolve_identity(session, token=token, policy=policy, now=now + timedelta(days=8)) is None
    resolved = accounts.resolve_identity(session, token=token, policy=policy)
    assert resolved is not None
    auth = session.get(AuthSession, resolved.session_id)
    assert auth is not None
    auth.last_seen_at = now + timedelta(days=29)
    session.flush()
    assert (
        accounts.resolve_identity(session, token=token, policy=policy, now=now + timedelta(days=31)) is None
    )


def test_session_token_is_not_stored_in_clear(session: Session) -> None:
    user = make_user(session)
    token = accounts.start_session(session, user=user)
    from sqlmodel import select

    from app.models import AuthSession

    ids = session.exec(select(AuthSession.id).where(AuthSession.user_id == user.id)).all()
    assert token not in ids
    assert len(ids) == 1


def test_suspended_reader_cannot_write_until_the_suspension_ends(session: Session) -> None:
    user = make_user(
        session,
        status=UserStatus.suspended,
        suspended_until=utcnow() + timedelta(hours=1),
        status_reason="insultes",
    )
    with pytest.raises(PermissionDenied, match="suspendu"):
        accounts.ensure_can_write(user)
    later = utcnow() + timedelta(hours=2)
    accounts.ensure_can_write(user, now=later)
    assert accounts.standing(user, now=later) == (UserStatus.active, None)
    accounts.refresh_status(user, now=later)  # stored when the account is next loaded
    assert user.status == UserStatus.active


def test_touching_a_session_gives_up_at_once_when_another_writer_holds_sqlite(committed: Engine) -> None:
    """A page read touches its session in a transaction of its own; on SQLite it must not wait for
    the write lock (the statement may run in the event loop), on PostgreSQL nothing is in its way."""
    with Session(committed) as session:
        user = make_user(session)
        token = accounts.start_session(session, user=user)
        other = make_user(session)
        session.commit()
        digest, other_id = token_digest(token), other.id
        before = session.get(AuthSession, digest).last_seen_at  # type: ignore[union-attr]
    with writer(committed).connect() as holder:
        # Another request in the middle of a write (BEGIN IMMEDIATE on SQLite), on an unrelated row.
        holder.execute(sa.update(User.__table__).where(User.__table__.c.id == other_id).values(locale="en"))
        started = time.monotonic()
        accounts.touch_session_if_free(committed, session_id=digest)
        assert time.monotonic() - started < 2
        holder.rollback()
    with Session(committed) as session:
        after = session.get(AuthSession, digest).last_seen_at  # type: ignore[union-attr]
    if committed.dialect.name == "sqlite":
        assert after == before  # busy: left for the next visit
    else:
        assert after > before
    accounts.touch_session_if_free(committed, session_id=digest)  # the lock is free now
    with Session(committed) as session:
        assert session.get(AuthSession, digest).last_seen_at > before  # type: ignore[union-attr]
