"""Input schemas shared by both front doors. Messages are French source strings for gettext."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.i18n import _
from app.models.base import Reason, Stance
from app.text import clean_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_BODY = 10_000
MIN_PASSWORD, MAX_PASSWORD = 8, 256


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _clean_body(value: str) -> str:
    value = clean_text(value).strip()
    if not value:
        raise ValueError(_("Le message est vide."))
    if len(value) > MAX_BODY:
        raise ValueError(_("Le message dépasse 10 000 caractères."))
    return value


class UserCreate(Strict):
    username: str = Field(max_length=200)
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = unicodedata.normalize("NFC", clean_text(value)).strip()
        if not USERNAME_RE.fullmatch(value):
            raise ValueError(_("De 3 à 30 caractères : lettres sans accent, chiffres ou _."))
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = clean_text(value).strip().lower()
        if not EMAIL_RE.fullmatch(value) or len(value) > 254:
            raise ValueError(_("Adresse e-mail invalide."))
        return value

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


class StanceRequest(Strict):
    stance: Stance | None

    _check_stance = field_validator("stance", mode="before")(_stance)


class CommentCreate(Strict):
    body: Annotated[str, Field(max_length=100_000)]
    stance: Stance | None = None
    parent_id: int | None = None

    _check_stance = field_validator("stance", mode="before")(_stance)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return _clean_body(value)


class CommentUpdate(Strict):
    body: Annotated[str, Field(max_length=100_000)]

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return _clean_body(value)


class VoteRequest(Strict):
    value: int

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
