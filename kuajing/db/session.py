"""Engines and sessions. Services never commit; the request or job boundary owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_savepoint(connection, _name):
            # pysqlite opens a transaction only before DML, so a SAVEPOINT issued outside one becomes its own
            # transaction and RELEASE commits it: a unit of work rolled back later would keep what its
            # savepoints wrote. Open the transaction first. (Reads before it keep statement-level freshness,
            # as on PostgreSQL's READ COMMITTED.)
            if not connection.connection.dbapi_connection.in_transaction:
                connection.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql+psycopg"):
        import psycopg

        # PostgreSQL's own $n placeholders, sent as written (psycopg's RawCursor): psycopg need not scan every
        # statement for %(name)s placeholders — a cost that grows with the statement and is cached only for
        # short ones, so the multi-row INSERTs and long IN lists of the batch steps paid it on every call
        engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               paramstyle="numeric_dollar", connect_args={"cursor_factory": psycopg.RawCursor})

        @event.listens_for(engine, "connect")
        def _raw_server_cursors(dbapi_connection, _record):  # streamed results (yield_per) use named cursors
            dbapi_connection.server_cursor_factory = psycopg.RawServerCursor

        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


#: ``Session.info`` key: where intake's follow-up matches complete document sets ("intake" or "pipeline",
#: the ``match_in`` setting; kuajing.imports.service.flow.after_accept)
MATCH_IN = "kuajing.match_in"


def make_sessionmaker(engine: Engine, *, settings=None) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay usable after commit); with ``settings``, its
    sessions carry the settings the services read from ``Session.info`` (:data:`MATCH_IN`)."""
    info = {MATCH_IN: settings.match_in} if settings is not None else {}
    return sessionmaker(engine, expire_on_commit=False, info=info)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- retrying a unit of work on deadlocks and serialisation failures --------------------------------

#: PostgreSQL SQLSTATEs worth retrying: deadlock_detected, serialization_failure, lock_not_available
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient concurrency failure (deadlock, serialisation, SQLite busy)."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


#: SQLSTATE classes/codes of a database that is momentarily unreachable or full: connection exceptions (08…),
#: too many connections (53300), cannot connect now / admin shutdown (57P01–57P03)
UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached right now (full, restarting, pool exhausted)."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None) or ""
    return state in UNAVAILABLE_SQLSTATES or state.startswith("08")


class TransientConflict(Exception):
    """The unit of work kept colliding with concurrent writers; the client should retry shortly."""


def commit_with_retry(session: Session, work, *, attempts: int = 4, base_delay: float = 0.02):
    """Run ``work()`` and commit; on a deadlock or serialisation failure roll back and run it again.

    ``work`` must be re-runnable from scratch (it rebuilds everything it writes). The boundary that owns
    the transaction (a request or a job) calls this; services never commit. Raises
    :class:`TransientConflict` when every attempt collided.
    """
    import random
    import time

    for attempt in range(attempts):
        try:
            result = work()
            session.commit()
            return result
        except Exception as exc:
            session.rollback()
            if not is_retryable(exc):
                raise
            if attempt == attempts - 1:
                raise TransientConflict(str(exc.orig)) from exc  # type: ignore[attr-defined]
            time.sleep(base_delay * (2 ** attempt) * (1 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
