"""The Teams sandbox keeps Microsoft's contracts: who may call, the rules Graph enforces, the keys the Bot
Framework publishes. (What our adapter does with them is tested in test_teams_chat and the contract suite.)"""

from __future__ import annotations

import httpx
import jwt
import pytest

from integrations.teams.sandbox import OUTSIDER, TeamsSandbox


@pytest.fixture
def sandbox():
    with TeamsSandbox() as started:
        started.seed_demo_tenant()
        yield started


def _token(sandbox: TeamsSandbox, scope: str, secret: str | None = None) -> httpx.Response:
    return httpx.post(f"{sandbox.identity.base_url}/{sandbox.tenant_id}/oauth2/v2.0/token",
                      data={"grant_type": "client_credentials", "client_id": sandbox.app_id,
                            "client_secret": secret or sandbox.app_password, "scope": scope})


def _graph(sandbox: TeamsSandbox, method: str, path: str, **kwargs) -> httpx.Response:
    token = _token(sandbox, "https://graph.microsoft.com/.default").json()["access_token"]
    return httpx.request(method, sandbox.graph.api_url + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_client_credentials_need_the_right_secret(sandbox):
    refused = _token(sandbox, "https://graph.microsoft.com/.default", secret="wrong")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    granted = _token(sandbox, "https://api.botframework.com/.default").json()
    assert granted["token_type"] == "Bearer" and granted["expires_in"] > 3000


def test_graph_and_the_connector_refuse_calls_without_a_token_for_them(sandbox):
    assert httpx.get(sandbox.graph.api_url + "/users/ana.souza@example.com").status_code == 401
    bot_token = _token(sandbox, "https://api.botframework.com/.default").json()["access_token"]
    wrong_audience = httpx.get(sandbox.graph.api_url + "/users/ana.souza@example.com",
                               headers={"Authorization": f"Bearer {bot_token}"})
    assert wrong_audience.status_code == 401 and wrong_audience.json()["error"]["code"] == "InvalidAuthenticationToken"
    channel = sandbox.demo.support_channel_id
    assert httpx.post(f"{sandbox.connector.base_url}/v3/conversations/{channel}/activities", json={"type": "message"}).status_code == 401


def test_the_bot_framework_keys_verify_the_tokens_teams_sends(sandbox):
    openid = httpx.get(sandbox.identity.openid_url).json()
    keys = jwt.PyJWKClient(openid["jwks_uri"])
    token = sandbox.identity.channel_token(app_id=sandbox.app_id, service_url=sandbox.connector.base_url)
    claims = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"], audience=sandbox.app_id)
    assert claims["iss"] == openid["issuer"] == "https://api.botframework.com"
    assert claims["serviceurl"] == sandbox.connector.base_url


@pytest.mark.parametrize("body, message", [
    ({"displayName": "x" * 51, "membershipType": "standard"}, "invalid"),
    ({"displayName": "case:1", "membershipType": "standard"}, "invalid"),
    ({"displayName": "case-1", "membershipType": "private"}, "owner must be specified"),
])
def test_graph_refuses_channels_it_would_refuse(sandbox, body, message):
    answer = _graph(sandbox, "POST", f"/teams/{sandbox.demo.swarm_team_id}/channels", json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]


def test_members_join_only_private_channels_and_only_from_the_team(sandbox):
    team = sandbox.demo.swarm_team_id
    owner = f"{sandbox.graph.api_url}/users('caseswarm.service@example.com')"
    private = _graph(sandbox, "POST", f"/teams/{team}/channels", json={
        "displayName": "case-1", "membershipType": "private",
        "members": [{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": ["owner"], "user@odata.bind": owner}]}).json()
    standard = _graph(sandbox, "POST", f"/teams/{team}/channels", json={"displayName": "case-2"}).json()

    def add(channel: dict, email: str) -> httpx.Response:
        return _graph(sandbox, "POST", f"/teams/{team}/channels/{channel['id']}/members",
                      json={"roles": [], "user@odata.bind": f"{sandbox.graph.api_url}/users('{email}')"})

    assert add(private, "ana.souza@example.com").status_code == 201
    assert add(private, OUTSIDER[1]).status_code == 400  # not in the team
    assert add(private, "nobody@example.com").status_code == 404
    assert add(standard, "ana.souza@example.com").status_code == 400


def test_what_the_bot_posts_is_what_graph_lists(sandbox):
    channel = sandbox.demo.support_channel_id
    token = _token(sandbox, "https://api.botframework.com/.default").json()["access_token"]
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "hello"}]}
    posted = httpx.post(f"{sandbox.connector.base_url}/v3/conversations/{channel}/activities",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                                  "content": card}]}).json()
    listed = _graph(sandbox, "GET", f"/teams/{sandbox.demo.support_team_id}/channels/{channel}/messages").json()["value"]
    [message] = [m for m in listed if m["id"] == posted["id"]]
    assert message["from"]["application"]["id"] == sandbox.app_id and "hello" in message["attachments"][0]["content"]


def test_the_bot_cannot_post_where_it_is_not_installed(sandbox):
    chat = sandbox.conversations.add_chat([sandbox.user_id("ana.souza@example.com")], with_bot=False)
    token = _token(sandbox, "https://api.botframework.com/.default").json()["access_token"]
    answer = httpx.post(f"{sandbox.connector.base_url}/v3/conversations/{chat}/activities",
                        headers={"Authorization": f"Bearer {token}"}, json={"type": "message", "text": "hi"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "BotNotInConversationRoster"
