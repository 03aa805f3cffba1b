"""OpenID Connect against the newsroom's identity provider (issue 17), with Authlib as the client:
the authorization code flow with PKCE (S256), a state and a nonce, the provider found from its
discovery document (TRIBUNE_OIDC_ISSUER/.well-known/openid-configuration).

What a sign-in has to remember between leaving for the provider and coming back (state, nonce, PKCE
verifier, where to go next) travels in a short-lived signed cookie, so any process can finish it.
The person the id_token names becomes a linked account through services.sso.link_account.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.errors import DomainError
from app.i18n import _
from app.security import same, sign

PENDING_COOKIE = "tribune_oidc"
PENDING_SECONDS = 600
SCOPE = "openid email profile"
METADATA_SECONDS = 3600
TIMEOUT = 10


class ProviderError(DomainError):
    """The identity provider could not be reached or answered wrongly: not the reader's doing."""

    status_code = 502


class SignInRefused(DomainError):
    """A sign-in that comes back wrong (state, nonce, id_token): str(exc) says why."""

    status_code = 400


@dataclass(frozen=True)
class Pending:
    state: str
    nonce: str
    verifier: str
    next: str
    issued: float

    def seal(self, secret: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps(self.__dict__).encode()).decode()
        return f"{body}.{sign(secret, 'oidc-pending', body)}"

    @classmethod
    def unseal(cls, value: str | None, secret: str, *, now: float | None = None) -> Pending:
        body, _dot, signature = (value or "").partition(".")
        if not body or not same(signature, sign(secret, "oidc-pending", body)):
            raise SignInRefused(_("Connexion refusée : recommencez depuis le bouton de connexion."))
        pending = cls(**json.loads(base64.urlsafe_b64decode(body)))
        if (now or time.time()) - pending.issued > PENDING_SECONDS:
            raise SignInRefused(_("Connexion refusée : trop de temps a passé, recommencez."))
        return pending


@dataclass
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    _metadata: dict[str, Any] | None = None
    _fetched: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _session(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=TIMEOUT)
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(
                _("Le service de connexion du journal ne répond pas : réessayez plus tard.")
            ) from exc
        if not isinstance(found, dict):
            raise ProviderError(_("Le service de connexion du journal répond mal : réessayez plus tard."))
        return found

    def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        """The provider's discovery document (with its keys), kept an hour."""
        with self._lock:
            if refresh or self._metadata is None or time.monotonic() - self._fetched > METADATA_SECONDS:
                found = self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if found.get("issuer") != self.issuer:
                    # OpenID Connect Discovery §4.3: the document must name the issuer we asked.
                    raise ProviderError(
                        _("Le service de connexion du journal répond mal : réessayez plus tard.")
                    )
                found["jwks"] = self._get(str(found["jwks_uri"]))
                self._metadata, self._fetched = found, time.monotonic()
            return self._metadata

    def start(self, *, next: str) -> tuple[str, Pending]:
        """The provider's authorization address to send the browser to, and what to remember."""
        pending = Pending(generate_token(32), generate_token(32), generate_token(64), next, time.time())
        url, _state = self._session().create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.verifier,
        )
        return url, pending

    def finish(self, *, pending: Pending, state: str, code: str) -> dict[str, Any]:
        """The id_token's claims, once state, code (with the PKCE verifier), signature, issuer,
        audience, expiry and nonce have all been checked."""
        if not same(state, pending.state):
            raise SignInRefused(_("Connexion refusée : la réponse ne correspond pas à la demande (state)."))
        metadata = self.metadata()
        try:
            token = self._session().fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=pending.verifier, timeout=TIMEOUT
            )
        except OAuth2Error as exc:
            raise SignInRefused(
                _("Connexion refusée par le journal : {reason}").format(reason=exc.description or exc.error)
            ) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                _("Le service de connexion du journal ne répond pas : réessayez plus tard.")
            ) from exc
        if "id_token" not in token:
            raise SignInRefused(_("Connexion refusée : le journal n’a pas envoyé d’identité (id_token)."))
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        registry = JWSRegistry(algorithms=[a for a in algorithms if a != "none"])
        try:
            decoded = jwt.decode(
                token["id_token"], KeySet.import_key_set(metadata["jwks"]), registry=registry
            )
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"essential": True, "values": [self.issuer]}},
                {
                    "nonce": pending.nonce,
                    "client_id": self.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=60)
        except (JoseError, ValueError) as exc:
            raise SignInRefused(
                _(
                    "Connexion refusée : l’identité envoyée par le journal n’est pas valable ({reason})."
                ).format(reason=type(exc).__name__)
            ) from exc
        return dict(claims)
