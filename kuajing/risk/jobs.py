"""Background work of risk prevention: process the queue the subscribers filled (one transaction per batch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from kuajing.db.session import transaction
from kuajing.risk import service


def run(*, session_factory: sessionmaker[Session], now: datetime | None = None, batch: int = 500,
        max_batches: int = 20) -> int:
    """Run the rules on queued lists, ``batch`` at a time; returns how many were processed."""
    total = 0
    for _ in range(max_batches):
        with transaction(session_factory) as session:
            done = service.process_queue(session=session, now=now, limit=batch)
        total += done
        if done < batch:
            break
    return total
