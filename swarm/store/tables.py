"""Database tables. Unique constraints back the idempotency the workflows promise."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back aware datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


def case_key(number: int) -> str:
    return f"CS-{number}"


class CaseRow(Base):
    __tablename__ = "cases"
    # Earlier cases of a customer are looked up on every summary render (swarm/customer_history.py).
    __table_args__ = (Index("ix_cases_customer_normalised", func.lower(func.trim(text("customer")))),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace_id: Mapped[str | None] = mapped_column(String(32))  # the Slack workspace (team id); None: the only one
    requester_id: Mapped[str] = mapped_column(String(64))
    source_channel: Mapped[str | None] = mapped_column(String(64))
    source_message: Mapped[str | None] = mapped_column(String(64))
    source_link: Mapped[str | None] = mapped_column(String(500))
    channel_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    channel_name: Mapped[str | None] = mapped_column(String(100))
    summary_message_id: Mapped[str | None] = mapped_column(String(64))
    summary_digest: Mapped[str | None] = mapped_column(String(64))  # what the summary shows (workflows/case_updates.py)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    engaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    sla_engage_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_engage_state: Mapped[str | None] = mapped_column(String(20))  # last state the SLA sweep saw (swarm.sla.SlaState)
    sla_resolve_state: Mapped[str | None] = mapped_column(String(20))
    ticket_key: Mapped[str | None] = mapped_column(String(64))
    ticket_url: Mapped[str | None] = mapped_column(String(500))
    crm_record_id: Mapped[str | None] = mapped_column(String(64))
    crm_record_number: Mapped[str | None] = mapped_column(String(64))
    customer_context: Mapped[dict | None] = mapped_column(JSON)  # what the CRM knows: account, tier, open cases
    root_cause: Mapped[str | None] = mapped_column(String(50))  # from config resolution.root_causes
    root_cause_department: Mapped[str | None] = mapped_column(String(50))  # owns the upstream process to fix

    participants: Mapped[list["ParticipantRow"]] = relationship(back_populates="case", order_by="ParticipantRow.id")
    decisions: Mapped[list["DecisionRow"]] = relationship(back_populates="case", order_by="DecisionRow.id")

    @property
    def key(self) -> str:
        return case_key(self.id)


class ParticipantRow(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))  # requester | expert | manager
    reason: Mapped[str] = mapped_column(String(500), default="")
    invite_status: Mapped[str] = mapped_column(String(30), default="pending")
    invite_error: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[CaseRow] = relationship(back_populates="participants")


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(50))
    link: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[CaseRow] = relationship(back_populates="decisions")


class TimelineRow(Base):
    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class WorkflowRow(Base):
    """A durable unit of background work (the outbox). The queue only wakes workers; this row is the truth."""

    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_due", "status", "next_run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | running | done | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StepRow(Base):
    """One workflow step: started (result is None) or done (result stored before the next step runs)."""

    __tablename__ = "workflow_steps"
    __table_args__ = (UniqueConstraint("workflow_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeliveryRow(Base):
    """Inbound deliveries already handled (Slack event ids, command trigger ids, webhook ids)."""

    __tablename__ = "inbound_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinkedReportRow(Base):
    """Another customer's escalation of a problem a swarm is already working on ("we already know")."""

    __tablename__ = "linked_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str] = mapped_column(String(200))
    requester_id: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20))
    workspace_id: Mapped[str | None] = mapped_column(String(32))
    source_channel: Mapped[str | None] = mapped_column(String(128))
    source_message: Mapped[str | None] = mapped_column(String(128))
    source_link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatusUpdateRow(Base):
    """A swarm's status update ("known issue, ETA 14:00"), sent to every source thread that reported it."""

    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUpRow(Base):
    """Calling the customer back after a resolution: who, by when, what to say; reminded until done."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    owner_name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | done | cancelled
    draft: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(200))


class CooldownRow(Base):
    """Until when a rate-limited method waits, for every process of the deployment (integrations/rate_limits.py)."""

    __tablename__ = "rate_limit_cooldowns"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a digest of (system, account, method)
    until: Mapped[float] = mapped_column(Float)  # wall-clock epoch seconds: the processes may be on other machines
