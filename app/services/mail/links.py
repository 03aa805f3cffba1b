"""Signed links: a reset link, a verification link, an unsubscribe link. Nothing is stored: the
signature covers what makes the link valid, so it stops working when that changes (the reset link
signs the password hash, so using it once spends it; the verification link signs the address)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models import utcnow
from app.security import same, sign

RESET_VALIDITY = timedelta(hours=1)
VERIFY_VALIDITY = timedelta(days=7)


def _signature(secret: str, purpose: str, user_id: int, expires: int, state: str) -> str:
    return sign(secret, f"mail-{purpose}", f"{user_id}:{expires}:{state}")[:40]


def make_token(secret: str, purpose: str, *, user_id: int, state: str, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    return f"{user_id}.{expires}.{_signature(secret, purpose, user_id, expires, state)}"


def token_user(token: str) -> int | None:
    """The account a token names (before checking it against that account's state), or None."""
    user_id, _sep, _rest = token.partition(".")
    if not user_id.isdigit() or len(user_id) > 12 or len(token) > 80:
        return None
    return int(user_id)


def check_token(secret: str, purpose: str, token: str, *, state: str, now: datetime | None = None) -> bool:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token) > 80:
        return False
    user_id, expires = int(parts[0]), int(parts[1])
    if expires < (now or utcnow()).timestamp():
        return False
    return same(parts[2], _signature(secret, purpose, user_id, expires, state))


def reset_token(secret: str, *, user_id: int, password_hash: str, now: datetime | None = None) -> str:
    return make_token(
        secret, "reset", user_id=user_id, state=password_hash, expires_at=(now or utcnow()) + RESET_VALIDITY
    )


def verify_token(secret: str, *, user_id: int, email: str, now: datetime | None = None) -> str:
    return make_token(
        secret, "verify", user_id=user_id, state=email, expires_at=(now or utcnow()) + VERIFY_VALIDITY
    )


def unsubscribe_token(secret: str, *, user_id: int, kind: str) -> str:
    """No expiry: an unsubscribe link in an old message must still work (RFC 8058)."""
    return f"{user_id}.{kind}.{sign(secret, 'mail-unsubscribe', f'{user_id}:{kind}')[:40]}"


def check_unsubscribe(secret: str, token: str) -> tuple[int, str] | None:
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(token) > 80:
        return None
    user_id, kind = int(parts[0]), parts[1]
    if not same(parts[2], sign(secret, "mail-unsubscribe", f"{user_id}:{kind}")[:40]):
        return None
    return user_id, kind
