"""case search: a full-text index over case title, customer, description and decisions, kept in sync by triggers

SQLite: an FTS5 table `case_search` (rowid = cases.id). PostgreSQL: a table `case_search` (case_id, document tsvector)
with a GIN index. Both are filled from the existing rows here and kept in sync by triggers on `cases` and
`decisions`, so every writer (use cases, workflows, `swarm seed`) keeps the index right without knowing about it.

Why not an FTS5 external-content table: the decisions live in their own table, so the content would have to be a
view over cases + decisions, and a view naming `cases` makes any later Alembic batch migration of `cases` fail on
SQLite ("error in view ...: no such table: main.cases"). Why not a generated tsvector column on PostgreSQL: a
generated column cannot read another table (decisions).

NOTE for later migrations on SQLite: a batch migration that *recreates* `cases` drops the three case_search_case_*
triggers with the old table; such a migration must run SQLITE_CASE_TRIGGERS from this file again.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_DECISIONS_OF = "coalesce((SELECT group_concat(text, char(10)) FROM decisions WHERE case_id = {ref}), '')"

SQLITE_TABLE = [
    # porter: "refunds" finds "refunded"; remove_diacritics: "Muller" finds "Müller".
    "CREATE VIRTUAL TABLE case_search USING fts5(title, customer, description, decisions, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    # Default ranking: a hit in the title or customer weighs more than one in the description.
    "INSERT INTO case_search(case_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0, 2.0)')",
]

SQLITE_CASE_TRIGGERS = [
    "CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN "
    "INSERT INTO case_search(rowid, title, customer, description, decisions) "
    f"VALUES (new.id, new.title, new.customer, new.description, {_DECISIONS_OF.format(ref='new.id')}); END",
    "CREATE TRIGGER case_search_case_update AFTER UPDATE OF title, customer, description ON cases BEGIN "
    "UPDATE case_search SET title = new.title, customer = new.customer, description = new.description "
    "WHERE rowid = new.id; END",
    "CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases BEGIN "
    "DELETE FROM case_search WHERE rowid = old.id; END",
]

# These name only `decisions` and `case_search`, so recreating `cases` in a batch migration leaves them valid.
SQLITE_DECISION_TRIGGERS = [
    "CREATE TRIGGER case_search_decision_insert AFTER INSERT ON decisions BEGIN "
    f"UPDATE case_search SET decisions = {_DECISIONS_OF.format(ref='new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_search_decision_update AFTER UPDATE OF text, case_id ON decisions BEGIN "
    f"UPDATE case_search SET decisions = {_DECISIONS_OF.format(ref='old.case_id')} WHERE rowid = old.case_id; "
    f"UPDATE case_search SET decisions = {_DECISIONS_OF.format(ref='new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_search_decision_delete AFTER DELETE ON decisions BEGIN "
    f"UPDATE case_search SET decisions = {_DECISIONS_OF.format(ref='old.case_id')} WHERE rowid = old.case_id; END",
]

SQLITE_BACKFILL = (
    "INSERT INTO case_search(rowid, title, customer, description, decisions) "
    f"SELECT c.id, c.title, c.customer, c.description, {_DECISIONS_OF.format(ref='c.id')} FROM cases c"
)

POSTGRES = [
    "CREATE TABLE case_search (case_id integer PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX ix_case_search_document ON case_search USING gin (document)",
    # "Muller" should find "Müller" as on SQLite: fold accents with the unaccent extension (in PostgreSQL's contrib,
    # trusted, so a database owner may create it); where it cannot be created, search simply keeps accents.
    """DO $$
    BEGIN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS unaccent;
            CREATE FUNCTION case_search_fold(value text) RETURNS text LANGUAGE sql STABLE AS 'SELECT unaccent(value)';
        EXCEPTION WHEN others THEN
            CREATE FUNCTION case_search_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT value';
        END;
    END $$""",
    # Weights: A title and customer, B decisions, C description (ts_rank scores A highest).
    """CREATE FUNCTION case_search_document(title text, customer text, description text, decisions text)
        RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english', case_search_fold(coalesce(title, ''))), 'A')
            || setweight(to_tsvector('english', case_search_fold(coalesce(customer, ''))), 'A')
            || setweight(to_tsvector('english', case_search_fold(coalesce(decisions, ''))), 'B')
            || setweight(to_tsvector('english', case_search_fold(coalesce(description, ''))), 'C')
    $$""",
    """CREATE FUNCTION case_search_refresh(cid integer) RETURNS void LANGUAGE sql AS $$
        INSERT INTO case_search (case_id, document)
        SELECT c.id, case_search_document(c.title, c.customer, c.description,
                                          (SELECT string_agg(d.text, ' ') FROM decisions d WHERE d.case_id = c.id))
        FROM cases c WHERE c.id = cid
        ON CONFLICT (case_id) DO UPDATE SET document = excluded.document
    $$""",
    """CREATE FUNCTION case_search_on_case() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM case_search_refresh(NEW.id);
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION case_search_on_decision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM case_search_refresh(OLD.case_id); END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM case_search_refresh(NEW.case_id); END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER case_search_case AFTER INSERT OR UPDATE OF title, customer, description ON cases "
    "FOR EACH ROW EXECUTE FUNCTION case_search_on_case()",
    "CREATE TRIGGER case_search_decision AFTER INSERT OR UPDATE OF text, case_id OR DELETE ON decisions "
    "FOR EACH ROW EXECUTE FUNCTION case_search_on_decision()",
    # The existing cases in one set-based statement (a per-row refresh takes minutes on a big history).
    """INSERT INTO case_search (case_id, document)
       SELECT c.id, case_search_document(c.title, c.customer, c.description, d.texts) FROM cases c
       LEFT JOIN (SELECT case_id, string_agg(text, ' ') AS texts FROM decisions GROUP BY case_id) d ON d.case_id = c.id""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS case_search_decision ON decisions",
    "DROP TRIGGER IF EXISTS case_search_case ON cases",
    "DROP FUNCTION IF EXISTS case_search_on_decision()",
    "DROP FUNCTION IF EXISTS case_search_on_case()",
    "DROP FUNCTION IF EXISTS case_search_refresh(integer)",
    "DROP FUNCTION IF EXISTS case_search_document(text, text, text, text)",
    "DROP FUNCTION IF EXISTS case_search_fold(text)",
    "DROP TABLE IF EXISTS case_search",
]

_TRIGGER_NAMES = ("case_search_case_insert", "case_search_case_update", "case_search_case_delete",
                  "case_search_decision_insert", "case_search_decision_update", "case_search_decision_delete")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = [*SQLITE_TABLE, *SQLITE_CASE_TRIGGERS, *SQLITE_DECISION_TRIGGERS, SQLITE_BACKFILL]
    elif dialect == "postgresql":
        statements = POSTGRES
    else:
        raise NotImplementedError(f"case search supports sqlite and postgresql, not {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        statements = [*(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGER_NAMES), "DROP TABLE IF EXISTS case_search"]
    else:
        statements = POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
