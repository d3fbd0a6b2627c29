"""Background work of the FX domain: record the receipts of an Excel upload in chunks (progress visible)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from kuajing.db.base import utcnow
from kuajing.db.session import transaction
from kuajing.errors import AppError
from kuajing.fx.choices import ImportStatus
from kuajing.fx.errors import FxErrorCode
from kuajing.fx.models import FxImport
from kuajing.fx.service import excel
from kuajing.fx.service.proceeds import record
from kuajing.i18n import gettext
from kuajing.imports.service.excel import read_rows

log = logging.getLogger("kuajing.fx")
CHUNK = 50  # receipts per transaction


def process_import(*, session_factory: sessionmaker[Session], import_id: int, chunk: int = CHUNK) -> None:
    """Record the receipts of upload ``import_id``: one transaction per ``chunk`` receipts (the progress
    counters commit with them), a savepoint per receipt; a bad receipt is rejected alone with its row errors.
    Safe to call again: it resumes after the receipts already processed."""
    with transaction(session_factory) as session:
        row = session.get(FxImport, import_id)
        if row is None or row.status == ImportStatus.done.value or row.content is None:
            return
        row.status = ImportStatus.running.value
        content, locale, enterprise_id, actor = row.content, row.locale, row.enterprise_id, row.created_by
        start = row.processed_rows
    try:
        groups, _count = read_rows(content, locale=locale, spec=excel.PROCEEDS)
    except AppError as exc:
        with transaction(session_factory) as session:
            row = session.get(FxImport, import_id)
            row.status, row.failure, row.finished_at = ImportStatus.failed.value, exc.code, utcnow()
        return
    for begin in range(start, len(groups), chunk):
        with transaction(session_factory) as session:
            row = session.get(FxImport, import_id)
            found = list(row.errors or [])
            for group in groups[begin:begin + chunk]:
                problems = excel.cell_errors(group, locale)
                if not problems:
                    try:
                        with session.begin_nested():
                            record(session=session, enterprise_id=enterprise_id, values=excel.to_values(group),
                                   actor=actor, source="excel")
                    except AppError as exc:
                        problems = excel.app_error_rows(group, exc, locale)
                if problems:
                    row.rejected += 1
                    found.append({"row": group.rows[0], "column": "", "code": FxErrorCode.excel_row_rejected.value,
                                  "message": gettext("Receipt {reference} (rows {rows}) was not recorded.", locale,
                                                     reference=group.order_no,
                                                     rows=", ".join(str(r) for r in group.rows)),
                                  "value": group.order_no})
                    found.extend(p.as_dict() for p in problems)
                else:
                    row.accepted += 1
                row.processed_rows += 1
            row.errors = found
    with transaction(session_factory) as session:
        row = session.get(FxImport, import_id)
        row.status, row.finished_at, row.content = ImportStatus.done.value, utcnow(), None
