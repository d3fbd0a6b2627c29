"""Exact column types on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from kuajing.db.types import (
    EncryptedStr,
    Money,
    UTCDateTime,
    blind_index,
    decrypt_text,
    encrypt_text,
    mask,
    mask_name,
    mask_phone,
)

scratch = MetaData()
ledger = Table(
    "zz_type_scratch",
    scratch,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("at", UTCDateTime()),
    Column("id_number", EncryptedStr()),
    Column("id_number_idx", String(64)),
)


@pytest.fixture
def table(engine):
    scratch.create_all(engine)
    yield ledger
    scratch.drop_all(engine)


@pytest.mark.parametrize("value", ["12345678901234.56", "0.01", "-0.01", "0", "9999999999999999.99"])
def test_money_round_trips_exactly(engine, table, value):
    with engine.begin() as conn:
        conn.execute(insert(table).values(amount=Decimal(value)))
        stored = conn.execute(select(table.c.amount)).scalar_one()
    assert stored == Decimal(value)
    assert str(stored) == str(Decimal(value).quantize(Decimal("0.01")))
    assert isinstance(stored, Decimal)


def test_money_sum_is_exact_decimal(engine, table):
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004; the ledger must say 0.30.
    with engine.begin() as conn:
        conn.execute(insert(table), [{"amount": Decimal("0.10")}, {"amount": Decimal("0.20")},
                                     {"amount": Decimal("12345678901234.56")}])
        total = conn.execute(select(func.sum(table.c.amount))).scalar_one()
    assert total == Decimal("12345678901234.86")


def test_money_refuses_floats_and_sub_fen_values(engine, table):
    with engine.begin() as conn, pytest.raises(Exception, match="floats never touch money"):
        conn.execute(insert(table).values(amount=0.1))
    with engine.begin() as conn, pytest.raises(Exception, match="more than 2 decimal places"):
        conn.execute(insert(table).values(amount=Decimal("1.005")))


def test_money_is_stored_without_float_on_sqlite(engine, table):
    with engine.begin() as conn:
        conn.execute(insert(table).values(amount=Decimal("12345678901234.56")))
        raw = conn.execute(text("SELECT amount FROM zz_type_scratch")).scalar_one()
    if engine.dialect.name == "sqlite":
        assert raw == 1234567890123456  # integer hundredths
    else:
        assert raw == Decimal("12345678901234.56")


def test_timestamps_come_back_aware_utc(engine, table):
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 11, 0, 0, 1, tzinfo=shanghai)
    with engine.begin() as conn:
        conn.execute(insert(table).values(at=at))
        stored = conn.execute(select(table.c.at)).scalar_one()
    assert stored == at
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 16 and stored.day == 10


def test_personal_data_is_encrypted_at_rest_and_found_by_keyed_hash(engine, table):
    number = "150203199001051234"
    with engine.begin() as conn:
        conn.execute(insert(table).values(id_number=number, id_number_idx=blind_index(number)))
        raw = conn.execute(text("SELECT id_number FROM zz_type_scratch")).scalar_one()
        found = conn.execute(select(table.c.id_number).where(table.c.id_number_idx == blind_index(" 150203199001051234 "))).scalar_one()
    assert number not in raw and raw.startswith("sm4gcm1:")
    assert found == number


def test_sm4_ciphertexts_differ_and_tampering_is_detected():
    a, b = encrypt_text("张三"), encrypt_text("张三")
    assert a != b  # random nonce: equal plain texts do not leak
    assert decrypt_text(a) == "张三"
    broken = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError):
        decrypt_text(broken)


def test_blind_index_is_keyed_and_normalised():
    assert blind_index("15020319900106123x") == blind_index("15020319900106123X")
    assert blind_index("150203199001051234") != blind_index("150203199001071235")
    assert len(blind_index("x")) == 64


def test_masks():
    assert mask("150203199001051234") == "1502**********1234"
    assert mask_phone("13800001234") == "138****1234"
    assert mask_name("张三丰") == "张**"
    assert mask("") == ""


def test_money_refuses_values_beyond_its_precision(engine, table):
    with engine.begin() as conn, pytest.raises(Exception, match="exceeds 18 digits"):
        conn.execute(insert(table).values(amount=Decimal("10000000000000000.00")))


def test_rollback_undoes_what_released_savepoints_wrote(engine, table, session_factory):
    # a unit of work with per-record savepoints (intake) that fails later must leave nothing behind;
    # on SQLite this needs the transaction opened before the first SAVEPOINT (kuajing.db.session)
    session = session_factory()
    try:
        session.execute(select(table.c.id)).all()  # a read first, as intake does
        with session.begin_nested():
            session.execute(insert(table).values(amount=Decimal("1.00")))
        with session.begin_nested():
            session.execute(insert(table).values(amount=Decimal("2.00")))
        session.rollback()
    finally:
        session.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_without_personal_data_leaves_encrypted_columns_unread_until_asked(db, monkeypatch):
    """A batch that only changes states loads a document without decrypting its personal data; a column
    read anyway still comes back right (loaded on access)."""
    from kuajing.db import types
    from kuajing.db.types import without_personal_data
    from kuajing.enterprises.models import Enterprise
    from kuajing.imports.models import ImportPayment

    options = without_personal_data(ImportPayment)
    assert len(options) == 3  # payer_id_number, payer_name and the stored record: the encrypted columns
    ent = Enterprise(uscc="91150200MA0PD0001X", name_zh="支付企业", customs_code="1502PD0001", created_by="test")
    db.add(ent)
    db.flush()
    db.add(ImportPayment(business_key="P:1", sender_enterprise_id=ent.id, status="accepted", app_type="1",
                         app_status="2", app_history=[], message_guid="g", content_hash="0" * 64,
                         record='{"orderNo": "1"}', pay_code="1502PD0001", pay_name="支付企业",
                         pay_transaction_id="T1", order_no="1", ebp_code="E1",
                         payer_id_type="1", payer_id_number="150203199001051234", payer_index=blind_index("150203199001051234"),
                         payer_name="张三", amount_paid=Decimal("10.00"), pay_time="20261101120000"))
    db.commit()
    db.expunge_all()
    types._decrypt_cached.cache_clear()
    calls = []
    real = types._decrypt_cached
    monkeypatch.setattr(types, "_decrypt_cached", lambda token: calls.append(token) or real(token))
    doc = db.scalars(select(ImportPayment).options(*options)).one()
    assert doc.status == "accepted" and calls == []  # nothing decrypted
    assert doc.payer_name == "张三" and len(calls) == 1  # read on demand, decrypted then
