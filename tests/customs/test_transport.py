"""The file transport (DxpMsg outbox / inbox), the adapter choice and the exchange job."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kuajing import ceb
from kuajing.ceb import dxp
from kuajing.customs.jobs import exchange
from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service import CustomsTransport, FileTransport, SandboxCustoms, transport_for
from kuajing.customs.service.sandbox import SandboxConfig
from tests.customs import builders as b


def _files(tmp_path) -> FileTransport:
    return FileTransport(outbox=tmp_path / "out", inbox=tmp_path / "in", sender_id="DXPENT0000000001",
                         receiver_id="DXPEDCCEB0000002")


def _receipt_xml(status: str = "120") -> bytes:
    record = ceb.parse(b.order(b.Parcel())).records[0]
    return ceb.build(ceb.receipt_for("CEB311", record, status, "海关入库成功", datetime(2024, 6, 1, tzinfo=UTC)))


def test_send_writes_one_dxp_file_atomically(tmp_path):
    transport = _files(tmp_path)
    data = b.inventory(b.Parcel())
    first = transport.send(message=data, message_type="CEB621")
    second = transport.send(message=data, message_type="CEB621")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 2 and first != second
    assert all(name.startswith("CEB621_") and name.endswith(".xml") for name in files)  # no .tmp left behind
    envelope = dxp.unwrap((tmp_path / "out" / files[0]).read_bytes())
    assert envelope.data == data  # byte for byte: a signature over the message survives
    assert (envelope.msg_type, envelope.sender_id, envelope.receiver_ids) == (
        "CEB621Message", "DXPENT0000000001", ("DXPEDCCEB0000002",))
    assert envelope.cop_msg_id in (first, second)


def test_inbox_round_trip_processed_and_error(tmp_path):
    transport = _files(tmp_path)
    inbox = tmp_path / "in"
    wrapped = dxp.wrap(_receipt_xml(), sender_id="DXPEDCCEB0000002", receiver_ids="DXPENT0000000001")
    (inbox / "a_receipt.xml").write_bytes(wrapped)
    (inbox / "b_bare.xml").write_bytes(_receipt_xml("2"))  # a client that drops bare CEB XML
    (inbox / "c_broken.xml").write_bytes(b"<DxpMsg><half")
    (inbox / "d_other.xml").write_bytes(b"<?xml version='1.0'?><html/>")
    (inbox / "notes.txt").write_text("ignored")
    polled = transport.poll()
    assert [m.message_id for m in polled] == ["a_receipt.xml", "b_bare.xml"]
    assert ceb.parse(polled[0]).records[0].return_status == "120"
    assert sorted(p.name for p in transport.error_dir.iterdir()) == [
        "c_broken.xml", "c_broken.xml.reason.txt", "d_other.xml", "d_other.xml.reason.txt"]
    assert "unreadable" in (transport.error_dir / "c_broken.xml.reason.txt").read_text()
    transport.ack(message_id="a_receipt.xml")
    transport.reject(message_id="b_bare.xml", reason="ValueError: no such order")
    assert [p.name for p in transport.processed_dir.iterdir()] == ["a_receipt.xml"]
    assert "no such order" in (transport.error_dir / "b_bare.xml.reason.txt").read_text()
    assert transport.poll() == []


def test_outbox_to_inbox_round_trip_through_the_sandbox(tmp_path, session_factory):
    """A DxpMsg file in the outbox, answered by customs (the sandbox) into the inbox, is read back."""
    transport = _files(tmp_path)
    p = b.Parcel()
    transport.send(message=b.order(p), message_type="CEB311")
    sandbox = SandboxCustoms(session_factory=session_factory, clock=lambda: b.at("2024-06-01 10:00"))
    for path in sorted((tmp_path / "out").iterdir()):  # the "customs client": deliver and answer
        envelope = dxp.unwrap(path.read_bytes())
        sandbox.send(message=envelope.data, message_type=envelope.msg_type.removesuffix("Message"))
    for n, answer in enumerate(sandbox.poll()):
        (tmp_path / "in" / f"{n:03d}.xml").write_bytes(
            dxp.wrap(bytes(answer), sender_id="DXPEDCCEB0000002", receiver_ids="DXPENT0000000001"))
    statuses = [ceb.parse(m).records[0].return_status for m in transport.poll()]
    assert statuses == ["2", "120"]


def test_transport_for_follows_settings(settings, session_factory, tmp_path):
    sandbox = transport_for(settings, session_factory=session_factory)
    files = transport_for(settings.model_copy(update={"customs_transport": "file", "customs_outbox_dir": tmp_path / "o",
                                                      "customs_inbox_dir": tmp_path / "i"}),
                          session_factory=session_factory)
    assert isinstance(sandbox, SandboxCustoms) and isinstance(files, FileTransport)
    assert isinstance(sandbox, CustomsTransport) and isinstance(files, CustomsTransport)
    assert files.outbox == tmp_path / "o" and (tmp_path / "i" / "error").is_dir()


def test_exchange_applies_each_message_in_its_own_transaction(session_factory):
    sandbox = SandboxCustoms(session_factory=session_factory, config=SandboxConfig(max_attempts=2),
                             clock=lambda: b.at("2024-06-01 10:00"))
    p = b.Parcel()
    sandbox.send(message=b.order(p), message_type="CEB311")
    sandbox.send(message=b.payment(p), message_type="CEB411")
    applied: list[str] = []

    def apply(session, data: bytes) -> None:
        msg = ceb.parse(data)
        if msg.message_type == "CEB412":
            session.add(SandboxReceipt(message_type="TEST", xml=b"half-written"))  # rolled back
            raise ValueError("payment not known yet")
        applied.append(f"{msg.message_type}:{msg.records[0].return_status}")

    result = exchange(session_factory=session_factory, transport=sandbox, apply=apply)
    assert (result.applied, result.failed) == (2, 2)
    assert applied == ["CEB312:2", "CEB312:120"]
    assert result.errors[0][1] == "ValueError: payment not known yet"
    with session_factory() as s:
        assert s.execute(select(SandboxReceipt).where(SandboxReceipt.message_type == "TEST")).first() is None
        kept = s.execute(select(SandboxReceipt).where(SandboxReceipt.message_type == "CEB412")).scalars().all()
        assert [(r.attempts, r.delivered_at, r.failed_at) for r in kept] == [(1, None, None), (1, None, None)]
        assert kept[0].last_error == "ValueError: payment not known yet"

    second = exchange(session_factory=session_factory, transport=sandbox, apply=apply)  # retried, not lost
    assert (second.applied, second.failed) == (0, 2)
    with session_factory() as s:
        kept = s.execute(select(SandboxReceipt).where(SandboxReceipt.message_type == "CEB412")).scalars().all()
        assert all(r.attempts == 2 and r.failed_at is not None for r in kept)  # set aside after max_attempts
    assert sandbox.poll() == []  # set-aside messages stay recorded but are not handed out again


def test_exchange_with_file_transport_moves_failures_to_error(tmp_path, session_factory):
    transport = _files(tmp_path)
    (tmp_path / "in" / "1.xml").write_bytes(_receipt_xml("120"))
    (tmp_path / "in" / "2.xml").write_bytes(_receipt_xml("399"))

    def apply(session, data):
        if ceb.parse(data).records[0].return_status == "399":
            raise LookupError("no such declaration")

    result = exchange(session_factory=session_factory, transport=transport, apply=apply)
    assert (result.applied, result.failed) == (1, 1)
    assert [p.name for p in transport.processed_dir.iterdir()] == ["1.xml"]
    assert "LookupError: no such declaration" in (transport.error_dir / "2.xml.reason.txt").read_text()


def test_the_exchange_cuts_its_batches_by_messages_and_by_bytes():
    from kuajing.customs.jobs import _chunks

    polled = [b"a" * 10, b"b" * 10, b"c" * 50, b"d" * 10, b"e" * 10]
    assert _chunks(polled, 100, 60) == [[b"a" * 10, b"b" * 10], [b"c" * 50, b"d" * 10], [b"e" * 10]]
    assert _chunks(polled, 2, 1000) == [polled[:2], polled[2:4], polled[4:]]
    assert _chunks([b"x" * 99], 100, 10) == [[b"x" * 99]]  # a message larger than the cap still goes alone
    assert _chunks([], 100, 10) == []
