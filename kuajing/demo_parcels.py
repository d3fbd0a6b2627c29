"""Demo retail-import parcels (演示进口包裹): real documents through the real pipeline and sandbox customs.

Every parcel is four messages — order (CEB311) from the demo platform, payment (CEB411) from the
payment company, waybill (CEB511) from the logistics company and declaration list (CEB621) from the
declaring agent — accepted by :func:`kuajing.imports.service.accept` exactly as `POST /ceb` would, then
matched, taxed, declared and released by the sandbox customs. A few parcels are made to fail the way
real ones do (a payer who is not the buyer; a buyer past the annual limit), so every page shows
something. Buyers are fictitious: ID numbers with valid check characters, born 1983–2003 in Baotou (Kundulun district, coded 150203 since 1983).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from stdnum.cn import ric

from kuajing.accounts.deps import Principal
from kuajing.ceb import Message, example_message
from kuajing.db.session import transaction

#: (HS code, goods name, unit price) of the zone's typical imports
#: (HS code, name, unit price, country of origin 原产国 as a customs country code)
GOODS = [
    ("1901101000", "婴幼儿配方奶粉 900g", Decimal("268.00"), "609"),  # New Zealand
    ("3304990099", "保湿面霜 50ml", Decimal("189.00"), "116"),  # Japan
    ("2106909090", "复合维生素片 120粒", Decimal("156.00"), "601"),  # Australia
    ("0402290000", "全脂奶粉 1kg", Decimal("98.00"), "309"),  # Netherlands
    ("3305100000", "洗发水 400ml", Decimal("69.00"), "133"),  # Korea
    ("2204210000", "干红葡萄酒 750ml", Decimal("238.00"), "305"),  # France
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
STREETS = ["昆都仑区钢铁大街", "青山区幸福路", "东河区巴彦塔拉大街", "九原区建华南路", "稀土高新区黄河大街"]


@dataclass
class Party:
    """A demo sender: enterprise id and customs code."""

    enterprise_id: int
    code: str
    name: str

    @property
    def principal(self) -> Principal:
        """The principal the sender's sandbox API key would authenticate as."""
        return Principal(kind="api_key", user_id=None, api_key_id=None, enterprise_id=self.enterprise_id,
                         roles=frozenset({"enterprise_user"}), display_name=self.name)


def buyer_id(rng: random.Random) -> str:
    """A fictitious resident ID number (身份证号) of Baotou with a valid check character."""
    body = f"150203{rng.randint(1983, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check character


def _records(kind: str, parcels: list[dict], parties: dict[str, Party]) -> list:
    out = []
    for p in parcels:
        lines = p["lines"]
        if kind == "CEB311":
            rec = example_message("CEB311", items=len(lines)).records[0]
            h = rec.head
            h.order_no, h.ebp_code, h.ebc_code = p["order_no"], parties["platform"].code, parties["platform"].code
            h.buyer_id_number, h.buyer_name, h.buyer_telephone = p["buyer_id"], p["buyer"], p["phone"]
            h.consignee, h.consignee_telephone, h.consignee_address = p["buyer"], p["phone"], p["address"]
            h.pay_code, h.pay_transaction_id = parties["payment"].code, p["pay_no"]
            for k, (item, (_gcode, name, price, qty, origin)) in enumerate(zip(rec.items, lines), start=1):
                item.gnum, item.item_name, item.qty, item.price, item.total_price = k, name, Decimal(qty), price, price * qty
                item.country = origin
            h.goods_value = p["goods"]
            h.freight, h.discount, h.tax_total = p["freight"], Decimal(0), Decimal(0)
            h.actural_paid = h.goods_value + h.freight
        elif kind == "CEB411":
            rec = example_message("CEB411").records[0]
            h = rec.head
            h.pay_code, h.pay_transaction_id, h.order_no = parties["payment"].code, p["pay_no"], p["order_no"]
            h.ebp_code = parties["platform"].code
            h.payer_id_type, h.payer_id_number, h.payer_name, h.telephone = "1", p["buyer_id"], p["payer"], p["phone"]
            h.amount_paid = p["goods"] + p["freight"]
        elif kind == "CEB511":
            rec = example_message("CEB511").records[0]
            h = rec.head
            h.logistics_code, h.logistics_no, h.order_no = parties["logistics"].code, p["waybill_no"], p["order_no"]
            h.consignee, h.consignee_telephone, h.consignee_address = p["buyer"], p["phone"], p["address"]
            h.freight, h.insured_fee = p["freight"], Decimal(0)
        else:
            rec = example_message("CEB621", items=len(lines)).records[0]
            h = rec.head
            h.order_no, h.ebp_code, h.ebc_code = p["order_no"], parties["platform"].code, parties["platform"].code
            h.agent_code, h.assure_code = parties["agent"].code, parties["platform"].code
            h.logistics_code, h.logistics_no = parties["logistics"].code, p["waybill_no"]
            h.cop_no, h.pre_no, h.invt_no = p["order_no"].replace("ORD", "COP"), None, None
            h.buyer_id_number, h.buyer_name, h.buyer_telephone = p["buyer_id"], p["buyer"], p["phone"]
            h.consignee_address = p["address"]
            h.freight, h.insured_fee, h.trade_mode = p["freight"], Decimal(0), "9610"
            h.decl_time = p["declared"].strftime("%Y%m%d")
            for k, (item, (gcode, name, price, qty, origin)) in enumerate(zip(rec.items, lines), start=1):
                item.gnum, item.gname, item.gcode, item.country = k, name, gcode, origin
                item.qty, item.qty1, item.price, item.total_price = Decimal(qty), Decimal(qty), price, price * qty
                item.qty2 = item.unit2 = None
        h.app_type = "1"
        out.append(rec)
    return out


def plan_parcels(rng: random.Random, count: int, now: datetime) -> list[dict]:
    """The demo parcels: mostly ordinary; one payer mismatch in 25; one big spender crossing the annual limit."""
    big_spender = (buyer_id(rng), "郝多买", "13800009999")
    parcels = []
    for n in range(1, count + 1):
        lines = []
        for gcode, name, price, origin in rng.sample(GOODS, rng.choice([1, 1, 1, 2, 3])):
            lines.append((gcode, name, price, rng.choice([1, 1, 2]), origin))
        if n % 16 == 0:  # the big spender: near-5,000 parcels until the 26,000 annual limit bites
            ident, buyer, phone = big_spender
            lines = [("1901101000", "婴幼儿配方奶粉 整箱", Decimal("4800.00"), 1, "609")]
        else:
            ident = buyer_id(rng)
            buyer = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
            phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        goods = sum((price * qty for _, _, price, qty, _origin in lines), Decimal(0))
        tag = uuid.uuid4().hex[:6].upper()
        parcels.append({
            "order_no": f"ORDDEMO{n:05d}{tag}", "pay_no": f"PAYDEMO{n:05d}{tag}", "waybill_no": f"BT{n:08d}{tag}",
            "buyer_id": ident, "buyer": buyer, "payer": buyer if n % 25 else "钱某某", "phone": phone,
            "address": f"内蒙古包头市{rng.choice(STREETS)}{rng.randint(1, 300)}号", "lines": lines, "goods": goods,
            "freight": Decimal(rng.choice(["0", "10", "15", "20"])), "declared": now,
        })
    return parcels


def load_demo_parcels(*, settings, session_factory, console, parties: dict[str, Party], count: int = 120,
                      seed: int = 2023, batch: int = 10) -> dict:
    """Send ``count`` demo parcels through intake and the sandbox customs until they settle."""
    from datetime import timedelta

    from kuajing.customs.service import SandboxConfig, SandboxCustoms
    from kuajing.imports.service import accept
    from kuajing.pipeline.service import tick

    rng = random.Random(seed)
    now = datetime.now(UTC)
    parcels = plan_parcels(rng, count, now)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("import parcels (进口包裹: 订单/支付单/运单/清单)", total=len(parcels))
        for start in range(0, len(parcels), batch):
            chunk = parcels[start:start + batch]
            for kind, sender in (("CEB311", "platform"), ("CEB411", "payment"), ("CEB511", "logistics"),
                                 ("CEB621", "agent")):
                message = Message(message_type=kind, records=_records(kind, chunk, parties))
                with transaction(session_factory) as session:
                    accept(session=session, message=message, principal=parties[sender].principal,
                           received_at=datetime.now(UTC), channel="json")
            progress.advance(task, len(chunk))
        sandbox = SandboxCustoms(session_factory=session_factory,
                                 config=SandboxConfig(delay_seconds=0, inspection_rate=0.08, seed=seed))
        task = progress.add_task("sandbox customs (海关沙箱) releasing", total=None)
        for _ in range(50):
            result = tick(session_factory=session_factory, transport=sandbox, match_timeout=timedelta(hours=72),
                          tz=settings.tz)
            progress.advance(task)
            if not result.busy:
                break
    return {"parcels": len(parcels)}
