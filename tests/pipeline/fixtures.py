"""The pipeline in either mode for end-to-end tests (loaded by tests/conftest.py as a plugin).

``pipeline`` is parametrised: ``inprocess`` runs pipeline ticks in the test process with the customs
sandbox; ``celery`` has a real ``kuajing worker`` process (Celery over RabbitMQ, a queue of its own, the
dispatcher leading) work on the suite's own database, and waits until nothing moves any more. A test that
takes ``pipeline`` runs in both modes and asserts the same outcome::

    def test_something(client, db, zone, pipeline):
        ...post the documents...
        pipeline.run_until_quiet()
        ...assert the released list...
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[2]


class InProcess:
    """Pipeline ticks in this process, with the sandbox (no delay, no inspection)."""

    mode = "inprocess"

    def __init__(self, session_factory):
        from kuajing.customs.service import SandboxConfig, SandboxCustoms

        self.session_factory = session_factory
        self.transport = SandboxCustoms(session_factory=session_factory,
                                        config=SandboxConfig(delay_seconds=0, inspection_rate=0))

    def run_until_quiet(self, limit: int = 20) -> list:
        from kuajing.pipeline.service import tick

        results = []
        for _ in range(limit):
            result = tick(session_factory=self.session_factory, transport=self.transport,
                          match_timeout=timedelta(hours=72))
            results.append(result)
            if not result.busy:
                break
        return results


class CeleryWorker:
    """A real ``kuajing worker`` process on the suite's database; waits by watching the database."""

    mode = "celery"

    def __init__(self, process: subprocess.Popen, log: Path, session_factory):
        self.process, self.log, self.session_factory = process, log, session_factory

    def backlog(self) -> tuple:
        from kuajing.customs.models import SandboxDeclaration, SandboxReceipt
        from kuajing.imports.models import Inventory, OutboxMessage
        from kuajing.pipeline.models import InboxMessage

        with self.session_factory() as s:
            count = lambda q: s.scalar(select(func.count()).select_from(q.subquery()))  # noqa: E731
            return (count(select(OutboxMessage.id).where(OutboxMessage.status == "pending")),
                    count(select(SandboxReceipt.id).where(SandboxReceipt.delivered_at.is_(None),
                                                          SandboxReceipt.failed_at.is_(None))),
                    count(select(SandboxDeclaration.id).where(SandboxDeclaration.next_status.is_not(None))),
                    count(select(InboxMessage.id).where(InboxMessage.applied_at.is_(None))),
                    count(select(Inventory.id).where(Inventory.status == "awaiting_documents")))

    def run_until_quiet(self, timeout: float = 150.0) -> list:
        """Until nothing is pending for a second (a bound on waiting, not a speed claim)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"kuajing worker exited: {self.log.read_text()[-3000:]}")
            left = self.backlog()
            if not any(left[:4]):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 1.0:
                    return []
            else:
                quiet_since = None
            time.sleep(0.1)
        raise AssertionError(f"the celery pipeline did not drain in {timeout} s: {self.backlog()}; "
                             f"{self.log.read_text()[-3000:]}")


@pytest.fixture
def celery_worker_process(settings, tmp_path_factory):
    """A ``kuajing worker`` for one test, on the suite's database and a queue of its own (stopped after the
    test, so it never works beside an in-process test)."""
    queue = f"kuajing.test.{uuid.uuid4().hex[:12]}"
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUAJING_")}
    env.update({
        "PYTHONPATH": str(REPO), "KUAJING_ENV": "test", "KUAJING_VAR_DIR": str(settings.var_dir),
        "KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_PIPELINE_MODE": "celery",
        "KUAJING_PIPELINE_QUEUE": queue, "KUAJING_CUSTOMS_SANDBOX_DELAY_SECONDS": "0",
        "KUAJING_CUSTOMS_SANDBOX_INSPECTION_RATE": "0", "KUAJING_PIPELINE_INTERVAL_SECONDS": "0.5",
        "KUAJING_WORKER_CONCURRENCY": "2", "KUAJING_REDISPATCH_AFTER_SECONDS": "20",
    })
    if settings.ceb_spec_dir:
        env["KUAJING_CEB_SPEC_DIR"] = str(settings.ceb_spec_dir)
    exe = Path(sys.executable).with_name("kuajing")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "kuajing.cli"]
    process = subprocess.Popen([*command, "worker", "--loglevel", "WARNING"], env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    yield process, log
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    from kuajing.pipeline.celery_app import purge_queue
    from kuajing.settings import Settings

    with contextlib.suppress(Exception):  # the broker is gone already: nothing to delete
        purge_queue(Settings(pipeline_queue=queue, broker_url=settings.broker_url))


@pytest.fixture(params=["inprocess", "celery"])
def pipeline(request, session_factory):
    """The pipeline in each mode (see the module docstring)."""
    if request.param == "inprocess":
        return InProcess(session_factory)
    process, log = request.getfixturevalue("celery_worker_process")
    return CeleryWorker(process, log, session_factory)
