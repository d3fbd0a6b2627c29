"""Back-pressure (背压): intake refuses new work with 503 + ``Retry-After`` while the queue is too deep.

The depth is the number of committed declarations not yet sent to customs (``import_outbox`` rows still
``pending``) plus the documents waiting for the pipeline's three-document match (``import_match_queue``,
``KUAJING_MATCH_IN=pipeline``: their lists are not in the outbox yet): in the in-process mode the pump's
backlog, in the celery mode everything the relay and the workers have not finished, whatever sits in the broker. It is read from the database (shared by every API
node, so no node keeps state of its own) at most every ``queue_depth_cache_seconds`` per process. Above
``intake_max_queue_depth`` a request is refused before anything is read or stored — ``busy_retry``
(problem+json, the code the sender already retries on) — so nothing already accepted is ever dropped: the
queue drains and the sender sends the same message again.
"""

from __future__ import annotations

import threading
import time

from starlette.concurrency import run_in_threadpool

from kuajing.errors import AppError


class QueueGauge:
    """The cached queue depth of one process and the refusal it implies."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._depth = 0
        self._read_at = float("-inf")

    def depth(self, session_factory) -> int:
        """The pending outbox rows plus the match queue (re-read when older than the cache period)."""
        now = time.monotonic()
        if now - self._read_at < self.settings.queue_depth_cache_seconds:
            return self._depth
        with self._lock:
            if now - self._read_at < self.settings.queue_depth_cache_seconds:
                return self._depth
            from sqlalchemy import func, select

            from kuajing.imports.models import MatchQueueItem, OutboxMessage

            with session_factory() as session:
                self._depth = ((session.scalar(select(func.count()).select_from(OutboxMessage)
                                               .where(OutboxMessage.status == "pending")) or 0)
                               + (session.scalar(select(func.count()).select_from(MatchQueueItem)) or 0))
            self._read_at = time.monotonic()
            return self._depth

    async def refusal(self, session_factory) -> AppError | None:
        """The 503 to answer when the queue is over the bound, else None."""
        bound = self.settings.intake_max_queue_depth
        if bound <= 0:
            return None
        depth = await run_in_threadpool(self.depth, session_factory)
        if depth < bound:
            return None
        seconds = self.settings.intake_retry_after_seconds
        return AppError("busy_retry", "Busy, please retry", status=503, headers={"Retry-After": str(seconds)},
                        detail="The platform's queue is full ({depth} waiting); nothing was saved. "
                               "Send the same message again in {seconds} s.", depth=depth, seconds=seconds)
