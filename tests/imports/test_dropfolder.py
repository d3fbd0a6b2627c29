"""Drop folder: DxpMsg files in an enterprise's inbox go through the SAME intake as POST /ceb, the answer
lands in its outbox, the input in processed/ (or error/ with a reason); a file processed twice (a crash
before the move) stores nothing twice; later receipts follow to the outbox."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from sqlalchemy import func, select

from kuajing.ceb import build, classes, dxp, parse
from kuajing.ceb.models import Message
from kuajing.imports.models import ImportOrder, ReceivedMessage
from kuajing.imports.service import apply_customs_message
from kuajing.imports.service.dropfolder import scan_dropfolder
from tests.imports import parcels
from tests.imports.parcels import xml

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
PLATFORM_NODE = "DXPPLATFORM00001"


def dxp_of(db, party) -> str:
    from kuajing.enterprises.models import Enterprise

    return db.get(Enterprise, party.id).dxp_id


def drop(root, dxp_id: str, name: str, data: bytes, *, sender: str | None = None):
    inbox = root / dxp_id / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    envelope = dxp.wrap(data, sender_id=sender or dxp_id, receiver_ids=["DXPEDCCEB0000002"])
    (inbox / name).write_bytes(envelope)
    return inbox / name


def scan(session_factory, root, **kw):
    return scan_dropfolder(session_factory=session_factory, root=root, sender_id=PLATFORM_NODE, now=NOW, **kw)


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def answer_of(path) -> Message:
    env = dxp.unwrap(path.read_bytes())
    assert env.sender_id == PLATFORM_NODE
    return parse(env.data, validate=False)


def test_an_order_file_is_answered_in_the_outbox(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    drop(tmp_path, node, "order-0001.xml", xml(parcels.order(zone.parties)))
    done = scan(session_factory, tmp_path)
    assert (done.processed, done.errors) == (1, 0)
    folder = tmp_path / node
    receipt = answer_of(folder / "outbox" / "order-0001.receipt.xml")
    assert receipt.message_type == "CEB312" and receipt.records[0].return_status == "2"
    assert dxp.unwrap((folder / "outbox" / "order-0001.receipt.xml").read_bytes()).receiver_ids == (node,)
    assert (folder / "processed" / "order-0001.xml").exists() and not list((folder / "inbox").iterdir())
    assert count(db, ImportOrder) == 1
    assert db.scalars(select(ReceivedMessage.channel)).one() == "folder"


def test_a_file_processed_twice_stores_nothing_twice(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    path = drop(tmp_path, node, "order-0002.xml", xml(parcels.order(zone.parties)))
    kept = tmp_path / "copy.xml"
    shutil.copy(path, kept)
    scan(session_factory, tmp_path)
    # a crash after the commit, before the move: the same file is still (again) in the inbox
    shutil.copy(kept, path)
    done = scan(session_factory, tmp_path)
    assert (done.processed, done.replayed) == (1, 1)
    assert count(db, ImportOrder) == 1 and count(db, ReceivedMessage) == 1
    outbox = [p.name for p in (tmp_path / node / "outbox").iterdir() if not p.name.startswith(".")]
    assert outbox == ["order-0002.receipt.xml"]  # the same answer, rewritten, not a second one
    assert len(list((tmp_path / node / "processed").iterdir())) == 2  # both copies kept as processed


def test_sender_must_be_the_folders_enterprise(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    drop(tmp_path, node, "spoof.xml", xml(parcels.order(zone.parties)), sender=dxp_of(db, zone.outsider))
    done = scan(session_factory, tmp_path)
    assert done.errors == 1 and count(db, ImportOrder) == 0
    reason = (tmp_path / node / "error" / "spoof.xml.reason.txt").read_text()
    assert "SenderId" in reason


def test_an_unknown_or_unapproved_enterprise_is_refused(db, session_factory, tmp_path, zone):
    from kuajing.enterprises.models import Enterprise

    drop(tmp_path, "DXPENT9999999999", "x.xml", xml(parcels.order(zone.parties)))
    ent = db.get(Enterprise, zone.platform.id)
    ent.status = "suspended"
    db.commit()
    drop(tmp_path, ent.dxp_id, "y.xml", xml(parcels.order(zone.parties)))
    done = scan(session_factory, tmp_path)
    assert done.errors == 2 and count(db, ImportOrder) == 0
    assert "approved" in (tmp_path / "DXPENT9999999999" / "error" / "x.xml.reason.txt").read_text()


def test_an_unreadable_message_gets_a_ceb900(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    drop(tmp_path, node, "broken.xml", b"<?xml version='1.0'?><ceb:CEB311Message xmlns:ceb='http://www.chinaport.gov.cn/ceb'"
                                      b" guid='x' version='1.0'><nothing/></ceb:CEB311Message>")
    done = scan(session_factory, tmp_path)
    assert done.errors == 1
    assert answer_of(tmp_path / node / "outbox" / "broken.receipt.xml").message_type == "CEB900"
    assert (tmp_path / node / "error" / "broken.xml").exists()
    reason = (tmp_path / node / "error" / "broken.xml.reason.txt").read_text()
    assert "CEB-" in reason and "  " not in reason and len(reason.split("CEB-", 1)[1].split(" ", 1)) == 2, reason


def test_not_a_dxpmsg_goes_to_error(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    inbox = tmp_path / node / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "bare.xml").write_bytes(xml(parcels.order(zone.parties)))
    assert scan(session_factory, tmp_path).errors == 1
    assert "DxpMsg" in (tmp_path / node / "error" / "bare.xml.reason.txt").read_text()


def test_later_customs_receipts_follow_to_the_outbox(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.platform)
    drop(tmp_path, node, "o.xml", xml(parcels.order(zone.parties)))
    scan(session_factory, tmp_path)
    rec = classes("CEB312").record(guid="B" * 36, ebp_code=zone.platform.code, ebc_code=zone.platform.code,
                                   order_no="ORD1", return_status="120", return_time="20260301100000000",
                                   return_info="海关入库成功")
    apply_customs_message(session=db, data=build(Message(message_type="CEB312", records=[rec])), now=NOW)
    db.commit()
    done = scan(session_factory, tmp_path)
    assert done.receipts == 1
    later = [p for p in (tmp_path / node / "outbox").iterdir() if p.name.startswith("receipt_")]
    assert len(later) == 1 and answer_of(later[0]).records[0].return_status == "120"
    assert scan(session_factory, tmp_path).receipts == 0  # the cursor moved on


def test_a_mapped_folder(db, session_factory, tmp_path, zone):
    node = dxp_of(db, zone.pay)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "inbox").mkdir(parents=True)
    (elsewhere / "inbox" / "p.xml").write_bytes(dxp.wrap(xml(parcels.payment(zone.parties)), sender_id=node,
                                                         receiver_ids=["DXPEDCCEB0000002"]))
    root = tmp_path / "root"
    root.mkdir()
    done = scan(session_factory, root, mapping={node: elsewhere})
    assert done.processed == 1 and answer_of(elsewhere / "outbox" / "p.receipt.xml").message_type == "CEB412"


def test_cli_scan(settings, db, tmp_path, zone):
    import json
    import os
    import subprocess
    import sys

    node = dxp_of(db, zone.logistics)
    drop(tmp_path, node, "w.xml", xml(parcels.waybill(zone.parties)))
    env = {**os.environ, "KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "KUAJING_ENV": "test", "KUAJING_DROPFOLDER_ROOT": str(tmp_path / "unused"),
           "KUAJING_DROPFOLDER_DIRS": json.dumps({node: str(tmp_path / node)}),
           **{f"KUAJING_{k.upper()}": settings.secret(k).decode()
              for k in ("secret_key", "encryption_key", "lookup_key", "audit_signing_key")}}
    result = subprocess.run([sys.executable, "-m", "kuajing.cli", "dropfolder", "scan"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 answered" in result.stdout
    assert answer_of_any(tmp_path / node / "outbox" / "w.receipt.xml") == "CEB512"


def answer_of_any(path) -> str:
    return parse(dxp.unwrap(path.read_bytes()).data, validate=False).message_type


def test_a_symbolic_link_in_the_inbox_is_not_followed(db, session_factory, tmp_path, zone):
    # a link to a file elsewhere (the platform's secrets, another enterprise's inbox) is moved to error/ unread
    node = dxp_of(db, zone.platform)
    elsewhere = drop(tmp_path / "elsewhere", node, "order.xml", xml(parcels.order(zone.parties)))
    inbox = tmp_path / "root" / node / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "link.xml").symlink_to(elsewhere)
    (inbox / "dangling.xml").symlink_to(tmp_path / "no-such-file")
    done = scan(session_factory, tmp_path / "root")
    assert (done.processed, done.errors) == (0, 2)
    assert count(db, ImportOrder) == 0 and count(db, ReceivedMessage) == 0
    error = tmp_path / "root" / node / "error"
    assert (error / "link.xml").is_symlink() and elsewhere.exists()  # the link moved, its target untouched
    assert "symbolic link" in (error / "link.xml.reason.txt").read_text()
    assert not list((tmp_path / "root" / node / "outbox").glob("*.receipt.xml"))


def test_a_file_over_the_size_limit_is_not_read(db, session_factory, tmp_path, zone, monkeypatch):
    from kuajing.imports.service import dropfolder

    node = dxp_of(db, zone.platform)
    path = drop(tmp_path, node, "order.xml", xml(parcels.order(zone.parties)))
    monkeypatch.setattr(dropfolder, "MAX_FILE_BYTES", path.stat().st_size - 1)
    done = scan(session_factory, tmp_path)
    assert (done.processed, done.errors) == (0, 1)
    assert "above the limit" in (tmp_path / node / "error" / "order.xml.reason.txt").read_text()
    assert count(db, ImportOrder) == 0


def test_a_name_too_long_for_its_answer_is_answered_once(db, session_factory, tmp_path, zone):
    # QA (security pass): "<250 characters>.receipt.xml" is over the 255-byte file-name limit, so the answer could
    # not be written after the commit, the file stayed in the inbox and was taken again on every scan
    from kuajing.imports.service.dropfolder import NAME_MAX, derived_name

    node = dxp_of(db, zone.platform)
    stem = "订单" * 40 + "o" * 5  # 245 bytes in UTF-8
    drop(tmp_path, node, stem + ".xml", xml(parcels.order(zone.parties)))
    assert scan(session_factory, tmp_path).processed == 1
    (answer,) = (tmp_path / node / "outbox").glob("*.receipt.xml")
    assert answer.name == derived_name(stem, ".receipt.xml") and len(answer.name.encode()) <= NAME_MAX
    assert answer_of(answer).records[0].return_status == "2"
    assert not list((tmp_path / node / "inbox").iterdir())
    assert scan(session_factory, tmp_path).processed == 0 and count(db, ImportOrder) == 1
    assert derived_name(stem + "a", ".x") != derived_name(stem + "b", ".x")  # two long names never share one
    assert derived_name("order-1", ".receipt.xml") == "order-1.receipt.xml"  # short names as before
