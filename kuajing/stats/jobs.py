"""Background work of the statistics: fold the fact queue into the aggregates (called by the pipeline tick)."""

from __future__ import annotations

from kuajing.db.session import transaction


def fold_tick(*, session_factory, limit: int = 20000) -> int:
    """One fold batch in its own transaction (cheap when the queue is empty); returns facts folded."""
    from kuajing.stats.service import fold

    with transaction(session_factory) as session:
        return fold(session=session, limit=limit)
