"""The building blocks of a durable workflow: a step and the context it runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from swarm.ports import CRM, ChatPlatform, Ticketing
from swarm.store.db import Store


@dataclass
class WorkflowServices:
    """What steps may use: the store, the ports (by platform), the config and the clock."""

    store: Store
    chats: dict[str, ChatPlatform]
    config: Any
    clock: Callable[[], datetime]
    ticketing: Ticketing | None = None
    crm: CRM | None = None
    case_link: Callable[[str], str] | None = None  # case key → its signed channel link (swarm/case_links.py)


@dataclass
class StepContext:
    workflow_id: int
    case_id: int
    kind: str
    payload: dict
    results: dict[str, dict]  # results of the steps already done, by step name
    ambiguous: bool  # an earlier try of this step started and never recorded a result: look before creating
    services: WorkflowServices
    follow_ups: list[tuple[str, str, dict, bool]] = field(default_factory=list)
    case_platform: str | None = None  # where the case's channel is: fixed for the case's life, read at claim time
    case_workspace: str | None = None
    prefetched: Any = None  # what Step.prefetch read while the step before was out; None when it did not run

    def follow_up(self, kind: str, key: str, payload: dict | None = None, *, coalesce: bool = False) -> None:
        """Schedule more work in the same transaction that records this step (e.g. refresh the summary)."""
        self.follow_ups.append((kind, key, payload or {}, coalesce))

    @property
    def effect_key(self) -> str:
        """Stable id of this workflow's external effect, stored with what it creates so it can be found again."""
        return f"wf{self.workflow_id}"

    def chat_for(self, platform: str, workspace: str | None = None) -> ChatPlatform:
        """The platform's adapter, speaking for `workspace` when the app is installed in several (Slack OAuth)."""
        return self.services.chats[platform].for_workspace(workspace)

    @property
    def chat(self) -> ChatPlatform:
        """The adapter that reaches this workflow's case channel (no read: the runner knows the case's platform)."""
        return self.chat_for(self.case_platform, self.case_workspace)

    def chat_for_case(self, case) -> ChatPlatform:
        """The adapter that reaches this case's channel: its platform, and its workspace there."""
        return self.chat_for(case.platform, case.workspace_id)


Act = Callable[[StepContext], dict | None]
Record = Callable[[Session, StepContext, dict], None]
Prefetch = Callable[[StepContext], Any]


@dataclass(frozen=True)
class Step:
    """`act` talks to the outside world and returns what it created; `record` stores that in the same
    transaction that marks the step done, so a crash can never leave an effect unrecorded AND marked done.

    overlaps_previous_record: this step may act while the previous step's record is still committing (on a helper
    thread, beside this step's call), so that commit is off the swarm's critical path. Only for a step whose effect
    is idempotent where it lands (a crash before that commit re-runs the previous step, which looks before creating,
    and then this one again) and which takes what the previous step made from `ctx.results`, not the database.
    A step whose effect is not idempotent may overlap too if it also `starts_with_previous`.

    starts_with_previous: this step's start is recorded in the transaction that starts the step before it, so it is
    durable before that step acts. A crash anywhere after that leaves this step "ambiguous" on the next run (its
    act looks for its effect before making it), which is what lets a non-idempotent step go out while the record of
    the step before it is still committing.

    prefetch: reads for this step that run on a helper thread while the step before it is out (that call waits on
    the network and leaves the process free), once any record still committing has landed. `act` finds what it
    returned in `ctx.prefetched`, or None when it did not run (the first step of a run) or failed: `act` then reads
    for itself. Only for facts that the call being waited on does not change."""

    name: str
    act: Act
    record: Record | None = None
    extra: dict = field(default_factory=dict)
    overlaps_previous_record: bool = False
    prefetch: Prefetch | None = None
    starts_with_previous: bool = False
