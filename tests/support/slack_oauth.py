"""A person installing the app into a Slack workspace through the OAuth flow, as a browser does it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import requests


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def install_workspace(app_url: str, team: str, *, public_url: str) -> tuple[requests.Session, str, requests.Response]:
    """Open /slack/install, pick `team` on Slack's page (the OAuth sandbox's stand-in for the picker) and allow:
    returns (the browser, the redirect it was sent to, the app's answer to that redirect)."""
    session = browser()
    page = session.get(app_url + "/slack/install", timeout=10)
    assert page.status_code == 200, page.text
    # Bolt's state cookie is Secure: a browser sends it back over https; here the test carries it over plain http.
    session.headers["Cookie"] = page.headers["Set-Cookie"].split(";", 1)[0]
    authorize = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.text).group(1).replace("&amp;", "&")
    approved = session.get(authorize + f"&team={team}", allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    query = parse_qs(urlparse(approved.headers["Location"]).query)
    assert approved.headers["Location"].startswith(public_url + "/slack/oauth_redirect")
    redirect = f"{app_url}/slack/oauth_redirect?code={query['code'][0]}&state={query['state'][0]}"
    return session, redirect, session.get(redirect, timeout=10)
