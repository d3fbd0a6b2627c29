"""Retail import benchmark (跨境进口零售端到端基准): ``kuajing bench import``.

Realistic parcels — four documents each (CEB311 order from the platform, CEB411 payment from the payment
company, CEB511 waybill from the logistics company, CEB621 declaration list from the customs broker), a mix
of 1210 (bonded) and 9610 (direct) — batched per sender into messages of 1 to 100 records (10 on average),
the lists SM2-signed by a demo enterprise key, posted by keep-alive HTTP clients to a real ``kuajing serve``
process on a fresh PostgreSQL database, and declared, matched, taxed and released by the customs sandbox
(delay 0) through the embedded pipeline runner or a separate ``kuajing pump --loop``.

Reported: parcels/s accepted (all four documents answered 2), parcels/s released end to end (list status
``released``), p50/p99 intake latency per request, CPU seconds per parcel of the server process(es) and of
PostgreSQL (read from /proc), and in the same run the floor — single process, same bytes: lxml parse +
XSD validation + raw ``COPY`` into a scratch table, plus the SM2 verification of the signed lists.

Everything the bench creates lives in ``kuajing_bench_<pid>`` (dropped at the end unless ``keep``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

#: Where the bench creates its database (the ``test`` database of the house PostgreSQL is the entry point).
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SKUS = 40  # bonded items of the warehouse (1210 parcels pick one per line)
WAREHOUSE = "T0001B000001"  # 账册编号 of the bench's bonded warehouse
HS_CODES = (("1901101000", "婴儿配方奶粉"), ("0402210000", "全脂奶粉"), ("4202210000", "皮革手提包"),
            ("3304990010", "护肤品"), ("2106909090", "营养补充剂"))
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
RETRIES = 3
BUSY_WAIT_CAP = 2.0  # seconds a client waits on a 503 busy_retry before sending again (Retry-After, capped)
OUTBOX_SQL = "SELECT count(*) FROM import_outbox WHERE status = 'pending'"
STUCK_SQL = """
SELECT count(*) FROM import_inventories i WHERE i.status = 'awaiting_documents'
  AND EXISTS (SELECT 1 FROM import_orders o WHERE o.order_no = i.order_no AND o.ebp_code = i.ebp_code)
  AND EXISTS (SELECT 1 FROM import_payments p WHERE p.order_no = i.order_no AND p.ebp_code = i.ebp_code)
  AND EXISTS (SELECT 1 FROM import_waybills w WHERE w.logistics_code = i.logistics_code
              AND w.logistics_no = i.logistics_no)
"""


# --- parcels ----------------------------------------------------------------------------------------


def id_number(serial: int) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit), distinct per ``serial`` (born 1983–2002 in
    Kundulun district, Baotou, coded 150203 since 1983)."""
    year, rest = 1983 + serial // 336_000 % 20, serial % 336_000
    day, seq = rest // 1000, rest % 1000
    month, dom = 1 + day // 28, 1 + day % 28  # 12 × 28 = 336 distinct days
    body = f"150203{year:04d}{month:02d}{dom:02d}{seq:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def batch_sizes(total: int, rng: random.Random, mean: float = 10.0) -> list[int]:
    """Records per message: 1 + a geometric draw (mean ``mean``), at most 100, summing to ``total``."""
    rate = 1.0 / (mean - 0.5)  # 1 + floor(Exp(mean − 0.5)) has a mean of about ``mean``
    sizes: list[int] = []
    left = total
    while left > 0:
        size = min(100, 1 + int(rng.expovariate(rate)), left)
        sizes.append(size)
        left -= size
    return sizes


@dataclass(frozen=True)
class Parties:
    """The four senders' customs codes."""

    platform: str  # 电商平台 = 电商企业 (ebpCode/ebcCode)
    pay: str  # 支付企业
    logistics: str  # 物流企业
    agent: str  # 申报企业

    def __getitem__(self, i: int) -> str:
        return (self.platform, self.pay, self.logistics, self.agent)[i]


@dataclass
class Posting:
    """One message as posted: the sender (index into the API keys), its type, bytes and records."""

    sender: int  # 0 platform, 1 pay, 2 logistics, 3 agent
    message_type: str
    data: bytes
    parcels: list[int]  # parcel numbers of its records, in order


def _parcel_records(n: int, p: Parties, rng: random.Random, *, trade_mode: str, decl_time: str):
    """The four records (order, payment, waybill, list) of parcel ``n``; consistent, so they match."""
    from kuajing.ceb.examples import example_record

    lines = rng.choice((1, 1, 1, 2, 2, 3))
    buyer, buyer_name, phone = id_number(n), f"买家{n % 9973}", f"138{n % 10**8:08d}"
    address = f"内蒙古包头市昆都仑区钢铁大街{n % 500 + 1}号"
    freight = Decimal(rng.choice(("0", "8", "10", "15", "20")))
    goods: list[tuple[int, str, str, Decimal, Decimal, str]] = []
    for k in range(1, lines + 1):
        hs, name = rng.choice(HS_CODES)
        qty = Decimal(rng.choice((1, 1, 2)))
        price = Decimal(rng.randrange(3000, 60000)) / 100
        goods.append((k, hs, name, qty, price, f"SKU{rng.randrange(SKUS):04d}"))
    total = sum((q * pr for _, _, _, q, pr, _ in goods), Decimal(0))

    order = example_record("CEB311", n, items=lines)
    h = order.head
    h.app_type, h.order_no, h.ebp_code, h.ebc_code = "1", f"ORD{n}", p.platform, p.platform
    h.buyer_id_number, h.buyer_name, h.buyer_telephone = buyer, buyer_name, phone
    h.consignee, h.consignee_telephone, h.consignee_address = buyer_name, phone, address
    h.pay_code, h.pay_transaction_id = p.pay, f"PAY{n}"
    for item, (k, _hs, name, qty, price, _sku) in zip(order.items, goods, strict=True):
        item.gnum, item.item_name, item.qty, item.price, item.total_price = k, name, qty, price, qty * price
    h.goods_value, h.freight, h.discount, h.tax_total = total, freight, Decimal(0), Decimal(0)
    h.actural_paid = total + freight

    payment = example_record("CEB411", n)
    h = payment.head
    h.app_type, h.pay_code, h.pay_transaction_id, h.order_no, h.ebp_code = "1", p.pay, f"PAY{n}", f"ORD{n}", p.platform
    h.payer_id_type, h.payer_id_number, h.payer_name, h.telephone = "1", buyer, buyer_name, phone
    h.amount_paid = total + freight

    waybill = example_record("CEB511", n)
    h = waybill.head
    h.app_type, h.logistics_code, h.logistics_no, h.order_no = "1", p.logistics, f"WB{n}", f"ORD{n}"
    h.consignee, h.consignee_telephone, h.consignee_address = buyer_name, phone, address
    h.freight, h.insured_fee = freight, Decimal(0)

    inventory = example_record("CEB621", n, items=lines)
    h = inventory.head
    h.app_type, h.order_no, h.ebp_code, h.ebc_code, h.agent_code = "1", f"ORD{n}", p.platform, p.platform, p.agent
    h.logistics_code, h.logistics_no, h.cop_no, h.pre_no, h.invt_no = p.logistics, f"WB{n}", f"COP{n}", None, None
    h.buyer_id_number, h.buyer_name, h.buyer_telephone, h.consignee_address = buyer, buyer_name, phone, address
    h.freight, h.insured_fee, h.trade_mode, h.decl_time = freight, Decimal(0), trade_mode, decl_time
    h.assure_code = p.platform
    h.ems_no = WAREHOUSE if trade_mode == "1210" else None
    for item, (k, hs, name, qty, price, sku) in zip(inventory.items, goods, strict=True):
        item.gnum, item.gname, item.gcode, item.qty, item.qty1 = k, name, hs, qty, qty
        item.price, item.total_price, item.qty2, item.unit2 = price, qty * price, None, None
        item.item_record_no = sku if trade_mode == "1210" else None
    return order, payment, waybill, inventory


def make_postings(*, parcels: int, parties: Parties, signer, mix_1210: float, seed: int = 2024,
                  start: int = 1) -> tuple[list[Posting], dict]:
    """Every message of ``parcels`` parcels, batched per sender (sizes 1–100, mean 10), lists SM2-signed.

    Returns the postings in send order (per batch: order, payment, waybill, list) and figures about them.
    """
    from kuajing.ceb import Message, build, spec_of
    from kuajing.ceb.models import BaseSubscribe, BaseTransfer
    from kuajing.ceb.signing import sign_message

    rng = random.Random(seed)
    decl_time = datetime.now(UTC).strftime("%Y%m%d")
    postings: list[Posting] = []
    sizes = batch_sizes(parcels, rng)
    n = start
    bonded = 0
    for size in sizes:
        numbers = list(range(n, n + size))
        n += size
        docs: list[list] = [[], [], [], []]
        for number in numbers:
            trade_mode = "1210" if rng.random() < mix_1210 else "9610"
            bonded += trade_mode == "1210"
            for bucket, rec in zip(docs, _parcel_records(number, parties, rng, trade_mode=trade_mode,
                                                          decl_time=decl_time), strict=True):
                bucket.append(rec)
        for sender, (mtype, records) in enumerate(zip(("CEB311", "CEB411", "CEB511", "CEB621"), docs, strict=True)):
            msg = Message(message_type=mtype, records=records)
            spec = spec_of(mtype)
            msg.base_transfer = BaseTransfer(direction=spec.direction, cop_code=parties[sender], cop_name="基准企业",
                                             dxp_id=f"DXPENT{sender + 1:010d}")
            msg.base_subscribes = [BaseSubscribe(status="ALL", dxp_mode="DXP", dxp_address="DXPENT0000000002")]
            data = build(msg, validate=False)
            if spec.signature == "required":
                data = sign_message(data, signer=signer)
            postings.append(Posting(sender=sender, message_type=mtype, data=data, parcels=numbers))
    info = {"parcels": parcels, "messages": len(postings), "records_per_message_mean": round(parcels / len(sizes), 2),
            "records_per_message_max": max(sizes), "bonded_1210": bonded}
    return postings, info


# --- the database -----------------------------------------------------------------------------------


def _plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _sa_url(url: str) -> str:
    return _plain_url(url).replace("postgresql://", "postgresql+psycopg://", 1)


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` next to ``admin_url``'s; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(_plain_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = _plain_url(admin_url).rsplit("/", 1)[0]
    return _sa_url(f"{base}/{name}")


def drop_database(admin_url: str, name: str) -> None:
    """Drop the bench database (after its connections are gone)."""
    import psycopg

    with psycopg.connect(_plain_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Zone:
    """What the bench set up: the four senders' codes and API keys, the signing key and certificate."""

    parties: Parties
    keys: list[str]
    signer: object
    certificate: bytes
    verified: bool = False  # whether intake verifies the lists' signatures (a certificate registry exists)


def setup_zone(*, settings, session_factory) -> Zone:
    """Four approved enterprises with API keys, the broker's tax guarantee, the bonded warehouse and stock."""
    from kuajing.accounts.service import issue_api_key
    from kuajing.bonded import service as bonded
    from kuajing.ceb.signing import Sm2SoftwareSigner, generate_demo_keypair
    from kuajing.db.session import transaction
    from kuajing.enterprises.models import Enterprise
    from kuajing.tax import service as tax

    names = ("包头基准电商平台有限公司", "包头基准支付有限公司", "包头基准物流有限公司", "包头基准报关有限公司")
    codes, keys, ids = [], [], []
    with transaction(session_factory) as session:
        for n, name in enumerate(names, start=1):
            code = f"15039{n:05d}"
            ent = Enterprise(uscc=_uscc(n), name_zh=name, status="approved", customs_code=code,
                             dxp_id=f"DXPENT{n:010d}", created_by="bench")
            session.add(ent)
            session.flush()
            _row, plain = issue_api_key(session=session, enterprise_id=ent.id, name="bench", actor="bench",
                                        sandbox=True)
            codes.append(code)
            keys.append(plain)
            ids.append(ent.id)
        tax.open_guarantee(session=session, agent_enterprise_id=ids[3], actor="bench")
        tax.top_up(session=session, agent_enterprise_id=ids[3], amount=Decimal("100000000.00"), reference="BENCH-1",
                   actor="bench")
        bonded.create_warehouse(session=session, code=WAREHOUSE, site_code="T0001", name="包头基准保税仓",
                                operator_enterprise_id=ids[2], actor="bench")
        lines = [bonded.EntryLine(item_no=f"SKU{k:04d}", goods_name="基准商品", hs_code=HS_CODES[k % len(HS_CODES)][0],
                                  unit="035", declared_unit="122", quantity=Decimal(10**7), document_no="QD-BENCH",
                                  line_no=k + 1) for k in range(SKUS)]
        bonded.stock_in(session=session, warehouse_code=WAREHOUSE, lines=lines, actor="bench")
        key_pem, cert_pem = generate_demo_keypair("sm2-sm3", names[3])
        registered = _register_certificate(session, ids[3], cert_pem)
    signer = Sm2SoftwareSigner(private_key_pem=key_pem, certificate=cert_pem)
    return Zone(parties=Parties(*codes), keys=keys, signer=signer, certificate=cert_pem, verified=registered)


def _register_certificate(session, enterprise_id: int, cert_pem: bytes) -> bool:
    """Register the broker's signing certificate where the platform keeps a registry (kuajing.certificates);
    False when this build has none (intake then does not verify; the floor measures verification)."""
    if not (Path(__file__).resolve().parents[1] / "certificates" / "service.py").is_file():
        return False
    from kuajing.certificates.service import register
    register(session=session, enterprise_id=enterprise_id, data=cert_pem, actor="bench")
    return True


def _uscc(n: int) -> str:
    """A valid unified social credit code (GB 32100 check character) for bench enterprise ``n``."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = f"91150200MA0{n:06d}"
    check = (31 - sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True)) % 31) % 31
    return body + alphabet[check]


# --- processes, CPU ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (and its waited-for children) from /proc/<pid>/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pids(conn, database: str) -> set[int]:
    """PIDs of the PostgreSQL backends connected to ``database`` (the server's pool, the pump's, ours)."""
    pids = {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))}
    conn.commit()
    return pids


def backends_cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds so far of each backend in ``pids`` (0 for one that is gone)."""
    return {pid: cpu_seconds(pid) for pid in pids}


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process visible in /proc (server and backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            total += cpu_seconds(int(entry.name))
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kuajing_command() -> list[str]:
    exe = Path(sys.executable).with_name("kuajing")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kuajing.cli"]


@dataclass
class Server:
    """The ``kuajing serve`` process (and the ``kuajing pump --loop`` process in pump mode)."""

    base_url: str
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def cpu(self) -> float:
        """CPU seconds of the server process(es) so far."""
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def stop(self) -> None:
        """SIGINT each process (uvicorn shuts down cleanly), then wait."""
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.processes:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def server_env(*, database_url: str, var_dir: Path, port: int, in_process: bool,
               match_in: str = "pipeline", batch_seconds: float | None = None) -> dict[str, str]:
    """The server's own settings: its database, var dir, secrets, sandbox with delay 0, where the match runs
    (the peak configuration by default: in the pipeline)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUAJING_")}
    env.update({
        "KUAJING_ENV": "development",
        "KUAJING_DATABASE_URL": database_url,
        "KUAJING_VAR_DIR": str(var_dir),
        "KUAJING_HOST": "127.0.0.1",
        "KUAJING_PORT": str(port),
        "KUAJING_SECRET_KEY": secrets.token_hex(32),
        "KUAJING_ENCRYPTION_KEY": secrets.token_hex(16),
        "KUAJING_LOOKUP_KEY": secrets.token_hex(32),
        "KUAJING_AUDIT_SIGNING_KEY": secrets.token_hex(32),
        "KUAJING_PIPELINE_IN_PROCESS": "true" if in_process else "false",
        "KUAJING_PIPELINE_INTERVAL_SECONDS": "0.2",
        "KUAJING_MATCH_IN": match_in,
        "KUAJING_CUSTOMS_TRANSPORT": "sandbox",
        "KUAJING_CUSTOMS_SANDBOX_DELAY_SECONDS": "0",
        "KUAJING_CUSTOMS_SANDBOX_INSPECTION_RATE": "0.05",
        "KUAJING_DB_POOL_SIZE": "20",
        "KUAJING_REQUIRE_SIGNED_DECLARATIONS": "true",  # where intake verifies signatures, an unsigned list is refused
    })
    if batch_seconds is not None:  # else the product's default (settings.pipeline_batch_seconds)
        env["KUAJING_PIPELINE_BATCH_SECONDS"] = str(batch_seconds)
    return env


#: the pipeline of the bench's pump mode shared by two processes (``--pumps 2``): each step in one of them
PUMP_SPLIT = ("match,send", "dropfolders,exchange,housekeeping")


def start_server(*, env: dict[str, str], var_dir: Path, pump_process: bool, pumps: int = 1) -> Server:
    """Start ``kuajing serve`` (and ``kuajing pump --loop``, or two pumps sharing the steps) and wait until
    /healthz answers."""
    import httpx

    base = f"http://127.0.0.1:{env['KUAJING_PORT']}"
    server = Server(base_url=base, env=env)
    commands = [[*_kuajing_command(), "serve"]]
    if pump_process and pumps > 1:
        commands += [[*_kuajing_command(), "pump", "--loop", "--interval", "0.2", "--steps", steps]
                     for steps in PUMP_SPLIT]
    elif pump_process:
        commands.append([*_kuajing_command(), "pump", "--loop", "--interval", "0.2"])
    for i, command in enumerate(commands):
        log = var_dir / f"process-{i}.log"
        server.logs.append(log)
        server.processes.append(subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL))
    deadline = time.monotonic() + 180  # a shared, loaded machine starts slowly
    while time.monotonic() < deadline:
        if server.processes[0].poll() is not None:
            raise RuntimeError(f"kuajing serve exited: {server.logs[0].read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("kuajing serve did not answer /healthz within 180 s")


# --- the load ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw (shared between the client threads under a lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    errors: list[str] = field(default_factory=list)  # every failed attempt (HTTP 5xx, connection errors)
    retries: int = 0
    lost: int = 0  # messages still failing after the retries
    busy: int = 0  # 503 busy_retry answers (back-pressure): the sender waited Retry-After and sent again
    rejected: dict[str, int] = field(default_factory=dict)  # code → records
    docs_accepted: dict[int, int] = field(default_factory=dict)  # parcel → documents answered 2
    accepted_at: dict[int, float] = field(default_factory=dict)  # parcel → time its 4th document was answered 2

    @property
    def accepted(self) -> int:
        return len(self.accepted_at)


def _client(base_url: str, keys: list[str], work: queue.Queue, tally: Tally, stop: threading.Event,
            t0: float, spacing: float = 0.0) -> None:
    """Post the queued ``(n, posting)`` pairs (as fast as answered, or the n-th not before ``t0 + n × spacing``:
    a steady load instead of the peak)."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=120, headers={"Accept": "application/json",
                                                               "Content-Type": "application/xml"}) as http:
        while not stop.is_set():
            try:
                n, posting = work.get_nowait()
            except queue.Empty:
                return
            if spacing and (delay := t0 + n * spacing - time.perf_counter()) > 0:
                stop.wait(delay)
            resp = None
            attempt = 0
            while attempt <= RETRIES:  # a sender retries a failed post (retries never duplicate)
                start = time.perf_counter()  # the latency is the answered request's
                try:
                    resp = http.post("/ceb", content=posting.data, headers={"X-API-Key": keys[posting.sender]})
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    if resp.status_code == 200:
                        break
                    if resp.status_code == 503 and "retry-after" in resp.headers:
                        if stop.is_set():  # the window closed while the platform was busy: never sent (nothing stored)
                            break
                        with tally.lock:  # back-pressure: wait as told (capped) and send again, as senders do
                            tally.busy += 1
                        time.sleep(min(BUSY_WAIT_CAP, float(resp.headers["retry-after"])))
                        continue
                    error = f"{resp.status_code}: {resp.text[:300]}"
                with tally.lock:
                    tally.errors.append(error)
                    tally.retries += attempt < RETRIES
                attempt += 1
            elapsed = time.perf_counter() - start
            now = time.perf_counter() - t0
            if resp is not None and resp.status_code == 503 and stop.is_set() and "retry-after" in resp.headers:
                continue  # not sent in the window: neither measured nor lost
            if resp is None or resp.status_code != 200:
                with tally.lock:
                    tally.requests += 1
                    tally.latencies.append(elapsed)
                    tally.lost += 1
                continue
            verdicts = resp.json()["records"]
            with tally.lock:
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


def _statuses(conn) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) FROM import_inventories GROUP BY status").fetchall()
    conn.commit()
    return {status: count for status, count in rows}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered) - 1e-9) - 1))]


# --- the floor --------------------------------------------------------------------------------------


def _floor_schemas() -> tuple[dict[str, object], str]:
    """The XSD per direction: the official one when the spec folder is at hand, else our generated schema."""
    from lxml import etree

    from kuajing.ceb.xsdgen import schema_for

    spec_dir = Path(os.environ.get("KUAJING_CEB_SPEC_DIR", "/work/shared/ceb-spec")) / "xsd"
    path = spec_dir / "ceb-import-202205.xsd"
    if path.is_file():
        return {"import": etree.XMLSchema(etree.parse(str(path)))}, "official ceb-import-202205.xsd"
    return {"import": None, "_gen": schema_for}, "generated schema"


def floor(*, postings: list[Posting], database_url: str, certificate: bytes,
          progress: Callable[[int], None] | None = None) -> dict:
    """Single process over the same bytes: lxml parse + XSD validation + COPY into a scratch table; then
    the SM2 verification of every signed list on its own."""
    import psycopg
    from lxml import etree

    from kuajing.ceb.signing import verify_message
    from kuajing.ceb.xsdgen import schema_for

    schemas, schema_name = _floor_schemas()
    official = schemas.get("import")
    generated: dict[str, object] = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    invalid = 0
    with psycopg.connect(_plain_url(database_url)) as conn:
        conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, "
                     "message_type text NOT NULL, body bytea NOT NULL, received_at timestamptz NOT NULL)")
        conn.execute("TRUNCATE bench_floor")
        conn.commit()
        start = time.perf_counter()
        for i, posting in enumerate(postings):
            root = etree.fromstring(posting.data, parser)
            schema = official
            if schema is None:
                if posting.message_type not in generated:
                    generated[posting.message_type] = schema_for(posting.message_type)
                schema = generated[posting.message_type]
            if not schema.validate(root):  # type: ignore[union-attr]
                invalid += 1
            with conn.cursor().copy("COPY bench_floor (message_type, body, received_at) FROM STDIN") as copy:
                copy.write_row((posting.message_type, posting.data, datetime.now(UTC)))
            conn.commit()
            if progress and i % 50 == 0:
                progress(i)
        parse_insert = time.perf_counter() - start
        conn.execute("DROP TABLE bench_floor")
        conn.commit()
    lists = [p for p in postings if p.message_type == "CEB621"]
    start = time.perf_counter()
    bad = sum(1 for p in lists if not verify_message(p.data, trusted_certs=[certificate]))
    verify = time.perf_counter() - start
    parcels = sum(len(p.parcels) for p in lists)
    return {"schema": schema_name, "parcels": parcels, "messages": len(postings), "xsd_invalid": invalid,
            "parse_validate_insert_s": parse_insert, "verify_s": verify, "verify_failed": bad,
            "floor_parcels_per_s": parcels / parse_insert if parse_insert else 0.0,
            "floor_with_verify_parcels_per_s": parcels / (parse_insert + verify) if parse_insert + verify else 0.0,
            "verify_ms_per_list_message": 1000 * verify / max(1, len(lists))}


# --- profile ----------------------------------------------------------------------------------------


def _py_spy() -> str | None:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found:
        return found
    candidate = Path(os.environ.get("KUAJING_PYSPY_DIR", "/tmp/pyspy")) / "bin" / "py-spy"
    return str(candidate) if candidate.exists() else None


_WAITS = ("Connection.wait", "wait_c", "wait_select", "wait_epoll", "Condition.wait", "Event.wait", "select (selectors")


def _frame(text: str) -> str:
    name, _, where = text.partition(" (")
    path = where.split(":")[0]
    path = path.split("/site-packages/")[-1]
    if "/kuajing/" in path or path.startswith("kuajing/"):
        path = "kuajing/" + path.split("kuajing/", 1)[1]
    return f"{name} ({path})" if where else name


def summarise_profile(raw: Path, top: int = 25) -> dict:
    """From py-spy's raw output (collapsed stacks): the share of samples per thread role (HTTP intake,
    pipeline), waiting on PostgreSQL, and the own and inclusive shares of the top functions."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    roles = {"intake (POST /ceb)": 0, "pipeline (outbox, sandbox, receipts)": 0, "other": 0}
    waiting = total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")[1:]]
        if not frames:
            continue
        if any(f.startswith("post_ceb ") for f in frames):
            roles["intake (POST /ceb)"] += n
        elif any(f.startswith("tick ") for f in frames):
            roles["pipeline (outbox, sandbox, receipts)"] += n
        else:
            roles["other"] += n
        if any(frames[-1].startswith(w) for w in _WAITS):
            waiting += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for name in set(frames):
            inclusive[name] = inclusive.get(name, 0) + n

    def share(v: int) -> float:
        return round(100 * v / total, 1) if total else 0.0

    def pick(d: dict[str, int], only_ours: bool = False) -> list[tuple[str, float]]:
        items = [(k, v) for k, v in d.items() if not only_ours or "(kuajing/" in k]
        return [(k, share(v)) for k, v in sorted(items, key=lambda kv: -kv[1])[:top]]

    return {"samples": total, "roles": {k: share(v) for k, v in roles.items()}, "waiting_on_io": share(waiting),
            "own": pick(own), "inclusive_kuajing": pick(inclusive, only_ours=True)}


# --- the run ----------------------------------------------------------------------------------------


def run(*, seconds: float = 30.0, clients: int = 8, mix_1210: float = 0.5, mode: str = "embedded",
        admin_url: str | None = None, keep: bool = False, rate_cap: float = 1000.0, drain_seconds: float | None = None,
        profile: bool = False, progress: bool = True, console=None, match_in: str = "pipeline",
        pumps: int = 1, batch_seconds: float | None = None, rate: float | None = None) -> dict:
    """One benchmark run (see the module docstring); returns every figure as a dict."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from kuajing.accounts.service import configure as configure_accounts
    from kuajing.db.base import import_all_models
    from kuajing.db.migrate import upgrade
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.db.types import Keyring, configure_keyring
    from kuajing.settings import Settings

    steady = rate is not None  # a steady load of ``rate`` parcels/s over the window, not the peak
    if steady:
        rate_cap = rate
    admin_url = admin_url or os.environ.get("KUAJING_BENCH_ADMIN_URL") or DEFAULT_ADMIN_URL
    name = f"kuajing_bench_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="kuajing-bench-"))
    url = create_database(admin_url, name)
    server: Server | None = None
    if mode != "pump":
        pumps = 1
    result: dict = {"mode": mode if pumps == 1 else f"{mode} ×{pumps}", "clients": clients, "seconds": seconds,
                    "mix_1210": mix_1210, "database": name, "match_in": match_in, "pumps": pumps,
                    "batch_seconds": batch_seconds, "rate": rate}
    try:
        upgrade(url)
        env = server_env(database_url=url, var_dir=var_dir, port=_free_port(), in_process=(mode == "embedded"),
                         match_in=match_in, batch_seconds=batch_seconds)
        settings = Settings(**{k.removeprefix("KUAJING_").lower(): v for k, v in env.items()
                               if k.startswith("KUAJING_")})
        import_all_models()
        configure_keyring(Keyring.from_settings(settings))
        configure_accounts(secret_key=settings.secret("secret_key"))
        engine = make_engine(url)
        zone = setup_zone(settings=settings, session_factory=make_sessionmaker(engine))
        engine.dispose()

        planned = max(20, int(seconds * rate_cap))
        t_gen = time.perf_counter()
        postings, info = make_postings(parcels=planned, parties=zone.parties, signer=zone.signer, mix_1210=mix_1210)
        result["generation_s"] = round(time.perf_counter() - t_gen, 2)
        result.update(info)
        result["intake_verifies_signatures"] = zone.verified

        server = start_server(env=env, var_dir=var_dir, pump_process=(mode == "pump"), pumps=pumps)
        spy = None
        spy_out = var_dir / "profile.txt"
        if profile and (exe := _py_spy()):
            spy = subprocess.Popen([exe, "record", "--pid", str(server.processes[0].pid), "--format", "raw",
                                    "--rate", "50", "--subprocesses", "--nonblocking", "-o", str(spy_out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif profile:
            result["profile_error"] = "py-spy not found (python3 -m pip install --target /tmp/pyspy py-spy)"

        import psycopg

        watch = psycopg.connect(_plain_url(url))
        work: queue.Queue = queue.Queue()
        spacing = seconds / len(postings) if steady and postings else 0.0  # steady: spread over the window
        for n, posting in enumerate(postings):
            work.put((n, posting))
        tally = Tally()
        stop = threading.Event()
        cpu0, pg0, me0 = server.cpu(), postgres_cpu(), cpu_seconds(os.getpid())
        own: dict[int, float] = backends_cpu(backend_pids(watch, name))  # our database's backends only
        t0 = time.perf_counter()
        threads = [threading.Thread(target=_client, args=(server.base_url, zone.keys, work, tally, stop, t0, spacing),
                                    daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        released_at: list[tuple[float, int]] = []
        bar_cols = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                    TimeElapsedColumn())
        drain = drain_seconds if drain_seconds is not None else max(60.0, 3 * seconds)
        with Progress(*bar_cols, console=console, disable=not progress, transient=False) as bar:
            task = bar.add_task("posting", total=seconds, info="")
            while True:
                time.sleep(0.5)
                now = time.perf_counter() - t0
                statuses = _statuses(watch)
                released = statuses.get("released", 0)
                released_at.append((now, released))
                posting_done = now >= seconds or not any(t.is_alive() for t in threads)
                bar.update(task, completed=min(now, seconds),
                           info=f"{tally.requests} requests · {tally.accepted} accepted · {released} released")
                if posting_done:
                    break
            stop.set()
            for t in threads:
                t.join()
            window = time.perf_counter() - t0
            accepted_in_window = tally.accepted
            released_in_window = released_at[-1][1]
            cpu_window = server.cpu() - cpu0
            bar.update(task, description="draining", total=drain, completed=0)
            d0 = time.perf_counter()
            last_change = d0
            last: object = None
            while time.perf_counter() - d0 < drain:
                time.sleep(0.5)
                statuses = _statuses(watch)
                released = statuses.get("released", 0)
                now = time.perf_counter() - t0
                released_at.append((now, released))
                moving = (statuses, watch.execute(OUTBOX_SQL).fetchone()[0])
                watch.commit()
                if moving != last:
                    last, last_change = moving, time.perf_counter()
                pending = sum(v for k, v in statuses.items() if k in ("declared", "customs_accepted", "review",
                                                                        "inspection", "decided"))
                bar.update(task, completed=time.perf_counter() - d0,
                           info=f"{released} released · {pending} at customs")
                if pending == 0 or time.perf_counter() - last_change > 30:  # done, or the pipeline is stuck
                    break
            cpu_all, pg_all = server.cpu() - cpu0, postgres_cpu() - pg0
            pids = backend_pids(watch, name) | set(own)
            pg_own = sum(max(0.0, c - own.get(pid, 0.0)) for pid, c in backends_cpu(pids).items())
            me = cpu_seconds(os.getpid()) - me0
            final = _statuses(watch)
            stuck = watch.execute(STUCK_SQL).fetchone()[0]
            watch.close()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    spy.wait(30)
            server.stop()
            server = None
            last_release = next((t for t, r in released_at if r == final.get("released", 0)), window)
            sent = postings[:len(postings) - work.qsize()]
            fl_task = bar.add_task("floor", total=len(sent), info="parse + XSD + COPY, then SM2 verify")
            fl = floor(postings=sent, database_url=url, certificate=zone.certificate,
                       progress=lambda i: bar.update(fl_task, completed=i))
            bar.update(fl_task, completed=len(sent))

        lat = tally.latencies
        released_total = final.get("released", 0)
        result.update({
            "requests": tally.requests,
            "errors": len(tally.errors),
            "retries": tally.retries,
            "messages_lost": tally.lost,
            "busy_answers": tally.busy,
            "complete_sets_never_matched": stuck,
            "error_samples": tally.errors[:5],
            "rejected_records": tally.rejected,
            "window_s": round(window, 2),
            "parcels_accepted": accepted_in_window,
            "accepted_per_s": accepted_in_window / window,
            "released_in_window": released_in_window,
            "released_in_window_per_s": released_in_window / window,
            "parcels_released": released_total,
            "last_release_s": round(last_release, 2),
            "released_end_to_end_per_s": released_total / last_release if last_release else 0.0,
            "list_statuses": final,
            "p50_ms": 1000 * percentile(lat, 0.50),
            "p99_ms": 1000 * percentile(lat, 0.99),
            "records_per_request": round(sum(len(p.parcels) for p in sent) / max(1, len(sent)), 2),
            "server_cpu_s": round(cpu_all, 2),
            "server_cpu_ms_per_parcel": 1000 * cpu_all / max(1, released_total),
            "server_cpu_posting_window_s": round(cpu_window, 2),
            "postgres_cpu_s": round(pg_all, 2),
            "postgres_cpu_ms_per_parcel": 1000 * pg_all / max(1, released_total),
            "postgres_own_backends_cpu_s": round(pg_own, 2),
            "postgres_own_backends_cpu_ms_per_parcel": 1000 * pg_own / max(1, released_total),
            "load_average": os.getloadavg(),
            "bench_client_cpu_s": round(me, 2),
            "ran_out_of_parcels": work.empty() and accepted_in_window >= planned * 0.99,
            "floor": fl,
        })
        if profile and spy_out.exists():
            result["profile"] = summarise_profile(spy_out)
            result["profile_raw"] = str(spy_out)
        return result
    finally:
        if server is not None:
            server.stop()
        if keep:
            result["kept"] = {"database": url, "var_dir": str(var_dir)}
        else:
            with contextlib.suppress(Exception):
                drop_database(admin_url, name)
            shutil.rmtree(var_dir, ignore_errors=True)


def rows(result: dict) -> Iterator[tuple[str, str]]:
    """The figures of a run as (measure, value) rows for the final table."""
    fl = result["floor"]
    yield "parcels posted (4 documents each)", f"{result['parcels_accepted']:,} in {result['window_s']} s"
    yield "parcels/s accepted (all four answered 2)", f"{result['accepted_per_s']:.1f}"
    yield "parcels/s released during the window", f"{result['released_in_window_per_s']:.1f}"
    yield "parcels/s released end to end", (f"{result['released_end_to_end_per_s']:.1f} "
                                            f"({result['parcels_released']:,} by {result['last_release_s']} s)")
    yield "intake latency p50 / p99 per request", f"{result['p50_ms']:.0f} ms / {result['p99_ms']:.0f} ms"
    yield "records per request (mean)", f"{result['records_per_request']}"
    if result.get("rate") is not None:
        yield "load", f"steady, {result['rate']:g} parcels/s planned over the window (not the peak)"
    if result.get("batch_seconds") is not None:
        yield "pipeline micro-batch (KUAJING_PIPELINE_BATCH_SECONDS)", f"{result['batch_seconds']} s"
    yield "server CPU per released parcel", f"{result['server_cpu_ms_per_parcel']:.1f} ms"
    yield "PostgreSQL CPU per released parcel (all postgres processes)", f"{result['postgres_cpu_ms_per_parcel']:.1f} ms"
    if "postgres_own_backends_cpu_ms_per_parcel" in result:  # the scale-out bench reads all postgres processes only
        yield "PostgreSQL CPU per released parcel (the bench database's backends)", (
            f"{result['postgres_own_backends_cpu_ms_per_parcel']:.1f} ms")
    yield "load average at the end (1, 5, 15 min)", ", ".join(f"{v:.1f}" for v in result["load_average"])
    yield "floor: parse + XSD + COPY (1 process)", f"{fl['floor_parcels_per_s']:.0f} parcels/s ({fl['schema']})"
    yield "floor + SM2 verify of the lists", (f"{fl['floor_with_verify_parcels_per_s']:.0f} parcels/s "
                                              f"({fl['verify_ms_per_list_message']:.2f} ms per signed list message)")
    yield "gap (floor / end to end)", (f"{fl['floor_parcels_per_s'] / result['released_end_to_end_per_s']:.0f}×"
                                       if result["released_end_to_end_per_s"] else "-")
    yield "list statuses at the end", ", ".join(f"{k} {v}" for k, v in sorted(result["list_statuses"].items()))
    yield "complete sets never matched", str(result["complete_sets_never_matched"])
    if result.get("busy_answers"):
        yield "busy answers (503 back-pressure; waited Retry-After, sent again)", f"{result['busy_answers']:,}"
    if result["errors"]:
        yield "failed attempts (retried) / messages lost", (f"{result['errors']} / {result['messages_lost']}: "
                                                           f"{result['error_samples'][0][:160]}")
    if result["rejected_records"]:
        yield "rejected records", json.dumps(result["rejected_records"])
