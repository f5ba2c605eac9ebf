"""`swarm seed`: realistic case history (participants, decisions, timeline, timings spread over weeks) for demos.

Writes straight through the ORM in bulk, in chunks of one transaction each. The search index's triggers keep
the full-text index in step. Times follow each department's pace relative to the SLA targets (log-normal, a few
breaches, slowly improving over the weeks); a case whose sampled resolution lies after `now` is still open.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, update

from swarm.model import CaseStatus
from swarm.store.tables import CaseRow, DecisionRow, ParticipantRow, TimelineRow
from swarm.usecases.common import format_duration

CHUNK = 2000
SEVERITY_WEIGHTS = {"sev1": 4, "sev2": 18, "sev3": 48, "sev4": 30}
PACE = {"billing": (0.40, 0.45), "it": (0.30, 0.55), "operations": (0.55, 0.40)}  # (engage, resolve) x target
AGENTS = (("UAGENT001", "Maya Chen"), ("UAGENT002", "Leo Martins"))
CUSTOMERS = ("Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Retail", "Hooli",
             "Vandelay Imports", "Soylent Foods", "Tyrell Systems", "Cyberdyne Labs", "Wonka Confectionery",
             "Oscorp Energy", "Pied Piper", "Massive Dynamic", "Aperture Science", "Gringotts Bank", "Monarch Travel",
             "Nakatomi Trading", "Blue Sun Mining", "Duff Beverages", "Prestige Worldwide", "Sterling Cooper",
             "Dunder Mifflin", "Los Pollos Hermanos", "Bluth Company", "Kramerica", "Virtucon", "Wernham Hogg")
SUBJECTS = {
    "billing": ("charged twice for invoice INV-{n}", "refund not received for order {n}", "disputed payment on card ending {n}",
                "invoice {n} shows the wrong VAT rate", "chargeback opened for subscription {n}", "credit note {n} missing"),
    "it": ("cannot log in with SSO since the certificate rotation", "VPN outage at the {city} office",
           "password reset emails never arrive", "API returns 502 for tenant {n}", "single sign-on loops back to login",
           "network drops every hour on site {n}"),
    "operations": ("shipment {n} stuck in customs", "delivery to {city} is three days late", "tracking number {n} shows no updates",
                   "warehouse sent the wrong stock for order {n}", "inventory count off by {n} units", "pallet {n} damaged in transit"),
}
GENERIC = ("order {n} needs attention", "escalation about account {n}")
WORK_HOURS = (8, 9, 10, 11, 13, 14, 15, 16, 17)
REPORTERS = ("CFO", "IT lead", "operations manager", "account owner", "head of support")
IMPACTS = ("they need an answer today", "this blocks their month-end close", "several users are affected",
           "it happened twice this week", "their own customers are complaining")
CITIES = ("Lisbon", "Berlin", "Boston", "Madrid", "Porto", "Denver", "Lyon", "Oslo")
DECISIONS = {
    "billing": ("Refund the duplicate charge today; {name} owns it", "Issue a credit note and waive this month's fee",
                "Escalate the gateway retry bug to the payments provider", "Reissue the invoice with the corrected VAT"),
    "it": ("Roll back the SSO certificate and re-run the metadata sync", "Fail over the VPN to the secondary tunnel",
           "Whitelist the customer's mail relay for reset emails", "Restart the tenant's API pods and add an alert"),
    "operations": ("Send a replacement shipment by express, no charge", "Ask the carrier for a trace and call the customer daily",
                   "Recount the stock in aisle 4 and correct the inventory", "Offer a 10% discount for the delay"),
}
RESOLUTIONS = ("Fixed and confirmed with the customer", "Customer confirmed the fix; follow-up ticket filed",
               "Root cause found and corrected; customer informed", "Workaround in place; permanent fix scheduled")


@dataclass(frozen=True)
class SeedReport:
    cases: int
    resolved: int
    open: int
    decisions: int


def seed_history(store, config, *, cases: int, now: datetime, rng_seed: int = 7, weeks: int = 12) -> SeedReport:
    """Write `cases` historical cases created over the `weeks` before `now`; returns what was written."""
    rng = random.Random(rng_seed)
    batch = secrets.token_hex(4)  # dedupe keys and channel ids must not clash with an earlier seed run
    totals = {"cases": 0, "resolved": 0, "open": 0, "decisions": 0}
    for start in range(0, cases, CHUNK):
        plans = [_plan_case(rng, config, now=now, weeks=weeks, index=i, batch=batch)
                 for i in range(start, min(cases, start + CHUNK))]
        with store.transaction() as tx:
            _write(tx.session, config, plans)
        for plan in plans:
            totals["cases"] += 1
            totals["resolved" if plan["case"]["resolved_at"] else "open"] += 1
            totals["decisions"] += len(plan["decisions"])
    return SeedReport(**totals)


def _plan_case(rng: random.Random, config, *, now: datetime, weeks: int, index: int, batch: str) -> dict:
    span = timedelta(weeks=weeks)
    created = _arrival(rng, now, span)
    category = rng.choice(list(config.categories))
    severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
    departments = _departments(rng, config, category, severity)
    target = config.sla.targets_for(severity)
    slowdown = 0.85 + 0.35 * ((now - created) / span)  # older cases were a little slower: the trend improves
    experts = _experts(rng, config, departments, created, target.engage * slowdown, now)
    resolved = _resolution(rng, experts, created, target.resolve * slowdown * PACE.get(departments[0], (0.5, 0.5))[1], now)
    for expert in experts:  # nobody speaks up for the first time after the case is closed
        if resolved and expert["first_message_at"] and expert["first_message_at"] > resolved:
            expert["first_message_at"] = None
    agent = rng.choice(AGENTS)
    case = _case_row(rng, config, index=index, batch=batch, category=category, severity=severity, created=created,
                     target=target, agent=agent, experts=experts, resolved=resolved, now=now)
    decisions = _decisions(rng, experts, created, resolved or now, category)
    return {"case": case, "agent": agent, "experts": experts, "decisions": decisions}


def _resolution(rng: random.Random, experts: list[dict], created: datetime, typical: timedelta, now: datetime):
    engaged = min((e["first_message_at"] for e in experts if e["first_message_at"]), default=None)
    resolved = max(created + typical * rng.lognormvariate(0, 0.55),
                   (engaged or created) + timedelta(minutes=rng.randint(5, 90)))
    return resolved if resolved <= now else None


def _case_row(rng, config, *, index, batch, category, severity, created, target, agent, experts, resolved, now) -> dict:
    title = _title(rng, category)
    customer = rng.choice(CUSTOMERS)
    status = _status(resolved, now, config)
    ticket = f"SUP-{1000 + index}" if rng.random() < 0.7 else None
    crm = f"{index:08d}" if rng.random() < 0.8 else None
    return dict(
        dedupe_key=f"seed:{batch}:{index}", title=title, customer=customer, category=category, severity=severity,
        description=f"{customer}: {title}. Reported by their {rng.choice(REPORTERS)}; {rng.choice(IMPACTS)}.",
        status=status, platform="slack", requester_id=agent[0], source_channel="CSUPPORT01",
        channel_id=f"CSEED{batch}{index}".upper(), created_at=created,
        opened_at=created + timedelta(seconds=rng.randint(4, 20)),
        engaged_at=min((e["first_message_at"] for e in experts if e["first_message_at"]), default=None),
        resolved_at=resolved, resolution=rng.choice(RESOLUTIONS) if resolved else None,
        resolved_by=experts[0]["name"] if resolved else None,
        archived_at=resolved + config.channel.archive_after if status == CaseStatus.ARCHIVED.value else None,
        sla_engage_due=created + target.engage, sla_resolve_due=created + target.resolve,
        ticket_key=ticket, ticket_url=f"https://jira.example.com/browse/{ticket}" if ticket else None,
        crm_record_id=f"500SEED{crm}" if crm else None, crm_record_number=crm)


def _arrival(rng: random.Random, now: datetime, span: timedelta) -> datetime:
    # Most escalations come in on weekdays during working hours.
    while True:
        moment = now - span * rng.random()
        if moment.weekday() >= 5 and rng.random() > 0.3:
            continue
        shifted = moment.replace(hour=rng.choice(WORK_HOURS), minute=rng.randint(0, 59))
        return shifted if shifted <= now else moment


def _departments(rng: random.Random, config, category: str, severity: str) -> list[str]:
    known = list(config.departments)
    first = category if category in config.departments else rng.choice(known)
    chosen = [first]
    if severity == "sev1" and "operations" in config.departments and first != "operations":
        chosen.append("operations")
    elif rng.random() < 0.25:
        chosen.append(rng.choice([d for d in known if d != first] or known))
    return list(dict.fromkeys(chosen))


def _experts(rng, config, departments, created, engage_typical, now) -> list[dict]:
    experts = []
    for n, department_id in enumerate(departments):
        department = config.department(department_id)
        person = rng.choice(department.staff or department.members)
        pace = PACE.get(department_id, (0.5, 0.5))[0] * (1 + 0.3 * n)
        first = created + engage_typical * pace * rng.lognormvariate(0, 0.6)
        experts.append({"user_id": person.slack_user_id, "name": person.name, "department": department_id,
                        "reason": f"on call for {department.name}",
                        "first_message_at": first if first <= now and rng.random() > 0.03 else None})
    return experts


def _title(rng: random.Random, category: str) -> str:
    subject = rng.choice(SUBJECTS.get(category, GENERIC))
    title = subject.format(n=rng.randint(1000, 99999), city=rng.choice(CITIES))
    return title[0].upper() + title[1:]  # not str.capitalize(): that would turn "SSO" into "sso"


def _status(resolved: datetime | None, now: datetime, config) -> str:
    archive_after = config.channel.archive_after
    if resolved is None:
        return CaseStatus.OPEN.value
    if archive_after is not None and resolved + archive_after <= now:
        return CaseStatus.ARCHIVED.value
    return CaseStatus.RESOLVED.value


def _decisions(rng, experts, created, end, category) -> list[dict]:
    texts = DECISIONS.get(category, DECISIONS["operations"])
    chosen = []
    for text in rng.sample(texts, rng.choices((0, 1, 2, 3), weights=(20, 45, 25, 10))[0]):
        author = rng.choice(experts)
        at = created + (end - created) * rng.uniform(0.3, 0.95)
        chosen.append({"text": text.format(name=author["name"].split()[0]), "at": at, **author})
    return sorted(chosen, key=lambda d: d["at"])


def _write(session, config, plans: list[dict]) -> None:
    ids = list(session.scalars(insert(CaseRow).returning(CaseRow.id, sort_by_parameter_order=True),
                               [p["case"] for p in plans]))
    session.execute(update(CaseRow), [{"id": case_id, "channel_name": _channel_name(config, case_id, p["case"])}
                                      for case_id, p in zip(ids, plans)])
    participants, decisions, timeline = [], [], []
    for case_id, plan in zip(ids, plans):
        participants += _participant_rows(case_id, plan)
        decisions += [dict(case_id=case_id, dedupe_key=f"{plan['case']['dedupe_key']}:d{n}", text=d["text"],
                           author_id=d["user_id"], author_name=d["name"], department=d["department"], recorded_at=d["at"])
                      for n, d in enumerate(plan["decisions"])]
        timeline += _timeline_rows(case_id, plan, _channel_name(config, case_id, plan["case"]))
    for table, rows in ((ParticipantRow, participants), (DecisionRow, decisions), (TimelineRow, timeline)):
        if rows:
            session.execute(insert(table), rows)


def _channel_name(config, case_id: int, case: dict) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", case["title"].lower()).strip("-")[:40]
    return config.channel.name_for(number=case_id, slug=slug, category=case["category"], severity=case["severity"])


def _participant_rows(case_id: int, plan: dict) -> list[dict]:
    created = plan["case"]["created_at"]
    agent_id, agent_name = plan["agent"]
    rows = [dict(case_id=case_id, user_id=agent_id, name=agent_name, department=None, role="requester",
                 reason="escalated the case", invite_status="invited", added_at=created)]
    seen = {agent_id}
    for e in plan["experts"]:
        if e["user_id"] not in seen:
            seen.add(e["user_id"])
            rows.append(dict(case_id=case_id, user_id=e["user_id"], name=e["name"], department=e["department"], role="expert",
                             reason=e["reason"], invite_status="invited", added_at=created + timedelta(seconds=8),
                             first_message_at=e["first_message_at"]))
    return rows


def _timeline_rows(case_id: int, plan: dict, channel: str) -> list[dict]:
    case, experts = plan["case"], plan["experts"]
    created = case["created_at"]
    entries = [(created, "escalated", plan["agent"][1],
                f"CS-{case_id} escalated: {case['title']} ({case['severity']}, {case['category']}, customer {case['customer']})")]
    entries += [(created + timedelta(seconds=3), "routed", None, f"Brought in {e['name']}: {e['reason']}") for e in experts]
    entries += [(created + timedelta(seconds=5), "channel_created", None, f"Case channel #{channel} created"),
                (created + timedelta(seconds=9), "swarm_open", None, f"Swarm open in #{channel} with {len(experts) + 1} people")]
    entries += [(e["first_message_at"], "engaged", e["name"],
                 f"{e['name']} ({e['department']}) engaged after {format_duration((e['first_message_at'] - created).total_seconds())}")
                for e in experts if e["first_message_at"]]
    entries += [(d["at"], "decision", d["name"], f"Decision by {d['name']} ({d['department']}): {d['text']}") for d in plan["decisions"]]
    if case["resolved_at"]:
        took = format_duration((case["resolved_at"] - created).total_seconds())
        entries.append((case["resolved_at"], "resolved", case["resolved_by"], f"Resolved by {case['resolved_by']} after {took}: {case['resolution']}"))
    if case["archived_at"]:
        entries.append((case["archived_at"], "archived", None, f"Channel #{channel} archived"))
    return [dict(case_id=case_id, at=at, kind=kind, actor=actor, text=text) for at, kind, actor, text in sorted(entries, key=lambda e: e[0])]
