"""Input schemas shared by both front doors. Messages are French source strings for gettext."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from app.i18n import _
from app.models.base import Reason, ReplyKind, Stance
from app.text import MAX_ID, SPACES, STRIPPED, clean_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
# An address's characters: none that is a space, an @ or a control clean_text would remove.
_EMAIL_CHAR = f"[^@{SPACES}{STRIPPED}]"
EMAIL_RE = re.compile(f"^{_EMAIL_CHAR}{{1,64}}@{_EMAIL_CHAR}+\\.{_EMAIL_CHAR}+$")
MAX_BODY = 10_000
MIN_PASSWORD, MAX_PASSWORD = 8, 256
# What the OpenAPI document says of a comment's body: at most MAX_BODY characters, and at least one that
# shows (not only spaces or characters that clean_text removes). The length counts once cleaned.
BODY_SCHEMA = {"minLength": 1, "maxLength": MAX_BODY, "pattern": f"[^{SPACES}{STRIPPED}]"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _clean_body(value: str) -> str:
    value = clean_text(value).strip()
    if not value:
        raise ValueError(_("Le message est vide."))
    if len(value) > MAX_BODY:
        raise ValueError(_("Le message dépasse 10 000 caractères."))
    return value


# Characters that do not show, or change how the text around them shows: controls, format characters
# (bidi overrides and isolates, zero-width joiners) and line or paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


class UserCreate(Strict):
    # The schema says what is accepted (pattern, lengths); the validator says it in the reader's words.
    username: str = Field(
        max_length=200, json_schema_extra={"pattern": USERNAME_RE.pattern, "minLength": 3, "maxLength": 30}
    )
    email: str = Field(
        max_length=254, json_schema_extra={"pattern": f"^[{SPACES}]*{EMAIL_RE.pattern[1:-1]}[{SPACES}]*$"}
    )
    password: str = Field(
        max_length=1000, json_schema_extra={"minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}
    )

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        # Refused, never rewritten: "a\u202eb_c" stored as "ab_c" would be a name its author never chose.
        hidden = next((c for c in value if unicodedata.category(c) in INVISIBLE_CATEGORIES), None)
        if hidden is not None:
            raise ValueError(
                _("Caractère invisible ou de contrôle refusé dans le nom (U+{code}).").format(
                    code=f"{ord(hidden):04X}"
                )
            )
        if not USERNAME_RE.fullmatch(value):
            raise ValueError(_("De 3 à 30 caractères : lettres sans accent, chiffres ou _."))
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        # Checked as sent (less surrounding spaces), then normalised: what the schema's pattern says.
        value = value.strip()
        if not EMAIL_RE.fullmatch(value):
            raise ValueError(_("Adresse e-mail invalide."))
        return unicodedata.normalize("NFC", value).lower()

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
            raise ValueError(_("Le mot de passe doit compter de 8 à 256 caractères."))
        return value


class LoginRequest(Strict):
    username: str = Field(max_length=254)
    password: str = Field(max_length=1000)


def _stance(value: object) -> object:
    if value is None or value == "" or isinstance(value, Stance):
        return None if value == "" else value
    if not isinstance(value, str) or value not in {s.value for s in Stance}:  # {} or [] is not a stance
        raise ValueError(_("Position inconnue : choisissez for, against ou nuanced."))
    return value


def _reply_kind(value: object) -> object:
    if value is None or value == "" or isinstance(value, ReplyKind):
        return None if value == "" else value
    if not isinstance(value, str) or value not in {k.value for k in ReplyKind}:
        raise ValueError(
            _("Type de réponse inconnu : choisissez supports, rebuts, asks_source ou brings_source.")
        )
    return value


REPLY_KIND_SCHEMA: JsonDict = {
    "anyOf": [{"type": "string", "enum": [*(k.value for k in ReplyKind), ""]}, {"type": "null"}]
}


# A stance, or none: null, or the empty string a form's "no stance" option sends (see _stance).
STANCE_SCHEMA: JsonDict = {
    "anyOf": [{"type": "string", "enum": [*(s.value for s in Stance), ""]}, {"type": "null"}]
}


class StanceRequest(Strict):
    stance: Stance | None = Field(json_schema_extra=STANCE_SCHEMA)

    _check_stance = field_validator("stance", mode="before")(_stance)


# A top-level reaction takes a stance; a reply (parent_id) takes none (comments.posting says why).
TOP_LEVEL_OR_REPLY: JsonDict = {
    "anyOf": [
        {
            "properties": {"parent_id": {"type": "null"}, "stance": {"enum": [s.value for s in Stance]}},
            "required": ["stance"],
        },
        {
            "properties": {"parent_id": {"type": "integer"}, "stance": {"enum": [None, ""]}},
            "required": ["parent_id"],
        },
    ]
}


class CommentCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra=TOP_LEVEL_OR_REPLY)

    body: Annotated[str, Field(max_length=100_000, json_schema_extra=BODY_SCHEMA)]
    stance: Stance | None = Field(default=None, json_schema_extra=STANCE_SCHEMA)
    # An id: what is not one names no comment (a 422 on parent_id).
    parent_id: int | None = Field(default=None, json_schema_extra={"minimum": 1, "maximum": MAX_ID})
    # How a reply answers (issue 20): supports, rebuts, asks_source, brings_source, or none.
    reply_kind: ReplyKind | None = Field(default=None, json_schema_extra=REPLY_KIND_SCHEMA)

    _check_stance = field_validator("stance", mode="before")(_stance)
    _check_kind = field_validator("reply_kind", mode="before")(_reply_kind)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return _clean_body(value)


class CommentUpdate(Strict):
    body: Annotated[str, Field(max_length=100_000, json_schema_extra=BODY_SCHEMA)]

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return _clean_body(value)


class VoteRequest(Strict):
    value: int = Field(json_schema_extra={"enum": [-1, 0, 1]})

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: object) -> int:
        # Before pydantic's lax parsing, which took "1" and true for 1: the contract says an integer.
        if type(value) is not int or value not in (-1, 0, 1):
            raise ValueError(_("Le vote vaut -1, 0 ou 1."))
        return value


class ReportCreate(Strict):
    reason: Reason
    note: str | None = Field(default=None, max_length=1000)
