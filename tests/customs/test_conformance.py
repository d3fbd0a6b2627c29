"""Every message the customs sandbox emits validates against the official import XSD (lxml, test oracle);
the file transport's outbox files validate against the official terminal-node (DxpMsg) XSD."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from kuajing.ceb import build as ceb_build
from kuajing.ceb import example_message
from kuajing.customs.models import SandboxDeclaration
from kuajing.customs.service import FileTransport
from kuajing.customs.service.sandbox import SandboxConfig, inspect_now, record_exit, record_national_purchase
from tests.customs import builders as b
from tests.customs.conftest import Customs

T0 = b.at("2024-03-01 10:00")


def _xsd_dir(settings) -> Path:
    path = Path(settings.ceb_spec_dir or "") / "xsd"
    if not (path / "ceb-import-202205.xsd").is_file():
        pytest.fail(f"official XSDs not found in {path}: set KUAJING_CEB_SPEC_DIR", pytrace=False)
    return path


@pytest.fixture(scope="module")
def import_schema(settings) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_xsd_dir(settings) / "ceb-import-202205.xsd")))


@pytest.fixture(scope="module")
def terminal_schema(settings) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_xsd_dir(settings) / "ceb-terminal-node-202205.xsd")))


def _every_path(db) -> Customs:
    """Drive the sandbox through every path that emits a message; return it with everything it emitted."""
    customs = Customs(db, SandboxConfig())
    parcels = [b.Parcel(order_no=f"ORD{i}", logistics_no=f"LN{i}", cop_no=f"COP{i}", decl_time="20240301")
               for i in range(6)]
    for p in parcels:
        customs.send(b.order(p), "CEB311", T0)
        customs.send(b.payment(p), "CEB411", T0)
        customs.send(b.waybill(p), "CEB511", T0)
    customs.send(ceb_build(example_message("CEB513")), "CEB513", T0)
    customs.send(ceb_build(example_message("CEB711")), "CEB711", T0)
    customs.send(b.order(parcels[0]), "CEB311", T0)  # duplicate: −301010
    held = Customs(db, SandboxConfig(delay_seconds=60))
    held.send(b.inventory(parcels[5]), "CEB621", T0)  # stays at 2 for the officer
    for p in parcels[:4]:
        customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    inspect_now(session=db, decl=_list(db, parcels[5]), now=T0 + timedelta(minutes=5), config=customs.config)
    customs.advance(T0 + timedelta(minutes=10))
    invt = [_list(db, p).invt_no for p in parcels[:4]]
    customs.send(b.cancel(parcels[0], invt[0]), "CEB623", T0)  # allowed
    record_exit(session=db, decl=_list(db, parcels[1]), now=T0, config=customs.config)  # 899
    customs.send(b.cancel(parcels[1], invt[1]), "CEB623", T0)  # −623005
    customs.send(b.refund(parcels[2], invt[2]), "CEB625", b.at("2024-03-31 12:00"))  # allowed
    customs.send(b.refund(parcels[3], invt[3]), "CEB625", b.at("2024-04-01 12:00"))  # 100: day 31
    customs.advance(b.at("2024-04-01 12:00"))  # also the March tax summary (CEB818 status 2)
    p = b.Parcel(order_no="ORDQ", logistics_no="LNQ", decl_time="20240301")
    record_national_purchase(session=db, buyer_id_number="110101199003107777", year=2024, amount=Decimal("26000"))
    p.buyer = "110101199003107777"
    customs.send(b.inventory(p), "CEB621", T0)  # −621018
    customs.send(b.inventory(b.Parcel(order_no="ORDM", logistics_no="LNM", decl_time="20240301")), "CEB621", T0)
    customs.advance(T0 + timedelta(days=40))  # ORDM: no order/payment/waybill → 100
    customs.send(b"<?xml version='1.0'?><broken", "CEB311", T0)  # CEB900
    customs.drain()
    return customs


def _list(db, p) -> SandboxDeclaration:
    return db.execute(select(SandboxDeclaration).where(SandboxDeclaration.message_type == "CEB621",
                                                       SandboxDeclaration.order_no == p.order_no)).scalar_one()


def test_every_emitted_message_validates_against_the_official_xsd(db, import_schema):
    customs = _every_path(db)
    kinds: set[tuple[str, str]] = set()
    for xml in customs.seen:
        doc = etree.fromstring(xml)
        assert import_schema.validate(doc), (etree.QName(doc).localname, import_schema.error_log.last_error)
        name = etree.QName(doc).localname.removesuffix("Message")
        status = doc.findtext(".//{http://www.chinaport.gov.cn/ceb}returnStatus") or doc.findtext(
            ".//{http://www.chinaport.gov.cn/ceb}status")
        kinds.add((name, status))
    assert {k for k, _ in kinds} == {"CEB312", "CEB412", "CEB512", "CEB514", "CEB622", "CEB624", "CEB626",
                                     "CEB712", "CEB816", "CEB818", "CEB900"}
    assert {s for k, s in kinds if k == "CEB622"} >= {"2", "100", "120", "300", "399", "500", "800", "899",
                                                      "-621018"}
    assert {s for k, s in kinds if k == "CEB624"} >= {"2", "120", "399", "-623005"}
    assert {s for k, s in kinds if k == "CEB626"} >= {"2", "120", "399", "100"}
    assert {s for k, s in kinds if k == "CEB818"} >= {"2", "3"}
    assert ("CEB312", "-301010") in kinds


def test_outbox_file_is_a_valid_dxp_message(tmp_path, terminal_schema, import_schema):
    transport = FileTransport(outbox=tmp_path / "out", inbox=tmp_path / "in", sender_id="DXPENT0000000001",
                              receiver_id="DXPEDCCEB0000002")
    data = b.order(b.Parcel())
    transport.send(message=data, message_type="CEB311")
    (path,) = list((tmp_path / "out").iterdir())
    doc = etree.parse(str(path))
    assert terminal_schema.validate(doc), terminal_schema.error_log.last_error
