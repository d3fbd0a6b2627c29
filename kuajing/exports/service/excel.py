"""Excel upload of export orders (出口订单Excel导入, CEB303 orderType E/B/W) on the import module's machinery.

Only the column spec and the record builder live here; the template, parsing, row-level errors, batching
and intake through the ONE ``accept`` pipeline (channel ``excel``) are
:mod:`kuajing.imports.service.excel` with :data:`EXPORT_ORDERS` as its ``spec``. Rows sharing
ebpCode + orderNo form one order (an order's head values repeat on every row). Blank ``gnum`` numbers
the lines 1..n, blank ``totalPrice`` is qty × price, blank ``goodsValue`` the sum of the line totals;
the lines take the head's currency.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from kuajing.ceb import classes
from kuajing.ceb.receipt import SHANGHAI
from kuajing.imports.service.excel import Column, OrderRows, SheetSpec, parse_decimal

SHEET = "出口订单 export orders"

COLUMNS: tuple[Column, ...] = (
    Column("appType", "报送类型(1新增 2变更 3删除)", "head", False, "1", choices="app_type"),
    Column("orderType", "订单类型(E零售 B企业对企业 W海外仓订仓)", "head", True, "E", choices="order_type"),
    Column("orderNo", "订单编号", "head", True, "EX20260301000001"),
    Column("ebpCode", "电商平台代码", "head", True, "1502960001"),
    Column("ebpName", "电商平台名称(海外仓订仓单填仓库名称)", "head", True, "包头跨境出口平台"),
    Column("ebcCode", "电商企业代码", "head", True, "1502960002"),
    Column("ebcName", "电商企业名称", "head", True, "包头羊绒制品有限公司"),
    Column("goodsValue", "商品价格(空=表体合计)", "head", False, "", "dec"),
    Column("freight", "运杂费", "head", True, "20", "dec"),
    Column("currency", "币制", "head", True, "142", choices="currency"),
    Column("note", "订单备注", "head", False, ""),
    Column("gnum", "商品序号(空=自动编号)", "line", False, "1", "int"),
    Column("itemNo", "企业商品货号", "line", True, "SKU-0001"),
    Column("itemName", "企业商品名称", "line", True, "羊绒衫 M"),
    Column("itemDescribe", "商品描述", "line", False, "100%山羊绒 女款"),
    Column("barCode", "条形码", "line", False, "6900000000101"),
    Column("unit", "计量单位", "line", True, "011", choices="unit"),
    Column("qty", "数量", "line", True, "2", "dec"),
    Column("price", "单价", "line", True, "300", "dec"),
    Column("totalPrice", "总价(空=数量×单价)", "line", False, "", "dec"),
    Column("itemNote", "商品备注", "line", False, ""),
)


def build_ceb303(order: OrderRows, when: datetime):
    """The CEB303 record of an order whose cells passed the generic checks."""
    cls = classes("CEB303")
    h = order.heads[0]
    items = []
    for n, line in enumerate(order.lines, start=1):
        qty, price = parse_decimal(line["qty"]), parse_decimal(line["price"])
        total = parse_decimal(line["totalPrice"]) if line["totalPrice"] else qty * price
        items.append(cls.item(gnum=int(line["gnum"]) if line["gnum"] else n, item_no=line["itemNo"],
                              item_name=line["itemName"], item_describe=line["itemDescribe"] or None,
                              bar_code=line["barCode"] or None, unit=line["unit"], currency=h["currency"], qty=qty,
                              price=price, total_price=total, note=line["itemNote"] or None))
    goods = parse_decimal(h["goodsValue"]) if h["goodsValue"] else sum((i.total_price for i in items), Decimal(0))
    head = cls.head(guid=str(uuid.uuid4()).upper(), app_type=h["appType"] or "1",
                    app_time=when.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S"), app_status="2",
                    order_type=h["orderType"], order_no=h["orderNo"], ebp_code=h["ebpCode"], ebp_name=h["ebpName"],
                    ebc_code=h["ebcCode"], ebc_name=h["ebcName"], goods_value=goods,
                    freight=parse_decimal(h["freight"]), currency=h["currency"], note=h["note"] or None)
    return cls.record(head=head, items=items)


EXPORT_ORDERS = SheetSpec("CEB303", COLUMNS, build_ceb303,
                          {"gnum": "2", "itemNo": "SKU-0002", "itemName": "羊绒围巾", "itemDescribe": "100%山羊绒",
                           "barCode": "", "unit": "011", "qty": "1", "price": "150"},
                          direction="export", raw_prefix="excel:CEB303", sheet=SHEET)
