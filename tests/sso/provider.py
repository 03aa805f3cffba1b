"""A small OpenID provider for the tests, made of Authlib's server components (the authorization
server, the authorization-code grant with PKCE and OpenID Connect's id_token), served by the standard
library's HTTP server on a free port of 127.0.0.1 in a thread.

It has one signed-in person (`provider.person`, changed by the tests), grants every authorization
request at once (no consent page to click), and keeps its codes in memory.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, JsonRequest, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey

CLIENT_ID = "tribune"
CLIENT_SECRET = "secret-du-client-tribune"
SCOPES = ("openid", "email", "profile")


@dataclass
class Incoming:
    method: str
    uri: str
    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]


class Request(OAuth2Request):
    def __init__(self, incoming: Incoming) -> None:
        super().__init__(incoming.method, incoming.uri, headers=incoming.headers)
        self._incoming = incoming
        self.payload = BasicOAuth2Payload({**incoming.query, **incoming.form})

    @property
    def args(self) -> dict[str, str]:
        return self._incoming.query

    @property
    def form(self) -> dict[str, str]:
        return self._incoming.form


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    person: dict[str, Any]
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class Provider:
    """The running provider: its issuer URL, its person, what it has seen."""

    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    person: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # Tests that play a dishonest provider: what the next id_token says differently.
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(SCOPES),
        }


def _server_for(provider: Provider) -> AuthorizationServer:
    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, request: Request) -> None:
            data = request.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                person=dict(request.user),
                auth_time=int(time.time()),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found is not None and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
            return authorization_code.person

    class IdToken(OpenIDCode):  # type: ignore[misc]
        def exists_nonce(self, nonce: str, request: Request) -> bool:
            return any(code.nonce == nonce for code in provider.codes.values())

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return provider.key

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": "k1"}

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": provider.issuer, "aud": [client.client_id]}

        def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
            return UserInfo({**user, **provider.id_token_overrides})

    class Server(AuthorizationServer):  # type: ignore[misc]
        def query_client(self, client_id: str) -> Client | None:
            return provider.clients.get(client_id)

        def save_token(self, token: dict[str, Any], request: Request) -> None:
            pass

        def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
            pass

        def create_oauth2_request(self, request: Incoming | Request) -> Request:
            return request if isinstance(request, Request) else Request(request)

        def create_json_request(self, request: Incoming) -> JsonRequest:
            return JsonRequest(request.method, request.uri, request.headers)

        def handle_response(
            self, status: int, body: Any, headers: list[tuple[str, str]]
        ) -> tuple[int, Any, list[tuple[str, str]]]:
            return status, body, headers

    server = Server(scopes_supported=list(SCOPES))
    server.register_token_generator("default", BearerTokenGenerator(lambda *a, **k: generate_token(42)))
    server.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)])
    return server


def start_provider(redirect_uri: str) -> Provider:
    """The provider, answering on 127.0.0.1 (returned once its discovery document is served)."""
    # Authlib refuses plain HTTP unless told: the provider only ever listens on the loopback.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    provider = Provider()
    provider.clients[CLIENT_ID] = Client(CLIENT_ID, CLIENT_SECRET, [redirect_uri])
    authorization = _server_for(provider)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _incoming(self) -> Incoming:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            return Incoming(
                method=self.command,
                uri=f"{provider.issuer}{self.path}",
                headers=dict(self.headers.items()),
                query=dict(parse_qsl(parts.query)),
                form=dict(parse_qsl(body)),
            )

        def _answer(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            names = set()
            for name, value in headers or []:
                names.add(name.lower())
                self.send_header(name, value)
            if "content-type" not in names:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/.well-known/openid-configuration":
                self._answer(200, provider.discovery())
            elif path == "/jwks":
                self._answer(200, {"keys": [provider.key.as_dict(private=False)]})
            elif path == "/authorize":
                incoming = self._incoming()
                person = dict(provider.person)
                grant = authorization.get_consent_grant(request=incoming, end_user=person)
                self._answer(*authorization.create_authorization_response(incoming, person, grant))
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path == "/token":
                incoming = self._incoming()
                provider.token_requests.append(incoming.form)
                self._answer(*authorization.create_token_response(incoming))
            else:
                self._answer(404, {"error": "not_found"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.server = httpd
    provider.issuer = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _wait_until_served(f"{provider.issuer}/.well-known/openid-configuration")
    return provider


def _wait_until_served(url: str, timeout: float = 30.0) -> None:
    """The server's socket listens from its construction: this first request waits in the backlog
    until serve_forever answers it (no polling), or fails after the timeout."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def stop_provider(provider: Provider) -> None:
    if provider.server is not None:
        provider.server.shutdown()
        provider.server.server_close()
