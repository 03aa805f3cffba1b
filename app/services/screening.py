"""Screening a body before it is stored: word rules (block or hold) and pre-moderation."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import Invalid
from app.i18n import _
from app.models import Article, Role, WordEffect, WordRule
from app.services import wordmatch
from app.services.accounts import Principal
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import Prepared


def fold(text: str) -> str:
    """The form a phrase is stored and matched in: "Idiot", "IDIOT" and "ïdiot" all give "idiot"."""
    return wordmatch.normalise(text)


WORD_RULE = WordRule.__table__  # type: ignore[attr-defined]
_RULES = Prepared(sa.select(WORD_RULE.c.phrase, WORD_RULE.c.phrase_key, WORD_RULE.c.effect))


@dataclass
class WordMatch:
    effect: WordEffect
    phrase: str


def match_words(session: Session, body: str) -> WordMatch | None:
    """The strongest rule the body matches: a block wins over a hold."""
    # Every post runs this: the rules are read as plain rows; their words, indexed by first word, are
    # kept per process for this list of phrases, so the body is read (normalised, cut into words,
    # letters spread apart rejoined) once whatever the number of rules.
    rules = _RULES.rows(session)
    if not rules:
        return None
    found = wordmatch.index(tuple(rule.phrase for rule in rules)).matches(wordmatch.read(body))
    held: WordMatch | None = None
    for number in sorted(found):
        rule = rules[number]
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
    return (
        article.premoderation
        or author.approved_count < rules.trust_threshold
        or found is not None
        or (rules.require_verified_email and not author.email_verified)
    )


def blocked(phrase: str) -> Invalid:
    message = _(
        "Votre message contient une expression refusée sur ce site (« {phrase} »). Reformulez-le."
    ).format(phrase=phrase)
    return Invalid(message, field="body")
