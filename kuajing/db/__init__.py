"""Database layer: declarative base, exact column types, sessions and Alembic migrations."""
