"""Helpers for the audit tests: the signing key and a way to write events in committed transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kuajing.audit.service import record, write_checkpoint
from kuajing.db.session import transaction

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def key(settings) -> bytes:
    return settings.secret("audit_signing_key")


@pytest.fixture
def write(session_factory):
    """write(stream, n, action=…) → commit n events in ``stream``, one transaction each."""

    def _write(stream: str, n: int, action: str = "enterprises:enterprise:update", start: int = 0):
        for i in range(start, start + n):
            with transaction(session_factory) as session:
                record(session=session, action=action, stream=stream, actor="user:7", subject_id=stream.split(":")[-1],
                       before={"credit_limit": Decimal("1000.00") + i}, after={"credit_limit": Decimal("1000.00") + i + 1,
                                                                            "step": i},
                       at=T0 + timedelta(minutes=i))

    return _write


@pytest.fixture
def checkpoint(session_factory, key):
    def _checkpoint():
        with transaction(session_factory) as session:
            return write_checkpoint(session=session, key=key)

    return _checkpoint
