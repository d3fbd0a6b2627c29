"""Test fixtures: a real database per test worker (SQLite file, or PostgreSQL when
``KUAJING_TEST_DATABASE_URL`` is set), migrated with Alembic, emptied after every test."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kuajing.db.base import import_all_models
from kuajing.db.migrate import upgrade
from kuajing.db.session import make_engine, make_sessionmaker
from kuajing.db.types import Keyring, configure_keyring
from kuajing.settings import Settings

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # so fixture plugins import as tests.<domain>.fixtures
    sys.path.insert(0, str(REPO))

pytest_plugins = ["tests.accounts.fixtures", "tests.pipeline.fixtures"]


def _create_database(base_url: str, worker: str) -> tuple[str, callable]:
    if base_url.startswith("sqlite") or not base_url:
        return "", lambda: None
    url = make_url(base_url)
    name = f"kuajing_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def settings(tmp_path_factory, worker_id) -> Settings:
    """Settings for the test run: a fresh database, generated keys, the official spec directory."""
    var_dir = tmp_path_factory.mktemp("var")
    base = os.environ.get("KUAJING_TEST_DATABASE_URL", "")
    url, drop = _create_database(base, worker_id)
    if not url:
        url = f"sqlite:///{var_dir / 'test.db'}"
    spec = os.environ.get("KUAJING_CEB_SPEC_DIR") or str(REPO.parent / "shared" / "ceb-spec")
    s = Settings.load(env="test", var_dir=var_dir, database_url=url, ceb_spec_dir=spec, pipeline_in_process=False)
    upgrade(url)
    configure_keyring(Keyring.from_settings(s))
    from kuajing.certificates.service import configure as configure_signing

    configure_signing(s)  # platform SM2 key generated into <var_dir>/keys/
    from kuajing.accounts.service import configure as configure_accounts

    configure_accounts(secret_key=s.secret("secret_key"))
    yield s
    drop()


@pytest.fixture(scope="session")
def engine(settings):
    eng = make_engine(settings.effective_database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def session_factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def db(session_factory):
    """A session for a test; the test commits what it needs (services never commit)."""
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(autouse=True)
def _empty_tables(request, engine):
    """Empty every table after each test that touched the database."""
    yield
    if not ({"db", "session_factory", "engine", "app", "client"} & set(request.fixturenames)):
        return
    metadata = import_all_models()
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names()) - {"alembic_version"}
        tables = [t for t in metadata.sorted_tables if t.name in existing]
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def app(settings, engine):
    from kuajing.app import create_app

    application = create_app(settings)
    application.state.engine.dispose()
    application.state.engine = engine
    application.state.sessionmaker = make_sessionmaker(engine)
    return application


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as c:  # https: session cookies are Secure outside development
        yield c
