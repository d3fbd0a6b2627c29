"""A conversion (R5.4 同仓存储: 保税 / 非保税 / 待转换, each change with its customs document) is idempotent per
reference: the same call again changes nothing; the same reference with another target status or customs
document is ``bonded_reference_reused`` (409), not a silent success that converted nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.bonded import service
from kuajing.errors import AppError
from tests.bonded.test_ledger import ACTOR, BOOK, book, line, stock  # noqa: F401 (book is a fixture)

D = Decimal


def _convert(db, to_status="pending_conversion", document_no="ZH1", quantity=2):
    return service.convert(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(quantity),
                           from_status="bonded", to_status=to_status, document_no=document_no, reference="CV1",
                           actor=ACTOR)


def test_same_conversion_again_changes_nothing(db, book):  # noqa: F811
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(10)], actor=ACTOR)
    _convert(db)
    src, dst = _convert(db)  # a retry: bonded 10 − 2 = 8, pending 2, once
    assert (src.on_hand, dst.on_hand) == (D(8), D(2))


@pytest.mark.parametrize("change", [{"to_status": "non_bonded"}, {"document_no": "ZH2"}, {"quantity": 3}])
def test_reference_reused_for_another_conversion_is_refused(db, book, change):  # noqa: F811
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(10), line(1, line_no=2, customs_status="non_bonded")],
                     actor=ACTOR)
    _convert(db)
    with pytest.raises(AppError) as exc:
        _convert(db, **change)
    assert (exc.value.code, exc.value.status) == ("bonded_reference_reused", 409)
    # nothing moved: bonded 10 − 2 = 8, pending 2, non-bonded still its own 1
    assert (stock(db).on_hand, stock(db, "pending_conversion").on_hand, stock(db, "non_bonded").on_hand) == (
        D(8), D(2), D(1))
