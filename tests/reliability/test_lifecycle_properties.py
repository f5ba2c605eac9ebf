"""The case lifecycle as a hypothesis state machine, against the real app (signed requests) and the Slack sandbox.

Rules are what people and Slack do, in any order: escalate, Slack re-sending a submission, decide, a re-sent
command, resolve, reopen, the archive delay passing, and the workers running (or not yet). After every step the
invariants below must hold, for what the database and Slack show.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select, update

from swarm.store.tables import CaseRow, DecisionRow, WorkflowRow, utcnow
from tests.reliability import figures, invariants, sizes
from tests.reliability.conftest import clean_environment
from tests.support.harness import AGENT, SUPPORT, start_harness

FORM = "application/x-www-form-urlencoded"
LEGAL = {("opening", "open"), ("open", "resolved"), ("resolved", "open"), ("resolved", "archived"), ("archived", "open")}
EXPERT = "UBILL0001"


@dataclass
class CaseModel:
    """What the people in the case were told; what the app must show."""

    key: str
    channel_id: str | None = None
    status: str = "opening"
    decisions: list[str] = field(default_factory=list)
    submission: dict = field(default_factory=dict)
    last_command: dict | None = None
    last_command_refused: bool = False  # the case was not open when it came: a re-send must stay refused
    resolutions: int = 0


class CaseLifecycle(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self, harness):
        super().__init__()
        self.h = harness
        self.model: dict[str, CaseModel] = {}
        self.seen: dict[str, str] = {}  # case key → status last seen in the database
        self.counter = 0

    # -- people and Slack ------------------------------------------------------------------------------------------
    @initialize(target=cases)
    def first_escalation(self):
        return self._escalate("billing", "sev2")

    @rule(target=cases, category=st.sampled_from(["billing", "it", "operations"]), severity=st.sampled_from(["sev1", "sev3"]))
    def escalate(self, category, severity):
        return self._escalate(category, severity)

    @rule(case=cases)
    def slack_resends_the_submission(self, case):
        response = self.h.driver.send_interactive(self.model[case].submission)
        assert response.status_code == 200 and "was already escalated" in response.text

    @rule()
    def workers_run(self):
        self._drain()

    @precondition(lambda self: any(m.channel_id for m in self.model.values()))
    @rule(case=cases, words=st.text(alphabet="abcdef xyz", min_size=1, max_size=20))
    def decide(self, case, words):
        model = self.model[case]
        if model.channel_id is None:
            return
        self.counter += 1
        text = f"decision {self.counter}: {words.strip() or 'go'}"
        answer = self.h.command(f"decide {text}", channel=model.channel_id, user=EXPERT).text
        if model.status in ("open", "opening"):
            assert f"Decision recorded on {case}" in answer, answer
            model.decisions.append(text)
        else:
            assert "reopen it before recording decisions" in answer, answer
        # Kept for a re-send either way: a refused decision replayed after a reopen must stay refused.
        model.last_command = dict(self.h.driver.last_payload)
        model.last_command_refused = model.status not in ("open", "opening")

    @rule(case=cases)
    def slack_resends_the_last_command(self, case):
        model = self.model[case]
        if model.last_command is None:
            return
        response = self.h.driver.post_raw(urlencode(model.last_command).encode(), content_type=FORM)
        assert response.status_code == 200
        if model.last_command_refused:  # whatever the case's status is now; the decisions invariant checks the rows
            assert "not recorded" in response.text, response.text

    @rule(case=cases)
    def resolve(self, case):
        model = self.model[case]
        if model.channel_id is None:
            return
        answer = self.h.command(f"resolve Resolution of {case}", channel=model.channel_id).text
        if model.status == "open":
            assert "resolved after" in answer, answer
            model.status, model.resolutions = "resolved", model.resolutions + 1
        elif model.status in ("resolved", "archived"):
            assert "already resolved" in answer, answer

    @rule(case=cases)
    def reopen(self, case):
        model = self.model[case]
        if model.status == "archived":  # an archived channel takes no commands: the summary's Reopen button
            ts = self.h.sandbox.pins(model.channel_id)[0]
            answer = self.h.driver.click_button(user_id=AGENT, channel_id=model.channel_id, message_ts=ts, action_id="case_reopen")
            assert answer.status_code == 200
            model.status = "open"
        elif model.channel_id is not None:
            answer = self.h.command("reopen", channel=model.channel_id).text
            if model.status == "resolved":
                assert "reopened" in answer, answer
                model.status = "open"
            else:
                assert "nothing to reopen" in answer, answer

    @rule()
    def the_archive_delay_passes(self):
        self._drain()
        with self.h.container.store.transaction() as tx:
            tx.session.execute(update(WorkflowRow).where(WorkflowRow.kind == "archive", WorkflowRow.status == "pending")
                               .values(next_run_at=utcnow()))
        self._drain()
        for model in self.model.values():
            if model.status == "resolved":
                model.status = "archived"

    # -- invariants ------------------------------------------------------------------------------------------------
    @invariant()
    def statuses_only_move_along_legal_transitions(self):
        for key in self.model:
            now = self._row(key).status
            before = self.seen.get(key, "opening")
            assert now == before or (before, now) in LEGAL, f"{key}: {before} → {now}"
            self.seen[key] = now

    @invariant()
    def resolved_at_is_set_exactly_when_resolved_or_archived(self):
        for key in self.model:
            row = self._row(key)
            assert (row.resolved_at is not None) == (row.status in ("resolved", "archived")), (key, row.status)
            assert row.status != "archived" or row.archived_at is not None

    @invariant()
    def decisions_are_never_lost_or_doubled(self):
        for key, model in self.model.items():
            with self.h.container.store.read() as session:
                stored = list(session.scalars(select(DecisionRow.text).where(DecisionRow.case_id == self._row(key).id)))
            assert sorted(stored) == sorted(model.decisions), key

    @invariant()
    def one_channel_per_case_and_no_post_twice(self):
        assert invariants.cases_with_two_channels(self.h.sandbox) == {}
        assert invariants.repeated_posts(self.h.sandbox) == []

    @invariant()
    def once_workers_are_idle_slack_matches_the_case(self):
        if self.h.due():
            return
        for key, model in self.model.items():
            row = self._row(key)
            assert row.status == model.status, (key, row.status, model.status)
            channel = self.h.sandbox.channel(row.channel_id)
            assert channel["is_archived"] == (row.status == "archived"), (key, row.status)
            texts = invariants.texts_in(self.h.sandbox, row.channel_id)
            assert all(sum(d in t for t in texts) == 1 for d in model.decisions), key
            resolutions = [t for t in texts if t.startswith(f"{key} resolved")]
            assert len(resolutions) == model.resolutions, (key, len(resolutions), model.resolutions)

    def teardown(self):
        self.h.drain()  # leave the shared world quiet for the next example

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _drain(self) -> None:
        """Workers run until idle: every swarm that was opening is open, in its channel."""
        self.h.drain()
        for model in self.model.values():
            if model.status == "opening":
                model.status = "open"
            model.channel_id = model.channel_id or self._row(model.key).channel_id

    def _escalate(self, category: str, severity: str) -> str:
        ts = self.h.customer_message(f"Lifecycle case: {category} {severity}\nDetails.")
        view = self.h.open_escalation_form(ts)
        payload = self.h.driver.build_view_submission(view["id"], user_id=AGENT, values={
            "customer": "Acme Corp", "category": category, "severity": severity})
        response = self.h.driver.send_interactive(payload)
        assert response.status_code == 200 and "is opening" in response.text, response.text
        key = self._key_of(ts)
        self.model[key] = CaseModel(key, submission=json.loads(json.dumps(payload)))
        return key

    def _key_of(self, ts: str) -> str:
        with self.h.container.store.read() as session:
            return session.scalar(select(CaseRow).where(CaseRow.source_message == ts, CaseRow.source_channel == SUPPORT)).key

    def _row(self, key: str) -> CaseRow:
        with self.h.container.store.read() as session:
            return session.get(CaseRow, int(key.split("-")[1]))


@pytest.fixture(scope="module")
def world(module_database_url, tmp_path_factory):
    from integrations.slack.sandbox import SlackSandbox

    with clean_environment():
        sandbox = SlackSandbox()
        sandbox.seed_demo_workspace()
        sandbox.start()
        # No consumer: the state machine decides when workers run (the rule workers_run).
        harness = start_harness(module_database_url, sandbox, queue_immediate=False,
                                queue_url=f"sqlite:///{tmp_path_factory.mktemp('q') / 'queue.db'}")
        yield harness
        harness.close()
        sandbox.stop()


def test_case_lifecycle_invariants_hold_in_any_order(world):
    size = sizes.current()
    started = time.monotonic()
    run_state_machine_as_test(lambda: CaseLifecycle(world), settings=settings(
        max_examples=size.lifecycle_examples, stateful_step_count=size.lifecycle_steps, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    with world.container.store.read() as session:
        cases = session.scalar(select(func.count()).select_from(CaseRow))
        decisions = session.scalar(select(func.count()).select_from(DecisionRow))
    figures.record("lifecycle", examples=size.lifecycle_examples, steps_per_example=size.lifecycle_steps, cases=cases,
                   decisions=decisions, seconds=round(time.monotonic() - started, 1))
