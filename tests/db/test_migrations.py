"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kuajing.db.base import import_all_models


def test_migrated_database_matches_the_models(engine):
    """A column, index or table added to a model without its migration (or the reverse) shows up here."""
    metadata = import_all_models()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
