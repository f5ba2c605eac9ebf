"""Full-text search over past cases (title, customer, description, decisions) and "similar past cases".

Both use the `case_search` index that migration 0003 creates and its triggers keep in sync: SQLite FTS5 (bm25
ranking) or PostgreSQL tsvector + GIN (ts_rank). Highlights come back marked with MARK_START / MARK_END so the
caller can escape the text first and then turn the marks into <mark> (or *bold* in Slack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from swarm.store.queries import CASE_KEY
from swarm.store.tables import UTCDateTime

MARK_START, MARK_END = "\x02", "\x03"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_QUERY_PART = re.compile(r'(-?)"([^"]*)"|(\S+)')
# Words that say nothing about a case; dropped when looking for similar cases (PostgreSQL drops them itself).
_STOPWORDS = frozenset("""a an and are as at be but by can could did do does for from had has have he her his how i if
in into is it its me my no not of on or our she so that the their them then there these they this to too us was we were
what when where which who why will with would you your customer customers please thanks hi hello""".split())


@dataclass(frozen=True)
class SearchHit:
    case_id: int
    key: str
    title: str
    customer: str
    category: str
    severity: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    snippet: str  # with MARK_START / MARK_END around matched words


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]


def search_cases(session: Session, *, query: str, limit: int = 20, offset: int = 0) -> SearchResult:
    """Cases matching all the words (and "quoted phrases") of `query`, best first; a case key (CS-12) finds that case."""
    query = query.strip()
    engine = _engine_for(session)
    match = engine.match_all(query)
    if not match:
        return SearchResult(query, 0, [])
    total = session.execute(sql(engine.count_sql), {"q": match}).scalar_one()
    rows = session.execute(_typed(engine.hits_sql), {"q": match, "limit": limit, "offset": offset}).mappings()
    hits = [_hit(row) for row in rows]
    exact = _case_by_key(session, query)
    if exact is not None and all(h.case_id != exact.case_id for h in hits) and offset == 0:
        hits, total = [exact, *hits][:limit], total + 1
    return SearchResult(query, total, hits)


def similar_cases(session: Session, *, text: str, limit: int = 5, exclude_case_id: int | None = None,
                  resolved_only: bool = True) -> list[SearchHit]:
    """Past cases most like `text` (any of its significant words, ranked), e.g. to show when a new case is escalated.

    Without snippets (every caller shows the title): building one per candidate was most of the query's cost, on every
    summary render and every escalation form."""
    words = significant_words(text)
    if not words:
        return []
    engine = _engine_for(session)
    statement = engine.similar_sql(resolved_only=resolved_only)
    rows = session.execute(_typed(statement), {"q": engine.match_any(words), "limit": limit,
                                             "exclude": exclude_case_id if exclude_case_id is not None else -1})
    return [_hit(row) for row in rows.mappings()]


def significant_words(text: str, *, most: int = 24) -> list[str]:
    """The distinct words of a text that can tell cases apart (no stopwords, no one-letter words), in order."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) > 1 and word not in _STOPWORDS and not word.isdigit():
            seen.setdefault(word, None)
    return list(seen)[:most]


def parse_query(query: str) -> list[tuple[str, str]]:
    """A search box query as ("word" | "phrase" | "not", text) parts: words, "quoted phrases" and -excluded words."""
    parts: list[tuple[str, str]] = []
    for negate, phrase, bare in _QUERY_PART.findall(query):
        words = _WORD.findall((phrase or bare).lower())
        if not words:
            continue
        if negate or (bare.startswith("-") and len(bare) > 1):
            parts.append(("not", " ".join(words)))
        elif phrase and len(words) > 1:
            parts.append(("phrase", " ".join(words)))
        else:
            parts.extend(("word", w) for w in words)
    return parts


def _hit(row) -> SearchHit:
    return SearchHit(case_id=row["id"], key=f"CS-{row['id']}", title=row["title"], customer=row["customer"],
                     category=row["category"], severity=row["severity"], status=row["status"],
                     created_at=row["created_at"], resolved_at=row["resolved_at"],
                     snippet=row["snippet"] or "")


def _typed(statement: str):
    # Raw SQL would hand back SQLite's timestamps as text: give the columns their type, as the ORM would.
    return sql(statement).columns(created_at=UTCDateTime(), resolved_at=UTCDateTime())


def _case_by_key(session: Session, query: str) -> SearchHit | None:
    match = CASE_KEY.match(query)
    if not match:
        return None
    row = session.execute(_typed(f"SELECT {_CASE_COLUMNS}, c.title AS snippet FROM cases c WHERE c.id = :id"),
                          {"id": int(match.group(1))}).mappings().first()
    return _hit(row) if row else None


_CASE_COLUMNS = "c.id, c.title, c.customer, c.category, c.severity, c.status, c.created_at, c.resolved_at"


class _Sqlite:
    """FTS5: MATCH syntax built from quoted terms (user text never reaches FTS5 as syntax)."""

    _SNIPPET = f"snippet(case_search, -1, '{MARK_START}', '{MARK_END}', '…', 16)"
    count_sql = "SELECT count(*) FROM case_search WHERE case_search MATCH :q"
    hits_sql = (f"SELECT {_CASE_COLUMNS}, s.snippet FROM (SELECT rowid AS id, rank, {_SNIPPET} AS snippet "
                "FROM case_search WHERE case_search MATCH :q ORDER BY rank LIMIT :limit OFFSET :offset) s "
                "JOIN cases c ON c.id = s.id ORDER BY s.rank")

    @staticmethod
    def match_all(query: str) -> str:
        parts = parse_query(query)
        positive = [f'"{t}"' for kind, t in parts if kind != "not"]
        negative = [f'"{t}"' for kind, t in parts if kind == "not"]
        if not positive:
            return ""
        return " AND ".join(positive) + "".join(f" NOT {n}" for n in negative)

    @staticmethod
    def match_any(words: list[str]) -> str:
        return " OR ".join(f'"{w}"' for w in words)

    def similar_sql(self, *, resolved_only: bool) -> str:
        status = "AND c.resolved_at IS NOT NULL " if resolved_only else ""
        return (f"SELECT {_CASE_COLUMNS}, NULL AS snippet FROM (SELECT rowid AS id, rank "
                "FROM case_search WHERE case_search MATCH :q ORDER BY rank LIMIT :limit * 4 + 20) s "
                f"JOIN cases c ON c.id = s.id WHERE c.id != :exclude {status}ORDER BY s.rank LIMIT :limit")


class _Postgres:
    """tsvector + GIN; queries built with to_tsquery from sanitised words, ranked with ts_rank."""

    _HEADLINE = (f"ts_headline('english', c.title || ' — ' || c.description || ' — ' || coalesce((SELECT "
                 "string_agg(d.text, ' · ') FROM decisions d WHERE d.case_id = c.id), ''), q, "
                 f"'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2')")
    count_sql = "SELECT count(*) FROM case_search, to_tsquery('english', case_search_fold(:q)) q WHERE document @@ q"
    hits_sql = (f"SELECT {_CASE_COLUMNS}, {_HEADLINE} AS snippet FROM (SELECT case_id, ts_rank(document, q) AS score, q "
                "FROM case_search, to_tsquery('english', case_search_fold(:q)) q WHERE document @@ q "
                "ORDER BY score DESC, case_id DESC LIMIT :limit OFFSET :offset) s "
                "JOIN cases c ON c.id = s.case_id ORDER BY s.score DESC, c.id DESC")

    @staticmethod
    def match_all(query: str) -> str:
        parts = parse_query(query)
        positive = [_tsquery_term(t) for kind, t in parts if kind != "not"]
        negative = [f"!{_tsquery_term(t)}" for kind, t in parts if kind == "not"]
        return " & ".join(positive + negative) if positive else ""

    @staticmethod
    def match_any(words: list[str]) -> str:
        return " | ".join(_tsquery_term(w) for w in words)

    def similar_sql(self, *, resolved_only: bool) -> str:
        status = "AND c.resolved_at IS NOT NULL " if resolved_only else ""
        return (f"SELECT {_CASE_COLUMNS}, NULL AS snippet FROM (SELECT case_id, ts_rank(document, q) AS score "
                "FROM case_search, to_tsquery('english', case_search_fold(:q)) q WHERE document @@ q "
                "ORDER BY score DESC LIMIT :limit * 4 + 20) s "
                f"JOIN cases c ON c.id = s.case_id WHERE c.id != :exclude {status}ORDER BY s.score DESC LIMIT :limit")


def _tsquery_term(words: str) -> str:
    # Only word characters reach to_tsquery (quoted as lexemes), so no user text is parsed as tsquery syntax;
    # a phrase becomes word <-> word.
    return " <-> ".join("'" + w.replace("'", "''").replace("\\", "") + "'" for w in words.split())


def _engine_for(session: Session):
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return _Sqlite()
    if name == "postgresql":
        return _Postgres()
    raise NotImplementedError(f"case search supports sqlite and postgresql, not {name}")
