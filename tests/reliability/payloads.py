"""Fuzz payloads for every inbound endpoint: real requests captured from the driver, then broken on purpose.

A Template is one real request (as Slack or Jira sends it) and how to encode it. A Fuzzed request is a template
after structure-aware mutations (keys dropped, values of the wrong type, huge or odd strings) and sometimes byte
damage (truncation, bad UTF-8, wrong content type), signed correctly or broken in one of the ways an attacker or a
misconfigured proxy would break it. Everything comes from a seeded RNG, so a failure names a reproducible case.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
ODD_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 2**63, 1e308, 1.5, "", " ", "x" * 5000, "9" * 400, "null", "[]", "{}", "CS-1", "CS-999999",
    "C0NOSUCH", "<@U0NOSUCH>", "<!channel>", "../../etc/passwd", "' OR 1=1 --", "\u0000", "\ud800", "💥" * 50,
    "\u202egnp.exe", "1795740228.697249", "abc.def", "-1.5", "nan", [], {}, [None], [1, "2", {}], {"a": {"b": [1]}},
)


@dataclass(frozen=True)
class Template:
    name: str
    endpoint: str  # "slack" (POST /slack/events) or "jira" (POST /webhooks/jira)
    encoding: str  # "interactive" (payload=<json>), "form" (fields), "json"
    body: dict


@dataclass
class Fuzzed:
    template: str
    endpoint: str
    body: bytes
    headers: dict[str, str]
    mutations: list[str] = field(default_factory=list)

    def describe(self) -> str:
        shown = self.body[:400].decode("utf-8", "replace")
        return f"{self.endpoint} {self.template} [{'; '.join(self.mutations)}] body={shown!r}"


# -- structure-aware mutations ----------------------------------------------------------------------------------------
def mutate(body: dict, rng: random.Random, mutations: list[str]) -> dict:
    """1-3 random changes at random places in the JSON tree (or the form's fields)."""
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(body))
        if not paths:
            break
        path = rng.choice(paths)
        parent, key = _locate(body, path)
        action = rng.choice(("drop", "retype", "retype", "retype", "wrap"))
        if action == "drop" and isinstance(parent, dict):
            del parent[key]
        elif action == "wrap":
            parent[key] = [parent[key]] if rng.random() < 0.5 else {"value": parent[key]}
        else:
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))  # a shared {} or [] could end up inside itself
            action = f"retype→{_short(parent[key])}"
        mutations.append(f"{action} {'/'.join(map(str, path))}")
    return body


def _paths(node: Any, prefix: tuple = ()):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _locate(body: Any, path: tuple) -> tuple[Any, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 20 else text[:17] + "..."


# -- encoding and byte damage -------------------------------------------------------------------------------------------
def encode(template: Template, body: Any) -> tuple[bytes, str]:
    if template.encoding == "interactive":
        return urlencode({"payload": json.dumps(body)}).encode(), FORM
    if template.encoding == "form" and isinstance(body, dict):
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return urlencode(fields, errors="surrogatepass").encode(), FORM  # a lone surrogate becomes invalid UTF-8
    return json.dumps(body).encode(), JSON


def damage(raw: bytes, content_type: str, rng: random.Random, mutations: list[str]) -> tuple[bytes, str]:
    """Sometimes break the bytes themselves (a proxy, a truncated upload, a confused client)."""
    roll = rng.random()
    if roll < 0.08:
        mutations.append("truncated")
        return raw[: rng.randint(0, max(0, len(raw) - 1))], content_type
    if roll < 0.12:
        mutations.append("invalid utf-8")
        return raw[:20] + b"\xff\xfe\xc3\x28" + raw[20:], content_type
    if roll < 0.16:
        mutations.append("content-type swapped")
        return raw, JSON if content_type == FORM else FORM
    if roll < 0.19:
        mutations.append("random bytes")
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))), content_type
    if roll < 0.21:
        mutations.append("empty body")
        return b"", content_type
    if roll < 0.22:
        mutations.append("2 MB body")
        return raw + b"x" * (2 * 1024 * 1024), content_type
    return raw, content_type


# -- signing -----------------------------------------------------------------------------------------------------------
def slack_headers(body: bytes, content_type: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's signer needs UTF-8; fuzzed bodies may not be)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def jira_headers(body: bytes, content_type: str, secret: str, *, delivery: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": content_type,
               "X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if delivery:
        headers["X-Atlassian-Webhook-Identifier"] = delivery
    return headers


def sign(endpoint: str, body: bytes, content_type: str, secrets: dict[str, str], rng: random.Random) -> dict[str, str]:
    if endpoint == "slack":
        return slack_headers(body, content_type, secrets["slack"])
    return jira_headers(body, content_type, secrets["jira"], delivery=f"fuzz-{rng.getrandbits(48):x}")


UNSIGNED: dict[str, dict[str, Callable[[bytes, str, dict[str, str]], dict[str, str]]]] = {
    "slack": {
        "no signature headers": lambda b, ct, s: {"Content-Type": ct},
        "wrong secret": lambda b, ct, s: slack_headers(b, ct, "not-the-signing-secret"),
        "stale timestamp (6 min)": lambda b, ct, s: slack_headers(b, ct, s["slack"], timestamp=int(time.time()) - 360),
        "future timestamp (6 min)": lambda b, ct, s: slack_headers(b, ct, s["slack"], timestamp=int(time.time()) + 360),
        "signature of another body": lambda b, ct, s: slack_headers(b + b" ", ct, s["slack"]),
        "timestamp not a number": lambda b, ct, s: {**slack_headers(b, ct, s["slack"]), "X-Slack-Request-Timestamp": "soon"},
        "signature v1 scheme": lambda b, ct, s: {**slack_headers(b, ct, s["slack"]), "X-Slack-Signature": "v1=" + "0" * 64},
        "signature not hex": lambda b, ct, s: {**slack_headers(b, ct, s["slack"]), "X-Slack-Signature": "v0=zz"},
        "signature empty": lambda b, ct, s: {**slack_headers(b, ct, s["slack"]), "X-Slack-Signature": ""},
    },
    "jira": {
        "no signature header": lambda b, ct, s: {"Content-Type": ct},
        "wrong secret": lambda b, ct, s: jira_headers(b, ct, "not-the-webhook-secret"),
        "signature of another body": lambda b, ct, s: jira_headers(b + b" ", ct, s["jira"]),
        "sha1 scheme": lambda b, ct, s: {"Content-Type": ct, "X-Hub-Signature": "sha1=" + "0" * 40},
        "signature not hex": lambda b, ct, s: {"Content-Type": ct, "X-Hub-Signature": "sha256=zz"},
        "signature empty": lambda b, ct, s: {"Content-Type": ct, "X-Hub-Signature": ""},
    },
}


def fuzzed(templates: list[Template], rng: random.Random, secrets: dict[str, str], *, signed: bool) -> Fuzzed:
    """One fuzzed request: a mutated template, maybe byte-damaged, signed correctly or not at all correctly."""
    template = rng.choice(templates)
    mutations: list[str] = []
    body = mutate(template.body, rng, mutations) if rng.random() < 0.9 else template.body
    raw, content_type = damage(*encode(template, body), rng, mutations)
    if signed:
        headers = sign(template.endpoint, raw, content_type, secrets, rng)
    else:
        how = rng.choice(sorted(UNSIGNED[template.endpoint]))
        headers = UNSIGNED[template.endpoint][how](raw, content_type, secrets)
        mutations.append(how)
    return Fuzzed(template.name, template.endpoint, raw, headers, mutations)
