"""Screening a body before it is stored: word rules (block or hold) and pre-moderation."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import Invalid
from app.i18n import _
from app.models import Article, Role, WordEffect, WordRule
from app.services.accounts import Principal
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import Prepared


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Idiot", "IDIOT" and "ïdiot" all fold to "idiot"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=4096)
def _pattern(phrase_key: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase_key.split()]
    # Whole words only: a rule for "idiot" does not match "idiotie".
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


WORD_RULE = WordRule.__table__  # type: ignore[attr-defined]
_RULES = Prepared(sa.select(WORD_RULE.c.phrase, WORD_RULE.c.phrase_key, WORD_RULE.c.effect))


@dataclass
class WordMatch:
    effect: WordEffect
    phrase: str


def match_words(session: Session, body: str) -> WordMatch | None:
    """The strongest rule the body matches: a block wins over a hold."""
    # Every post runs this: the rules are read as plain rows, their patterns compiled once per process.
    rules = _RULES.rows(session)
    if not rules:
        return None
    folded = fold(body)
    held: WordMatch | None = None
    for rule in rules:
        if _pattern(rule.phrase_key).search(folded):
            if rule.effect == WordEffect.block:
                return WordMatch(WordEffect.block, rule.phrase)
            held = held or WordMatch(WordEffect.hold, rule.phrase)
    return held


def screen(
    session: Session, *, author: Principal, article: Article, body: str, rules: Rules = DEFAULT_RULES
) -> bool:
    """Refuse a blocked body; return True when the comment must wait for a moderator."""
    found = match_words(session, body)
    if found and found.effect == WordEffect.block:
        raise blocked(found.phrase)
    if author.role.at_least(Role.moderator):
        return False
    return article.premoderation or author.approved_count < rules.trust_threshold or found is not None


def blocked(phrase: str) -> Invalid:
    return Invalid(
        _("Votre message contient une expression refusée sur ce site (« {phrase} »). Reformulez-le.").format(
            phrase=phrase
        ),
        fields={"body": "blocked_word"},
    )
