"""The WebClient every Slack call of ours goes through: after a 429 it makes no call of that method of that workspace
before Retry-After, whichever workflow (or listener) asks.

This is where the call is made and the workspace is known (its API URL and token), so the cool-down lives here
(integrations.rate_limits): a short remainder is waited out, a longer one answers as Slack would, a 429 "ratelimited"
with Retry-After set to what remains, without a request. slack_errors turns that into RetryLater(retry_after) like a
real 429, and a listener's `except SlackApiError` treats it as the refusal it is.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from integrations.notes import retry_after_seconds
from integrations.rate_limits import COOLDOWNS, Cooldowns, Limited, fingerprint, origin
from swarm.outbound_calls import going_out


class CoolingWebClient(WebClient):
    def __init__(self, *args: Any, cooldowns: Cooldowns = COOLDOWNS, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cooldowns = cooldowns  # the process's table (tests give each "process" its own)

    def cooling(self, api_method: str) -> float:
        """Seconds before `api_method` may be called again (0: now), for a caller that must not wait, like a
        listener that has to answer Slack within 3 s."""
        return self.cooldowns.remaining(self._limited(api_method))

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        limited = self._limited(api_method)
        left = self.cooldowns.hold(limited)
        if left:
            raise SlackApiError(f"{api_method}: cooling down after a 429 ({left:.1f} s left)",
                                _ratelimited(self, api_method, left))
        going_out()
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            if _status(exc) == 429:
                self.cooldowns.start(limited, retry_after_seconds(_retry_after_header(exc)))
            raise


    def _limited(self, api_method: str) -> Limited:
        return Limited("slack", f"{origin(self.base_url)} {fingerprint(self.token)}", api_method)


def _ratelimited(client: WebClient, api_method: str, seconds: float) -> SlackResponse:
    """What Slack answers a call inside the window, so every caller handles it as it handles the real one."""
    return SlackResponse(client=client, http_verb="POST", api_url=f"{client.base_url}{api_method}", req_args={},
                         data={"ok": False, "error": "ratelimited"}, headers={"Retry-After": f"{seconds:.3f}"},
                         status_code=429)


def _status(exc: SlackApiError) -> int:
    response = exc.response
    return int(response.get("status", 0)) if isinstance(response, dict) else response.status_code


def _retry_after_header(exc: SlackApiError) -> str | None:
    response = exc.response
    headers = (response.get("headers") if isinstance(response, dict) else response.headers) or {}
    return next((v[0] if isinstance(v, list) else v for k, v in headers.items() if k.lower() == "retry-after"), None)
