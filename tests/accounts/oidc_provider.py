"""A small but real OpenID Connect provider for the single sign-on tests: a thread serving
HTTP on 127.0.0.1 with discovery, authorization (code flow with PKCE), token (RS256-signed
id_token with a key made here), JWKS and userinfo endpoints. The app under test talks to it
over real HTTP; the test plays the browser between the two."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "qa-program"
CLIENT_SECRET = "s3cret-for-tests"


class OIDCProvider:
    """One IdP with one registered client; start several for several companies."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.person: dict = {}  # who signs in at the IdP next: {"sub", "email", ...}
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def claims(self) -> dict:
        return {"sub": self.person["sub"], "email": self.person["email"],
                "email_verified": self.person.get("email_verified", True),
                "name": self.person.get("name", "")}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=None, headers=()):
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._send(200, provider.discovery())
                if url.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    jwk.update(kid=provider.kid, use="sig", alg="RS256")
                    return self._send(200, {"keys": [jwk]})
                if url.path == "/authorize":
                    if (query.get("client_id") != provider.client_id
                            or query.get("response_type") != "code"
                            or "openid" not in query.get("scope", "").split()):
                        return self._send(400, {"error": "invalid_request"})
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {**query, "person": dict(provider.person)}
                    back = urlencode({"code": code, "state": query.get("state", "")})
                    return self._send(302, headers=[("Location",
                                                      f"{query['redirect_uri']}?{back}")])
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.tokens:
                        return self._send(401, {"error": "invalid_token"})
                    return self._send(200, provider.tokens[token])
                return self._send(404, {"error": "not_found"})

            def do_POST(self):
                if self.path != "/token":
                    return self._send(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                grant = provider.codes.pop(form.get("code", ""), None)
                if (grant is None or form.get("client_id") != provider.client_id
                        or form.get("client_secret") != provider.client_secret
                        or form.get("redirect_uri") != grant["redirect_uri"]):
                    return self._send(400, {"error": "invalid_grant"})
                if "code_challenge" in grant:
                    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != \
                            grant["code_challenge"]:
                        return self._send(400, {"error": "invalid_grant"})
                provider.person = grant["person"]
                claims = provider.claims()
                now = int(time.time())
                id_token = jwt.encode(
                    {**claims, "iss": provider.issuer, "aud": provider.client_id, "iat": now,
                     "exp": now + 300, **({"nonce": grant["nonce"]} if "nonce" in grant else {})},
                    provider.key, algorithm="RS256", headers={"kid": provider.kid})
                access = secrets.token_urlsafe(16)
                provider.tokens[access] = claims
                return self._send(200, {"access_token": access, "token_type": "Bearer",
                                        "expires_in": 300, "id_token": id_token})

        return Handler
