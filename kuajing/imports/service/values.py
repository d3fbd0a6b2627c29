"""The platform's own checks of the values a declaration carries (申报数据校验), beyond the message
standard: the official schema (and its samples) accept what these refuse, so they run at intake, on every
channel (``POST /ceb``, the JSON routes, the drop folder, Excel), record by record:

* no negative amount, quantity or weight, and every line's quantity above 0 (``CEB-RULE-NEGATIVE``; a gift's
  unit price is 0: ceb-messages OrderList "price: unit price (gifts 0)");
* each line's ``totalPrice`` = ``qty × price`` to the fen (``CEB-RULE-LINE-TOTAL``; ceb-messages "line total =
  qty x price"), within half a fen per unit plus half a fen, the rounding of a unit price and a total to the fen;
* the buyer's / payer's ID type 1, a resident ID card (``CEB-RULE-ID-TYPE``; ceb-messages "import: must be 1",
  policy-rules R1.5, R11.1), and its number one a card can carry: GB 11643 shape, province, birth date and check
  character (``CEB-RULE-ID-NUMBER``; :mod:`kuajing.identity`) — customs verifies the person, a number no card
  carries never reaches it.

A refused record gets the document type's "invalid" code with these issues' paths; the other records of the
message go on.
"""

from __future__ import annotations

from decimal import Decimal

from kuajing.ceb.codes import table
from kuajing.ceb.issues import Issue, IssueCode
from kuajing.ceb.models import Message
from kuajing.ceb.spec import NodeSpec
from kuajing.ceb.validate import issue
from kuajing.db.types import mask
from kuajing.identity import resident_id_problem

#: the declarations these checks apply to (申报类报文): import, and the export ones carrying amounts or
#: quantities (an export list's line reaches the no-invoice register, which is never edited)
CHECKED = frozenset({"CEB311", "CEB411", "CEB511", "CEB621", "CEB623", "CEB625",
                     "CEB303", "CEB403", "CEB505", "CEB603", "CEB607", "CEB213"})
_ID_TYPE_FIELDS = ("buyerIdType", "payerIdType")
_ID_NUMBER_FIELD = {"buyerIdType": "buyerIdNumber", "payerIdType": "payerIdNumber"}
_ID_PROBLEMS = {  # kuajing.identity.resident_id_problem → (zh, en)
    "shape": ("身份证号码应为18位，前17位为数字，末位为数字或X", "the ID number must be 17 digits and a digit or X"),
    "region": ("身份证号码的省级行政区划代码无效", "the ID number's province code does not exist"),
    "birth_date": ("身份证号码中的出生日期无效", "the ID number's birth date is not a valid date"),
    "check": ("身份证号码校验码错误", "the ID number's check character is wrong"),
}


def line_total_tolerance(qty: Decimal) -> Decimal:
    """How far ``qty × price`` may stray from ``totalPrice``: the unit price and the total each rounded to the fen
    (half a fen per unit, half a fen on the total), so 3 × 33.33 against 100.00 passes and 3 × 30 against 100
    does not."""
    return Decimal("0.005") * (abs(qty) + 1)


def _node_values(node: NodeSpec, rec, path: str, out: list[Issue]) -> None:
    for f in node.fields:
        if f.kind != "dec":
            continue
        value = getattr(rec, f.attr, None)
        if not isinstance(value, Decimal):
            continue
        if f.name == "qty" and value <= 0:
            out.append(issue(IssueCode.RULE_NEGATIVE, path + f.name, format(value, "f"),
                             "数量必须大于0", "the quantity must be greater than 0"))
        elif value < 0:
            out.append(issue(IssueCode.RULE_NEGATIVE, path + f.name, format(value, "f"),
                             "金额、数量、重量不得为负数", "amounts, quantities and weights cannot be negative"))
    if all(n in node.by_name for n in ("qty", "price", "totalPrice")):
        qty, price, total = rec.qty, rec.price, rec.total_price
        if (all(isinstance(v, Decimal) for v in (qty, price, total))
                and abs(qty * price - total) > line_total_tolerance(qty)):
            expected = format(qty * price, "f")
            out.append(issue(IssueCode.RULE_LINE_TOTAL, path + "totalPrice", format(total, "f"),
                             f"总价应等于数量×单价（{expected}）", f"totalPrice must equal qty × price ({expected})"))


def record_issues(message: Message) -> dict[int, list[Issue]]:
    """The value issues of each record of ``message`` (1-based record index → issues; records without any are
    left out), for the import declarations in :data:`CHECKED`."""
    spec = message.spec
    if spec.type not in CHECKED:
        return {}
    rec = spec.record
    head_node = rec.head if rec.compound else rec
    found: dict[int, list[Issue]] = {}
    for n, record in enumerate(message.records, start=1):
        out: list[Issue] = []
        prefix = f"{rec.name}[{n}]/"
        head = record.head if rec.compound else record
        head_path = f"{prefix}{head_node.name}/" if rec.compound else prefix
        _node_values(head_node, head, head_path, out)
        if rec.compound and rec.items is not None:
            for k, item in enumerate(record.items, 1):
                _node_values(rec.items, item, f"{prefix}{rec.items.name}[{k}]/", out)
        for name in (_ID_TYPE_FIELDS if spec.direction == "import" else ()):
            f = head_node.by_name.get(name)
            value = getattr(head, f.attr, None) if f is not None else None
            # an unknown code is a CEB-FIELD-CODE issue of the message layer; a known one other than 1 is ours
            if value is not None and value != "1" and any(e.code == value for e in table(f.table)):
                out.append(issue(IssueCode.RULE_ID_TYPE, head_path + name, value,
                                 "进口订购人/支付人证件类型应为1（身份证）",
                                 "import: the buyer's / payer's ID type must be 1 (resident ID card)"))
            number_field = head_node.by_name.get(_ID_NUMBER_FIELD[name])
            number = getattr(head, number_field.attr, None) if number_field is not None else None
            if value == "1" and isinstance(number, str) and number:
                problem = resident_id_problem(number)
                if problem is not None:  # the value is personal data: never echoed, only masked
                    zh, en = _ID_PROBLEMS[problem]
                    out.append(issue(IssueCode.RULE_ID_NUMBER, head_path + number_field.name, mask(number), zh, en))
        if out:
            found[n] = out
    return found
