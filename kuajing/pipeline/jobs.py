"""The in-process runner of the embedded mode: a daemon thread calling :func:`tick` in a loop."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from kuajing.pipeline.service import tick

log = logging.getLogger("kuajing.pipeline")


def pause_after(*, busy: bool, elapsed: float, interval: float, batch_seconds: float) -> float:
    """Seconds to wait before the next tick: ``interval`` after an idle tick; after a busy one, what is left
    of ``batch_seconds`` since the busy tick began (none when it took longer), so that under load each tick
    takes the work of at least ``batch_seconds`` (micro-batching) while a backlog is worked without pause."""
    if not busy:
        return max(0.0, interval)
    return max(0.0, batch_seconds - elapsed)


class InProcessRunner:
    """Runs the pipeline tick every ``interval`` seconds (again after ``batch_seconds`` while there is work)."""

    def __init__(self, *, session_factory, transport, interval: float, match_timeout: timedelta,
                 batch_seconds: float = 0.0, **tick_options):
        self.tick_options = tick_options
        self.session_factory = session_factory
        self.transport = transport
        self.interval = interval
        self.batch_seconds = batch_seconds
        self.match_timeout = match_timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kuajing-pipeline", daemon=True)
        self.ticks = 0

    def start(self) -> None:
        """Start the loop."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to finish its current tick and wait for it."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                started = time.monotonic()
                result = tick(session_factory=self.session_factory, transport=self.transport,
                              match_timeout=self.match_timeout, **self.tick_options)
                self.ticks += 1
                pause = pause_after(busy=result.busy, elapsed=time.monotonic() - started, interval=self.interval,
                                    batch_seconds=self.batch_seconds)
            except Exception:  # keep the loop alive; the failing message stays queued for the next tick
                log.exception("pipeline tick failed")
                pause = self.interval
            if pause:
                self._stop.wait(pause)


def start_in_process(*, settings, session_factory) -> InProcessRunner:
    """Start the embedded pipeline with the configured customs transport."""
    from kuajing.customs.service import transport_for

    runner = InProcessRunner(session_factory=session_factory,
                             transport=transport_for(settings, session_factory=session_factory),
                             interval=settings.pipeline_interval_seconds,
                             batch_seconds=settings.pipeline_batch_seconds,
                             match_timeout=timedelta(hours=settings.match_timeout_hours),
                             **tick_options(settings))
    runner.start()
    return runner


def tick_options(settings) -> dict:
    """The tick's options from the settings (time zone, drop folders, our DXP id)."""
    from pathlib import Path

    return {"tz": settings.tz, "dropfolder_root": settings.dropfolder_root or Path(settings.var_dir) / "dropfolder",
            "dropfolder_dirs": settings.dropfolder_dirs, "sender_id": settings.customs_dxp_sender_id}
