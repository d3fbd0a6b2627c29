"""Excel upload of proceeds (收汇Excel导入) on the import module's Excel machinery.

The template, the key row, drop-downs, row grouping and file-level problems are
:mod:`kuajing.imports.service.excel` with :data:`PROCEEDS` as its ``spec``: one receipt per bank reference
(its head values repeat on every row), one row per order / list it settles. Uploading stores the file as an
:class:`~kuajing.fx.models.FxImport` (the same file again returns the same upload and stores nothing); the
job (:func:`kuajing.fx.jobs.process_import`) records the receipts in chunks, one transaction per chunk and a
savepoint per receipt, so the upload's progress (processed / total, accepted, rejected, row errors) can be
watched while it runs; one bad receipt is rejected alone with its rows, column, code and message.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.errors import AppError
from kuajing.fx import errors
from kuajing.fx.choices import FeeKind
from kuajing.fx.models import FxImport
from kuajing.fx.service.proceeds import AllocationIn, ProceedsIn, stream
from kuajing.i18n import gettext
from kuajing.imports.service.excel import (
    Column,
    ExcelCode,
    OrderRows,
    RowError,
    SheetSpec,
    parse_decimal,
    read_rows,
)
from kuajing.imports.service.excel import template as _template

SHEET = "收汇 proceeds"

COLUMNS: tuple[Column, ...] = (
    Column("bankReference", "银行业务编号", "head", True, "BOC2025100900001"),
    Column("bankName", "收款银行", "head", True, "中国银行包头分行"),
    Column("receivedOn", "收汇日期(YYYY-MM-DD)", "head", True, "2025-10-09"),
    Column("currency", "币制", "head", True, "502", choices="currency"),
    Column("actualAmount", "实际收汇金额", "head", True, "88000", "dec"),
    Column("storageFee", "轧差:海外仓储费", "head", False, "5000", "dec"),
    Column("logisticsFee", "轧差:物流费", "head", False, "4000", "dec"),
    Column("otherServiceFee", "轧差:其他服务费", "head", False, "", "dec"),
    Column("taxFee", "轧差:境外税费", "head", False, "3000", "dec"),
    Column("exportAmount", "出口收入(还原,可空)", "head", False, "100000", "dec"),
    Column("payerName", "付款人", "head", True, "Amazon EU S.a.r.l."),
    Column("payerCountry", "付款人国别", "head", False, "304", choices="country"),
    Column("evidenceRef", "交易证明编号", "head", False, ""),
    Column("payeeKind", "收款人类型(enterprise/individual)", "head", False, "enterprise"),
    Column("personName", "个人姓名", "head", False, ""),
    Column("personIdNumber", "个人证件号码", "head", False, ""),
    Column("note", "备注", "head", False, ""),
    Column("reference", "核销订单号/清单号", "line", False, "W20251001001"),
    Column("allocatedAmount", "核销金额", "line", False, "60000", "dec"),
)

PROCEEDS = SheetSpec("FX", COLUMNS, lambda rows, when: None,
                     {"reference": "W20251001002", "allocatedAmount": "40000"},
                     direction="export", raw_prefix="excel:FX", sheet=SHEET, group_keys=("bankName", "bankReference"))

#: service-field path → template column
PATH_COLUMNS = {"currency": "currency", "actual_amount": "actualAmount", "export_amount": "exportAmount",
                "person_id_number": "personIdNumber", "bank_reference": "bankReference", "allocations": "allocatedAmount"}
FEE_COLUMNS = {"storageFee": FeeKind.storage, "logisticsFee": FeeKind.logistics,
               "otherServiceFee": FeeKind.other_service, "taxFee": FeeKind.tax}


def template() -> bytes:
    """The .xlsx template of proceeds."""
    return _template(PROCEEDS)


def _date(text: str) -> date | None:
    digits = re.sub(r"[^0-9]", "", text or "")
    if len(digits) < 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def cell_errors(group: OrderRows, locale: str) -> list[RowError]:
    """Missing required cells, numbers that are not numbers, dates that are not dates, heads that differ."""
    out: list[RowError] = []
    first = group.rows[0]
    for row_no, head, line in zip(group.rows, group.heads, group.lines, strict=True):
        values = {**head, **line}
        for col in COLUMNS:
            v = values.get(col.key, "")
            if col.required and col.level == "head" and not v:
                out.append(RowError(row_no, col.key, ExcelCode.required, gettext("This cell is required.", locale)))
            elif v and col.kind == "dec" and parse_decimal(v) is None:
                out.append(RowError(row_no, col.key, ExcelCode.not_a_number, gettext("Not a number.", locale), v))
        if head.get("receivedOn") and _date(head["receivedOn"]) is None:
            out.append(RowError(row_no, "receivedOn", errors.C.excel_not_a_date,
                                gettext("Not a date (YYYY-MM-DD).", locale), head["receivedOn"]))
        if head != group.heads[0]:
            out.append(RowError(row_no, "", ExcelCode.head_differs,
                                gettext("The receipt's values differ from its first row {row}.", locale, row=first)))
        if bool(line.get("reference")) != bool(line.get("allocatedAmount")):
            out.append(RowError(row_no, "allocatedAmount", ExcelCode.required,
                                gettext("An order / list number needs an amount, and an amount a number.", locale)))
    return out


def to_values(group: OrderRows) -> ProceedsIn:
    """The receipt of rows that passed :func:`cell_errors`."""
    h = group.heads[0]
    fees = [(kind.value, parse_decimal(h[key])) for key, kind in FEE_COLUMNS.items() if h.get(key)]
    return ProceedsIn(
        bank_name=h["bankName"], bank_reference=h["bankReference"], received_on=_date(h["receivedOn"]),
        currency=h["currency"], actual_amount=parse_decimal(h["actualAmount"]), payer_name=h["payerName"],
        fees=fees, export_amount=parse_decimal(h["exportAmount"]) if h.get("exportAmount") else None,
        allocations=[AllocationIn(line["reference"], parse_decimal(line["allocatedAmount"]))
                     for line in group.lines if line.get("reference")],
        payer_country=h.get("payerCountry") or None, evidence_ref=h.get("evidenceRef") or None,
        payee_kind=h.get("payeeKind") or "enterprise", person_name=h.get("personName") or None,
        person_id_number=h.get("personIdNumber") or None, note=h.get("note") or None)


def app_error_rows(group: OrderRows, exc: AppError, locale: str) -> list[RowError]:
    """A refusal of the service as row errors (allocation issues on their own row)."""
    problem = exc.to_problem(locale)
    issues = problem.get("errors") or [{"code": exc.code, "path": "", "message": problem.get("detail") or
                                        problem["title"], "value": None}]
    out = []
    for issue in issues:
        path = issue.get("path") or ""
        row = group.rows[0]
        m = re.match(r"allocations\[(\d+)\]/(\w+)", path)
        if m:
            lines = [n for n, line in enumerate(group.lines) if line.get("reference")]
            idx = int(m.group(1))
            row = group.rows[lines[idx]] if idx < len(lines) else row
            column = "reference" if m.group(2) == "reference" else "allocatedAmount"
        else:
            column = PATH_COLUMNS.get(path.split("/")[0].split("[")[0], "")
        out.append(RowError(row, column, issue["code"], issue["message"], issue.get("value")))
    return out


def submit(*, session: Session, enterprise_id: int, content: bytes, file_name: str, actor: str,
           locale: str = "zh_Hans") -> tuple[FxImport, bool]:
    """Check the workbook's shape (422 with a stable code if it is not one) and queue it; the same file again
    returns the earlier upload (second value False) and queues nothing."""
    sha = hashlib.sha256(content).hexdigest()
    found = session.scalar(select(FxImport).where(FxImport.enterprise_id == enterprise_id, FxImport.file_sha256 == sha))
    if found is not None:
        return found, False
    groups, _rows = read_rows(content, locale=locale, spec=PROCEEDS)
    row = FxImport(enterprise_id=enterprise_id, file_name=(file_name or "proceeds.xlsx")[:200], file_sha256=sha,
                   content=content, total_rows=len(groups), created_by=actor, locale=locale)
    session.add(row)
    session.flush()
    audit.record(session=session, action="fx:import:queue", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"import:{row.id}", after={"file": row.file_name, "sha256": sha, "receipts": len(groups)})
    return row, True


def get(*, session: Session, import_id: int, enterprise_id: int | None) -> FxImport:
    """One upload visible to ``enterprise_id``."""
    row = session.get(FxImport, import_id)
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise errors.import_not_found(import_id)
    return row


def as_json(row: FxImport, locale: str) -> dict[str, Any]:
    """An upload and its progress."""
    from kuajing.fx.choices import ImportStatus

    status = ImportStatus(row.status)
    pct = 100 if row.total_rows == 0 else int(row.processed_rows * 100 / row.total_rows)
    return {"id": row.id, "file_name": row.file_name, "sha256": row.file_sha256, "status": status.value,
            "status_label": status.display(locale), "total": row.total_rows, "processed": row.processed_rows,
            "percent": pct, "accepted": row.accepted, "rejected": row.rejected, "errors": row.errors or [],
            "failure": row.failure, "created_at": row.created_at, "finished_at": row.finished_at}

