"""``kuajing bench import``: the parcels it posts are valid, consistent and signed, and a tiny run goes
end to end (a real ``kuajing serve`` on a scratch PostgreSQL database). No timing is asserted."""

from __future__ import annotations

import os
import random
from decimal import Decimal

from stdnum.cn import ric

from kuajing.ceb import parse
from kuajing.ceb.signing import Sm2SoftwareSigner, generate_demo_keypair, verify_message
from kuajing.imports import bench
from kuajing.imports.service.match import match

PARTIES = bench.Parties(platform="1503900001", pay="1503900002", logistics="1503900003", agent="1503900004")


def _signer():
    key, cert = generate_demo_keypair("sm2-sm3", "包头基准报关有限公司")
    return Sm2SoftwareSigner(private_key_pem=key, certificate=cert), cert


def test_buyer_ids_are_valid_and_distinct():
    ids = [bench.id_number(n) for n in range(0, 800_000, 13)]
    assert len(set(ids)) == len(ids)
    assert all(ric.is_valid(i) for i in ids)


def test_batch_sizes_between_1_and_100_with_a_mean_near_10():
    sizes = bench.batch_sizes(50_000, random.Random(7))
    assert sum(sizes) == 50_000
    assert min(sizes) >= 1 and max(sizes) <= 100
    assert 9.0 <= sum(sizes) / len(sizes) <= 11.0


def test_postings_are_four_valid_messages_per_batch_with_signed_lists():
    signer, cert = _signer()
    postings, info = bench.make_postings(parcels=60, parties=PARTIES, signer=signer, mix_1210=0.5, seed=3)
    assert info["parcels"] == 60 and len(postings) == info["messages"]
    assert [p.message_type for p in postings[:4]] == ["CEB311", "CEB411", "CEB511", "CEB621"]
    assert sum(len(p.parcels) for p in postings if p.message_type == "CEB621") == 60
    modes = set()
    for posting in postings:
        msg = parse(posting.data)  # full validation, as intake does
        assert len(msg.records) == len(posting.parcels)
        if posting.message_type == "CEB621":
            assert verify_message(posting.data, trusted_certs=[cert])
            modes |= {r.head.trade_mode for r in msg.records}
    assert modes == {"1210", "9610"}


def test_the_four_documents_of_a_parcel_match():
    from kuajing.imports.service.match import (
        InventoryDoc,
        InventoryLine,
        OrderDoc,
        OrderLine,
        PaymentDoc,
        WaybillDoc,
    )

    order, payment, waybill, inventory = bench._parcel_records(42, PARTIES, random.Random(1), trade_mode="1210",
                                                               decl_time="20260601")
    o, p, w, i = order.head, payment.head, waybill.head, inventory.head
    found = match(
        OrderDoc(o.order_no, o.ebp_code, o.ebc_code, o.goods_value, o.freight, o.discount, o.tax_total,
                 o.actural_paid, str(o.buyer_id_type), o.buyer_id_number, o.buyer_name, o.buyer_telephone,
                 o.consignee, o.consignee_telephone, o.consignee_address, o.pay_code, o.pay_transaction_id,
                 tuple(OrderLine(x.gnum, x.item_name, x.qty, x.price, x.total_price) for x in order.items)),
        PaymentDoc(p.pay_code, p.pay_transaction_id, p.order_no, p.ebp_code, str(p.payer_id_type),
                   p.payer_id_number, p.payer_name, p.amount_paid),
        WaybillDoc(w.logistics_code, w.logistics_no, w.order_no, w.consignee, w.consignee_telephone,
                   w.consignee_address),
        InventoryDoc(i.order_no, i.ebp_code, i.ebc_code, i.logistics_code, i.logistics_no, str(i.buyer_id_type),
                     i.buyer_id_number, i.buyer_name, i.buyer_telephone, i.consignee_address, i.freight,
                     tuple(InventoryLine(x.gnum, x.gname, x.qty, x.price, x.total_price) for x in inventory.items)))
    assert found == []
    assert o.goods_value <= Decimal("5000")  # within the single-transaction limit (policy-rules R1.2)
    assert i.ems_no == bench.WAREHOUSE and all(x.item_record_no for x in inventory.items)


def test_percentile_by_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 0.5) == 50.0
    assert bench.percentile(values, 0.99) == 99.0
    assert bench.percentile([], 0.5) == 0.0


def test_a_tiny_run_goes_end_to_end_on_postgresql():
    admin = os.environ.get("KUAJING_TEST_DATABASE_URL") or bench.DEFAULT_ADMIN_URL
    # 30 parcels (60 s × 0.5/s): posting ends when they are all posted, the 60 s are only an upper bound
    result = bench.run(seconds=60, clients=1, mix_1210=0.5, rate_cap=0.5, drain_seconds=60, progress=False,
                       admin_url=admin)
    assert result["messages_lost"] == 0, result["error_samples"]
    assert result["parcels_accepted"] == 30  # every planned parcel: four documents answered 2
    assert result["parcels_released"] == result["parcels_accepted"]  # the sandbox released every list
    assert result["list_statuses"] == {"released": 30}
    assert result["intake_verifies_signatures"]  # the broker's certificate registered, every list verified on intake
    assert result["floor"]["xsd_invalid"] == 0 and result["floor"]["verify_failed"] == 0
    assert result["p50_ms"] > 0 and result["server_cpu_s"] > 0
    names = [name for name, _ in bench.rows(result)]
    assert "parcels/s released end to end" in names


def _stub_server(answer):
    """A local HTTP server answering every POST with ``answer(body) -> (status, headers, json)``."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the http.server hook
            status, headers, payload = answer(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps(payload).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_steady_load_posts_the_nth_message_not_before_its_time():
    """``--rate``: the n-th message leaves no earlier than t0 + n × spacing (a steady load, not the peak)."""
    import queue
    import threading
    import time

    arrivals: list[float] = []
    server = _stub_server(lambda body: (arrivals.append(time.perf_counter()) or 200, {}, {"records": [{"code": "2"}]}))
    try:
        work: queue.Queue = queue.Queue()
        for n in range(4):
            work.put((n, bench.Posting(sender=0, message_type="CEB311", data=b"<m/>", parcels=[n])))
        t0 = time.perf_counter()
        bench._client(f"http://127.0.0.1:{server.server_port}", ["k"], work, bench.Tally(), threading.Event(), t0,
                      0.1)
    finally:
        server.shutdown()
    assert len(arrivals) == 4
    assert all(at - t0 >= n * 0.1 * 0.95 for n, at in enumerate(arrivals)), [at - t0 for at in arrivals]


def test_a_client_waits_on_back_pressure_and_sends_again():
    """A 503 busy_retry with Retry-After is waited out and the same message sent again (as a sender does):
    counted as busy, not as a failure nor a lost message; its latency is the answered request's."""
    import queue
    import threading
    import time

    seen: list[bytes] = []

    def answer(body):
        seen.append(body)
        if len(seen) <= 2:
            return 503, {"Retry-After": "0"}, {"code": "busy_retry"}
        return 200, {}, {"records": [{"code": "2"}, {"code": "2"}]}

    server = _stub_server(answer)
    try:
        work: queue.Queue = queue.Queue()
        work.put((0, bench.Posting(sender=0, message_type="CEB311", data=b"<m/>", parcels=[1, 2])))
        tally = bench.Tally()
        bench._client(f"http://127.0.0.1:{server.server_port}", ["k"], work, tally, threading.Event(),
                      time.perf_counter())
    finally:
        server.shutdown()
    assert seen == [b"<m/>"] * 3  # the same bytes, three times
    assert (tally.busy, tally.errors, tally.lost, tally.requests) == (2, [], 0, 1)
    assert tally.docs_accepted == {1: 1, 2: 1}
