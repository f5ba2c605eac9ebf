"""The case channel link: `{public_url}/cases/CS-12/channel?sig=…`, served by our web app.

Known the moment the case exists, so the Jira issue made beside the channel can carry it in its create call (no
second call to link the issue once the channel exists); the web app redirects it to the channel once there is one.
The signature (HMAC-SHA256 of the case key) keeps case keys from being enumerated into channel addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from swarm.errors import NotFound
from swarm.store.queries import case_by_key

SIGNATURE_CHARS = 22  # 132 bits of the HMAC, url-safe base64
_PURPOSE = b"caseswarm case channel link:"  # this key signs other things too (dashboard sessions)


def case_link_signature(secret: str, case_key: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + case_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]


def case_channel_link(public_url: str, secret: str, case_key: str) -> str:
    return f"{public_url.rstrip('/')}/cases/{case_key}/channel?sig={case_link_signature(secret, case_key)}"


def signed(secrets: Sequence[str], case_key: str, signature: str) -> bool:
    """True if one of the keys signed this case key (the first signs new links; the others keep old ones working)."""
    return any(hmac.compare_digest(case_link_signature(secret, case_key), signature) for secret in secrets)


@dataclass(frozen=True)
class CaseChannel:
    key: str
    platform: str
    workspace_id: str | None
    channel_id: str | None  # None while the channel is being opened


def case_channel(session: Session, case_key: str) -> CaseChannel | None:
    """Where the case's channel is, or None if there is no such case."""
    try:
        case = case_by_key(session, case_key)
    except NotFound:
        return None
    return CaseChannel(case.key, case.platform, case.workspace_id, case.channel_id)
