"""In-process cost per parcel of retail import (no HTTP): ``python -m kuajing.imports.bench_inprocess [N] [intake|pump]``.

The same parcels as ``kuajing bench import`` (four documents each, messages of 1–100 records, SM2-signed
lists, half 1210), on a fresh PostgreSQL database next to ``KUAJING_BENCH_ADMIN_URL``: every message
through ``accept`` (one transaction each), then pipeline ticks (outbox, sandbox customs, receipts) until
nothing moves. Prints, per parcel, this process's CPU, the CPU of every postgres process (on a shared
machine an upper bound) and the SQL statements sent, with the most frequent statements of each phase;
with ``intake`` or ``pump`` a cProfile (CPU time) of that phase. A development tool: the statement counts
are exact and do not depend on the machine's load, so before/after comparisons hold on a shared machine.
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import re
import sys
import tempfile
import time
import types
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, select

from kuajing.imports import bench


def _setup(url: str):
    from kuajing.accounts.service import configure as configure_accounts
    from kuajing.db.base import import_all_models
    from kuajing.db.migrate import upgrade
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.db.types import Keyring, configure_keyring
    from kuajing.settings import Settings

    upgrade(url)
    env = bench.server_env(database_url=url, var_dir=Path(tempfile.mkdtemp(prefix="kuajing-inproc-")), port=1,
                           in_process=False)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KUAJING_")})
    settings = Settings(**{k.removeprefix("KUAJING_").lower(): v for k, v in env.items() if k.startswith("KUAJING_")})
    import_all_models()
    configure_keyring(Keyring.from_settings(settings))
    configure_accounts(secret_key=settings.secret("secret_key"))
    from kuajing.certificates.service import configure as configure_signing

    configure_signing(settings)  # as `kuajing serve` does: the platform signs what it sends (SM2), counted here too
    engine = make_engine(url)
    return settings, engine, make_sessionmaker(engine, settings=settings)


def run(parcels: int = 300, profile: str = "", top: int = 25) -> dict:
    """Intake then pump of ``parcels`` parcels in this process; returns the figures (and prints them)."""
    from kuajing.ceb import parse
    from kuajing.customs.service import transport_for
    from kuajing.db.base import utcnow
    from kuajing.db.session import commit_with_retry
    from kuajing.enterprises.models import Enterprise
    from kuajing.imports.service import accept
    from kuajing.pipeline.service import tick

    admin = os.environ.get("KUAJING_BENCH_ADMIN_URL") or bench.DEFAULT_ADMIN_URL
    name = f"kuajing_inproc_{os.getpid()}"
    url = bench.create_database(admin, name)
    engine = None
    try:
        settings, engine, sf = _setup(url)
        zone = bench.setup_zone(settings=settings, session_factory=sf)
        postings, _info = bench.make_postings(parcels=parcels, parties=zone.parties, signer=zone.signer,
                                              mix_1210=0.5)
        with sf() as s:
            ids = {e.customs_code: e.id for e in s.scalars(select(Enterprise))}
        principals = [types.SimpleNamespace(enterprise_id=ids[c]) for c in zone.parties]
        counts: dict[str, dict[str, int]] = {"intake": {}, "pump": {}}
        phase = {"now": "intake"}

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn, cursor, statement, params, context, executemany):
            key = re.sub(r"\s+", " ", statement)[:70]
            by = counts[phase["now"]]
            by[key] = by.get(key, 0) + 1

        logging.disable(logging.WARNING)
        prof = cProfile.Profile(time.process_time) if profile else None
        rejected: dict[str, int] = {}
        t0, pg0 = time.process_time(), bench.postgres_cpu()
        if profile == "intake":
            prof.enable()
        for p in postings:
            msg = parse(p.data)
            with sf() as session:
                res = commit_with_retry(session, lambda msg=msg, p=p, session=session: accept(
                    session=session, message=msg, principal=principals[p.sender], received_at=utcnow(), raw=p.data))
                for v in res.records:
                    if v.code != "2":
                        rejected[v.code] = rejected.get(v.code, 0) + 1
        if profile == "intake":
            prof.disable()
        t1, pg1 = time.process_time(), bench.postgres_cpu()
        phase["now"] = "pump"
        transport = transport_for(settings, session_factory=sf)
        if profile == "pump":
            prof.enable()
        ticks = 0
        while tick(session_factory=sf, transport=transport, match_timeout=timedelta(hours=72)).busy:
            ticks += 1
        if profile == "pump":
            prof.disable()
        t2, pg2 = time.process_time(), bench.postgres_cpu()
        import psycopg

        with psycopg.connect(bench._plain_url(url)) as c:
            statuses = dict(c.execute("SELECT status, count(*) FROM import_inventories GROUP BY 1").fetchall())
            events = c.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        n = parcels
        out = {
            "parcels": n, "messages": len(postings), "rejected": rejected, "statuses": statuses,
            "audit_events_per_parcel": events / n, "ticks": ticks,
            "intake_cpu_ms": 1000 * (t1 - t0) / n, "pump_cpu_ms": 1000 * (t2 - t1) / n,
            "intake_pg_ms": 1000 * (pg1 - pg0) / n, "pump_pg_ms": 1000 * (pg2 - pg1) / n,
            "intake_statements": sum(counts["intake"].values()) / n,
            "pump_statements": sum(counts["pump"].values()) / n,
            "load_average": os.getloadavg(),
        }
        print(f"parcels {n}, messages {len(postings)}, rejected {rejected}, lists {statuses}, "
              f"audit events {out['audit_events_per_parcel']:.1f} per parcel, load {os.getloadavg()}")
        for ph in ("intake", "pump"):
            print(f"{ph}: CPU {out[ph + '_cpu_ms']:.1f} ms, PostgreSQL (all) {out[ph + '_pg_ms']:.1f} ms, "
                  f"{out[ph + '_statements']:.1f} statements per parcel")
            for k, v in sorted(counts[ph].items(), key=lambda kv: -kv[1])[:top]:
                print(f"  {v / n:7.2f}  {k}")
        if prof is not None:
            if os.environ.get("KUAJING_PROFILE_OUT"):  # keep the raw profile for other views (pstats, snakeviz)
                prof.dump_stats(os.environ["KUAJING_PROFILE_OUT"])
            pstats.Stats(prof).sort_stats(os.environ.get("KUAJING_PROFILE_SORT", "cumulative")).print_stats(40)
        return out
    finally:
        if engine is not None:
            engine.dispose()
        bench.drop_database(admin, name)


if __name__ == "__main__":  # pragma: no cover - a development tool
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 300, sys.argv[2] if len(sys.argv) > 2 else "")
