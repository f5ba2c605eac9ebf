"""App-only access tokens (OAuth 2.0 client credentials) for Microsoft Graph and the Bot Connector.

One token source for both clients, so the sandbox can stand in for Microsoft Entra ID with a base URL; the Teams
SDK takes it as its `token=` provider and msgraph-sdk as a kiota AccessTokenProvider.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator
from pydantic import SecretStr

from swarm.errors import PermanentFailure, RetryLater

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
BOT_SCOPE = "https://api.botframework.com/.default"
REFRESH_MARGIN = 300  # renew five minutes before expiry, so a token never expires in flight


class AppTokens:
    """Caches one token per scope; thread-safe (workers and the bot ask concurrently)."""

    def __init__(self, *, login_url: str, tenant_id: str, client_id: str, client_secret: SecretStr, timeout: float):
        self._token_url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> str:
        """A valid access token for `scope`, fetched when the cached one is missing or about to expire."""
        with self._lock:
            token, expires_at = self._cache.get(scope, ("", 0.0))
            if time.monotonic() < expires_at - REFRESH_MARGIN:
                return token
            token, lifetime = self._fetch(scope)
            self._cache[scope] = (token, time.monotonic() + lifetime)
            return token

    async def for_teams_sdk(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        """The Teams SDK's `token=` callback; the fetch runs off the event loop."""
        wanted = scope[0] if isinstance(scope, list) else scope
        return await asyncio.to_thread(self.get, wanted or BOT_SCOPE)

    def graph_provider(self) -> AccessTokenProvider:
        return _KiotaTokens(self)

    def _fetch(self, scope: str) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._secret.get_secret_value(), "scope": scope}
        try:
            response = httpx.post(self._token_url, data=form, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise RetryLater(f"Teams sign-in: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"Teams sign-in: HTTP {response.status_code}", retry_after=_retry_after(response))
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            # error_description names the problem (bad secret, unknown tenant) and never echoes the secret.
            raise PermanentFailure(f"Teams sign-in failed: {body.get('error', response.status_code)}: "
                                   f"{str(body.get('error_description', ''))[:200]}")
        return body["access_token"], float(body.get("expires_in", 3599))


class _KiotaTokens(AccessTokenProvider):
    def __init__(self, tokens: AppTokens):
        self._tokens = tokens

    async def get_authorization_token(self, uri: str, additional_authentication_context: dict | None = None) -> str:
        return await asyncio.to_thread(self._tokens.get, GRAPH_SCOPE)

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])  # the Graph client only ever calls the one configured base URL


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
