"""The word list: phrases that block a comment or hold it for a moderator (screening applies them)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import WordEffect, WordRule
from app.services import audit, wordmatch
from app.services.accounts import Principal
from app.services.screening import fold
from app.text import MAX_ID


def list_words(session: Session) -> list[WordRule]:
    return list(session.exec(select(WordRule).order_by(col(WordRule.phrase_key))).all())


def add_word(session: Session, *, actor: Principal, phrase: str, effect: WordEffect) -> WordRule:
    phrase = " ".join(phrase.split())
    if not phrase or len(phrase) > 200:
        raise Invalid(_("L’expression doit compter de 1 à 200 caractères."), field="phrase")
    if not wordmatch.phrase_forms(phrase):
        # Only invisible characters or punctuation: a rule that could never match anything.
        raise Invalid(_("L’expression doit contenir au moins une lettre ou un chiffre."), field="phrase")
    key = fold(phrase)
    if session.exec(select(WordRule.id).where(WordRule.phrase_key == key)).first() is not None:
        raise Conflict(_("Cette expression est déjà dans la liste."), field="phrase")
    rule = WordRule(phrase=phrase, phrase_key=key, effect=effect, created_by_id=actor.id)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="word_add",
        target_type="word",
        target_id=rule.id,
        target_label=phrase,
        note=effect.value,
    )
    return rule


def remove_word(session: Session, *, actor: Principal, rule_id: int) -> None:
    rule = session.get(WordRule, rule_id) if 0 < rule_id <= MAX_ID else None
    if rule is None:
        raise NotFound(_("Règle introuvable."))
    audit.record(
        session,
        actor=actor,
        action="word_remove",
        target_type="word",
        target_id=rule.id,
        target_label=rule.phrase,
        note=rule.effect.value,
    )
    session.delete(rule)
    session.flush()
