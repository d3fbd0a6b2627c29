"""What a declared parcel may carry, found by a QA pass through POST /ceb:

* a gift line (赠品, unit price 0 — ceb-messages OrderList "price: unit price (gifts 0)") is declared, taxed and
  released like any parcel (it used to answer 500 to whichever sender completed the set, on every retry);
* negative amounts, a quantity of 0, a line total other than qty × price and, on import, an ID type other than 1
  (ceb-messages "import: must be 1", policy-rules R1.5 / R11.1) are refused record by record with the field path,
  the other records of the message accepted, nothing of the refused record stored;
* business keys with Chinese, spaces or ``#`` (CEB C..60 fields allow them) go through the whole flow; their
  audit streams escape what the stream alphabet lacks (they used to fail the whole message with a 422).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.audit.service import STREAM_RE, stream_name
from kuajing.ceb import build, parse
from kuajing.imports.models import ImportOrder, Inventory
from tests.imports import parcels
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.test_intake import count, post
from tests.imports.test_issue_checks import (  # noqa: F401  (fixtures)
    MILK,
    Line,
    assert_released,
    guarantee,
    run,
    sandbox,
    send_parcel,
)


def _answer(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(r.return_status, r.return_info) for r in parse(response.content, validate=False).records]


def test_a_gift_line_at_price_0_is_declared_taxed_and_released(
        client, db, session_factory, zone, sandbox, guarantee):  # noqa: F811
    # E1 with a free sample: P = 280 + 0 + 20 freight = 300 (R1.4); the freight follows the lines' values, so all of
    # it goes to the paid line; VAT = 300 × 13% × 0.7 = 27.30 (R1.8); the gift line's taxes are 0
    send_parcel(client, zone, 1, [Line(MILK, "婴儿奶粉", 1, "280"), Line(MILK, "赠品试用装", 1, "0")], freight="20")
    run(session_factory, sandbox)
    assert_released(db, client, zone, 1, channel="cbec", taxable="300.00", duty="0.00", vat="27.30", ct="0.00",
                    total="27.30")


@pytest.mark.parametrize(("where", "field", "value", "path"), [
    ("item", "price", "-10", "Order[2]/OrderList[1]/price"),
    ("item", "qty", "0", "Order[2]/OrderList[1]/qty"),
    ("head", "freight", "-5", "Order[2]/OrderHead/freight"),
    ("head", "buyer_id_type", "2", "Order[2]/OrderHead/buyerIdType"),
    ("item", "total_price", "-280", "Order[2]/OrderList[1]/totalPrice"),
])
def test_a_wrong_value_refuses_its_record_only(client, db, zone, where, field, value, path):  # noqa: F811
    good = parcels.order(zone.parties, 1)
    bad = parcels.order(zone.parties, 2)
    target = bad.records[0].head if where == "head" else bad.records[0].items[0]
    setattr(target, field, value if field == "buyer_id_type" else D(value))
    if field in ("price", "qty", "total_price"):  # keep the order's own identity true, so only this rule speaks
        item = bad.records[0].items[0]
        item.total_price = item.qty * item.price if field != "total_price" else item.total_price
    good.records.append(bad.records[0])
    answer = _answer(post(client, zone.platform, build(good, validate=False)))
    assert answer[0][0] == "2"
    assert answer[1][0] == "-301008" and path in answer[1][1], answer[1]
    assert [o.order_no for o in db.scalars(select(ImportOrder))] == ["ORD1"]


@pytest.mark.parametrize(("qty", "price", "total", "accepted"), [
    ("3", "33.33", "100.00", True),  # the unit price rounded to the fen: 99.99, within 0.5 fen per unit + 0.5
    ("3", "33.34", "100.00", True),  # 100.02
    ("3", "30", "100.00", False),  # 90.00: not the line's total
    ("1", "100", "100.02", False),  # two fen off one unit
])
def test_line_total_is_qty_times_price_to_the_fen(client, db, zone, qty, price, total, accepted):  # noqa: F811
    msg = parcels.inventory(zone.parties, 1, goods=total)
    item = msg.records[0].items[0]
    item.qty, item.qty1, item.price, item.total_price = D(qty), D(qty), D(price), D(total)
    answer = _answer(post(client, zone.agent, build(msg, validate=False)))
    if accepted:
        assert answer[0][0] == "2", answer
        assert count(db, Inventory) == 1
    else:
        assert answer[0][0] == "-621001" and "InventoryList[1]/totalPrice" in answer[0][1], answer
        assert count(db, Inventory) == 0


def test_business_keys_with_chinese_spaces_and_hash_go_through(
        client, db, session_factory, zone, sandbox, guarantee):  # noqa: F811
    send_parcel(client, zone, "订单 #7", [Line(MILK, "婴儿奶粉", 1, "280")], freight="20")
    run(session_factory, sandbox)
    inv = assert_released(db, client, zone, "订单 #7", channel="cbec", taxable="300.00", duty="0.00", vat="27.30",
                          ct="0.00", total="27.30")
    streams = set(db.scalars(select(AuditEvent.stream).where(AuditEvent.subject_id.contains("ORD订单 #7"))))
    assert stream_name("import:inventory", inv.business_key) in streams
    assert all(STREAM_RE.match(s) for s in streams)


def test_stream_names_escape_only_what_the_alphabet_lacks():
    assert stream_name("import:order", "1502967316:ORD-1_a.b/c@d") == "import:order:1502967316:ORD-1_a.b/c@d"
    assert stream_name("import:order", "订单 #1") == "import:order:%E8%AE%A2%E5%8D%95%20%231"
    assert stream_name("k", "%") == "k:%25"  # a literal percent sign cannot pass for an escape
    long_a, long_b = stream_name("k", "x" * 300), stream_name("k", "x" * 299 + "y")
    assert len(long_a) == len(long_b) == 200 and long_a != long_b
    assert all(STREAM_RE.match(s) for s in (long_a, long_b, stream_name("k", "订单 #1")))


def test_only_the_lists_own_parties_cancel_or_return_it(db, zone):  # noqa: F811
    # a QA pass found that a request naming ITSELF as the declaring agent was accepted for another enterprise's list
    from tests.imports.returns_flow import at, cancel, customs, declare, refund, send

    inv = declare(db, zone, 1, when=at("2026-03-01 10:00"))
    customs(db, inv, "120", "800", when=at("2026-03-01 11:00"))
    for make, code in ((cancel, "-623026"), (refund, "-625021")):
        msg = make(zone, 1)
        head = msg.records[0] if make is cancel else msg.records[0].head
        head.agent_code = zone.outsider.code  # the outsider sends for itself, naming itself
        result = send(db, zone.outsider, msg, at("2026-03-02 10:00"))
        assert [v.code for v in result.records] == [code] and "agentCode" in result.records[0].info
        assert zone.platform.code not in result.records[0].info  # the list's own parties are not disclosed
    result = send(db, zone.agent, cancel(zone, 1), at("2026-03-02 10:05"))
    assert result.records[0].code == "2"  # the list's own agent still may


@pytest.mark.parametrize(("doc", "field", "number", "code", "path"), [
    ("order", "buyer_id_number", "150203199001011234", "-301008", "Order[2]/OrderHead/buyerIdNumber"),  # check
    ("order", "buyer_id_number", "150203199002301234", "-301008", "Order[2]/OrderHead/buyerIdNumber"),  # 02-30
    ("payment", "payer_id_number", "150203199001011234", None, "Payment[2]/PaymentHead/payerIdNumber"),
    ("inventory", "buyer_id_number", "010203199001051234", "-621001", "Inventory[2]/InventoryHead/buyerIdNumber"),
])
def test_an_id_number_no_card_carries_is_refused_and_never_echoed(
        client, db, zone, doc, field, number, code, path):  # noqa: F811
    # R11.1: customs verifies the buyer; a number that fails GB 11643 (kuajing.identity) never reaches it
    make = getattr(parcels, doc)
    sender = {"order": zone.platform, "payment": zone.pay, "inventory": zone.agent}[doc]
    good, bad = make(zone.parties, 1), make(zone.parties, 2)
    setattr(bad.records[0].head, field, number)
    good.records.append(bad.records[0])
    response = post(client, sender, build(good, validate=False))
    answer = _answer(response)
    assert answer[0][0] == "2"
    assert answer[1][0] != "2" and (code is None or answer[1][0] == code), answer[1]
    assert path in answer[1][1], answer[1]
    assert number not in response.text  # personal data: the receipt names the field, not the number
    third = make(zone.parties, 3)  # a new message, answered in JSON: the same verdict and path, no number
    setattr(third.records[0].head, field, number)
    json_answer = post(client, sender, build(third, validate=False), json=True)
    assert number not in json_answer.text
    (verdict,) = json_answer.json()["records"]
    assert verdict["status"] == "rejected" and path.replace("[2]", "[1]", 1) in verdict["info"], verdict


def test_a_lowercase_x_check_character_is_accepted(client, db, zone):  # noqa: F811
    order = parcels.order(zone.parties, 1)
    order.records[0].head.buyer_id_number = "15020319900106123x"
    assert _answer(post(client, zone.platform, build(order, validate=False)))[0][0] == "2"
