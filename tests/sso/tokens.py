"""The newsroom's side of single sign-on, for the tests: signing tokens as its pages would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import jwt

SECRET = "le-secret-partage-avec-le-journal-0123456789"
ISSUER = "https://www.journal.test"


def claims(**user: Any) -> dict[str, Any]:
    now = int(time.time())
    person = {"id": "abonne-42", "email": "lea@journal.test", "username": "lea_martin", **user}
    return {
        "iss": ISSUER,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(16),
        "user": {k: v for k, v in person.items() if v is not None},
    }


def hs256(payload: dict[str, Any] | None = None, *, secret: str = SECRET, **user: Any) -> str:
    return jwt.encode(payload or claims(**user), secret, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(payload: dict[str, Any], *, alg: str, key: bytes = b"") -> str:
    """A token made by hand, as an attacker would: alg "none", or HS256 keyed with the public key's
    PEM text (the HS/RS confusion), which PyJWT itself refuses to produce."""
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload).encode())
    signing = f"{head}.{body}".encode()
    signature = _b64(hmac.new(key, signing, hashlib.sha256).digest()) if alg.startswith("HS") else ""
    return f"{head}.{body}.{signature}"
