"""Expected failures a person can act on. Services raise these, never HTTPException."""

from __future__ import annotations


class DomainError(Exception):
    """str(exc) is shown to the person who made the request. `fields` maps a field's name to the
    sentence to show beside it (API.md: `"fields": {"<name>": "<message>"}`); `field=` names the one
    field the message is about."""

    status_code = 400

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.fields = fields or ({field: message} if field else {})


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class Invalid(DomainError):
    """Input that was understood but breaks a rule; `fields` names where."""

    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# Seconds a client is told to wait (Retry-After) when the database is unavailable or the server full.
RETRY_AFTER_UNAVAILABLE = 5

ERROR_KINDS: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}
