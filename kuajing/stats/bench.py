"""``kuajing bench stats``: the dashboard's queries on PostgreSQL over N released lists (default 10 million).

Everything lives in a throwaway database ``kuajing_bench_stats_<pid>`` (dropped at the end unless ``keep``):

1. schema by the migrations;
2. the fact stream of N released lists — exactly the rows the event subscribers append (one per list and
   (country, HS heading); a share of lists have two) — generated set-based with ``generate_series`` in batches;
   200 enterprises in 10 districts and 8 parks, 36 months, 4 modes, 60 countries (skewed), ~300 HS headings;
3. the production fold (``service.fold``: claim with SKIP LOCKED, additive upserts, delete) into the aggregates;
4. each dashboard query (targets, monthly trend, mode mix, top-10 countries, top-10 products, district
   ranking) over a 12-month window, without a filter and with each one filter, ``repeat`` times: median and max.

The dashboard reads only the aggregates, whose size depends on the dimensions' cardinality, not on N.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date

from sqlalchemy import text

from kuajing.imports.bench import DEFAULT_ADMIN_URL, create_database, drop_database

DISTRICTS = ("150202", "150203", "150204", "150205", "150206", "150207", "150221", "150222", "150223", "150271")

#: one batch of N lists' facts: list g gets one fact row, and a second one (another heading) when g % 5 = 0
FACTS_SQL = """
INSERT INTO stats_facts (direction, inventory_id, event, month, mode, country, hs_heading, enterprise_id, district,
                         park, currency, amount, value_cny, parcels, lines, created_at)
SELECT s.direction, s.g, 'release', s.month,
       CASE WHEN s.direction = 'import' THEN (CASE WHEN s.r1 < 0.55 THEN '1210' ELSE '9610' END)
            ELSE (CASE WHEN s.r1 < 0.6 THEN '9610' WHEN s.r1 < 0.85 THEN '9710' ELSE '9810' END) END,
       (101 + floor(60 * power(s.r2, 3)))::int::text,
       lpad((1 + (s.e * 7 + floor(40 * power(s.r3, 2))::int + k.k * 13) % 97)::text, 2, '0')
         || lpad((1 + floor(s.r3 * 3)::int + k.k)::text, 2, '0'),
       s.e, (ARRAY['150202','150203','150204','150205','150206','150207','150221','150222','150223','150271'])[1 + s.e % 10],
       'park-' || (s.e % 8), '142', s.v, s.v, CASE WHEN k.k = 0 THEN 1 ELSE 0 END, 1, now()
FROM (SELECT g, CASE WHEN random() < 0.7 THEN 'import' ELSE 'export' END AS direction,
             (CAST(:start AS date) + make_interval(months => floor(random() * :months)::int))::date AS month,
             1 + floor(200 * power(random(), 1.5))::int AS e, random() AS r1, random() AS r2, random() AS r3,
             round((20 + random() * 980)::numeric, 2) AS v
      FROM generate_series(:lo, :hi) AS g) AS s
JOIN LATERAL (SELECT 0 AS k UNION ALL SELECT 1 WHERE s.g % 5 = 0) AS k ON true
"""


def _progress(console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console)


AGGREGATES = ("stats_agg_enterprise", "stats_agg_country", "stats_agg_product", "stats_agg_country_zone",
              "stats_agg_product_zone")


def run(*, lists: int = 10_000_000, batch: int = 500_000, months: int = 36, repeat: int = 7,
        admin_url: str | None = None, keep: bool = False, reuse: str | None = None, console=None) -> dict:
    """Build the data set, fold it, time the queries; returns the figures. ``reuse`` names a database kept by an
    earlier run (``keep``): only the queries are timed again (e.g. when the machine is quieter)."""
    from rich.console import Console

    from kuajing.db.migrate import upgrade
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.stats import service

    console = console or Console()
    admin_url = admin_url or os.environ.get("KUAJING_BENCH_ADMIN_URL") or DEFAULT_ADMIN_URL
    if reuse:
        from kuajing.imports.bench import _plain_url, _sa_url

        name, keep = reuse, True
        url = _sa_url(_plain_url(admin_url).rsplit("/", 1)[0] + "/" + reuse)
    else:
        name = f"kuajing_bench_stats_{os.getpid()}"
        url = create_database(admin_url, name)
    result: dict = {"database": name, "lists": lists, "months": months, "cpus": os.cpu_count()}
    engine = make_engine(url)
    try:
        if reuse:
            with engine.connect() as conn:
                result["lists"] = conn.execute(text("SELECT sum(parcels) FROM stats_agg_enterprise")).scalar_one()
            return _time_queries(engine, result, months=months, repeat=repeat, console=console)
        upgrade(url)
        start = date(2024, 1, 1)
        t0 = time.perf_counter()
        with _progress(console) as progress:
            task = progress.add_task("generate facts (generate_series)", total=lists)
            lo = 1
            while lo <= lists:
                hi = min(lists, lo + batch - 1)
                with engine.begin() as conn:
                    conn.execute(text(FACTS_SQL), {"start": start, "months": months, "lo": lo, "hi": hi})
                progress.update(task, completed=hi)
                lo = hi + 1
        result["generate_s"] = round(time.perf_counter() - t0, 1)
        with engine.connect() as conn:
            result["facts"] = conn.execute(text("SELECT count(*) FROM stats_facts")).scalar_one()
        factory = make_sessionmaker(engine)
        t0 = time.perf_counter()
        with _progress(console) as progress:
            task = progress.add_task("fold facts → aggregates", total=result["facts"])
            service.fold_all(session_factory=factory, limit=batch, progress=lambda n: progress.advance(task, n))
        result["fold_s"] = round(time.perf_counter() - t0, 1)
        result["fold_facts_per_s"] = round(result["facts"] / max(result["fold_s"], 1e-9))
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in AGGREGATES:
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        return _time_queries(engine, result, months=months, repeat=repeat, console=console)
    finally:
        engine.dispose()
        if not keep:
            drop_database(admin_url, name)


def _time_queries(engine, result: dict, *, months: int, repeat: int, console) -> dict:
    from sqlalchemy.orm import Session

    from kuajing.stats import service, targets

    with engine.connect() as conn:
        result["aggregate_rows"] = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in AGGREGATES}
        result["database_size"] = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                                               ).scalar_one()
    end = date(2024 + (months - 1) // 12, (months - 1) % 12 + 1, 1)
    today = date(end.year, end.month, 15)
    filters = {"none": {}, "mode=9610": {"mode": "9610"}, "district=150207": {"district": "150207"},
               "direction=export": {"direction": "export"}}
    queries = {
        "targets": lambda s, f: targets.progress(session=s, today=today),
        "monthly trend": lambda s, f: service.trend(session=s, filters=f),
        "mode mix": lambda s, f: service.mode_mix(session=s, filters=f),
        "top-10 countries": lambda s, f: service.top_countries(session=s, filters=f),
        "top-10 products": lambda s, f: service.top_products(session=s, filters=f),
        "district ranking": lambda s, f: service.district_ranking(session=s, filters=f),
    }
    timings = []
    with _progress(console) as progress:
        task = progress.add_task("time the dashboard queries", total=len(queries) * len(filters))
        for qname, fn in queries.items():
            for fname, kw in filters.items():
                if qname == "targets" and fname != "none":
                    progress.advance(task)
                    continue
                f = service.Filters(end=end, months=12, **kw)
                samples = []
                with Session(engine) as s:
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        fn(s, f)
                        samples.append((time.perf_counter() - t0) * 1000)
                        s.rollback()
                timings.append({"query": qname, "filter": fname, "median_ms": round(statistics.median(samples), 1),
                                "max_ms": round(max(samples), 1)})
                progress.advance(task)
    result["timings"] = timings
    result["worst_ms"] = max(t["max_ms"] for t in timings)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result
