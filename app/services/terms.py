"""The site's published rules (`/terms`): versioned, numbered, edited by administrators. Decisions cite
a rule by its number in the version in force, or a law."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.errors import Invalid
from app.i18n import _
from app.models import Reason, TermsVersion
from app.services import audit
from app.services.accounts import Principal

# The rule a decision cites when its moderator names none: the first version's rules are written in
# the order of the reasons (a suspension or a ban cites the last rule, on repeated breaches).
REASON_RULE = {reason: number for number, reason in enumerate(Reason, start=1)}
SANCTION_RULE = len(Reason) + 1
MAX_RULES = 100
# Version 1, as the migration publishes it (kept here for a database whose rows were emptied).
FIRST_RULES = [
    "Pas de spam ni de publicité : pas de messages répétés, de liens promotionnels ou commerciaux.",
    "Pas de harcèlement : on discute des idées, on n’attaque pas les personnes.",
    "Pas de propos haineux ou discriminatoires envers une personne ou un groupe.",
    "Restez dans le sujet du débat de l’article.",
    "Pas de fausse information présentée comme un fait avéré.",
    "Ne publiez pas de données personnelles sur autrui (adresse, téléphone, identité cachée…).",
    "Rien d’illégal : diffamation, injure, apologie du terrorisme, atteinte au droit d’auteur…",
    "La modération peut retirer un message qui nuit au débat pour une autre raison, qu’elle motive.",
    "Un compte qui enfreint ces règles de façon répétée ou grave peut être suspendu ou banni.",
]
FIRST_INTRO = (
    "Ces règles s’appliquent à toutes les réactions publiées sur Tribune. Chaque décision de modération "
    "cite la règle (par son numéro) ou la loi sur laquelle elle se fonde, et peut être contestée pendant "
    "six mois."
)


def current(session: Session) -> TermsVersion | None:
    return session.exec(select(TermsVersion).order_by(col(TermsVersion.version).desc()).limit(1)).first()


def in_force(session: Session) -> TermsVersion:
    """The version in force; the first one is published if none is (a decision must cite a version)."""
    found = current(session)
    if found is None:
        found = TermsVersion(version=1, intro=FIRST_INTRO, rules="\n".join(FIRST_RULES))
        session.add(found)
        session.flush()
    return found


def get_version(session: Session, version: int) -> TermsVersion | None:
    return session.exec(select(TermsVersion).where(TermsVersion.version == version)).first()


def list_versions(session: Session) -> list[TermsVersion]:
    return list(session.exec(select(TermsVersion).order_by(col(TermsVersion.version).desc())).all())


def publish(session: Session, *, actor: Principal, intro: str, rules: str) -> TermsVersion:
    """A new version; earlier ones stay, so a statement still shows the rule it cited."""
    lines = [" ".join(line.split()) for line in rules.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise Invalid(_("Écrivez au moins une règle (une par ligne)."), field="rules")
    if len(lines) > MAX_RULES or any(len(line) > 1000 for line in lines):
        raise Invalid(_("Au plus 100 règles de 1 000 caractères chacune."), field="rules")
    last = session.exec(select(func.max(TermsVersion.version))).one()
    terms = TermsVersion(
        version=(last or 0) + 1, intro=intro.strip()[:5000], rules="\n".join(lines), created_by_id=actor.id
    )
    session.add(terms)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="terms_update",
        target_type="terms",
        target_id=terms.version,
        target_label=f"v{terms.version}",
    )
    return terms
