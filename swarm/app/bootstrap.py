"""The composition root: builds every port and service from settings, once, at start-up."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from typing import Any

from config import SwarmConfig, load_config
from config.settings import Settings
from swarm.app.sync_wiring import build_crm, build_ticketing, case_link_builder
from swarm.ports import CRM, ChatPlatform, Ticketing
from swarm.store.db import Store, make_engine
from swarm.store.migrate import upgrade
from swarm.store.tables import utcnow
from swarm.usecases.follow_up import follow_up_sweep
from workflows.definitions import ONE_AT_A_TIME, WORKFLOWS
from workflows.queue import WorkQueue, make_huey
from workflows.runner import RetryPolicy, WorkflowRunner
from workflows.digest import register_weekly_digest
from workflows.sla_clock import register_sla_clock
from workflows.steps import WorkflowServices

log = logging.getLogger("caseswarm")


@dataclass
class Container:
    """Everything the entry points need, wired from settings."""

    settings: Settings
    config: SwarmConfig
    store: Store
    queue: WorkQueue
    runner: WorkflowRunner
    chats: dict[str, ChatPlatform] = field(default_factory=dict)
    ticketing: Ticketing | None = None
    crm: CRM | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def build(settings: Settings, *, config: SwarmConfig | None = None, migrate: bool = True, clock=utcnow) -> Container:
    """Wire the app. `migrate` creates or upgrades the database schema first."""
    config = config or load_config(settings.config_dir)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    store = Store(engine)
    chats = _chats(settings, config, engine)
    services = WorkflowServices(store=store, chats=chats, config=config, clock=clock,
                                ticketing=build_ticketing(settings, config), crm=build_crm(settings, config),
                                case_link=case_link_builder(settings))
    policy = RetryPolicy(settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds)
    holder: dict[str, WorkflowRunner] = {}
    queue = WorkQueue(make_huey(settings.queue_url, immediate=settings.queue_immediate), lambda: holder["runner"])
    runner = WorkflowRunner(services, WORKFLOWS, policy=policy, enqueue_at=queue.wake_at, one_at_a_time=ONE_AT_A_TIME)
    queue.sweeps.append(lambda: follow_up_sweep(store, config=config, now=clock()))
    holder["runner"] = runner
    register_sla_clock(queue.huey, services)
    register_weekly_digest(queue.huey, services)
    from integrations.members import keep_department_members_fresh, member_sources

    if sources := member_sources(chats, config, clock=clock):  # Slack user groups and Entra groups on departments
        keep_department_members_fresh(queue.huey, services, sources)
    store.wake, store.wake_at = queue.wake, queue.wake_at
    return Container(settings=settings, config=config, store=store, queue=queue, runner=runner, chats=chats,
                     ticketing=services.ticketing, crm=services.crm)


def _chats(settings: Settings, config: SwarmConfig, engine) -> dict[str, ChatPlatform]:
    chats: dict[str, ChatPlatform] = {}
    from integrations.teams.settings import TeamsSettings

    teams = TeamsSettings.from_settings(settings)
    if teams is not None:  # the Teams SDK is heavy to import: only when Teams is configured
        from integrations.teams.chat import TeamsChat

        chats["teams"] = TeamsChat(teams, departments={d: x.name for d, x in config.departments.items()},
                                   root_causes=dict(config.resolution.root_causes))
    if settings.slack_bot_token is not None or settings.slack_distribution_enabled:
        from integrations.slack.chat import SlackChat, make_web_client

        client = None if settings.slack_bot_token is None else make_web_client(
            settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url, timeout=settings.slack_timeout)
        chats["slack"] = SlackChat(client, workspaces=_slack_workspaces(settings, engine))
    return chats


def _slack_workspaces(settings: Settings, engine):
    """With OAuth distribution on, each workspace's bot token comes from our (encrypted) installation store."""
    if not settings.slack_distribution_enabled:
        return None
    from integrations.secrets_at_rest import Keyring
    from integrations.slack.installations import EncryptedInstallationStore, WorkspaceClients

    store = EncryptedInstallationStore(client_id=settings.slack_client_id, engine=engine,
                                       keyring=Keyring.from_setting(settings.encryption_keys))
    return WorkspaceClients(store, base_url=settings.slack_api_url, timeout=settings.slack_timeout)


def freeze_startup_heap() -> None:
    """Exempt what start-up built (modules, the container, the web and Bolt apps) from the cyclic garbage collector.

    A long-running process otherwise walks those ~170,000 objects in each full collection, in the middle of whichever
    request or workflow step set it off (106 ms during a run of bench/time_to_swarm.py, in its `swarm serve`; 3 ms
    frozen). Objects made later are collected as before; the frozen ones live as long as the process anyway.
    Called by settle_long_running."""
    gc.collect()
    gc.freeze()


def share_rate_limits(container: Container) -> None:
    """The deployment's processes honour each other's 429s: this process's cool-down table is also kept in the
    database (integrations/rate_limits.py). For the long-running commands, not in build(): a test process builds many
    containers, one after another, against databases that come and go."""
    from integrations.rate_limits import COOLDOWNS
    from swarm.store.cooldowns import SharedCooldowns

    COOLDOWNS.share_through(SharedCooldowns(container.store))


def settle_long_running(container: Container) -> None:
    """What `swarm serve`, `swarm worker` and the WSGI entry point do once built: share the rate limits with the
    deployment's other processes, then freeze the start-up heap (last: it should hold everything start-up made)."""
    share_rate_limits(container)
    freeze_startup_heap()
