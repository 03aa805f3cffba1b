"""The rules of a signed token (services/sso.py): what signs a reader in, and every token refused."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlmodel import Session, select

from app.errors import Conflict, PermissionDenied
from app.models import LinkedAccount, ModerationAction, Role, UsedToken, User, utcnow
from app.security import NO_PASSWORD, verify_password
from app.services import sso
from tests.factories import make_comment, make_user
from tests.sso.tokens import ISSUER, SECRET, claims, forged, hs256

HS = sso.TokenConfig.of(secret=SECRET, public_key=None, issuer=ISSUER)


def _pem(public_key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _refusal(session: Session, token: str, config: sso.TokenConfig = HS) -> str:
    with pytest.raises((sso.BadToken, PermissionDenied, Conflict)) as caught:
        sso.sign_in_with_token(session, token=token, config=config)
    return str(caught.value)


def test_a_valid_token_creates_a_linked_account_without_a_password(session: Session) -> None:
    user = sso.sign_in_with_token(session, token=hs256(display_name="Léa Martin"), config=HS)
    assert (user.username, user.email, user.role) == ("lea_martin", "lea@journal.test", Role.reader)
    assert user.password_hash == NO_PASSWORD
    assert verify_password(NO_PASSWORD, user.password_hash) == (False, None)
    assert user.email_verified
    link = session.exec(select(LinkedAccount).where(LinkedAccount.user_id == user.id)).one()
    assert (link.provider, link.subject, link.display_name) == ("token", "abonne-42", "Léa Martin")
    assert user.display_name == "Léa Martin"  # shown beside the reader's comments and on the profile


def test_a_later_token_updates_the_same_account(session: Session) -> None:
    first = sso.sign_in_with_token(session, token=hs256(), config=HS)
    again = sso.sign_in_with_token(
        session, token=hs256(email="lea.m@journal.test", username="Lea_M"), config=HS
    )
    assert again.id == first.id
    assert (again.username, again.email) == ("Lea_M", "lea.m@journal.test")
    assert session.exec(select(sa.func.count()).select_from(LinkedAccount)).one() == 1


def test_a_new_name_from_the_newsroom_refreshes_the_cached_debates_of_the_reader(session: Session) -> None:
    user = sso.sign_in_with_token(session, token=hs256(display_name="Léa Martin"), config=HS)
    article = make_comment(session, author=user).article
    session.commit()
    before = article.version
    sso.sign_in_with_token(session, token=hs256(display_name="Léa Martin"), config=HS)
    session.refresh(article)
    assert article.version == before  # nothing the pages show has changed
    sso.sign_in_with_token(session, token=hs256(display_name="Léa Martin-Roux"), config=HS)
    session.refresh(article)
    assert article.version == before + 1  # every cached rendering of the debate is stale (cache.py)


def test_an_rs256_token_is_checked_with_the_public_key(session: Session, rsa_key: rsa.RSAPrivateKey) -> None:
    config = sso.TokenConfig.of(secret=None, public_key=_pem(rsa_key.public_key()), issuer=ISSUER)
    user = sso.sign_in_with_token(
        session, token=jwt.encode(claims(), rsa_key, algorithm="RS256"), config=config
    )
    assert user.username == "lea_martin"


def test_an_eddsa_token_is_checked_with_the_public_key(session: Session) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    config = sso.TokenConfig.of(secret=None, public_key=_pem(key.public_key()), issuer=ISSUER)
    user = sso.sign_in_with_token(session, token=jwt.encode(claims(), key, algorithm="EdDSA"), config=config)
    assert user.username == "lea_martin"


def test_an_expired_token_is_refused(session: Session) -> None:
    payload = claims()
    payload["iat"], payload["exp"] = payload["iat"] - 900, payload["iat"] - 600
    assert "expiré" in _refusal(session, hs256(payload))


def test_a_token_valid_for_more_than_ten_minutes_is_refused(session: Session) -> None:
    payload = claims()
    payload["exp"] = payload["iat"] + 3600
    assert "plus de 10 minutes" in _refusal(session, hs256(payload))


def test_a_replayed_token_is_refused(session: Session) -> None:
    token = hs256()
    sso.sign_in_with_token(session, token=token, config=HS)
    assert "déjà servi" in _refusal(session, token)


def test_used_token_ids_are_forgotten_once_expired(session: Session) -> None:
    long_ago = utcnow() - timedelta(hours=1)
    session.add(UsedToken(jti="ancien", expires_at=long_ago))
    session.flush()
    sso.sign_in_with_token(session, token=hs256(), config=HS)
    assert session.get(UsedToken, "ancien") is None


def test_a_token_with_a_wrong_signature_is_refused(session: Session) -> None:
    assert "signature ne correspond pas" in _refusal(
        session, hs256(secret="un-autre-secret-0123456789abcdef-0123")
    )


def test_an_unsigned_token_is_refused(session: Session) -> None:
    assert "« none »" in _refusal(session, forged(claims(), alg="none"))


def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    session: Session, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = _pem(rsa_key.public_key())
    config = sso.TokenConfig.of(secret=None, public_key=pem, issuer=ISSUER)
    message = _refusal(session, forged(claims(), alg="HS256", key=pem.encode()), config)
    assert "algorithme HS256 n’est pas accepté" in message


def test_a_token_from_an_unknown_issuer_is_refused(session: Session) -> None:
    payload = claims()
    payload["iss"] = "https://ailleurs.example"
    assert "émetteur inconnu" in _refusal(session, hs256(payload))


def test_a_role_claim_is_refused_when_roles_are_not_trusted(session: Session) -> None:
    assert "rôle « moderator »" in _refusal(session, hs256(role="moderator"))


def test_a_role_claim_is_obeyed_when_roles_are_trusted(session: Session) -> None:
    config = sso.TokenConfig.of(secret=SECRET, public_key=None, issuer=ISSUER, trust_roles=True)
    user = sso.sign_in_with_token(session, token=hs256(role="moderator"), config=config)
    assert user.role == Role.moderator
    # Answered for in the audit log, as a role an admin gives.
    (entry,) = session.exec(select(ModerationAction).where(ModerationAction.target_id == user.id)).all()
    assert (entry.action, entry.note) == ("role_from_newsroom", "reader → moderator")


def test_a_reader_role_claim_does_not_undo_a_role_given_here(session: Session) -> None:
    user = sso.sign_in_with_token(session, token=hs256(), config=HS)
    user.role = Role.moderator
    again = sso.sign_in_with_token(session, token=hs256(role="reader"), config=HS)
    assert again.role == Role.moderator


def test_a_username_of_a_local_account_is_refused(session: Session) -> None:
    make_user(session, username="Lea_Martin")
    message = _refusal(session, hs256())
    assert "appartient déjà à un compte de ce site" in message
    assert session.exec(select(User).where(User.email == "lea@journal.test")).first() is None


def test_an_address_of_a_local_account_is_refused(session: Session) -> None:
    make_user(session, username="autre_nom", email="lea@journal.test")
    assert "L’adresse lea@journal.test appartient déjà" in _refusal(session, hs256())


def test_a_token_without_a_jti_is_refused(session: Session) -> None:
    payload = claims()
    del payload["jti"]
    assert "jti" in _refusal(session, hs256(payload))


def test_a_token_with_an_invalid_username_is_refused(session: Session) -> None:
    assert "De 3 à 30 caractères" in _refusal(session, hs256(username="léa martin"))


def test_tokens_are_refused_when_none_is_configured(session: Session) -> None:
    config = sso.TokenConfig.of(secret=None, public_key=None)
    assert "pas configurée" in _refusal(session, hs256(), config)


def test_a_token_meant_for_another_service_is_refused(session: Session) -> None:
    payload = claims()
    payload["aud"] = "https://abonnements.journal.test"
    assert "destiné à un autre service" in _refusal(session, hs256(payload))
