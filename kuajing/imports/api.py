"""Import intake over HTTP: ``POST /ceb`` (CEB XML or DxpMsg), receipts pull, JSON equivalents, delegations."""

from __future__ import annotations

import copy
import math
import re
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from kuajing.accounts.deps import Principal, current_principal
from kuajing.ceb import CebError, Issue, Message, build, parse, spec_of, to_ceb900, validate
from kuajing.ceb.dxp import DxpError, UnsafeXmlError, unwrap
from kuajing.ceb.models import BaseTransfer, classes, new_guid
from kuajing.ceb.spec import FieldSpec
from kuajing.ceb.xml import root_name
from kuajing.db.base import MAX_ROW_ID, row_id, utcnow
from kuajing.db.session import commit_with_retry
from kuajing.db.types import mask, mask_name, mask_phone
from kuajing.errors import FieldIssue
from kuajing.i18n import gettext
from kuajing.imports import errors, service
from kuajing.imports.choices import DocumentStatus, InventoryStatus
from kuajing.imports.models import ImportOrder, ImportPayment, ImportWaybill, Inventory
from kuajing.imports.schemas import (
    DelegationIn,
    DelegationOut,
    DocumentOut,
    DocumentPageOut,
    IntakeIn,
    IntakeOut,
    ReceiptPageOut,
)
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(tags=["imports"])
XML = "application/xml"
_RECORD_PATH = re.compile(r"^([A-Za-z]+)\[(\d+)\]")

CEB_DESCRIPTION = """
Send one CEB import declaration message — CEB311 orders, CEB411 payments, CEB511 waybills, CEB513
waybill statuses, CEB621 declaration lists, CEB623 cancellations, CEB625 returns — of 1 to 100 records,
as raw CEB XML or wrapped in a DxpMsg envelope. Authenticate with `X-API-Key`; the key's enterprise
must be the party each record names as its sender (ebpCode/ebcCode, payCode, logisticsCode, agentCode)
or hold a delegation from it.

The answer is the matching receipt message (CEB312 for CEB311 …) with one receipt per record: status
`2` (accepted, being declared) or a negative code with the reason. A partly rejected message still
answers 200. With `Accept: application/json` the same verdicts come as JSON. A message that cannot be
read at all answers 400 with a CEB900 format receipt (problem+json for JSON clients). Sending the same
bytes again returns the stored answer and stores nothing. Later receipts (customs 120, 399, 800 …)
are pulled from `GET /ceb/receipts`.
"""


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _body(request: Request) -> bytes:
    return await request.body()


def _split(issues: list[Issue], message_type: str) -> dict[int, list[Issue]] | None:
    """Issues by record number when every one lies inside a record; None when the message itself is bad."""
    record_name = spec_of(message_type).record.name
    found: dict[int, list[Issue]] = {}
    for issue in issues:
        m = _RECORD_PATH.match(issue.path or "")
        if m is None or m.group(1) != record_name:
            return None
        found.setdefault(int(m.group(2)), []).append(issue)
    return found


def _record_checks(msg: Message, known: dict[int, list[Issue]]) -> dict[int, list[Issue]]:
    """Full checks of the records the schema gate did not reach (each checked on its own)."""
    for n, record in enumerate(msg.records, start=1):
        if n in known:
            continue
        single = Message(message_type=msg.message_type, records=[record], base_transfer=msg.base_transfer,
                         signature=msg.signature)
        found = [i for i in validate(single) if _RECORD_PATH.match(i.path or "")]
        if found:
            known[n] = found
    return known


def _unreadable(request: Request, issues: list[Issue], original: bytes, cop_msg_id: str = "") -> Response:
    if _wants_json(request):
        locale = get_locale(request)
        err = errors.message_unreadable(errors.issue_fields(issues[:50]))
        return JSONResponse(err.to_problem(locale, instance=request.url.path), status_code=400,
                            media_type="application/problem+json")
    receipt = to_ceb900(issues, original=original, when=utcnow(), ori_cop_msg_id=cop_msg_id)
    return Response(build(receipt, validate=False), status_code=400, media_type=XML)


def _out(result: service.IntakeResult) -> IntakeOut:
    accepted = sum(1 for v in result.records if v.status == "accepted")
    return IntakeOut(message_type=result.message_type, receipt_type=result.receipt_type, replayed=result.replayed,
                     accepted=accepted, rejected=len(result.records) - accepted,
                     records=[dict(business_key=v.business_key, status=v.status, code=v.code, info=v.info,
                                   replayed=v.replayed, cursor=v.receipt_id) for v in result.records])


def _answer(request: Request, result: service.IntakeResult) -> Response:
    if _wants_json(request):
        return JSONResponse(_out(result).model_dump())
    return Response(build(result.receipt_message(), validate=False), media_type=XML)


@router.post("/ceb", summary="Receive a CEB import message (XML or DxpMsg)", description=CEB_DESCRIPTION,
             response_class=Response,
             responses={200: {"content": {XML: {}, "application/json": {"schema": IntakeOut.model_json_schema()}},
                              "description": "one receipt per record"},
                        400: {"description": "unreadable message: CEB900 (XML), or problem+json "
                                             "`imports_message_unreadable` with `Accept: application/json`",
                              "content": {XML: {"schema": {"type": "string"}}}}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 XML: {"schema": {"type": "string"}, "example": "<ceb:CEB311Message guid=\"…\" version=\"1.0\" "
                       "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\">…</ceb:CEB311Message>"}}}})
def post_ceb(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
             body: bytes = Depends(_body)) -> Response:
    """Receive one CEB message and answer the receipt of every record."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    data, cop_msg_id = body, ""
    if root_name(body) in ("DxpMsg", "DxpMsgSv"):  # the envelope, by its root element (not bytes anywhere)
        try:
            envelope = unwrap(body)
        except (DxpError, UnsafeXmlError) as exc:
            issue = Issue("CEB-XML-MALFORMED", "", None, f"DxpMsg无法读取：{exc}", f"DxpMsg cannot be read: {exc}")
            return _unreadable(request, [issue], body)
        data, cop_msg_id = envelope.data, envelope.cop_msg_id
    record_issues = None
    try:
        msg = parse(data)
    except CebError as exc:
        try:
            probe = parse(data, validate=False)
        except CebError:
            return _unreadable(request, exc.issues, data, cop_msg_id)
        record_issues = _split(exc.issues, probe.message_type) if probe.message_type in service_types() else None
        if record_issues is None or not probe.records:
            return _unreadable(request, exc.issues, data, cop_msg_id)
        msg = probe
        record_issues = _record_checks(msg, record_issues)
    if msg.message_type not in service_types():
        raise errors.unsupported_type(msg.message_type)
    result = commit_with_retry(session, lambda: service.accept(
        session=session, message=copy.deepcopy(msg), principal=principal, received_at=utcnow(), raw=body,
        record_issues=record_issues))
    return _answer(request, result)


def service_types() -> tuple[str, ...]:
    """The declaration types intake takes."""
    from kuajing.imports.service.records import DOC_TYPES, load_plugins

    load_plugins()  # export types (kuajing.exports) go through the same intake
    return tuple(DOC_TYPES)


#: The largest row id (a signed 64-bit BIGINT on PostgreSQL, SQLite's INTEGER): a larger number is no row.
@router.get("/ceb/receipts", response_model=ReceiptPageOut, summary="Pull receipts after a cursor",
            description="The caller's receipts (our verdicts and customs' answers) with a cursor greater than "
                        "`after`, oldest first; continue with `after=next_cursor`. Each item carries the receipt "
                        "CEB XML. Only receipts of the caller's own enterprise are ever returned.")
def get_receipts(session: DbSession, principal: Principal = Depends(current_principal),
                 after: str = Query("0", description="cursor of the last receipt seen (0 = from the start)"),
                 limit: int = Query(100, ge=1, le=500)) -> ReceiptPageOut:
    """A page of the caller's receipts."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    cursor = row_id(after)
    if cursor is None:
        raise errors.bad_cursor(after)
    page = service.pull(session=session, enterprise_id=principal.enterprise_id, after=cursor, limit=limit)
    return ReceiptPageOut(items=[dict(cursor=r.id, message_type=r.message_type, declaration_type=r.declaration_type,
                                      business_key=r.business_key, return_status=r.return_status,
                                      return_info=r.return_info, return_time=r.return_time, source=r.source,
                                      receipt_xml=r.receipt_xml.decode("utf-8")) for r in page.items],
                          next_cursor=page.next_cursor, more=page.more)


# --- JSON equivalents ------------------------------------------------------------------------------

_KINDS = {"orders": ("CEB311", ImportOrder), "payments": ("CEB411", ImportPayment),
          "waybills": ("CEB511", ImportWaybill), "inventories": ("CEB621", Inventory)}


#: Characters XML 1.0 cannot carry (not ``Char``): C0 controls but tab/newline/return, lone surrogates,
#: U+FFFE and U+FFFF. A JSON string may hold them (``"\\u0000"``); a CEB message never can.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXPECTED = {"str": "A text value is expected.", "dec": "A decimal number is expected.",
             "int": "A whole number is expected.", "node": "An object is expected.", "list": "A list is expected."}
_BAD = object()
_GUID = FieldSpec(name="guid", attr="guid", kind="str", required=False)  # the message guid of the JSON body


def _wrong_type(issues: list[FieldIssue], path: str, expected: str, value) -> object:
    issues.append(FieldIssue("wrong_type", path, _EXPECTED[expected], value))
    return _BAD


def _json_value(f, value, path: str, issues: list[FieldIssue]):
    """The JSON ``value`` of field ``f`` as the message model takes it, or ``_BAD`` (with an issue).

    Text fields take JSON strings; amounts (``dec``) decimal strings or JSON numbers (a number is read by
    its shortest decimal text, ``280.0`` → ``280.0``, never through binary floating point); whole numbers
    (``int``) JSON integers or strings. Lengths, digits, formats and code tables are checked afterwards on
    the CEB message, as for ``POST /ceb``, and answered per record.
    """
    if value is None:
        return None  # the same as leaving the field out
    if isinstance(value, str):
        if _NOT_XML.search(value):
            issues.append(FieldIssue("bad_character", path, "Control characters (except tab and line breaks), "
                                     "U+FFFE, U+FFFF and unpaired surrogates are not allowed.", value))
            return _BAD
        if f.kind == "dec":
            try:
                return Decimal(value)
            except ArithmeticError:
                return value  # kept as text: the CEB check answers it (CEB-FIELD-NOT-DECIMAL)
        return value
    if isinstance(value, bool):
        return _wrong_type(issues, path, f.kind, value)
    if isinstance(value, int) and f.kind in ("dec", "int"):
        return Decimal(value) if f.kind == "dec" else value
    if isinstance(value, float) and math.isfinite(value):
        if f.kind == "dec":
            return Decimal(repr(value))
        if f.kind == "int" and value.is_integer():
            return int(value)
    return _wrong_type(issues, path, f.kind, value)


def _json_leaf(node, values, path: str, klass, issues: list[FieldIssue]):
    """A leaf model (head, line, BaseTransfer) from a JSON object, every field checked against ``node``."""
    if not isinstance(values, dict):
        _wrong_type(issues, path, "node", values)
        return None
    kwargs = {}
    by_attr = {f.attr: f for f in node.fields}
    for key, value in values.items():
        f = by_attr.get(key) or node.by_name.get(key)
        here = f"{path}/{key}" if path else key
        if f is None:
            issues.append(FieldIssue("field_unknown", here, "This field is not allowed.", value))
            continue
        value = _json_value(f, value, here, issues)
        if value is not _BAD:
            kwargs[f.attr] = value
    return klass(**kwargs)


def _record_from_json(message_type: str, data: dict[str, Any], n: int, issues: list[FieldIssue]):
    """Record ``n`` of a JSON message as the CEB model, its fields type-checked against the record's
    definition (wrong types, unknown fields and characters XML cannot carry are appended to ``issues``)."""
    spec = spec_of(message_type).record
    cls = classes(message_type)
    path = f"records[{n}]"
    if not isinstance(data, dict):
        _wrong_type(issues, path, "node", data)
        return None
    if not spec.compound:
        return _json_leaf(spec, data, path, cls.record, issues)
    values = dict(data)
    lines = values.pop("items", None)
    head = _json_leaf(spec.head, values, path, cls.head, issues)
    items = []
    if spec.items is None:  # a record without lines (CEB411, CEB511): an empty `items` is tolerated
        if lines not in (None, []):
            issues.append(FieldIssue("field_unknown", f"{path}/items", "This field is not allowed.", lines))
    elif lines is not None and not isinstance(lines, list):
        _wrong_type(issues, f"{path}/items", "list", lines)
    elif lines:
        items = [_json_leaf(spec.items, line, f"{path}/items[{k}]", cls.item, issues)
                 for k, line in enumerate(lines, start=1)]
    return cls.record(head=head, items=items)


def _base_transfer_from_json(direction: str, data, issues: list[FieldIssue]):
    """The JSON ``base_transfer`` as the CEB BaseTransfer, type-checked like the records."""
    from kuajing.ceb.messages.common import EXPORT_BASE_TRANSFER, IMPORT_BASE_TRANSFER

    node = IMPORT_BASE_TRANSFER if direction == "import" else EXPORT_BASE_TRANSFER
    values = data if not isinstance(data, dict) else {k: v for k, v in data.items() if k not in ("dxp_mode", "dxpMode")}
    block = _json_leaf(node, values, "base_transfer", lambda **kw: kw, issues)
    return None if block is None else BaseTransfer(direction=direction, **block)


def _json_intake(message_type: str, body: IntakeIn, request: Request, session, principal: Principal) -> IntakeOut:
    """The JSON channel of ``accept`` for ``message_type`` (also used by kuajing.exports)."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    issues: list[FieldIssue] = []
    records = [_record_from_json(message_type, r, n, issues) for n, r in enumerate(body.records, start=1)]
    direction = spec_of(message_type).direction  # import, or export for the export types (kuajing.exports)
    if body.base_transfer is not None:
        transfer = _base_transfer_from_json(direction, body.base_transfer, issues)
    else:  # the caller's enterprise transmits
        from kuajing.enterprises.models import Enterprise

        ent = session.get(Enterprise, principal.enterprise_id)
        transfer = BaseTransfer(direction=direction, cop_code=ent.customs_code or ent.uscc, cop_name=ent.name_zh[:100],
                                dxp_id=ent.dxp_id or "DXPENT0000000000")
    if body.guid is not None:
        _json_value(_GUID, body.guid, "guid", issues)
    if issues:
        from kuajing.errors import validation_error

        raise validation_error(issues)
    for record in records:
        head = record.head if hasattr(record, "head") else record
        head.guid = head.guid or new_guid()
    msg = Message(message_type=message_type, records=records, base_transfer=transfer)
    if body.guid:
        msg.guid = body.guid
    if spec_of(message_type).signature == "required":
        from kuajing.ceb.examples import placeholder_signature

        msg.signature = placeholder_signature()  # JSON clients authenticate by key; the platform signs on (docs)
    try:
        found = [i for i in validate(msg) if i.code != "CEB-SIGNATURE-MISSING"]
    except CebError as exc:  # what we wrote does not even parse back: answered, never a 500
        found = exc.issues
    record_issues = _split(found, message_type) if found else {}
    if record_issues is None:
        raise errors.message_unreadable(errors.issue_fields(found[:50]))
    raw = (body.model_dump_json()).encode("utf-8")
    result = commit_with_retry(session, lambda: service.accept(
        session=session, message=copy.deepcopy(msg), principal=principal, received_at=utcnow(), raw=raw,
        channel="json", record_issues=record_issues))
    return _out(result)


def _mask_fields(doc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("order_no", "ebp_code", "ebc_code", "pay_code", "pay_transaction_id", "logistics_code",
                 "logistics_no", "agent_code", "trade_mode", "pre_no", "invt_no", "cop_no", "tax_channel"):
        if hasattr(doc, name):
            out[name] = getattr(doc, name)
    for name in ("goods_value", "freight", "actural_paid", "amount_paid", "taxable_price", "duty", "vat",
                 "consumption_tax", "tax_total"):
        value = getattr(doc, name, None)
        if value is not None:
            out[name] = format(value, "f")
    for name in ("buyer_id_number", "payer_id_number"):
        if getattr(doc, name, None):
            out[name] = mask(getattr(doc, name))
    for name in ("buyer_name", "payer_name", "consignee"):
        if getattr(doc, name, None):
            out[name] = mask_name(getattr(doc, name))
    for name in ("buyer_telephone", "consignee_telephone"):
        if getattr(doc, name, None):
            out[name] = mask_phone(getattr(doc, name))
    return out


def _doc_out(doc, message_type: str, locale: str) -> DocumentOut:
    status_enum = InventoryStatus if isinstance(doc, Inventory) else DocumentStatus
    try:
        label = gettext(status_enum(doc.status).label, locale)
    except ValueError:
        label = doc.status
    return DocumentOut(business_key=doc.business_key, message_type=message_type, status=doc.status,
                       status_label=label, customs_status=doc.customs_status, app_type=doc.app_type,
                       app_history=doc.app_history or [], message_guid=doc.message_guid,
                       created_at=doc.created_at.isoformat(), updated_at=doc.updated_at.isoformat(),
                       fields=_mask_fields(doc), mismatches=getattr(doc, "mismatches", None))


#: The error answers of the JSON intake routes (problem+json, see kuajing.openapi), also used by kuajing.exports.
JSON_INTAKE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "`malformed_json` (the body is not JSON), or `imports_message_unreadable`: the message "
                         "as a whole fails the CEB checks (e.g. an incomplete `base_transfer`); nothing stored"},
    415: {"description": "`unsupported_media_type`: the body is not sent as `application/json`"},
    422: {"description": "`validation_failed`: fields of the wrong type (`wrong_type`), characters XML cannot carry "
                         "(`bad_character`) or unknown fields (`field_unknown`), each with its path "
                         "(`records[1]/order_no`); nothing stored"},
}


def _register(kind: str) -> None:
    message_type, model = _KINDS[kind]

    @router.post(f"/api/v1/imports/{kind}", response_model=IntakeOut, summary=f"Declare {kind} ({message_type}) as JSON",
                 description=f"The JSON equivalent of `POST /ceb` for {message_type}: the official fields in "
                             "snake_case, lines under `items`; converted to the CEB message and run through the "
                             "same intake (same verdicts, codes, idempotency and receipts).",
                 name=f"imports_post_{kind}", responses=JSON_INTAKE_ERRORS)
    def post(body: IntakeIn, request: Request, session: DbSession,
             principal: Principal = Depends(current_principal)) -> IntakeOut:
        return _json_intake(message_type, body, request, session, principal)

    @router.get(f"/api/v1/imports/{kind}", response_model=DocumentPageOut, summary=f"List {kind} with counts",
                description="The caller's documents, newest first, filtered by status, with counts per status.",
                name=f"imports_list_{kind}")
    def listing(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                status: str | None = Query(None, description="filter by status"),
                limit: int = Query(50, ge=1, le=500)) -> DocumentPageOut:
        if principal.enterprise_id is None:
            raise errors.no_enterprise()
        mine = model.sender_enterprise_id == principal.enterprise_id
        counts = dict(session.execute(select(model.status, func.count()).where(mine).group_by(model.status)).all())
        q = select(model).where(mine)
        if status:
            q = q.where(model.status == status)
        rows = session.scalars(q.order_by(model.id.desc()).limit(limit)).all()
        locale = get_locale(request)
        return DocumentPageOut(items=[_doc_out(d, message_type, locale) for d in rows], counts=counts,
                               total=sum(counts.values()))

    @router.get(f"/api/v1/imports/{kind}/{{business_key:path}}", response_model=DocumentOut,
                summary=f"One of the caller's {kind} by business key",
                description="The business key as the documents show it (`<ebpCode>:<orderNo>` …); a key holding "
                            "`/` may be sent as it is or encoded (`%2F`).", name=f"imports_get_{kind}")
    def one(business_key: str, request: Request, session: DbSession,
            principal: Principal = Depends(current_principal)) -> DocumentOut:
        doc = session.scalars(select(model).where(model.business_key == business_key)).first()
        if doc is None or not principal.can_see_enterprise(doc.sender_enterprise_id):
            from kuajing.errors import NotFound

            raise NotFound("document", path="business_key", value=business_key)
        return _doc_out(doc, message_type, get_locale(request))


# returns helper: Excel template/upload and returns endpoints, ahead of /api/v1/imports/{kind}/{business_key}
from kuajing.imports.pages import api_router as _pages_api  # noqa: E402

router.include_router(_pages_api)

for _kind in _KINDS:
    _register(_kind)


# --- delegations -----------------------------------------------------------------------------------


def _delegation_out(d) -> DelegationOut:
    return DelegationOut(id=d.id, principal_enterprise_id=d.principal_enterprise_id,
                         agent_enterprise_id=d.agent_enterprise_id, message_types=list(d.message_types),
                         valid_from=d.valid_from.isoformat(), valid_to=d.valid_to.isoformat() if d.valid_to else None,
                         note=d.note, created_by=d.created_by,
                         revoked_at=d.revoked_at.isoformat() if d.revoked_at else None)


@router.post("/api/v1/imports/delegations", response_model=DelegationOut, status_code=201,
             summary="Authorise another enterprise to transmit for yours",
             description="Records (and audits) that the enterprise with `agent_code` may transmit the given "
                         "message types naming your enterprise as sender, from `valid_from` to `valid_to`.")
def post_delegation(body: DelegationIn, session: DbSession,
                    principal: Principal = Depends(current_principal)) -> DelegationOut:
    """Grant a delegation."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    from datetime import datetime

    def when(value, path):
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise errors.delegation_invalid(path, value, "A timestamp like 2026-03-01T08:00:00+08:00 is expected.") from None
        if parsed.tzinfo is None:
            raise errors.delegation_invalid(path, value, "A timestamp like 2026-03-01T08:00:00+08:00 is expected.")
        return parsed

    d = service.grant_delegation(session=session, principal_enterprise_id=principal.enterprise_id,
                                 agent_code=body.agent_code, message_types=body.message_types,
                                 valid_from=when(body.valid_from, "valid_from"), valid_to=when(body.valid_to, "valid_to"),
                                 note=body.note, actor=principal.actor)
    return _delegation_out(d)


@router.get("/api/v1/imports/delegations", response_model=list[DelegationOut],
            summary="Delegations your enterprise granted or holds")
def get_delegations(session: DbSession, principal: Principal = Depends(current_principal)) -> list[DelegationOut]:
    """List delegations."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    return [_delegation_out(d) for d in service.list_delegations(session=session, enterprise_id=principal.enterprise_id)]


@router.delete("/api/v1/imports/delegations/{delegation_id}", response_model=DelegationOut,
               summary="Revoke a delegation your enterprise granted")
def delete_delegation(delegation_id: int, session: DbSession,
                      principal: Principal = Depends(current_principal)) -> DelegationOut:
    """Revoke a delegation (idempotent)."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    if not 1 <= delegation_id <= MAX_ROW_ID:  # no row has this id (and the database could not even compare it)
        raise errors.delegation_not_found(delegation_id)
    return _delegation_out(service.revoke_delegation(session=session, principal_enterprise_id=principal.enterprise_id,
                                                     delegation_id=delegation_id, actor=principal.actor))
