"""Customs declaration (报关单) data package for a 9710/9810 consignment that may not go on a list."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kuajing.errors import AppError
from kuajing.exports.choices import CustomsDeclarationStatus as D
from kuajing.exports.models import ExportOrder
from kuajing.exports.service import routing
from tests.exports import shipments as s
from tests.exports.test_intake import send

WHEN = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _order(db, ezone, price: str, order_type: str = "B") -> ExportOrder:
    send(db, ezone.platform, s.order(ezone.parties, order_type=order_type, price=price, qty="1"), WHEN)
    return db.scalars(select(ExportOrder)).one()


def test_5000_01_cny_gets_a_package_referencing_the_order_as_attachment_10000004(db, ezone):
    order = _order(db, ezone, "5000.01")
    decl = routing.prepare(session=db, enterprise_id=ezone.platform.id, order=order, actor="test", when=WHEN)
    assert (decl.status, decl.trade_mode, decl.attachment_type, decl.attachment_no) == \
        ("prepared", "9710", "10000004", "EXO1")
    assert decl.reasons == ["value"] and str(decl.value_cny) == "5000.01"
    sheet = load_workbook(io.BytesIO(routing.excel(decl)))["表头"]
    assert ["随附单证编号 attachment_no", "EXO1"] in [[c.value for c in row] for row in sheet.iter_rows()]
    routing.move(session=db, declaration=decl, status=D.filed, entry_id="020120261000000001", actor="test")
    routing.move(session=db, declaration=decl, status=D.released, actor="test")
    with pytest.raises(AppError) as exc:
        routing.move(session=db, declaration=decl, status=D.filed, actor="test")
    assert exc.value.code == "exports_declaration_state"


def test_5000_00_cny_may_go_on_a_list_unless_a_licence_is_involved(db, ezone):
    order = _order(db, ezone, "5000.00", order_type="W")
    with pytest.raises(AppError) as exc:
        routing.prepare(session=db, enterprise_id=ezone.platform.id, order=order, actor="test", when=WHEN)
    assert exc.value.code == "exports_route_list_allowed"
    decl = routing.prepare(session=db, enterprise_id=ezone.platform.id, order=order, licence=True, actor="test",
                           when=WHEN)
    assert (decl.trade_mode, decl.reasons) == ("9810", ["licence"])


def test_a_retail_order_never_goes_by_customs_declaration(db, ezone):
    order = _order(db, ezone, "9000", order_type="E")
    with pytest.raises(AppError) as exc:
        routing.prepare(session=db, enterprise_id=ezone.platform.id, order=order, actor="test", when=WHEN)
    assert exc.value.code == "exports_not_b2b"
