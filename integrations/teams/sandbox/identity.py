"""IdentitySandbox: Microsoft Entra ID's token endpoint and the Bot Framework's OpenID keys, with a test key.

An RSA key made at start-up signs every token: the access tokens our app gets for Graph and the Bot Connector,
and the tokens the driver puts on activities it sends as Teams. The key set is served as JWKS, so the Teams SDK
validates inbound activities exactly as it does against login.botframework.com.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Response, jsonify, request

from integrations.sandbox.server import SandboxServer

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
OPENID_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"  # the Teams SDK derives it from the OpenID path
TOKEN_LIFETIME = 3599


class IdentitySandbox(SandboxServer):
    name = "teams-identity"

    def __init__(self, *, tenant_id: str, client_id: str, client_secret: str) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = f"sandbox-{uuid.uuid4().hex[:8]}"
        self.app.add_url_rule(OPENID_PATH, "openid", self._openid)
        self.app.add_url_rule(KEYS_PATH, "keys", self._keys)
        self.app.add_url_rule("/<tenant>/oauth2/v2.0/token", "token", self._token, methods=["POST"])

    # -- for the other sandboxes and the driver -------------------------------------------------------------
    @property
    def openid_url(self) -> str:
        return self.base_url + OPENID_PATH

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.key_id, "typ": "JWT"})

    def channel_token(self, *, app_id: str, service_url: str, lifetime: int = 300) -> str:
        """What the Bot Framework puts in Authorization when Teams calls the bot."""
        now = int(time.time())
        return self.sign({"iss": BOT_FRAMEWORK_ISSUER, "aud": app_id, "serviceurl": service_url,
                          "nbf": now - 5, "iat": now - 5, "exp": now + lifetime})

    def verify(self, header: str, *, audience: str) -> dict[str, Any] | None:
        """The claims of a Bearer token this sandbox issued for `audience`, or None."""
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        try:
            return jwt.decode(token, self.key.public_key(), algorithms=["RS256"], audience=audience)
        except jwt.InvalidTokenError:
            return None

    # -- routes ---------------------------------------------------------------------------------------------
    def method_name(self) -> str:
        if request.path.endswith("/oauth2/v2.0/token"):
            return "POST /{tenant}/oauth2/v2.0/token"
        return super().method_name()

    def _openid(self) -> Response:
        return jsonify(issuer=BOT_FRAMEWORK_ISSUER, jwks_uri=self.base_url + KEYS_PATH,
                       id_token_signing_alg_values_supported=["RS256"],
                       token_endpoint_auth_methods_supported=["private_key_jwt"])

    def _keys(self) -> Response:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.key_id, use="sig", alg="RS256", endorsements=["msteams"])
        return jsonify(keys=[jwk])

    def _token(self, tenant: str) -> Response:
        form = request.form
        if tenant != self.tenant_id:
            return _oauth_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return _oauth_error(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
        now = int(time.time())
        token = self.sign({"iss": f"https://login.microsoftonline.com/{tenant}/v2.0", "aud": scope.removesuffix("/.default"),
                           "appid": self.client_id, "azp": self.client_id, "tid": tenant, "roles": [],
                           "nbf": now, "iat": now, "exp": now + TOKEN_LIFETIME})
        return jsonify(token_type="Bearer", expires_in=TOKEN_LIFETIME, ext_expires_in=TOKEN_LIFETIME, access_token=token)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(json.dumps({"error": error, "error_description": description, "error_codes": []}),
                    status=status, mimetype="application/json")
