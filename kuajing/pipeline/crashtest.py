"""The crash test of the scale-out pipeline (崩溃测试): exactly once, whatever happens.

Two ``kuajing serve`` and two ``kuajing worker`` processes (celery mode, RabbitMQ, a fresh PostgreSQL
database) receive a few thousand parcels from keep-alive senders. While they post, a worker (the
dispatcher's leader, so the leadership moves too) and an API process are killed with SIGKILL and restarted.
The senders send a message again when their connection breaks (to the other node) — as senders do. When
everything has drained, :func:`verify` proves that every accepted record reached its final state exactly
once, by counting what the pipeline wrote against what must be there:

* every parcel whose four documents were answered ``2`` has its list ``released``, and no list is anywhere
  else; no outbox row is pending, every customs message was applied and acknowledged;
* receipts: exactly one platform receipt per document, and exactly one customs receipt per record customs
  answered (the sandbox's own queue is the expectation: it answers many records per message), no (document,
  receipt type, status) twice;
* quota ledger: one ``reserve`` and one ``consume`` movement per released list, nothing else;
* bonded ledger: one ``reserve`` and one ``deduct`` movement per line of every 1210 list, nothing else
  (beyond the stock entry of the set-up);
* audit: per list exactly one event of each state it went through (declare, and one per customs status
  customs sent), per document one intake event and one customs event per answer; no event twice.

``python -m kuajing.pipeline.crashtest --parcels 2000`` runs it by hand; tests/pipeline/test_scaleout.py runs it in
the suite (both passes of .ci/run).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter

from kuajing.imports import bench
from kuajing.pipeline import deploy


def run(*, parcels: int = 2000, clients: int = 4, mix_1210: float = 0.5, drain_timeout: float = 300.0,
        keep: bool = False, log=print) -> dict:
    """Run the crash test; returns the report (``report["problems"]`` empty when exactly once held)."""
    dep = deploy.start(apis=2, workers=2, name=f"kuajing_crash_{os.getpid()}")
    report: dict = {"parcels": parcels, "kills": []}
    try:
        postings, info = bench.make_postings(parcels=parcels, parties=dep.zone.parties, signer=dep.zone.signer,
                                             mix_1210=mix_1210, seed=8)
        report["messages"] = info["messages"]
        total = len(postings)
        plan = [(int(total * 0.3), "worker", 0), (int(total * 0.55), "api", 0)]
        killed = threading.Event()

        def on_posted(out: deploy.Senders) -> None:  # kill when the posting reaches each mark
            while plan and out.posted >= plan[0][0]:
                _at, role, index = plan.pop(0)
                threading.Thread(target=_kill_and_restart, args=(dep, role, index, report, log), daemon=True).start()
                if not plan:
                    killed.set()

        t0 = time.perf_counter()
        out = deploy.send_all(postings=postings, keys=dep.zone.keys, base_urls=dep.base_urls, clients=clients,
                              on_posted=on_posted)
        report["posting_s"] = round(time.perf_counter() - t0, 1)
        killed.wait(30)
        time.sleep(3)  # the last restart settles
        left = deploy.wait_drained(dep.url, timeout=drain_timeout, expected_lists=out.tally.accepted)
        report["drain_s"] = round(time.perf_counter() - t0 - report["posting_s"], 1)
        report.update({"accepted_parcels": out.tally.accepted, "posted_messages": out.posted,
                       "connection_errors": out.connection_errors, "busy_answers": out.busy,
                       "refused": out.refused[:5], "rejected_records": out.tally.rejected, "backlog_at_end": left})
        report["problems"] = verify(dep.url, accepted=set(out.tally.accepted_at), parcels=parcels)
        if out.refused:
            report["problems"].append(f"{len(out.refused)} messages refused: {out.refused[:2]}")
        if len(report["kills"]) != 2:
            report["problems"].append(f"expected 2 kills, did {report['kills']}")
        return report
    finally:
        if report.get("problems") and not keep:
            report["logs"] = deploy.log_tails(dep, 1500)
        deploy.teardown(dep, keep=keep)


def _kill_and_restart(dep: deploy.Deployment, role: str, index: int, report: dict, log) -> None:
    proc = (dep.workers if role == "worker" else dep.apis)[index]
    pid = proc.popen.pid
    proc.kill()
    report["kills"].append(f"{role}-{index} pid {pid} SIGKILL")
    log(f"crash test: SIGKILL {role} {index} (pid {pid})")
    time.sleep(1.5)
    proc.start()
    log(f"crash test: restarted {role} {index} (pid {proc.popen.pid})")


def verify(url: str, *, accepted: set[int], parcels: int) -> list[str]:
    """Every count the pipeline wrote against its expectation; the list of what does not hold."""
    import psycopg

    problems: list[str] = []

    def check(name: str, got, want) -> None:
        if got != want:
            problems.append(f"{name}: {got} ≠ expected {want}")

    with psycopg.connect(bench._plain_url(url)) as conn:
        q = lambda sql, *a: conn.execute(sql, a or None).fetchall()  # noqa: E731
        one = lambda sql, *a: conn.execute(sql, a or None).fetchone()[0]  # noqa: E731
        lists = dict(q("SELECT status, count(*) FROM import_inventories GROUP BY status"))
        check("lists released (one per accepted parcel)", lists, {"released": len(accepted)} if accepted else {})
        released_orders = {int(r[0].removeprefix("ORD")) for r in q(
            "SELECT order_no FROM import_inventories WHERE status = 'released'")}
        check("released lists are the accepted parcels", released_orders == accepted, True)
        problems.extend(_stuck(q))
        check("outbox rows not sent", one("SELECT count(*) FROM import_outbox WHERE status <> 'sent'"), 0)
        check("outbox rows (4 per parcel)", one("SELECT count(*) FROM import_outbox"), 4 * len(accepted))
        check("customs messages not delivered", one(
            "SELECT count(*) FROM customs_sandbox_receipts WHERE delivered_at IS NULL"), 0)
        check("customs messages not applied", one("SELECT count(*) FROM pipeline_inbox WHERE applied_at IS NULL"), 0)
        customs_sent = one("SELECT count(*) FROM customs_sandbox_receipts")
        check("inbox rows (one per customs message)", one("SELECT count(*) FROM pipeline_inbox"), customs_sent)
        check("customs declarations received (each outbox row once)",
              one("SELECT count(*) FROM customs_sandbox_declarations"), 4 * len(accepted))

        # receipts: customs answers many records per message (one message per step), so a record is a
        # (message, declaration) pair of the sandbox's queue
        per_record = q("""SELECT r.message_type, r.return_status, count(*) FROM customs_sandbox_receipt_declarations l
                          JOIN customs_sandbox_receipts r ON r.id = l.receipt_id GROUP BY 1, 2""")
        records_by_type: Counter = Counter()
        for message_type, _status, n in per_record:
            records_by_type[message_type] += n
        check("platform receipts (one per document)", dict(q(
            "SELECT return_status, count(*) FROM import_receipts WHERE source = 'platform' GROUP BY 1")),
            {"2": 4 * len(accepted)} if accepted else {})
        check("customs receipts (one per record customs answered)",
              one("SELECT count(*) FROM import_receipts WHERE source = 'customs'"), sum(records_by_type.values()))
        check("customs receipts by type = records customs answered by type",
              dict(q("SELECT message_type, count(*) FROM import_receipts WHERE source = 'customs' GROUP BY 1")),
              dict(records_by_type))
        check("receipts stored twice", one("""SELECT count(*) FROM (SELECT 1 FROM import_receipts
              GROUP BY declaration_type, business_key, message_type, return_status, source HAVING count(*) > 1) d"""), 0)
        check("list receipts 800 (released)", one(
            "SELECT count(*) FROM import_receipts WHERE message_type = 'CEB622' AND return_status = '800'"),
            len(accepted))

        # quota ledger
        check("quota movements", dict(q("SELECT kind, count(*) FROM quota_movements GROUP BY kind")),
              {"reserve": len(accepted), "consume": len(accepted)} if accepted else {})
        check("quota reservations consumed", dict(q("SELECT status, count(*) FROM quota_reservations GROUP BY 1")),
              {"consumed": len(accepted)} if accepted else {})

        # bonded ledger
        lines_1210 = one("""SELECT count(*) FROM import_inventory_items it JOIN import_inventories i
                            ON i.id = it.inventory_id WHERE i.trade_mode = '1210'""")
        moves = Counter(dict(q("SELECT kind, count(*) FROM bonded_movements WHERE kind <> 'entry' GROUP BY kind")))
        check("bonded movements (reserve + deduct per 1210 line)", dict(moves),
              {"reserve": lines_1210, "deduct": lines_1210} if lines_1210 else {})

        # audit
        from kuajing.imports.choices import CUSTOMS_INVENTORY_STATUS

        by_status = Counter()
        for status, n in [(st, n) for mt, st, n in per_record if mt == "CEB622"]:
            target = CUSTOMS_INVENTORY_STATUS.get(status)
            if target is not None:
                by_status[f"import:inventory:{target.value.replace('_', '-')}"] += n
        audit = dict(q("SELECT action, count(*) FROM audit_event WHERE action LIKE 'import:inventory:%' GROUP BY 1"))
        # one event per state reached; review and inspection share a rank (a list in review that customs then
        # inspects stays "review"), so those two are bounded by what customs sent rather than equal to it
        exact = {"import:inventory:accept": len(accepted), "import:inventory:declare": len(accepted),
                 **{a: n for a, n in by_status.items() if not a.endswith((":review", ":inspection"))}}
        for action in sorted(set(exact) | set(audit)):
            if action in exact:
                check(f"audit {action}", audit.get(action, 0), exact[action])
            elif audit.get(action, 0) > by_status.get(action, 0):
                problems.append(f"audit {action}: {audit[action]} > {by_status.get(action, 0)} customs messages")
        for doc, answer in (("order", "CEB312"), ("payment", "CEB412"), ("waybill", "CEB512")):
            check(f"audit import:{doc}:accept", one(
                "SELECT count(*) FROM audit_event WHERE action = %s", f"import:{doc}:accept"), len(accepted))
            check(f"audit import:{doc}:customs (one per {answer} record)", one(
                "SELECT count(*) FROM audit_event WHERE action = %s", f"import:{doc}:customs"),
                records_by_type.get(answer, 0))
        check("audit events twice (same stream, action, after)", one("""SELECT count(*) FROM (SELECT 1 FROM audit_event
              WHERE action LIKE 'import:%' GROUP BY stream, action, after_json HAVING count(*) > 1) d"""), 0)
        check("accepted parcels", len(accepted), parcels)
    return problems


def _stuck(q, limit: int = 10) -> list[str]:
    """Each list not released (up to ``limit``), with its documents, outbox rows and match-queue rows, so a
    failure says where the parcel stopped rather than only how many did."""
    out: list[str] = []
    rows = q("""SELECT order_no, ebp_code, status, customs_status FROM import_inventories
                WHERE status <> 'released' ORDER BY order_no LIMIT %s""", limit)
    for order_no, ebp_code, status, customs_status in rows:
        docs = {table: q(f"SELECT status, customs_status FROM {table} WHERE order_no = %s", order_no)
                for table in ("import_orders", "import_payments", "import_waybills")}
        outbox = q("SELECT message_type, status, attempts FROM import_outbox WHERE order_no = %s", order_no)
        queued = q("SELECT count(*) FROM import_match_queue WHERE order_no = %s", order_no)[0][0]
        out.append(f"list {order_no} ({ebp_code}) {status}/{customs_status}: documents {docs}, outbox {outbox}, "
                   f"match queue {queued}")
    return out


def main() -> None:  # pragma: no cover - the manual entry point
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=2000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    report = run(parcels=args.parcels, keep=args.keep)
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    raise SystemExit(1 if report["problems"] else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
