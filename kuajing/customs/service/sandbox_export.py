"""The customs sandbox for export (出口): registered into :mod:`kuajing.customs.service.sandbox` (additive).

Paths (ceb-messages §2.6, §3.3):

* order / receipt of payment / waybill / arrival / departure / master-house link / return tally
  (CEB303/403/505/507/509/607/215): 2 → 120.
* export list (CEB603): 2 → 120 → 399 (or 2 → 120 → 300 → 500 → 399 when drawn for inspection) →
  **800 only once an arrival report (CEB507, accepted 120) from the supervised site lists its waybill** —
  a list decided before its arrival waits at 399, an arrival that came first releases it right after 399 →
  **899 once a departure report (CEB509) lists it**. At 120 customs checks its own documents: the order
  and the waybill, plus the receipt of payment for lists received before 2024-12-15 (rule
  ``export.document_check``); one missing → 100.
* cancellation (CEB605): 100 unless the list is accepted (120/300/500/399) or released and not departed;
  else customs holds the list and answers 2 → 120 → 399 (list cancelled).
* export return (CEB213): 100 unless the original list was released; else 2 → 120 → 399.
* summary application (CEB701, 汇总申请): CEB702 2 → 120 (summary number sumNo given) → 399, and at 399
  a CEB792 summary result: one customs declaration (declSeqNo, entryId, decState 399) listing every line
  (invtNo, logisticsNo, gnum, gcode) of the applied lists customs holds; gseqno numbers the distinct HS codes.
  An application naming a list customs does not know, or one not released, is refused (CEB702 100).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from kuajing.customs.models import SandboxDeclaration
from kuajing.customs.service import sandbox as sb

S = sb.S
DOCUMENTS = ("CEB303", "CEB403", "CEB505", "CEB507", "CEB509", "CEB607", "CEB215")
_DUPLICATE = {"CEB303": "-301010", "CEB403": "-401007", "CEB505": "-504015"}


def _s(value) -> str:
    return "" if value is None else str(value)


def _document_key(message_type: str, h) -> tuple[str, str | None, str | None, str | None]:
    """(business key, orderNo, logisticsNo, sender code) of an export document record."""
    if message_type == "CEB303":
        return f"{h.ebp_code}|{h.order_no}", h.order_no, None, h.ebp_code
    if message_type == "CEB403":
        return f"{h.ebc_code}|{h.order_no}", h.order_no, None, h.ebc_code
    if message_type == "CEB505":
        return f"{h.logistics_code}|{h.logistics_no}", None, h.logistics_no, h.logistics_code
    if message_type == "CEB507":
        return f"{h.operator_code}|{h.cop_no}|{_s(h.msg_seq_no)}", None, None, h.operator_code
    if message_type == "CEB509":
        return f"{h.logistics_code}|{h.cop_no}|{_s(h.msg_seq_no)}", None, None, h.logistics_code
    if message_type == "CEB607":
        return f"{h.agent_code}|{h.cop_no}|{_s(h.msg_seq_no)}", None, None, h.agent_code
    return f"{h.operator_code}|{h.co_el_no}", None, h.logistics_no, h.operator_code  # CEB215


def _keys(decl: SandboxDeclaration) -> dict[str, str]:
    """Receipt fields the record may lack (preNo is mandatory in CEB508/510/604/606/608)."""
    t = decl.message_type
    if t in ("CEB507", "CEB509", "CEB607", "CEB605"):
        return {"preNo": decl.pre_no or ""}
    if t == "CEB603":
        return {"copNo": decl.cop_no or "", "preNo": decl.pre_no or "", "invtNo": decl.invt_no or ""}
    return {}


def _receipt(session, decl: SandboxDeclaration, status: str, info: str, now: datetime) -> None:
    payload = sb._payload(decl)
    record = sb._source_record(decl.message_type, payload)
    message = sb.ceb.receipt_for(decl.message_type, record, status, info[:1000], now, **_keys(decl))
    sb._queue(session, message, declaration_id=decl.id, status=status)


def _store(session, message_type: str, key: str, head, record, now, message_id) -> SandboxDeclaration:
    decl = sb._existing(session, message_type, key)
    if decl is None:
        decl = SandboxDeclaration(message_type=message_type, business_key=key, received_at=now, status=S.declaring,
                                  payload="{}", transport_message_id=message_id, guid=head.guid)
        session.add(decl)
        session.flush()
    decl.transport_message_id, decl.guid = message_id, head.guid
    decl.cop_no = (getattr(head, "cop_no", None) or getattr(head, "co_el_no", None) or "")[:20] or None
    decl.pre_no = decl.pre_no or sb._valid_pre_no(getattr(head, "pre_no", None)) or sb._pre_no(now, decl.id)
    decl.customs_code = getattr(head, "customs_code", None)
    decl.payload = json.dumps(sb._jsonable(record), ensure_ascii=False)
    return decl


def _receive_document(session, message_type, record, now, config, message_id) -> None:
    head = record.head if hasattr(record, "head") else record
    key, order_no, logistics_no, sender = _document_key(message_type, head)
    existing = sb._existing(session, message_type, key)
    if (str(head.app_type) == "1" and existing is not None and sb._is_live(existing)
            and message_type in _DUPLICATE):
        code = _DUPLICATE[message_type]
        sb._refuse(session, message_type, record, code, sb._official_text(message_type, code, key), now)
        return
    decl = _store(session, message_type, key, head, record, now, message_id)
    decl.order_no, decl.logistics_no, decl.enterprise_code = order_no, logistics_no, sender
    sb._set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _listed(decl: SandboxDeclaration) -> set[str]:
    return {i.get("logisticsNo") for i in sb._payload(decl)["items"]}


def _lists_with(session, numbers: set[str], statuses: tuple[str, ...]) -> list[SandboxDeclaration]:
    if not numbers:
        return []
    return list(session.execute(select(SandboxDeclaration).where(
        SandboxDeclaration.message_type == "CEB603", SandboxDeclaration.logistics_no.in_(sorted(numbers)),
        SandboxDeclaration.status.in_(statuses), SandboxDeclaration.cancelled.is_(False))
        .with_for_update()).scalars())


def _step_document(session, decl: SandboxDeclaration, target, now, config) -> None:
    sb._set(decl, S.accepted, "海关入库成功", next_status=None, now=now, config=config)
    _receipt(session, decl, S.accepted, "海关入库成功", now)
    if decl.message_type == "CEB507":  # the arrival report releases the lists customs has decided
        for inv in _lists_with(session, _listed(decl), (S.decided,)):
            if inv.next_status is None:
                sb._set(inv, S.decided, inv.status_info or "海关审结", next_status=S.released, now=now, config=config)
    elif decl.message_type == "CEB509":  # the departure closes the released lists
        for inv in _lists_with(session, _listed(decl), (S.released,)):
            inv.left_site = True
            sb._set(inv, S.closed, "结关", next_status=None, now=now, config=config)
            _receipt(session, inv, S.closed, "结关", now)


def _arrived(session, logistics_no: str | None) -> bool:
    """Whether customs holds an accepted arrival report (CEB507) listing ``logistics_no``."""
    rows = session.execute(select(SandboxDeclaration).where(SandboxDeclaration.message_type == "CEB507",
                                                            SandboxDeclaration.status == S.accepted)).scalars()
    return any(logistics_no in _listed(a) for a in rows)


def _required(payload: dict, received: datetime) -> tuple[str, ...]:
    from kuajing.rules.service import rule

    return tuple(rule("export.document_check", on=sb._shanghai_date(received)).value)


def _missing_documents(session, decl: SandboxDeclaration) -> list[str]:
    head = sb._payload(decl)["head"]
    wanted = {"order": ("CEB303", f"{head['ebpCode']}|{head['orderNo']}", f"订单[{head['orderNo']}]"),
              "waybill": ("CEB505", f"{head['logisticsCode']}|{head['logisticsNo']}", f"运单[{head['logisticsNo']}]"),
              "receipt": ("CEB403", f"{head['ebcCode']}|{head['orderNo']}", f"收款单[{head['orderNo']}]")}
    missing = []
    for name in _required(head, decl.received_at):
        message_type, key, text = wanted[name]
        found = sb._existing(session, message_type, key)
        if found is None or not sb._is_live(found):
            missing.append(text)
    return missing


def _receive_list(session, message_type, record, now, config, message_id) -> None:
    head = record.head
    key = f"{head.ebp_code}|{head.order_no}"
    existing = sb._existing(session, message_type, key)
    if str(head.app_type) == "1" and existing is not None and sb._is_live(existing):
        sb._refuse(session, message_type, record, S.rejected, f"清单[{head.order_no}]已经申报过，请勿重复申报", now,
                   copNo=head.cop_no, preNo=existing.pre_no or sb._pre_no(now, existing.id),
                   invtNo=existing.invt_no or "")
        return
    decl = _store(session, message_type, key, head, record, now, message_id)
    decl.received_at = now
    decl.order_no, decl.logistics_no, decl.enterprise_code = head.order_no, head.logistics_no, head.agent_code
    decl.cancelled = decl.returned = decl.left_site = False
    decl.released_at = None
    decl.inspection = sb._draw(config, key)
    sb._set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _step_list(session, decl: SandboxDeclaration, target, now, config) -> None:
    if target is S.accepted:
        missing = _missing_documents(session, decl)
        if missing:
            info = f"单证比对失败：海关未收到{'、'.join(missing)}"
            sb._set(decl, S.rejected, info, next_status=None, now=now, config=config)
            _receipt(session, decl, S.rejected, info, now)
            return
        if decl.invt_no is None:
            decl.invt_no = f"{(decl.customs_code or '0000')[:4]}{sb._shanghai_date(now).year}E{decl.id % 10**9:09d}"
        following = S.manual_review if decl.inspection else S.decided
        sb._set(decl, S.accepted, "海关入库成功", next_status=following, now=now, config=config)
        _receipt(session, decl, S.accepted, "海关入库成功", now)
    elif target is S.decided:
        arrived = _arrived(session, decl.logistics_no)
        info = "海关审结" if arrived else "海关审结，待运抵"
        sb._set(decl, S.decided, info, next_status=S.released if arrived else None, now=now, config=config)
        _receipt(session, decl, S.decided, info, now)
    elif target is S.released:
        decl.released_at = now
        sb._set(decl, S.released, "海关放行", next_status=None, now=now, config=config)
        _receipt(session, decl, S.released, "海关放行", now)
    elif target is S.rejected:
        sb._set(decl, S.rejected, decl.status_info or "海关退单", next_status=None, now=now, config=config)
        _receipt(session, decl, S.rejected, decl.status_info or "海关退单", now)
    else:
        texts = {S.manual_review: "转人工审核", S.inspection: "布控查验"}
        following = {S.manual_review: S.inspection, S.inspection: S.decided}[target]
        sb._set(decl, target, texts[target], next_status=following, now=now, config=config)
        _receipt(session, decl, target, texts[target], now)


CANCELLABLE = (S.accepted, S.manual_review, S.inspection, S.decided, S.released)


def _receive_request(session, message_type, record, now, config, message_id) -> None:
    """CEB605 cancellation / CEB213 return of an export list."""
    head = record.head if hasattr(record, "head") else record
    target = sb._find_list(session, head.invt_no)
    if message_type == "CEB605":
        allowed = target is not None and target.status in CANCELLABLE and not target.left_site and not target.cancelled
        key = _s(head.invt_no)
    else:
        allowed = target is not None and target.released_at is not None and not target.cancelled
        key = f"{head.agent_code}|{head.co_el_no}"
    if not allowed:
        info = f"清单[{head.invt_no}]不存在或状态不符，不能{'撤单' if message_type == 'CEB605' else '退货'}"
        sb._refuse(session, message_type, record, S.rejected, info, now,
                   **({"preNo": sb._valid_pre_no(head.pre_no) or sb._pre_no(now, 0)} if message_type == "CEB605"
                      else {}))
        return
    decl = _store(session, message_type, key, head, record, now, message_id)
    decl.ref_invt_no, decl.enterprise_code = head.invt_no, head.agent_code
    if message_type == "CEB605":
        target.next_status = None  # customs holds a list under cancellation until it decides
        target.due_at = None
    sb._set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _step_request(session, decl: SandboxDeclaration, target, now, config) -> None:
    if target is S.accepted:
        sb._set(decl, S.accepted, "海关入库成功", next_status=S.decided, now=now, config=config)
        _receipt(session, decl, S.accepted, "海关入库成功", now)
        return
    if decl.message_type == "CEB605":
        inv = sb._find_list(session, decl.ref_invt_no)
        if inv is not None:
            inv.cancelled = True
            inv.status_info = "已撤单"
    text = "撤单审核通过" if decl.message_type == "CEB605" else "退货审核通过"
    sb._set(decl, S.decided, text, next_status=None, now=now, config=config)
    _receipt(session, decl, S.decided, text, now)


# --- summary applications (CEB701 → CEB702 / CEB792) -----------------------------------------------------------


def _receive_summary(session, message_type, record, now, config, message_id) -> None:
    """A summary application (汇总申请): kept and answered 2; unknown or unreleased lists → 100."""
    head = record.head
    key = f"{head.agent_code}|{head.cop_no}"
    decl = _store(session, message_type, key, head, record, now, message_id)
    decl.enterprise_code, decl.customs_code = head.ebc_code, head.customs_code
    unknown = [i.invt_no for i in record.items
               if (inv := sb._find_list(session, i.invt_no)) is None or inv.released_at is None or inv.cancelled]
    if unknown:
        info = f"清单[{'、'.join(unknown[:10])}]不存在或未放行，不能汇总"
        sb._set(decl, S.rejected, info, next_status=None, now=now, config=config)
        _summary_receipt(session, decl, S.rejected, info, now)
        return
    sb._set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _summary_receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _summary_receipt(session, decl: SandboxDeclaration, status: str, info: str, now: datetime) -> None:
    record = sb._source_record(decl.message_type, sb._payload(decl))
    keys = {"preNo": decl.pre_no or "", **({"sumNo": decl.invt_no} if decl.invt_no else {})}
    sb._queue(session, sb.ceb.receipt_for("CEB701", record, status, info[:1000], now, **keys),
              declaration_id=decl.id, status=status)


def _summary_result(session, decl: SandboxDeclaration, now: datetime) -> None:
    """The CEB792 summary result: one customs declaration with the lines of the applied lists."""
    from kuajing.ceb import Message, classes
    from kuajing.ceb.models import BaseTransfer, new_guid

    payload = sb._payload(decl)
    head = payload["head"]
    cls = classes("CEB792")
    items, gseq = [], {}
    for applied in payload["items"]:
        inv = sb._find_list(session, applied["invtNo"])
        for line in sb._payload(inv)["items"] if inv is not None else []:
            gcode = line.get("gcode", "")
            gseq.setdefault(gcode, len(gseq) + 1)
            items.append(cls.item(invt_no=inv.invt_no, logistics_no=inv.logistics_no or "", gseqno=gseq[gcode],
                                  gnum=int(line["gnum"]), gcode=gcode))
    weight = sum((Decimal(str(sb._payload(inv)["head"].get("grossWeight") or 0))
                  for inv in {sb._find_list(session, a["invtNo"]) for a in payload["items"]} if inv is not None),
                 Decimal(0))
    net = sum((Decimal(str(sb._payload(inv)["head"].get("netWeight") or 0))
               for inv in {sb._find_list(session, a["invtNo"]) for a in payload["items"]} if inv is not None),
              Decimal(0))
    code = (decl.customs_code or "0000")[:4]
    when = sb._shanghai_date(now)
    result = cls.head(guid=new_guid(), customs_code=code, sum_no=decl.invt_no, op_date=sb.return_time(now),
                      decl_seq_no=f"{code}{when.year}D{decl.id % 10**9:09d}", entry_id=f"{code}{when.year}1{decl.id % 10**9:09d}", dec_state="399",
                      agent_code=head["agentCode"], agent_name=head["agentName"], ebc_code=head["ebcCode"],
                      ebc_name=head["ebcName"], decl_agent_code=head["declAgentCode"],
                      decl_agent_name=head["declAgentName"], gross_weight=weight, net_weight=net, msg_count=1,
                      msg_seq_no=1)
    message = Message(message_type="CEB792", records=[cls.record(head=result, items=items)],
                      base_transfer=BaseTransfer(direction="export", cop_code=code, cop_name="海关",
                                                 dxp_id="DXPEDCCEB0000002"))
    sb._queue(session, message, declaration_id=decl.id, status="399")


def _step_summary(session, decl: SandboxDeclaration, target, now, config) -> None:
    if target is S.accepted:
        if decl.invt_no is None:  # the summary number (汇总申请编号), kept where lists keep theirs
            decl.invt_no = f"{(decl.customs_code or '0000')[:4]}{sb._shanghai_date(now).year}S{decl.id % 10**9:09d}"
        sb._set(decl, S.accepted, "海关入库成功", next_status=S.decided, now=now, config=config)
        _summary_receipt(session, decl, S.accepted, "海关入库成功", now)
    else:
        sb._set(decl, S.decided, "汇总审结", next_status=None, now=now, config=config)
        _summary_receipt(session, decl, S.decided, "汇总审结", now)
        _summary_result(session, decl, now)


def register() -> None:
    """Plug the export handlers and steps into the sandbox (idempotent)."""
    for t in DOCUMENTS:
        sb._HANDLERS[t] = _receive_document
        sb._EXPORT_STEPS[t] = _step_document
    sb._HANDLERS["CEB603"] = _receive_list
    sb._EXPORT_STEPS["CEB603"] = _step_list
    for t in ("CEB605", "CEB213"):
        sb._HANDLERS[t] = _receive_request
        sb._EXPORT_STEPS[t] = _step_request
    sb._HANDLERS["CEB701"] = _receive_summary
    sb._EXPORT_STEPS["CEB701"] = _step_summary


register()
