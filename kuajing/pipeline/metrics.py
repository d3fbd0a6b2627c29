"""Prometheus metrics (运行指标) of the API and worker processes, multiprocess-safe.

Every process of a node (``kuajing serve`` workers, ``kuajing worker`` processes) writes its counters and
histograms into one directory (``KUAJING_METRICS_DIR``, default ``<var_dir>/metrics``; prometheus-client's
multiprocess mode, chosen by ``PROMETHEUS_MULTIPROC_DIR`` before the first metric exists). ``GET /metrics``
of any API process sums them all, and adds the queue depths read from the database at scrape time (the
truth shared by every node, so no process keeps a gauge of it).

Metrics:

* ``kuajing_intake_requests_total{outcome}`` and ``kuajing_intake_seconds`` — intake requests (POST /ceb,
  the JSON and Excel intake) by outcome (``ok``, ``busy`` for back-pressure 503s, ``error``) and their latency;
* ``kuajing_intake_records_total{message_type,code}`` — committed platform verdicts per record (``2`` accepted);
* ``kuajing_rejections_total{code,level}`` — refusals by stable code: ``request`` (problem+json answers)
  and ``record`` (a record's platform receipt other than ``2``);
* ``kuajing_stage_seconds{stage}`` and ``kuajing_tasks_total{task,outcome}`` — the pipeline stages (relay,
  send, poll, apply, housekeeping, tick) and their tasks;
* ``kuajing_queue_depth{queue}`` — ``outbox_pending`` (declarations not yet sent to customs),
  ``match_queued`` (parcels waiting for the pipeline's three-document match, ``KUAJING_MATCH_IN=pipeline``),
  ``customs_unapplied`` (customs messages dispatched but not applied), ``broker`` (celery mode: messages
  waiting in the broker queue).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("kuajing.pipeline")
_metrics: dict | None = None
_lock = threading.Lock()
INTAKE_PATHS = ("/ceb", "/api/v1/imports/", "/api/v1/exports/")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def metrics_dir(settings) -> Path:
    """The node's multiprocess directory."""
    return Path(settings.metrics_dir or Path(settings.var_dir) / "metrics")


def setup(settings) -> None:
    """Choose the multiprocess directory (before prometheus-client creates any metric) and create it."""
    path = metrics_dir(settings)
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(path))


def m() -> dict:
    """The metric objects (created once per process, after :func:`setup`)."""
    global _metrics
    if _metrics is not None:
        return _metrics
    with _lock:
        if _metrics is not None:
            return _metrics
        from prometheus_client import Counter, Histogram

        _metrics = {
            "intake_requests": Counter("kuajing_intake_requests", "Intake requests by outcome", ["outcome"]),
            "intake_seconds": Histogram("kuajing_intake_seconds", "Intake request latency", buckets=LATENCY_BUCKETS),
            "intake_records": Counter("kuajing_intake_records", "Committed platform verdicts per record",
                                      ["message_type", "code"]),
            "rejections": Counter("kuajing_rejections", "Refusals by stable code", ["code", "level"]),
            "stage_seconds": Histogram("kuajing_stage_seconds", "Pipeline stage latency", ["stage"],
                                       buckets=LATENCY_BUCKETS),
            "tasks": Counter("kuajing_tasks", "Pipeline tasks by outcome", ["task", "outcome"]),
        }
    return _metrics


def is_intake(method: str, path: str) -> bool:
    """Whether a request is an intake (a declaration coming in)."""
    if method != "POST":
        return False
    return path == "/ceb" or (path.startswith(INTAKE_PATHS[1:]) and not path.endswith(
        ("/delegations", "/customs-declarations", "/warehouses")) and "/customs-declarations/" not in path)


def observe_stage(stage: str, seconds: float) -> None:
    """Record one stage run."""
    m()["stage_seconds"].labels(stage).observe(seconds)


def count_task(task: str, outcome: str, n: int = 1) -> None:
    """Count tasks by outcome."""
    if n:
        m()["tasks"].labels(task, outcome).inc(n)


def count_rejection(code: str, level: str) -> None:
    """Count one refusal by its stable code."""
    m()["rejections"].labels(code, level).inc()


# --- committed verdicts (a session hook: no change to the intake code) -------------------------------


def note_verdicts(session, verdicts: list[tuple[str, str]]) -> None:
    """Count platform verdicts written without ORM objects (a Core INSERT of receipts), as the hook counts
    the ORM ones: (declaration type, return status) pairs, counted when the session commits."""
    if verdicts and getattr(install_session_hooks, "done", False):
        session.info.setdefault("kuajing_verdicts", []).extend(verdicts)


def install_session_hooks() -> None:
    """Count the platform receipts (verdict per record) that commit, whatever code path wrote them."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if getattr(install_session_hooks, "done", False):
        return
    install_session_hooks.done = True

    @event.listens_for(Session, "after_flush")
    def _collect(session, _ctx):
        from kuajing.imports.models import Receipt

        for obj in session.new:
            if isinstance(obj, Receipt) and obj.source == "platform":
                session.info.setdefault("kuajing_verdicts", []).append((obj.declaration_type, obj.return_status))

    @event.listens_for(Session, "after_commit")
    def _count(session):
        verdicts = session.info.pop("kuajing_verdicts", None)
        if not verdicts:
            return
        try:
            counters = m()
            for message_type, code in verdicts:
                counters["intake_records"].labels(message_type, code).inc()
                if code != "2":
                    counters["rejections"].labels(code, "record").inc()
        except Exception:  # metrics never fail a committed transaction
            log.exception("metrics: verdicts not counted")

    @event.listens_for(Session, "after_rollback")
    def _forget(session):
        session.info.pop("kuajing_verdicts", None)


# --- scrape -------------------------------------------------------------------------------------------


def queue_depths(*, session, settings=None, broker: bool = False) -> dict[str, int]:
    """The queue depths read now: pending outbox rows, parcels waiting for the match, unapplied customs
    messages (and the broker queue)."""
    from sqlalchemy import func, select

    from kuajing.imports.models import MatchQueueItem, OutboxMessage
    from kuajing.pipeline.models import InboxMessage

    depths = {
        "outbox_pending": session.scalar(select(func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.status == "pending")) or 0,
        "match_queued": session.scalar(select(func.count()).select_from(MatchQueueItem)) or 0,
        "customs_unapplied": session.scalar(select(func.count()).select_from(InboxMessage)
                                            .where(InboxMessage.applied_at.is_(None))) or 0,
    }
    if broker and settings is not None and settings.pipeline_mode == "celery":
        from kuajing.pipeline.celery_app import broker_queue_depth

        depth = broker_queue_depth(settings)
        if depth is not None:
            depths["broker"] = depth
    return depths


def render(*, session, settings) -> bytes:
    """The Prometheus text exposition of every process of this node plus the queue depths."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    m()  # this process's metrics exist (and are written to the directory)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    depths = queue_depths(session=session, settings=settings, broker=True)

    class Depths:
        def collect(self):
            g = GaugeMetricFamily("kuajing_queue_depth", "Work waiting, read from the database / broker at scrape",
                                  labels=["queue"])
            for name, value in depths.items():
                g.add_metric([name], value)
            yield g

    registry.register(Depths())
    return generate_latest(registry)


# --- a worker's own scrape endpoint -------------------------------------------------------------------


def serve_worker_metrics(*, settings, session_factory, port: int, host: str = "127.0.0.1"):
    """Serve ``GET /metrics`` from a ``kuajing worker`` process (``--metrics-port``), for machines that run
    workers and no API process: the same exposition as an API node's ``/metrics`` (every process writing
    into this machine's ``KUAJING_METRICS_DIR`` plus the queue depths), the same bearer token. Returns the
    running ``ThreadingHTTPServer`` (a daemon thread serves it)."""
    import hmac
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from prometheus_client import CONTENT_TYPE_LATEST

    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                return self._answer(404, b"not found\n", "text/plain")
            given = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            if token is not None and not hmac.compare_digest(given.encode(), token.encode()):
                return self._answer(401, b"unauthenticated\n", "text/plain", {"WWW-Authenticate": "Bearer"})
            try:
                with session_factory() as session:
                    body = render(session=session, settings=settings)
            except Exception:  # the database is down: say so, the scrape marks the target unhealthy
                log.exception("worker metrics: scrape failed")
                return self._answer(503, b"unavailable\n", "text/plain")
            return self._answer(200, body, CONTENT_TYPE_LATEST)

        def _answer(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):  # scrapes are not worth a log line each
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="kuajing-worker-metrics", daemon=True).start()
    return server
