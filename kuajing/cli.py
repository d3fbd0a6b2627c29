"""The ``kuajing`` command line: serve, worker, demo, db, data, audit, bench, users …"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import typer
from rich.console import Console

from kuajing.settings import Settings

app = typer.Typer(help="Kuajing — cross-border e-commerce pilot-zone platform (跨境电商综试区线上综合服务平台)",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
data_app = typer.Typer(help="Maintained reference data (exchange rates, holidays, tariffs).", no_args_is_help=True)
audit_app = typer.Typer(help="Tamper-evident audit trail.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (figures go into the README).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
app.add_typer(audit_app, name="audit")
app.add_typer(bench_app, name="bench")
stats_app = typer.Typer(help="Statistics (统计监测): fold the fact queue, rebuild the aggregates.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")
users_app = typer.Typer(help="People's accounts (the first zone operator of a new installation).", no_args_is_help=True)
app.add_typer(users_app, name="users")
risk_app = typer.Typer(help="Risk prevention: rules scan, credit grades, data-export counters.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")

# Wide enough that generated keys and passwords are never wrapped when the output is a file or a pipe.
console = Console() if sys.stdout.isatty() else Console(width=200)


def _settings() -> Settings:
    return Settings.load()


def _session_factory(settings: Settings):
    from kuajing.accounts.service import configure as configure_accounts
    from kuajing.db.base import import_all_models
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.db.types import Keyring, configure_keyring

    import_all_models()  # every mapper and foreign key target known, whatever the command imports
    configure_keyring(Keyring.from_settings(settings))
    from kuajing.certificates.service import configure as configure_signing

    configure_signing(settings)  # the platform signer (development: key generated into <var_dir>/keys/)

    configure_accounts(secret_key=settings.secret("secret_key"))
    return make_sessionmaker(make_engine(settings.effective_database_url), settings=settings)


# --- database -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Create or migrate the database to ``revision``."""
    from kuajing.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"[green]database at {revision}[/green]: {_safe_url(settings.effective_database_url)}")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree (CI runs this)."""
    from kuajing.db.migrate import check

    settings = _settings()
    diffs = check(settings.effective_database_url)
    if diffs:
        console.print("[red]models and migrations disagree:[/red]")
        for diff in diffs:
            console.print(f"  {diff}")
        raise typer.Exit(1)
    console.print("[green]models and migrations agree[/green]")


# --- serving and demo -----------------------------------------------------------------------------


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (KUAJING_HOST)"),
    port: int = typer.Option(None, help="port (KUAJING_PORT, default 8000)"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
    reload: bool = typer.Option(False, help="reload on code changes (development)"),
) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    settings = _settings()
    uvicorn.run("kuajing.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, reload=reload, proxy_headers=True, log_level="info")


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="only load when the database has no enterprises"),
    seed: int = typer.Option(2023, help="random seed (same seed, same zone)"),
    parcels: int = typer.Option(120, help="demo import parcels sent through the pipeline and the sandbox customs"),
) -> None:
    """Load the Baotou demo zone (enterprises, logins, API keys) and print the demo logins."""
    from kuajing.demo import load_demo

    settings = _settings()
    load_demo(settings=settings, session_factory=_session_factory(settings), console=console, if_empty=if_empty, seed=seed,
              parcels=parcels)


# --- reference data -------------------------------------------------------------------------------


@data_app.command("import")
def data_import(path: Path = typer.Argument(..., exists=True, readable=True, help="CSV/JSON/XLSX data file"),
                kind: str = typer.Option(None, help="table kind; guessed from the file when omitted")) -> None:
    """Import a maintained reference-data file (exchange rates, holidays, HS tax rates) as a new version."""
    from kuajing.data.service import import_file
    from kuajing.db.session import transaction
    from kuajing.errors import AppError

    settings = _settings()
    try:
        with transaction(_session_factory(settings)) as session:
            result = import_file(session=session, path=path, kind=kind, console=console)
    except AppError as err:  # a bad file is the user's to fix: list every problem, exit 1, nothing saved
        from rich.markup import escape

        problem = err.to_problem(settings.locale)
        console.print(f"[red]{escape(problem['title'])}[/red]: {escape(problem.get('detail', ''))}")
        for issue in problem["errors"]:
            console.print(f"  {issue['path']}: {issue['message']} [{issue['code']}]", markup=False)
        raise typer.Exit(1) from None
    console.print(f"[green]imported[/green] {result}")


# --- audit ----------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Verify every audit stream's hash chain and the signed checkpoints; report the first broken link."""
    from kuajing.audit.service import verify_all

    settings = _settings()
    factory = _session_factory(settings)
    with factory() as session:
        report = verify_all(session=session, key=settings.secret("audit_signing_key"), console=console)
    if not report.ok:
        console.print(f"[red]audit trail broken[/red]: {report.first_problem}")
        raise typer.Exit(1)
    console.print(f"[green]audit trail intact[/green]: {report.summary}")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal every stream's current head with a signed checkpoint (run periodically)."""
    from kuajing.audit.service import write_checkpoint
    from kuajing.db.session import transaction

    settings = _settings()
    with transaction(_session_factory(settings)) as session:
        cp = write_checkpoint(session=session, key=settings.secret("audit_signing_key"))
    console.print(f"[green]checkpoint {cp.id}[/green] sealed {cp.stream_count} streams")


# --- pipeline -------------------------------------------------------------------------------------


@app.command()
def pump(loop: bool = typer.Option(False, "--loop", help="keep running (Ctrl-C to stop)"),
         interval: float = typer.Option(None, min=0, help="seconds between idle ticks (KUAJING_PIPELINE_INTERVAL_SECONDS)"),
         batch_seconds: float = typer.Option(None, "--batch-seconds", min=0,
                                             help="a busy pipeline ticks at most once per this many seconds "
                                                  "(KUAJING_PIPELINE_BATCH_SECONDS; 0: at once again)"),
         steps: str = typer.Option("all", help="the pipeline steps this process runs, comma-separated: "
                                   "dropfolders, match, send, exchange, housekeeping (two processes can share a "
                                   "machine's pipeline: --steps match,send and --steps dropfolders,exchange,"
                                   "housekeeping; each step in exactly one process)")) -> None:
    """Send pending declarations to customs and apply customs answers once (or in a loop)."""
    import time
    from datetime import timedelta

    from kuajing.customs.service import transport_for
    from kuajing.pipeline.jobs import pause_after, tick_options
    from kuajing.pipeline.service import STEPS, tick

    chosen = frozenset(STEPS) if steps.strip() == "all" else frozenset(s.strip() for s in steps.split(",") if s.strip())
    if not chosen or chosen - set(STEPS):
        console.print(f"[red]--steps: choose among {', '.join(STEPS)} (or all)[/red]")
        raise typer.Exit(2)
    settings = _settings()
    factory = _session_factory(settings)
    transport = transport_for(settings, session_factory=factory)
    while True:
        started = time.monotonic()
        result = tick(session_factory=factory, transport=transport, steps=chosen,
                      match_timeout=timedelta(hours=settings.match_timeout_hours), **tick_options(settings))
        console.print(f"sent {result.sent} (failed {result.send_failed}), applied {result.applied} "
                      f"(failed {result.apply_failed}), timed out {result.timed_out}, "
                      f"overdue returns {result.overdue_flagged}, drop-folder files {result.folder_files}")
        if not loop:
            break
        pause = pause_after(busy=result.busy, elapsed=time.monotonic() - started,
                            interval=interval or settings.pipeline_interval_seconds,
                            batch_seconds=settings.pipeline_batch_seconds if batch_seconds is None else batch_seconds)
        if pause:
            time.sleep(pause)


@app.command()
def worker(
    concurrency: int = typer.Option(None, help="task threads (KUAJING_WORKER_CONCURRENCY; 1 on SQLite)"),
    dispatcher: bool = typer.Option(True, "--dispatcher/--no-dispatcher",
                                    help="also run the dispatcher thread (outbox relay, customs poll, schedule; "
                                         "one worker leads)"),
    loglevel: str = typer.Option("INFO", help="Celery log level"),
    metrics_port: int = typer.Option(0, help="serve GET /metrics (Prometheus) on this port, 0: off — for machines "
                                             "that run workers and no API process"),
    metrics_host: str = typer.Option("127.0.0.1", help="address of the --metrics-port endpoint"),
) -> None:
    """Run a Celery worker of the scale-out pipeline (KUAJING_PIPELINE_MODE=celery, KUAJING_BROKER_URL)."""
    import logging
    import os
    import socket

    from kuajing.pipeline import metrics

    settings = _settings()
    metrics.setup(settings)  # before any metric exists
    metrics.install_session_hooks()
    logging.basicConfig(level=getattr(logging, loglevel.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    from kuajing.pipeline.celery_app import create_celery
    from kuajing.pipeline.dispatcher import Dispatcher
    from kuajing.pipeline.tasks import Runtime

    runtime = Runtime(settings, session_factory=_session_factory(settings))
    celery = create_celery(settings, runtime=runtime)
    threads = 1 if not runtime.postgres else (concurrency or settings.worker_concurrency)
    running = Dispatcher(celery_app=celery, runtime=runtime) if dispatcher else None
    if running is not None:
        running.start()
    if metrics_port:
        metrics.serve_worker_metrics(settings=settings, session_factory=runtime.session_factory, port=metrics_port,
                                     host=metrics_host)
        console.print(f"metrics on http://{metrics_host}:{metrics_port}/metrics")
    console.print(f"[green]kuajing worker[/green] pid {os.getpid()}: queue {settings.pipeline_queue}, "
                  f"{threads} thread(s), dispatcher {'on' if running else 'off'}, broker {_safe_url(settings.broker_url)}")
    try:
        celery.Worker(pool="threads" if threads > 1 else "solo", concurrency=threads, loglevel=loglevel,
                      queues=[settings.pipeline_queue], hostname=f"kuajing-{os.getpid()}@{socket.gethostname()}",
                      without_gossip=True, without_mingle=True, without_heartbeat=True, optimization="fair").start()
    finally:
        if running is not None:
            running.stop()


# --- users ----------------------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="login name"),
    role: str = typer.Option("zone_operator", help="zone_operator, commerce_supervisor, customs_officer, auditor, "
                                                   "enterprise_admin or enterprise_user"),
    display_name: str = typer.Option(None, help="shown in the UI (default: the username)"),
    enterprise_id: int = typer.Option(None, help="the enterprise of an enterprise_admin / enterprise_user"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 envvar="KUAJING_NEW_USER_PASSWORD", help="at least 10 characters"),
) -> None:
    """Create a user from the command line (e.g. the first zone operator of a production installation)."""
    from kuajing.accounts.service import create_user
    from kuajing.db.session import transaction
    from kuajing.errors import AppError
    from kuajing.i18n import gettext

    settings = _settings()
    try:
        with transaction(_session_factory(settings)) as session:
            user = create_user(session=session, username=username, password=password,
                               display_name=display_name or username, roles=[role],
                               enterprise_id=enterprise_id, actor="cli:users-create")
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red]: {gettext(exc.title, settings.locale, **exc.params)}")
        for issue in exc.errors:
            console.print(f"  {issue.path}: {gettext(issue.message, settings.locale, **issue.params)}")
        raise typer.Exit(1) from None
    console.print(f"[green]created[/green] {user.username} ({role})")


# --- drop folder ----------------------------------------------------------------------------------

dropfolder_app = typer.Typer(help="Drop folder of DxpMsg files per enterprise (文件交换目录).", no_args_is_help=True)
app.add_typer(dropfolder_app, name="dropfolder")


@dropfolder_app.command("scan")
def dropfolder_scan(every: float = typer.Option(0, min=0, help="repeat every N seconds (0: one pass)")) -> None:
    """Answer every inbox file through the intake pipeline; write receipts to the outboxes."""
    import time
    from pathlib import Path

    from kuajing.imports.service.dropfolder import scan_dropfolder

    settings = _settings()
    factory = _session_factory(settings)
    root = settings.dropfolder_root or Path(settings.var_dir) / "dropfolder"
    while True:
        done = scan_dropfolder(session_factory=factory, root=root, mapping=settings.dropfolder_dirs,
                               sender_id=settings.customs_dxp_sender_id)
        console.print(f"{len(done.folders)} folders: {done.processed} answered ({done.replayed} replayed), "
                      f"{done.errors} to error/, {done.receipts} later receipts delivered")
        if every <= 0:
            break
        time.sleep(every)


# --- benchmarks -----------------------------------------------------------------------------------


def _run_bench(module: str, **kwargs) -> None:
    from rich.table import Table

    rows = importlib.import_module(module).run(**kwargs)
    if not rows:
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)


@bench_app.command("ceb")
def bench_ceb(seconds: float = typer.Option(2.0, help="seconds per case")) -> None:
    """CEB parse+validate and build, against the plain lxml + XSD floor."""
    _run_bench("kuajing.ceb.bench", seconds_per_case=seconds)


@bench_app.command("sign")
def bench_sign(seconds: float = typer.Option(2.0, help="seconds per case")) -> None:
    """SM2 / RSA signing and verification rates."""
    _run_bench("kuajing.ceb.signing.bench", seconds=seconds)


@bench_app.command("import")
def bench_import(
    seconds: float = typer.Option(30.0, help="seconds of posting (then the pipeline drains)"),
    clients: int = typer.Option(8, help="concurrent keep-alive HTTP clients"),
    mix_1210: float = typer.Option(0.5, "--mix-1210", help="share of 1210 (bonded) parcels, the rest 9610"),
    mode: str = typer.Option("embedded", help="embedded (pipeline thread in the server), pump (kuajing pump "
                             "--loop beside it), both (two runs) or scaleout (API processes + Celery workers "
                             "over RabbitMQ)"),
    workers: str = typer.Option("1", help="scaleout: worker processes, or a list to compare (e.g. 1,2)"),
    apis: int = typer.Option(2, help="scaleout: kuajing serve processes"),
    keep: bool = typer.Option(False, "--keep", help="keep the kuajing_bench_<pid> database and var dir"),
    profile: bool = typer.Option(False, "--profile", help="sample the server with py-spy (PATH or /tmp/pyspy)"),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON instead of a table"),
    match_in: str = typer.Option("pipeline", "--match-in", help="where the three-document match runs: pipeline "
                                 "(the peak configuration) or intake (in the request completing the set)"),
    pumps: int = typer.Option(1, help="pump mode: 1 pump process, or 2 sharing the steps (match + send; "
                              "exchange + housekeeping)"),
    batch_seconds: float = typer.Option(None, "--batch-seconds", min=0, help="the pipeline's micro-batch "
                                        "(KUAJING_PIPELINE_BATCH_SECONDS; default the product's setting, 0: off)"),
    rate: float = typer.Option(None, "--rate", min=0.01, help="a steady load of this many parcels/s over the window "
                               "instead of the peak (as fast as answered)"),
) -> None:
    """Retail import end to end over HTTP on PostgreSQL (four documents per parcel, SM2-signed lists)."""
    import json

    from rich.table import Table

    from kuajing.imports import bench

    results = []
    if mode == "scaleout":  # kuajing/pipeline/bench.py: same traffic, the scale-out deployment
        from kuajing.pipeline import bench as scaleout

        for n in (int(w) for w in workers.split(",")):
            results.append(scaleout.run(seconds=seconds, clients=clients, mix_1210=mix_1210, workers=n, apis=apis,
                                        keep=keep, progress=not as_json, console=console))
        bench = scaleout  # its rows() adds the scale-out figures
    for each in (("embedded", "pump") if mode == "both" else () if mode == "scaleout" else (mode,)):
        results.append(bench.run(seconds=seconds, clients=clients, mix_1210=mix_1210, mode=each, keep=keep,
                                 profile=profile, progress=not as_json, console=console, match_in=match_in,
                                 pumps=max(1, min(2, pumps)), batch_seconds=batch_seconds, rate=rate))
    if as_json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2, default=str, ensure_ascii=False))
        return
    for result in results:
        table = Table("measure", "value", title=f"kuajing bench import — {result['mode']} pipeline, "
                      f"{result['clients']} clients, {result['mix_1210']:.0%} 1210, "
                      f"match in {result.get('match_in', 'intake')}")
        for name, value in bench.rows(result):
            table.add_row(name, value)
        console.print(table)
        if result.get("profile"):
            top = Table("own %", "function (server, py-spy)", title="profile: where the server's time goes")
            for name, share in result["profile"]["own"][:15]:
                top.add_row(f"{share:.1f}", name)
            console.print(top)


# --- risk prevention (风险防控) -----------------------------------------------------------------------


@risk_app.command("scan")
def risk_scan(days: int = typer.Option(30, min=1, max=366, help="lists declared in the last N days")) -> None:
    """Run every risk rule over the lists of the last ``days`` days (alerts are raised once, so re-runs are safe)."""
    from datetime import timedelta

    from kuajing.db.base import utcnow
    from kuajing.db.session import transaction
    from kuajing.risk.service import scan

    with transaction(_session_factory(_settings())) as session:
        done = scan(session=session, since=utcnow() - timedelta(days=days))
    console.print(f"risk scan: {done.enqueued} lists queued, {done.processed} processed, {done.alerts} new alerts")


@risk_app.command("grade")
def risk_grade() -> None:
    """Store today's credit grade of every approved enterprise (once a day; audited)."""
    from kuajing.db.base import utcnow
    from kuajing.db.session import transaction
    from kuajing.risk.service import local_date, record_grades

    with transaction(_session_factory(_settings())) as session:
        n = record_grades(session=session, on=local_date(utcnow()), actor="system:cli")
    console.print(f"credit grades recorded: {n}")


@risk_app.command("data-export")
def risk_data_export(year: int = typer.Argument(..., min=2000, max=2100)) -> None:
    """Print the year's personal-data export counters against the CAC thresholds, and raise due alerts."""
    from kuajing.db.session import transaction
    from kuajing.risk.dataexport import check_thresholds, year_summary

    with transaction(_session_factory(_settings())) as session:
        check_thresholds(session=session, year=year)
        s = year_summary(session=session, year=year)
    console.print(f"{year}: {s['transfers']} transfers, {s['individuals_non_exempt']} non-sensitive and "
                  f"{s['individuals_sensitive']} sensitive individuals (not exempt); route {s['route']}")
    for name, t in s["thresholds"].items():
        if isinstance(t, dict) and "level" in t:
            console.print(f"  {name}: {t['count']} / {t['threshold']} (warning from {t['warn_at']}) {t['level']}")


@bench_app.command("stats")
def bench_stats(
    lists: int = typer.Option(10_000_000, help="released lists whose facts are generated"),
    batch: int = typer.Option(500_000, help="lists per generate_series batch and facts per fold batch"),
    repeat: int = typer.Option(7, help="runs of each query (median and max reported)"),
    keep: bool = typer.Option(False, "--keep", help="keep the kuajing_bench_stats_<pid> database"),
    reuse: str = typer.Option(None, "--reuse", help="time the queries again on a database kept by --keep"),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
) -> None:
    """Dashboard queries (12-month window, no filter / one filter) over N released lists on PostgreSQL."""
    import json

    from rich.table import Table

    from kuajing.stats import bench

    result = bench.run(lists=lists, batch=batch, repeat=repeat, keep=keep, reuse=reuse, console=console)
    if as_json:
        print(json.dumps(result, indent=2, default=str, ensure_ascii=False))
        return
    built = (f"{result['facts']:,} facts; generated in {result['generate_s']} s, folded in {result['fold_s']} s "
             f"({result['fold_facts_per_s']:,} facts/s)") if "facts" in result else f"reused {result['database']}"
    table = Table("query", "filter", "median ms", "max ms",
                  title=f"kuajing bench stats — {result['lists']:,} lists, {built}")
    for t in result["timings"]:
        table.add_row(t["query"], t["filter"], f"{t['median_ms']:.1f}", f"{t['max_ms']:.1f}")
    console.print(table)
    console.print(f"aggregate rows: {result['aggregate_rows']}; database {result['database_size']}; "
                  f"worst query {result['worst_ms']} ms; load average {result['load_average']} on {result['cpus']} CPUs")


# --- statistics -----------------------------------------------------------------------------------


@stats_app.command("refresh")
def stats_refresh(batch: int = typer.Option(20000, help="facts per transaction")) -> None:
    """Fold every waiting statistics fact into the aggregates (the pipeline tick does this continuously)."""
    from kuajing.stats import service

    factory = _session_factory(_settings())
    n = service.fold_all(session_factory=factory, limit=batch)
    with factory() as session:
        left = service.pending(session=session)
    console.print(f"folded {n} facts; waiting: {left['facts']} (of which {left['waiting_for_rate']} for an exchange rate)")


@stats_app.command("compact")
def stats_compact() -> None:
    """Rewrite the aggregate tables without dead row versions (PostgreSQL VACUUM FULL; a quiet-hour job)."""
    from kuajing.db.session import make_engine
    from kuajing.stats import service

    engine = make_engine(_settings().effective_database_url)
    try:
        pages = service.compact(engine=engine)
    finally:
        engine.dispose()
    console.print("compacted " + (", ".join(f"{t}: {p} pages" for t, p in pages.items()) or "the database file"))


@stats_app.command("backfill")
def stats_backfill() -> None:
    """Rebuild the statistics from the released declaration lists (idempotent; one transaction)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from kuajing.db.session import transaction
    from kuajing.stats import service

    factory = _session_factory(_settings())
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("released lists", total=None)
        with transaction(factory) as session:
            counts = service.rebuild(session=session, progress=lambda d, n: progress.update(
                task, description=f"released {d} lists: {n}"))
    console.print(f"rebuilt from {counts['import']} import and {counts['export']} export lists ({counts['facts']} facts)")


@app.command()
def bulletin(month: str = typer.Option(..., help="YYYY-MM"),
             out: Path = typer.Option(Path("."), help="a directory (both files), or a .pdf / .xlsx file")) -> None:
    """The monthly information bulletin (信息通报) of a month as PDF and Excel."""
    from datetime import date

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from kuajing.db.base import utcnow
    from kuajing.errors import AppError
    from kuajing.stats import bulletin as bul
    from kuajing.stats import service

    settings = _settings()
    try:
        first = service.parse_month(month)
    except AppError:
        console.print(f"[red]not a month[/red]: {month!r} (use YYYY-MM)")
        raise typer.Exit(2) from None
    if out.suffix in (".pdf", ".xlsx"):
        targets = {out.suffix: out}
    else:
        out.mkdir(parents=True, exist_ok=True)
        targets = {s: out / f"bulletin-{first:%Y-%m}{s}" for s in (".pdf", ".xlsx")}
    factory = _session_factory(settings)
    today: date = utcnow().astimezone(settings.tz).date()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("collect the figures", total=1 + len(targets))
        with factory() as session:
            data = bul.collect(session=session, month=first, today=today, var_dir=settings.var_dir)
        progress.advance(task)
        for suffix, path in targets.items():
            progress.update(task, description=f"write {path.name}")
            path.write_bytes(bul.pdf(data) if suffix == ".pdf" else bul.workbook(data))
            progress.advance(task)
    for path in targets.values():
        console.print(f"wrote [bold]{path}[/bold]")


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
