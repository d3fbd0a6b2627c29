"""Fixtures of the statistics tests: a few zone enterprises in two districts and parks, and the rate table."""

from __future__ import annotations

import pytest

from tests.accounts.fixtures import make_enterprise


@pytest.fixture
def zone(db):
    """Enterprises A, B (Jiuyuan, digital park), C (Qingshan) and U (no district); the reference rates loaded."""
    from kuajing.data import service as data

    data.load_seed(session=db)
    ents = {
        "A": make_enterprise(db, customs_code="15029600A1", name_zh="包头统计甲有限公司", district="150207",
                             park="jiuyuan-digital"),
        "B": make_enterprise(db, customs_code="15029600B2", name_zh="包头统计乙有限公司", district="150207",
                             park="jiuyuan-digital"),
        "C": make_enterprise(db, customs_code="15029600C3", name_zh="包头统计丙有限公司", district="150204",
                             park="ec-demo-qingshan"),
        "U": make_enterprise(db, customs_code="15029600U4", name_zh="包头统计丁有限公司"),
    }
    db.commit()
    return ents
