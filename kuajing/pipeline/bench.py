"""``kuajing bench import --mode scaleout``: the import benchmark against the scale-out deployment.

The same traffic as :mod:`kuajing.imports.bench` (its parcel generator: four documents per parcel, messages
of 1–100 records, SM2-signed lists, the 1210/9610 mix), posted by keep-alive clients spread over ``apis``
``kuajing serve`` processes, with ``workers`` ``kuajing worker`` processes (Celery over RabbitMQ) on a fresh
PostgreSQL database (:mod:`kuajing.pipeline.deploy`). Reported with the import bench's own rows (accepted
and released parcels/s, p50/p99 intake latency, CPU per parcel, the floor of the same bytes), plus the CPU
of the workers and of RabbitMQ.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

from kuajing.imports import bench
from kuajing.pipeline import deploy


def rabbitmq_cpu() -> float:
    """CPU seconds of the RabbitMQ (Erlang) processes visible in /proc."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() in ("beam.smp", "erl_child_setup", "epmd"):
                total += bench.cpu_seconds(int(entry.name))
    return total


def run(*, seconds: float = 60.0, clients: int = 8, mix_1210: float = 0.5, workers: int = 1, apis: int = 2,
        threads: int = 2, admin_url: str | None = None, rate_cap: float = 400.0, drain_seconds: float | None = None,
        keep: bool = False, progress: bool = True, console=None) -> dict:
    """One scale-out run; returns the figures in the shape of :func:`kuajing.imports.bench.run`'s result."""
    import psycopg

    dep = deploy.start(apis=apis, workers=workers, threads=threads, admin_url=admin_url,
                       name=f"kuajing_bench_scaleout_{os.getpid()}",
                       extra_env={"KUAJING_INTAKE_MAX_QUEUE_DEPTH": "0"})  # measure, do not shed load
    result: dict = {"mode": f"scaleout ({apis} API, {workers} worker{'s' if workers > 1 else ''})", "clients": clients,
                    "seconds": seconds, "mix_1210": mix_1210, "database": dep.database, "apis": apis,
                    "workers": workers, "worker_threads": threads, "match_in": "pipeline"}
    try:
        planned = max(20, int(seconds * rate_cap))
        t_gen = time.perf_counter()
        postings, info = bench.make_postings(parcels=planned, parties=dep.zone.parties, signer=dep.zone.signer,
                                             mix_1210=mix_1210)
        result["generation_s"] = round(time.perf_counter() - t_gen, 2)
        result.update(info)
        result["intake_verifies_signatures"] = dep.zone.verified

        watch = psycopg.connect(bench._plain_url(dep.url))
        released_at: list[tuple[float, int]] = []
        stop = threading.Event()
        cpu0, pg0, mq0 = dep.cpu(), bench.postgres_cpu(), rabbitmq_cpu()
        t0 = time.perf_counter()
        box: dict = {}
        sender = threading.Thread(target=lambda: box.setdefault("out", deploy.send_all(
            postings=postings, keys=dep.zone.keys, base_urls=dep.base_urls, clients=clients, stop=stop)), daemon=True)
        sender.start()
        while sender.is_alive() and time.perf_counter() - t0 < seconds:
            time.sleep(0.5)
            released_at.append((time.perf_counter() - t0, bench._statuses(watch).get("released", 0)))
            if progress and console is not None:
                console.print(f"  {released_at[-1][0]:5.1f} s: {released_at[-1][1]} released", end="\r")
        stop.set()
        sender.join()
        out: deploy.Senders = box["out"]
        window = time.perf_counter() - t0
        accepted_in_window = out.tally.accepted
        released_in_window = bench._statuses(watch).get("released", 0)
        drain = drain_seconds if drain_seconds is not None else max(60.0, 3 * seconds)
        d0 = last_change = time.perf_counter()
        last = None
        while time.perf_counter() - d0 < drain:
            time.sleep(0.5)
            statuses = bench._statuses(watch)
            released_at.append((time.perf_counter() - t0, statuses.get("released", 0)))
            left = deploy.backlog(watch)
            if (statuses, left) != last:
                last, last_change = (statuses, left), time.perf_counter()
            if not any(left.values()) or time.perf_counter() - last_change > 30:
                break
        cpu_all, pg_all, mq_all = dep.cpu() - cpu0, bench.postgres_cpu() - pg0, rabbitmq_cpu() - mq0
        final = bench._statuses(watch)
        released_at.append((time.perf_counter() - t0, final.get("released", 0)))  # the last reading counts too
        stuck = watch.execute(bench.STUCK_SQL).fetchone()[0]
        watch.close()
        dep.stop()
        released_total = final.get("released", 0)
        last_release = next((t for t, r in released_at if r == released_total), window)
        sent = postings[:out.posted]
        fl = bench.floor(postings=sent, database_url=dep.url, certificate=dep.zone.certificate)
        lat = out.tally.latencies
        result.update({
            "requests": out.tally.requests, "errors": len(out.refused) + out.connection_errors, "retries": out.busy,
            "messages_lost": len(out.refused), "complete_sets_never_matched": stuck, "error_samples": out.refused[:5],
            "rejected_records": out.tally.rejected, "window_s": round(window, 2),
            "parcels_accepted": accepted_in_window, "accepted_per_s": accepted_in_window / window,
            "released_in_window": released_in_window, "released_in_window_per_s": released_in_window / window,
            "parcels_released": released_total, "last_release_s": round(last_release, 2),
            "released_end_to_end_per_s": released_total / last_release if last_release else 0.0,
            "list_statuses": final, "p50_ms": 1000 * bench.percentile(lat, 0.50),
            "p99_ms": 1000 * bench.percentile(lat, 0.99),
            "records_per_request": round(sum(len(p.parcels) for p in sent) / max(1, len(sent)), 2),
            "server_cpu_s": round(cpu_all, 2), "server_cpu_ms_per_parcel": 1000 * cpu_all / max(1, released_total),
            "postgres_cpu_s": round(pg_all, 2), "postgres_cpu_ms_per_parcel": 1000 * pg_all / max(1, released_total),
            "rabbitmq_cpu_s": round(mq_all, 2), "rabbitmq_cpu_ms_per_parcel": 1000 * mq_all / max(1, released_total),
            "api_cpu_s": round(sum(p.cpu() for p in dep.apis), 2),
            "worker_cpu_s": round(sum(p.cpu() for p in dep.workers), 2),
            "load_average": os.getloadavg(), "floor": fl,
        })
        return result
    finally:
        deploy.teardown(dep, keep=keep)
        if keep:
            result["kept"] = {"database": dep.url, "var_dir": str(dep.var_dir)}


def rows(result: dict):
    """The import bench's rows plus the scale-out figures."""
    yield from bench.rows(result)
    yield "API / worker processes (threads per worker)", (f"{result['apis']} / {result['workers']} "
                                                          f"({result['worker_threads']})")
    yield "CPU: API processes / workers / RabbitMQ", (f"{result['api_cpu_s']} s / {result['worker_cpu_s']} s / "
                                                     f"{result['rabbitmq_cpu_s']} s")
    yield "load average at the end (1/5/15 min)", " / ".join(f"{v:.1f}" for v in result["load_average"])
