"""A scale-out deployment on one machine, for the crash test, the overload test and ``kuajing bench import
--mode scaleout``: a fresh PostgreSQL database, N ``kuajing serve`` processes and M ``kuajing worker``
processes (celery mode over RabbitMQ or Redis, a queue of their own), and senders that post to them.

Each process can be killed (SIGKILL) and restarted; the senders send a message again on a connection error
or a 503 (after ``Retry-After``), to the next API node — as a real sender behind a load balancer would.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kuajing.imports import bench


@dataclass
class Proc:
    """One process of the deployment."""

    role: str  # api / worker
    index: int
    command: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    cpu_before: float = 0.0  # CPU seconds of earlier incarnations (killed or stopped)

    def start(self) -> None:
        """Start (or restart) the process."""
        if self.popen is not None:
            self.cpu_before += bench.cpu_seconds(self.popen.pid) if self.popen.poll() is None else 0.0
        self.popen = subprocess.Popen(self.command, env=self.env, stdout=self.log.open("ab"),
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, connections dropped."""
        if self.popen is not None and self.popen.poll() is None:
            self.cpu_before += bench.cpu_seconds(self.popen.pid)
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM (uvicorn and Celery shut down cleanly), then SIGKILL after 20 s."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.cpu_before += bench.cpu_seconds(self.popen.pid)
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def cpu(self) -> float:
        """CPU seconds of every incarnation so far."""
        live = bench.cpu_seconds(self.popen.pid) if self.popen is not None and self.popen.poll() is None else 0.0
        return self.cpu_before + live


@dataclass
class Deployment:
    """Database, settings, processes and the bench zone of one scale-out run."""

    admin_url: str
    database: str
    url: str
    var_dir: Path
    env: dict[str, str]
    zone: bench.Zone
    apis: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)

    @property
    def base_urls(self) -> list[str]:
        """The API nodes' base URLs."""
        return [f"http://127.0.0.1:{p.env['KUAJING_PORT']}" for p in self.apis]

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until every API node answers /healthz."""
        import httpx

        deadline = time.monotonic() + timeout
        for proc, base in zip(self.apis, self.base_urls, strict=True):
            while True:
                if proc.popen.poll() is not None:
                    raise RuntimeError(f"{proc.role} {proc.index} exited: {proc.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{base} did not answer /healthz within {timeout} s")
                time.sleep(0.2)

    def cpu(self) -> float:
        """CPU seconds of every API and worker process so far."""
        return sum(p.cpu() for p in (*self.apis, *self.workers))

    def stop(self) -> None:
        """Stop every process."""
        for p in (*self.apis, *self.workers):
            p.stop()


def start(*, apis: int = 2, workers: int = 2, admin_url: str | None = None, broker_url: str | None = None,
          threads: int = 2, name: str | None = None, extra_env: dict[str, str] | None = None) -> Deployment:
    """A fresh database, the bench zone (four senders, warehouse, stock, certificate), and the processes."""
    from kuajing.accounts.service import configure as configure_accounts
    from kuajing.db.base import import_all_models
    from kuajing.db.migrate import upgrade
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.db.types import Keyring, configure_keyring
    from kuajing.settings import Settings

    admin_url = admin_url or _admin_url()
    name = name or f"kuajing_scaleout_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="kuajing-scaleout-"))
    url = bench.create_database(admin_url, name)
    upgrade(url)
    env = bench.server_env(database_url=url, var_dir=var_dir, port=0, in_process=False)
    env.update({"KUAJING_PIPELINE_MODE": "celery", "KUAJING_PIPELINE_QUEUE": f"kuajing.{name}",
                "KUAJING_BROKER_URL": broker_url or os.environ.get("KUAJING_BROKER_URL")
                or "amqp://guest:guest@127.0.0.1:5672//",
                "KUAJING_WORKER_CONCURRENCY": str(threads), "KUAJING_DB_POOL_SIZE": "8",
                "KUAJING_PIPELINE_INTERVAL_SECONDS": "1", "KUAJING_REDISPATCH_AFTER_SECONDS": "20",
                "KUAJING_METRICS_DIR": str(var_dir / "metrics")})
    env.update(extra_env or {})
    settings = Settings(**{k.removeprefix("KUAJING_").lower(): v for k, v in env.items() if k.startswith("KUAJING_")})
    import_all_models()
    configure_keyring(Keyring.from_settings(settings))
    configure_accounts(secret_key=settings.secret("secret_key"))
    engine = make_engine(url)
    zone = bench.setup_zone(settings=settings, session_factory=make_sessionmaker(engine))
    engine.dispose()
    dep = Deployment(admin_url=admin_url, database=name, url=url, var_dir=var_dir, env=env, zone=zone)
    command = bench._kuajing_command()
    for i in range(apis):
        e = dict(env, KUAJING_PORT=str(bench._free_port()))
        dep.apis.append(Proc("api", i, [*command, "serve"], e, var_dir / f"api-{i}.log"))
    for i in range(workers):
        dep.workers.append(Proc("worker", i, [*command, "worker", "--loglevel", "WARNING"], dict(env),
                                var_dir / f"worker-{i}.log"))
    for p in (*dep.workers, *dep.apis):
        p.start()
    dep.wait_healthy()
    return dep


def log_tails(dep: Deployment, chars: int = 3000) -> dict[str, str]:
    """The end of each process's log (for a failure report)."""
    return {f"{p.role}-{p.index}": p.log.read_text(errors="replace")[-chars:] if p.log.exists() else ""
            for p in (*dep.apis, *dep.workers)}


def teardown(dep: Deployment, *, keep: bool = False) -> None:
    """Stop the processes, delete the broker queue, drop the database and the var dir (unless ``keep``)."""
    from kuajing.pipeline.celery_app import purge_queue
    from kuajing.settings import Settings

    dep.stop()
    with contextlib.suppress(Exception):
        purge_queue(Settings(broker_url=dep.env["KUAJING_BROKER_URL"], pipeline_queue=dep.env["KUAJING_PIPELINE_QUEUE"]))
    if not keep:
        with contextlib.suppress(Exception):
            bench.drop_database(dep.admin_url, dep.database)
        shutil.rmtree(dep.var_dir, ignore_errors=True)


def _admin_url() -> str:
    url = os.environ.get("KUAJING_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else bench.DEFAULT_ADMIN_URL


# --- senders ------------------------------------------------------------------------------------------


@dataclass
class Senders:
    """What the senders saw."""

    tally: bench.Tally = field(default_factory=bench.Tally)
    busy: int = 0  # 503 answers (back-pressure or transient conflicts)
    busy_retry_after: int = 0  # of which carried a Retry-After header
    busy_codes: dict[str, int] = field(default_factory=dict)  # problem codes of the 503s
    connection_errors: int = 0
    posted: int = 0  # messages answered 200
    refused: list[str] = field(default_factory=list)  # other 4xx answers (should stay empty)


def send_all(*, postings: list[bench.Posting], keys: list[str], base_urls: list[str], clients: int = 4,
             stop: threading.Event | None = None, retry_cap: float = 2.0, on_posted=None, on_busy=None) -> Senders:
    """Post every message (keep-alive clients, round-robin over the API nodes), each until answered 200."""
    work: queue.Queue = queue.Queue()
    for posting in postings:
        work.put(posting)
    out = Senders()
    stop = stop or threading.Event()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=_sender, args=(n, base_urls, keys, work, out, stop, t0, retry_cap, on_posted, on_busy),
                                daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _sender(n: int, base_urls: list[str], keys: list[str], work: queue.Queue, out: Senders, stop: threading.Event,
            t0: float, retry_cap: float, on_posted, on_busy) -> None:
    import httpx

    node = n % len(base_urls)
    clients = [httpx.Client(base_url=b, timeout=60, headers={"Accept": "application/json",
                                                             "Content-Type": "application/xml"}) for b in base_urls]
    tally = out.tally
    try:
        while not stop.is_set():
            try:
                posting: bench.Posting = work.get_nowait()
            except queue.Empty:
                return
            start = time.perf_counter()
            resp = None
            while not stop.is_set():
                try:
                    resp = clients[node].post("/ceb", content=posting.data, headers={"X-API-Key": keys[posting.sender]})
                except httpx.HTTPError:
                    with tally.lock:
                        out.connection_errors += 1
                    node = (node + 1) % len(base_urls)  # the node is down: the next one
                    time.sleep(0.2)
                    continue
                if resp.status_code == 200:
                    break
                if resp.status_code == 503:
                    with tally.lock:
                        out.busy += 1
                        out.busy_retry_after += "retry-after" in resp.headers
                        out.busy_codes[resp.json().get("code", "")] = out.busy_codes.get(resp.json().get("code", ""), 0) + 1
                    if on_busy is not None:
                        on_busy(out)
                    time.sleep(min(retry_cap, float(resp.headers.get("retry-after", "1"))))
                    continue
                with tally.lock:
                    out.refused.append(f"{resp.status_code}: {resp.text[:300]}")
                resp = None
                break
            if resp is None or resp.status_code != 200:
                continue
            elapsed, now = time.perf_counter() - start, time.perf_counter() - t0
            verdicts = resp.json()["records"]
            with tally.lock:
                out.posted += 1
                tally.requests += 1
                tally.latencies.append(elapsed)
                for number, verdict in zip(posting.parcels, verdicts, strict=False):
                    if verdict["code"] != "2":
                        tally.rejected[verdict["code"]] = tally.rejected.get(verdict["code"], 0) + 1
                        continue
                    done = tally.docs_accepted.get(number, 0) + 1
                    tally.docs_accepted[number] = done
                    if done == 4:
                        tally.accepted_at[number] = now
            if on_posted is not None:
                on_posted(out)
    finally:
        for c in clients:
            c.close()


# --- waiting and counting -----------------------------------------------------------------------------

FINAL = ("released", "customs_rejected", "limit_rejected", "stock_short", "check_failed", "match_timeout", "mismatch")


def backlog(conn) -> dict[str, int]:
    """What is still moving: pending outbox rows, unapplied customs messages, sandbox work, lists not final."""
    row = conn.execute("""
        SELECT (SELECT count(*) FROM import_outbox WHERE status = 'pending'),
               (SELECT count(*) FROM customs_sandbox_receipts WHERE delivered_at IS NULL AND failed_at IS NULL),
               (SELECT count(*) FROM customs_sandbox_declarations WHERE next_status IS NOT NULL),
               (SELECT count(*) FROM import_inventories WHERE status <> ALL(%s))
    """, (list(FINAL),)).fetchone()
    conn.commit()
    return {"outbox_pending": row[0], "customs_undelivered": row[1], "customs_moving": row[2], "lists_open": row[3]}


def wait_drained(url: str, *, timeout: float, expected_lists: int | None = None, progress=None) -> dict:
    """Poll until nothing moves any more (every list final, nothing pending) or ``timeout``; the last backlog."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(bench._plain_url(url)) as conn:
        while True:
            left = backlog(conn)
            lists = conn.execute("SELECT count(*) FROM import_inventories").fetchone()[0]
            conn.commit()
            if progress:
                progress(left, lists)
            done = not any(left.values()) and (expected_lists is None or lists >= expected_lists)
            if done or time.monotonic() > deadline:
                left["lists"] = lists
                return left
            time.sleep(0.5)
