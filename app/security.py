"""Password hashing and tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from passlib.context import CryptContext

password_context = CryptContext(schemes=["argon2"], deprecated="auto")

# Verified against when the account does not exist, so an unknown name costs the same time.
_DUMMY_HASH = password_context.hash("tribune-timing-equaliser")
# The password hash of an account that signs in only through the newsroom (single sign-on): no
# password matches it.
NO_PASSWORD = "!sso"


def hash_password(password: str) -> str:
    return password_context.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Return (valid, new_hash); new_hash is set when the stored hash should be upgraded."""
    if password_hash is None or password_hash == NO_PASSWORD:
        password_context.verify(password, _DUMMY_HASH)
        return False, None
    valid, new_hash = password_context.verify_and_update(password, password_hash)
    return bool(valid), new_hash


def new_token() -> str:
    # 256 random bits.
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, purpose: str, value: str) -> str:
    return hmac.digest(secret.encode(), f"{purpose}:{value}".encode(), "sha256").hex()  # one C call


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)
