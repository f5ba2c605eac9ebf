"""Storage: SQLAlchemy 2 tables, the transaction boundary, and Alembic migrations."""
