"""Micro-batching of the pipeline loops (``pipeline_batch_seconds``): under load a tick takes the work of at
least that long, idle ticks wait ``pipeline_interval_seconds``, a backlog is worked without pause."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from kuajing.pipeline import jobs
from kuajing.pipeline.jobs import InProcessRunner, pause_after


@pytest.mark.parametrize(("busy", "elapsed", "expected"), [
    (False, 0.01, 1.0),  # idle: the interval
    (False, 5.0, 1.0),  # idle after a long tick: still the interval
    (True, 0.1, 0.4),  # busy, quick tick: what is left of the batch period
    (True, 0.5, 0.0),  # busy, the tick took the whole period: at once
    (True, 2.0, 0.0),  # a backlog: ticks back to back
])
def test_pause_after(busy, elapsed, expected):
    got = pause_after(busy=busy, elapsed=elapsed, interval=1.0, batch_seconds=0.5)
    assert got == pytest.approx(expected)


def test_pause_after_without_batching_ticks_again_at_once():
    assert pause_after(busy=True, elapsed=0.001, interval=1.0, batch_seconds=0.0) == 0.0


def test_the_runner_paces_busy_ticks_by_the_batch_period(monkeypatch):
    """Busy ticks start at least ``batch_seconds`` apart (the loop waits for work to gather); the first idle
    tick is followed by the idle interval."""
    starts: list[float] = []

    def fake_tick(**_kwargs):
        starts.append(time.monotonic())
        return SimpleNamespace(busy=len(starts) <= 4)

    monkeypatch.setattr(jobs, "tick", fake_tick)
    runner = InProcessRunner(session_factory=None, transport=None, interval=0.6, match_timeout=None,
                             batch_seconds=0.15)
    runner.start()
    deadline = time.monotonic() + 10
    while len(starts) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    runner.stop()
    assert len(starts) >= 6
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(g >= 0.15 * 0.95 for g in gaps[:4]), gaps  # busy: paced by the batch period
    assert gaps[4] >= 0.6 * 0.95, gaps  # after the idle 5th tick: the interval
