"""Proactive bot messages through the Teams SDK (microsoft-teams-apps): post a card, reply in a thread, update it."""

from __future__ import annotations

import asyncio

from microsoft_teams.api import Attachment, MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides

from integrations.teams.bridge import AsyncBridge
from integrations.teams.cards import CARD_TYPE, Rendered
from integrations.teams.errors import external_errors
from integrations.teams.settings import TeamsSettings
from integrations.teams.tokens import AppTokens


def cloud_for(settings: TeamsSettings) -> CloudEnvironment:
    """Microsoft's public cloud, with the OpenID metadata (inbound JWT keys) from settings (the sandbox in tests)."""
    return with_overrides(PUBLIC, openid_metadata_url=settings.openid_url)


def new_app(settings: TeamsSettings, tokens: AppTokens):
    """A Teams SDK App for this registration; tokens come from our AppTokens (one source for Graph and the bot)."""
    from microsoft_teams.apps import App  # ~2 s to import: only when Teams is actually used

    # Every option is explicit: the SDK would otherwise read CLIENT_ID, SERVICE_URL, CLOUD and, worst,
    # DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS from the environment.
    return App(client_id=settings.app_id, tenant_id=settings.tenant_id, token=tokens.for_teams_sdk,
               service_url=settings.bot_api_url, cloud=cloud_for(settings),
               dangerously_allow_unauthenticated_requests=False)


class BotSender:
    """Runs its own Teams SDK App on the adapter's bridge loop (HTTP clients stay on the loop that made them)."""

    def __init__(self, settings: TeamsSettings, tokens: AppTokens, bridge: AsyncBridge):
        self._settings = settings
        self._tokens = tokens
        self._bridge = bridge
        self._app_ready: asyncio.Task | None = None

    def send(self, conversation_id: str, rendered: Rendered, *, thread: str | None = None) -> str:
        """Post the card (as a reply in `thread` when given) and return the new message's id."""
        with external_errors("Bot Connector POST activities"):
            sent = self._bridge.run(self._send(conversation_id, _activity(rendered), thread), timeout=self._timeout)
        return sent.id

    def update(self, conversation_id: str, activity_id: str, rendered: Rendered) -> None:
        activity = _activity(rendered)
        activity.id = activity_id  # the SDK updates (PUT) when the activity has an id
        with external_errors("Bot Connector PUT activity"):
            self._bridge.run(self._send(conversation_id, activity, activity_id), timeout=self._timeout)

    @property
    def _timeout(self) -> float:
        return self._settings.timeout + 2

    async def _send(self, conversation_id: str, activity: MessageActivityInput, thread: str | None):
        app = await self._ready_app()
        if thread:
            return await app.reply(conversation_id, thread, activity)
        return await app.send(conversation_id, activity)

    async def _ready_app(self):
        # One App for every concurrent send: they all await the same start-up task (check and set on one loop).
        if self._app_ready is None or _failed(self._app_ready):
            self._app_ready = asyncio.get_running_loop().create_task(self._start_app())
        return await asyncio.shield(self._app_ready)  # a send that times out must not cancel the shared start-up

    async def _start_app(self):
        app = new_app(self._settings, self._tokens)
        await app.initialize()  # no network: sets up the sender; app.send() refuses to run before it
        return app


def _failed(task: asyncio.Task) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _activity(rendered: Rendered) -> MessageActivityInput:
    return MessageActivityInput().add_attachments(Attachment(content_type=CARD_TYPE, content=rendered.card))
