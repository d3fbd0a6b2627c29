"""Excel upload of orders (订单Excel导入): a template, row parsing, and intake through the ONE pipeline.

Template (``template()``): sheet 订单 orders — row 1 the Chinese header, row 2 the English field key
(the official CEB311 camelCase name; the parser finds columns by this key, so columns may be moved),
data from row 3, one row per order line; rows sharing ebpCode + orderNo form one order and must repeat
the same head values. Sheet 示例 example holds a filled example (it is never imported); a hidden sheet
holds the code lists behind the data-validation drop-downs (appType, buyerIdType, unit, country).
Blank ``gnum`` numbers the lines 1..n, blank ``totalPrice`` is qty × price, blank ``goodsValue`` is the
sum of the line totals and blank ``acturalPaid`` is goodsValue + freight + taxTotal − discount.

Upload (``upload()``): every row is read, each order is built as a CEB311 record and validated by
kuajing.ceb; an order with any bad cell is rejected as a whole (its rows listed with column, code and
message in the caller's language) while the good orders go on — one bad order does not hold back a file
of thousands. Good orders go through :func:`kuajing.imports.service.intake.accept` in messages of up to
100 records (channel ``excel``); each record is written in its own savepoint, so an order is never half
written, and the pipeline's verdicts (e.g. −301010 duplicate) come back on the order's rows. Uploading
the same file again replays the stored answers and stores nothing (the message hash is the file's).

The machinery is driven by a :class:`SheetSpec` per message type — columns, the record builder and the
example — so export orders (CEB303, ``kuajing.exports.service.excel``) use the same template, parsing,
row errors and intake; ``ORDERS`` (CEB311) is the default.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kuajing import ceb
from kuajing.ceb import BaseTransfer, Message, classes, explain
from kuajing.ceb.codes import table
from kuajing.errors import FieldIssue, validation_error
from kuajing.i18n import gettext, reads_chinese

MAX_ROWS = 20_000  # data rows per file
BATCH = 100  # records per message (the CEB maximum)
SHEET, EXAMPLE_SHEET, CODES_SHEET = "订单 orders", "示例 example", "codes"
KEY_ROW, FIRST_DATA_ROW = 2, 3


@dataclass(frozen=True)
class Column:
    """One template column."""

    key: str  # official CEB311 name (camelCase), the column's identity
    zh: str  # Chinese header
    level: str  # head / line
    required: bool
    example: Any
    kind: str = "str"  # str / dec / int
    choices: str | None = None  # data validation: app_type / id_type / unit / country / order_type / currency


COLUMNS: tuple[Column, ...] = (
    Column("appType", "报送类型(1新增 2变更 3删除)", "head", False, "1", choices="app_type"),
    Column("orderNo", "订单编号", "head", True, "BT20260301000001"),
    Column("ebpCode", "电商平台代码", "head", True, "1502960001"),
    Column("ebpName", "电商平台名称", "head", True, "包头跨境优选平台"),
    Column("ebcCode", "电商企业代码", "head", True, "1502960002"),
    Column("ebcName", "电商企业名称", "head", True, "包头海淘电子商务有限公司"),
    Column("goodsValue", "商品价格(空=表体合计)", "head", False, "", "dec"),
    Column("freight", "运杂费", "head", True, "10", "dec"),
    Column("discount", "非现金抵扣金额", "head", True, "0", "dec"),
    Column("taxTotal", "代扣税款", "head", True, "27.06", "dec"),
    Column("acturalPaid", "实际支付金额(空=自动计算)", "head", False, "", "dec"),
    Column("buyerRegNo", "订购人注册号", "head", True, "buyer-0001"),
    Column("buyerName", "订购人姓名", "head", True, "张三"),
    Column("buyerTelephone", "订购人电话", "head", True, "13800000000"),
    Column("buyerIdType", "订购人证件类型(1身份证 2其他)", "head", True, "1", choices="id_type"),
    Column("buyerIdNumber", "订购人证件号码", "head", True, "150203199001051234"),
    Column("payCode", "支付企业代码", "head", False, "1502970001"),
    Column("payName", "支付企业名称", "head", False, "包头支付有限公司"),
    Column("payTransactionId", "支付交易编号", "head", False, "PAY20260301000001"),
    Column("consignee", "收货人姓名", "head", True, "张三"),
    Column("consigneeTelephone", "收货人电话", "head", True, "13800000000"),
    Column("consigneeAddress", "收货地址", "head", True, "内蒙古包头市昆都仑区钢铁大街1号"),
    Column("consigneeDistrict", "收货地址行政区划代码", "head", False, "150203"),
    Column("note", "订单备注", "head", False, ""),
    Column("gnum", "商品序号(空=自动编号)", "line", False, "1", "int"),
    Column("itemNo", "企业商品货号", "line", False, "SKU-0001"),
    Column("itemName", "企业商品名称", "line", True, "婴儿配方奶粉 900g"),
    Column("gmodel", "规格型号", "line", True, "900g/罐"),
    Column("barCode", "条形码", "line", False, "6900000000001"),
    Column("unit", "计量单位", "line", True, "122", choices="unit"),
    Column("qty", "数量", "line", True, "2", "dec"),
    Column("price", "单价", "line", True, "150", "dec"),
    Column("totalPrice", "总价(空=数量×单价)", "line", False, "", "dec"),
    Column("country", "原产国", "line", True, "601", choices="country"),
    Column("itemNote", "商品备注", "line", False, ""),
)
BY_KEY = {c.key: c for c in COLUMNS}
ZERO = Decimal(0)


class ExcelCode:
    """Stable codes of row-level problems (besides the kuajing.ceb issue codes and customs codes)."""

    not_a_workbook = "imports_excel_not_a_workbook"
    unpacked_too_large = "imports_excel_unpacked_too_large"
    no_key_row = "imports_excel_no_key_row"
    no_rows = "imports_excel_no_rows"
    too_many_rows = "imports_excel_too_many_rows"
    required = "imports_excel_required"
    not_a_number = "imports_excel_not_a_number"
    head_differs = "imports_excel_head_differs"
    order_rejected = "imports_excel_order_rejected"


@dataclass
class RowError:
    """One problem on one row: Excel row number, column key (or "" for the whole row), code, message."""

    row: int
    column: str
    code: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message,
                "value": None if self.value is None else str(self.value)}


@dataclass
class OrderRows:
    """The rows of one order in the file."""

    ebp_code: str
    order_no: str
    rows: list[int] = field(default_factory=list)
    heads: list[dict[str, str]] = field(default_factory=list)
    lines: list[dict[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class OrderOutcome:
    """What became of one order of the file."""

    order_no: str
    ebp_code: str
    rows: list[int]
    status: str  # accepted / rejected
    code: str  # "2", a negative customs code, or imports_excel_order_rejected
    info: str
    receipt_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"order_no": self.order_no, "ebp_code": self.ebp_code, "rows": self.rows, "status": self.status,
                "code": self.code, "info": self.info, "receipt_id": self.receipt_id}


@dataclass
class UploadResult:
    """The answer to one upload."""

    orders: list[OrderOutcome]
    errors: list[RowError]
    rows: int

    @property
    def accepted(self) -> int:
        """How many orders the pipeline accepted."""
        return sum(1 for o in self.orders if o.status == "accepted")

    @property
    def rejected(self) -> int:
        """How many orders were rejected (bad cells or the pipeline's verdict)."""
        return sum(1 for o in self.orders if o.status == "rejected")

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"rows": self.rows, "orders_total": len(self.orders), "accepted": self.accepted,
                "rejected": self.rejected, "orders": [o.as_dict() for o in self.orders],
                "errors": [e.as_dict() for e in self.errors]}


# --- template -------------------------------------------------------------------------------------------


def _code_lists(columns: tuple[Column, ...]) -> dict[str, list[str]]:
    every = {
        "app_type": lambda: ["1", "2", "3"],
        "id_type": lambda: ["1", "2"],
        "order_type": lambda: ["E", "B", "W"],
        "unit": lambda: list(table("unit").entries),
        "country": lambda: list(table("country").entries),
        "currency": lambda: list(table("currency").entries),
    }
    return {name: every[name]() for name in dict.fromkeys(c.choices for c in columns if c.choices)}


def template(spec: SheetSpec | None = None) -> bytes:
    """The .xlsx template: Chinese header, English key row, drop-downs; a filled example on its own sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = spec or ORDERS
    columns = spec.columns
    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    example = wb.create_sheet(EXAMPLE_SHEET)
    codes = wb.create_sheet(CODES_SHEET)
    codes.sheet_state = "hidden"
    lists = _code_lists(columns)
    ranges: dict[str, str] = {}
    for col_no, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col_no)
        codes.cell(row=1, column=col_no, value=name)
        for row_no, value in enumerate(values, start=2):
            codes.cell(row=row_no, column=col_no, value=value)
        ranges[name] = f"'{CODES_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    bold, grey = Font(bold=True), Font(color="808080", italic=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for sheet in (ws, example):
        for col_no, col in enumerate(columns, start=1):
            head = sheet.cell(row=1, column=col_no, value=col.zh + (" *" if col.required else ""))
            head.font = bold
            if col.required:
                head.fill = required_fill
            key = sheet.cell(row=KEY_ROW, column=col_no, value=col.key)
            key.font = grey
            if sheet is ws:
                head.comment = Comment(f"{col.key}{' (required 必填)' if col.required else ''}", "kuajing")
            sheet.column_dimensions[get_column_letter(col_no)].width = max(12, min(30, len(col.zh) * 2 + 2))
        sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)
    for col_no, col in enumerate(columns, start=1):
        example.cell(row=FIRST_DATA_ROW, column=col_no, value=col.example if col.example != "" else None)
    # a second line of the same example order: same head values, next product
    second = spec.second_line
    for col_no, col in enumerate(columns, start=1):
        value = second.get(col.key, col.example if col.level == "head" else "")
        example.cell(row=FIRST_DATA_ROW + 1, column=col_no, value=value if value != "" else None)
    for col_no, col in enumerate(columns, start=1):
        if col.choices:
            letter = get_column_letter(col_no)
            dv = DataValidation(type="list", formula1=ranges[col.choices], allow_blank=not col.required,
                                showErrorMessage=True, errorTitle="代码不在列表中", error="请从下拉列表中选择代码")
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{MAX_ROWS + FIRST_DATA_ROW}")
            ws.add_data_validation(dv)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- parsing --------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M%S")
    return str(value).strip()


def _issue(row: int, key: str, code: str, message: str, locale: str, value: Any = None, /, **params) -> RowError:
    return RowError(row=row, column=key, code=code, message=gettext(message, locale, **params), value=value)


def read_rows(content: bytes, *, locale: str = "zh_Hans", spec: SheetSpec | None = None) -> tuple[list[OrderRows], int]:
    """Read the workbook into orders (rows grouped by ebpCode + orderNo); file-level problems raise 422."""
    from openpyxl import load_workbook

    from kuajing.spreadsheets import NotAWorkbook, WorkbookTooLarge, check_workbook_archive

    spec = spec or ORDERS
    columns, by_key = spec.columns, spec.by_key
    try:
        check_workbook_archive(content)  # a zip bomb is refused before openpyxl unpacks anything
    except WorkbookTooLarge as exc:
        raise validation_error([FieldIssue(ExcelCode.unpacked_too_large, "file",
                                           "The workbook unpacks to more than {mb} MB; split the file.", None,
                                           {"mb": exc.limit_mb})]) from None
    except NotAWorkbook:
        raise validation_error([FieldIssue(ExcelCode.not_a_workbook, "file",
                                           "The file is not an Excel workbook (.xlsx).")]) from None
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise validation_error([FieldIssue(ExcelCode.not_a_workbook, "file",
                                           "The file is not an Excel workbook (.xlsx).")]) from None
    try:
        ws = wb[spec.sheet] if spec.sheet in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_rows = []
        for _ in range(KEY_ROW):
            header_rows.append(next(rows, ()) or ())
        keys = [_cell(v) for v in header_rows[KEY_ROW - 1]]
        index = {k: i for i, k in enumerate(keys) if k in by_key}
        missing = [c.key for c in columns if c.required and c.key not in index]
        if missing:
            raise validation_error([FieldIssue(ExcelCode.no_key_row, "file",
                                               "Row 2 must hold the field keys of the template; missing: {keys}.",
                                               None, {"keys": ", ".join(missing)})])
        orders: dict[tuple[str, str], OrderRows] = {}
        count = 0
        for row_no, raw in enumerate(rows, start=FIRST_DATA_ROW):
            values = {k: _cell(raw[i]) if i < len(raw) else "" for k, i in index.items()}
            if not any(values.values()):
                continue
            count += 1
            if count > MAX_ROWS:
                raise validation_error([FieldIssue(ExcelCode.too_many_rows, "file",
                                                   "At most {n} rows per file; split the file.", None,
                                                   {"n": MAX_ROWS})])
            group_key = (values.get(spec.group_keys[0], ""), values.get(spec.group_keys[1], ""))
            group = orders.get(group_key)
            if group is None:
                group = orders[group_key] = OrderRows(ebp_code=group_key[0], order_no=group_key[1])
            group.rows.append(row_no)
            group.heads.append({c.key: values.get(c.key, "") for c in columns if c.level == "head"})
            group.lines.append({c.key: values.get(c.key, "") for c in columns if c.level == "line"})
    finally:
        wb.close()
    if not orders:
        raise validation_error([FieldIssue(ExcelCode.no_rows, "file",
                                           "The workbook has no order rows (data starts on row 3).")])
    return list(orders.values()), count


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def build_record(order: OrderRows, *, when: datetime, locale: str = "zh_Hans", spec: SheetSpec | None = None):
    """The record of one order (CEB311 by default; or None with ``order.errors`` filled)."""
    spec = spec or ORDERS
    first_row = order.rows[0]
    head_values = order.heads[0]
    for row_no, head in zip(order.rows[1:], order.heads[1:], strict=True):
        for key, value in head.items():
            if value and value != head_values[key]:
                order.errors.append(_issue(row_no, key, ExcelCode.head_differs,
                                           "Rows of one order must repeat the same order values; row {first} says {expected}.",
                                           locale, value, first=first_row, expected=head_values[key]))
    for col in spec.columns:
        name = col.zh.split("(")[0] if reads_chinese(locale) else col.key
        rows_values = [(first_row, head_values[col.key])] if col.level == "head" else \
            list(zip(order.rows, (ln[col.key] for ln in order.lines), strict=True))
        for row_no, value in rows_values:
            if col.required and not value:
                order.errors.append(_issue(row_no, col.key, ExcelCode.required, "Fill in {column}.", locale,
                                           column=name))
            elif value and col.kind == "dec" and _decimal(value) is None:
                order.errors.append(_issue(row_no, col.key, ExcelCode.not_a_number, "{column} must be a number.",
                                           locale, value, column=name))
            elif value and col.kind == "int" and not value.isdigit():
                order.errors.append(_issue(row_no, col.key, ExcelCode.not_a_number,
                                           "{column} must be a whole number.", locale, value, column=name))
    if order.errors:
        return None
    return spec.build(order, when)


def _build_ceb311(order: OrderRows, when: datetime):
    """The CEB311 record of an order whose cells passed the generic checks."""
    cls = classes("CEB311")
    head_values = order.heads[0]
    items = []
    for n, line in enumerate(order.lines, start=1):
        qty, price = _decimal(line["qty"]), _decimal(line["price"])
        total = _decimal(line["totalPrice"]) if line["totalPrice"] else qty * price
        items.append(cls.item(gnum=int(line["gnum"]) if line["gnum"] else n, item_no=line["itemNo"] or None,
                              item_name=line["itemName"], gmodel=line["gmodel"], bar_code=line["barCode"] or None,
                              unit=line["unit"], qty=qty, price=price, total_price=total, currency="142",
                              country=line["country"], note=line["itemNote"] or None))
    h = head_values
    goods = _decimal(h["goodsValue"]) if h["goodsValue"] else sum((i.total_price for i in items), ZERO)
    freight, discount, tax = _decimal(h["freight"]), _decimal(h["discount"]), _decimal(h["taxTotal"])
    paid = _decimal(h["acturalPaid"]) if h["acturalPaid"] else goods + freight + tax - discount
    from kuajing.ceb.receipt import SHANGHAI

    head = cls.head(guid=str(uuid.uuid4()).upper(), app_type=h["appType"] or "1",
                    app_time=when.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S"), app_status="2", order_type="I",
                    order_no=h["orderNo"], ebp_code=h["ebpCode"], ebp_name=h["ebpName"], ebc_code=h["ebcCode"],
                    ebc_name=h["ebcName"], goods_value=goods, freight=freight, discount=discount, tax_total=tax,
                    actural_paid=paid, currency="142", buyer_reg_no=h["buyerRegNo"], buyer_name=h["buyerName"],
                    buyer_telephone=h["buyerTelephone"], buyer_id_type=h["buyerIdType"],
                    buyer_id_number=h["buyerIdNumber"], pay_code=h["payCode"] or None, pay_name=h["payName"] or None,
                    pay_transaction_id=h["payTransactionId"] or None, consignee=h["consignee"],
                    consignee_telephone=h["consigneeTelephone"], consignee_address=h["consigneeAddress"],
                    consignee_district=h["consigneeDistrict"] or None, note=h["note"] or None)
    return cls.record(head=head, items=items)


def _issue_column(path: str) -> tuple[str, int | None]:
    """(column key, line index from 1 or None) of a kuajing.ceb issue path like Order[1]/OrderList[2]/qty."""
    parts = [p for p in path.split("/") if p]
    line = None
    for part in parts:
        if part.startswith("OrderList[") and part.endswith("]"):
            line = int(part[len("OrderList["):-1])
    name = parts[-1] if parts else ""
    name = name.split("[")[0]
    if name == "note" and line is not None:
        name = "itemNote"
    return name, line


def check_record(order: OrderRows, record, *, locale: str = "zh_Hans", spec: SheetSpec | None = None) -> None:
    """Validate the built record with kuajing.ceb; each issue lands on its row and column."""
    from kuajing.imports import errors as import_errors
    from kuajing.imports.service import values

    spec = spec or ORDERS
    message = Message(message_type=spec.message_type, records=[record])
    # the message layer's issues, then the platform's value checks (qty, amounts, line totals, ID type), each on
    # its cell, before anything is sent
    for issue in [*ceb.validate(message), *values.record_issues(message).get(1, [])]:
        if issue.path.startswith(("BaseTransfer", "@", "BaseSubscribe")):
            continue
        column, line = _issue_column(issue.path)
        row = order.rows[line - 1] if line and line <= len(order.rows) else order.rows[0]
        text = import_errors.issue_text(issue, locale)
        order.errors.append(RowError(row=row, column=column if column in spec.by_key else "", code=str(issue.code),
                                     message=text, value=issue.value))


def _customs_text(code: str, info: str, locale: str, message_type: str = "CEB311") -> str:
    """The verdict's reason in the caller's language (catalogue meaning; ours from kuajing.imports.errors)."""
    if reads_chinese(locale):
        return info
    from kuajing.imports import errors as import_errors

    if code in import_errors.OWN_CODES:
        return import_errors.OWN_CODES[code][1]
    entry = explain(message_type, code)
    meaning = getattr(entry, "meaning_en", None) if entry else None
    if meaning:  # the catalogue's placeholder ("parameter check failed: *") stands for the detail given after it
        meaning = meaning.replace("[*]", "").replace("*", "").rstrip(" :,")
    return f"{meaning} ({info})" if meaning else info


def upload(*, session, content: bytes, principal, received_at: datetime, locale: str = "zh_Hans",
           spec: SheetSpec | None = None) -> UploadResult:
    """Read an order workbook and run every good order through the intake pipeline (never commits)."""
    from kuajing.enterprises.models import Enterprise
    from kuajing.imports import errors as import_errors
    from kuajing.imports.service.intake import accept

    if principal is None or principal.enterprise_id is None:
        raise import_errors.no_enterprise()
    spec = spec or ORDERS
    orders, row_count = read_rows(content, locale=locale, spec=spec)
    good: list[tuple[OrderRows, Any]] = []
    outcomes: dict[int, OrderOutcome] = {}
    for n, order in enumerate(orders):
        record = build_record(order, when=received_at, locale=locale, spec=spec)
        if record is not None:
            check_record(order, record, locale=locale, spec=spec)
        if order.errors:
            outcomes[n] = OrderOutcome(order_no=order.order_no, ebp_code=order.ebp_code, rows=order.rows,
                                       status="rejected", code=ExcelCode.order_rejected,
                                       info=gettext("The order was not sent: fix the cells listed.", locale))
        else:
            good.append((order, record))
    ent = session.get(Enterprise, principal.enterprise_id)
    if ent is None:
        raise import_errors.no_enterprise()
    file_sha = hashlib.sha256(content).hexdigest()
    index_of = {id(order): n for n, order in enumerate(orders)}
    for start in range(0, len(good), BATCH):
        chunk = good[start:start + BATCH]
        message = Message(message_type=spec.message_type, records=[rec for _, rec in chunk],
                          guid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"kuajing-{spec.raw_prefix}:{file_sha}:{start}")).upper(),
                          base_transfer=BaseTransfer(direction=spec.direction, cop_code=(ent.customs_code or ent.uscc)[:18],
                                                     cop_name=ent.name_zh[:100],
                                                     dxp_id=(ent.dxp_id or "DXPENT0000000000")[:30]))
        result = accept(session=session, message=message, principal=principal, received_at=received_at,
                        raw=f"{spec.raw_prefix}:{file_sha}:{start}".encode(), channel="excel")
        for (order, _), verdict in zip(chunk, result.records, strict=True):
            outcomes[index_of[id(order)]] = OrderOutcome(
                order_no=order.order_no, ebp_code=order.ebp_code, rows=order.rows, status=verdict.status,
                code=verdict.code, info=_customs_text(verdict.code, verdict.info, locale, spec.message_type),
                receipt_id=verdict.receipt_id)
            if verdict.status != "accepted":
                order.errors.append(RowError(row=order.rows[0], column="", code=verdict.code,
                                             message=_customs_text(verdict.code, verdict.info, locale,
                                                                   spec.message_type)))
    errors = [e for order in orders for e in order.errors]
    order_of = list(spec.by_key)
    errors.sort(key=lambda e: (e.row, order_of.index(e.column) if e.column in spec.by_key else -1))
    return UploadResult(orders=[outcomes[n] for n in range(len(orders))], errors=errors, rows=row_count)


@dataclass(frozen=True)
class SheetSpec:
    """What the Excel machinery needs to know about one message type's template."""

    message_type: str  # CEB311 / CEB303
    columns: tuple[Column, ...]
    build: Callable[[OrderRows, datetime], Any]  # rows that passed the cell checks → record
    second_line: dict[str, str]  # the example's second line (head values repeat)
    direction: str = "import"  # BaseTransfer of the messages sent to intake
    raw_prefix: str = "excel"  # idempotency key prefix of the file's messages
    sheet: str = SHEET
    group_keys: tuple[str, str] = ("ebpCode", "orderNo")  # rows with the same values form one record

    @property
    def by_key(self) -> dict[str, Column]:
        """The columns by field key."""
        return {c.key: c for c in self.columns}


ORDERS = SheetSpec("CEB311", COLUMNS, _build_ceb311,
                   {"gnum": "2", "itemNo": "SKU-0002", "itemName": "维生素软糖 60粒", "gmodel": "60粒/瓶", "barCode": "",
                    "unit": "142", "qty": "1", "price": "60", "country": "502"})
parse_decimal = _decimal  # for the builders of other message types (a cell that passed the "dec" check)
