"""Validation (报文校验) that reports EVERY violation at once, each with a field path.

Two layers: a generated XSD (:mod:`kuajing.ceb.xsdgen`) gates the fast path in C; when it says
"invalid", :func:`check_tree` walks the document in Python and reports each violation with its
code, path (``Order[3]/OrderList[2]/price``), value and bilingual message. Cross-field rules
(:func:`check_rules`) run on the model.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

from lxml import etree

from kuajing.ceb.codes import message_codes
from kuajing.ceb.issues import Issue, IssueCode
from kuajing.ceb.messages import BY_ROOT
from kuajing.ceb.spec import CEB_NS, DS_NS, TIME_FORMATS, FieldSpec, MessageSpec, NodeSpec
from kuajing.ceb.xsdgen import schema_for

DEFAULT_MAX_RECORDS = 100
_NS = f"{{{CEB_NS}}}"
_DS_SIG = f"{{{DS_NS}}}Signature"
_DEC_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INT_RE = re.compile(r"[+-]?\d+")
_TIME_RE = {k: re.compile(v[1]) for k, v in TIME_FORMATS.items()}
_TABLE_ZH = {
    "currency": "币制", "country": "国别(地区)", "unit": "计量单位", "transport_mode": "运输方式",
    "trade_mode": "监管方式", "customs_office": "关区", "id_type": "证件类型", "package_type": "包装种类",
}


def issue(code: IssueCode, path: str, value: str | None, zh: str, en: str) -> Issue:
    """Make an :class:`Issue` (helper used across the package)."""
    return Issue(code=str(code), path=path, value=value, message_zh=zh, message_en=en)


# ---- one leaf value -----------------------------------------------------------------------------

def _digits(text: str) -> tuple[int, int]:
    """(total digits, fraction digits) of a decimal literal, counted on the value like XSD does."""
    _, digits, exp = Decimal(text).as_tuple()
    digits = list(digits)
    while exp < 0 and digits and digits[-1] == 0:
        digits.pop()
        exp += 1
    while digits and digits[0] == 0:
        digits.pop(0)
    if not digits:
        return 1, 0
    frac = max(0, -exp)
    return max(len(digits) + max(exp, 0), frac), frac


def check_value(f: FieldSpec, text: str, path: str, *, rules: bool, codes: bool, out: list[Issue]) -> None:
    """Append the issues of one field value ``text`` (the element is present)."""
    zh = f.zh or f.name
    if f.kind == "str":
        n = len(text)
        if n == 0 and f.min_len > 0:
            if f.required:
                out.append(issue(IssueCode.FIELD_MISSING, path, text, f"{zh}({f.name})为必填项，不能为空",
                                 f"{f.name} is mandatory and must not be empty"))
            else:
                out.append(issue(IssueCode.FIELD_LENGTH if f.min_len == f.max_len else IssueCode.FIELD_TOO_SHORT,
                                 path, text, f"{zh}({f.name})不能为空，可不填写该节点",
                                 f"{f.name} must not be empty (omit the element instead)"))
            return
        if f.max_len is not None and f.min_len == f.max_len and n != f.max_len:
            out.append(issue(IssueCode.FIELD_LENGTH, path, text, f"{zh}({f.name})长度应为{f.max_len}位，实际{n}位",
                             f"{f.name} must be exactly {f.max_len} characters, got {n}"))
            return
        if f.max_len is not None and n > f.max_len:
            out.append(issue(IssueCode.FIELD_TOO_LONG, path, text, f"{zh}({f.name})超长：最多{f.max_len}位，实际{n}位",
                             f"{f.name} is too long: at most {f.max_len} characters, got {n}"))
            return
        if n < f.min_len:
            out.append(issue(IssueCode.FIELD_TOO_SHORT, path, text, f"{zh}({f.name})长度不足：至少{f.min_len}位",
                             f"{f.name} is too short: at least {f.min_len} characters"))
            return
        if f.fixed is not None and text != f.fixed:
            out.append(issue(IssueCode.FIELD_ENUM, path, text, f"{zh}({f.name})固定为{f.fixed}",
                             f"{f.name} is fixed to {f.fixed}"))
            return
        if not rules or n == 0:
            return
        if f.time_format and not _TIME_RE[f.time_format].fullmatch(text):
            fmt = TIME_FORMATS[f.time_format][0]
            out.append(issue(IssueCode.FIELD_DATE_FORMAT, path, text, f"{zh}({f.name})格式应为{fmt}",
                             f"{f.name} must be a valid {fmt}"))
        elif f.enum is not None and text not in f.enum:
            allowed = "/".join(f.enum)
            out.append(issue(IssueCode.FIELD_ENUM, path, text, f"{zh}({f.name})只能填写{allowed}",
                             f"{f.name} must be one of {allowed}"))
        elif f.table and codes and text not in message_codes(f.table):
            out.append(issue(IssueCode.FIELD_CODE, path, text,
                             f"{zh}({f.name})“{text}”不在海关{_TABLE_ZH.get(f.table, f.table)}代码表中",
                             f"{f.name} '{text}' is not in the customs {f.table} code table"))
        return
    stripped = text.strip()
    if stripped == "":
        out.append(issue(IssueCode.FIELD_MISSING, path, text, f"{zh}({f.name})为必填项，不能为空",
                         f"{f.name} is mandatory and must not be empty"))
        return
    if f.kind == "dec":
        if not _DEC_RE.fullmatch(stripped):
            out.append(issue(IssueCode.FIELD_NOT_DECIMAL, path, text, f"{zh}({f.name})应为数值",
                             f"{f.name} must be a decimal number"))
            return
        total, frac = _digits(stripped)
        if frac > f.fraction_digits:
            out.append(issue(IssueCode.FIELD_FRACTION_DIGITS, path, text,
                             f"{zh}({f.name})小数位数最多{f.fraction_digits}位，实际{frac}位",
                             f"{f.name} allows at most {f.fraction_digits} decimal places, got {frac}"))
        elif total > f.total_digits:
            out.append(issue(IssueCode.FIELD_TOTAL_DIGITS, path, text,
                             f"{zh}({f.name})总位数最多{f.total_digits}位，实际{total}位",
                             f"{f.name} allows at most {f.total_digits} digits, got {total}"))
        return
    if (not _INT_RE.fullmatch(stripped) or len(stripped.lstrip("+-").lstrip("0")) > 10
            or not -2**31 <= int(stripped) < 2**31):
        out.append(issue(IssueCode.FIELD_NOT_INTEGER, path, text, f"{zh}({f.name})应为整数",
                         f"{f.name} must be an integer"))
        return
    if f.total_digits:
        digits = len(stripped.lstrip("+-").lstrip("0")) or 1
        if digits > f.total_digits:
            out.append(issue(IssueCode.FIELD_TOTAL_DIGITS, path, text,
                             f"{zh}({f.name})最多{f.total_digits}位数字，实际{digits}位",
                             f"{f.name} allows at most {f.total_digits} digits, got {digits}"))


# ---- structure ----------------------------------------------------------------------------------

class _Slot:
    __slots__ = ("tag", "name", "lo", "hi", "kind", "spec")

    def __init__(self, tag: str, name: str, lo: int, hi: int | None, kind: str, spec=None):
        self.tag, self.name, self.lo, self.hi, self.kind, self.spec = tag, name, lo, hi, kind, spec


def _elements(el) -> list:
    return [c for c in el if isinstance(c.tag, str)]


def _label(tag: str) -> str:
    q = etree.QName(tag)
    if q.namespace == CEB_NS:
        return q.localname
    if q.namespace == DS_NS:
        return f"ds:{q.localname}"
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else q.localname


def _match(el, slots: list[_Slot], prefix: str, out: list[Issue]) -> list[tuple[_Slot, list]]:
    """Match the children of ``el`` against ``slots`` in order; report missing/extra/unexpected."""
    kids = _elements(el)
    pos = {s.tag: i for i, s in enumerate(slots)}
    result: list[tuple[_Slot, list]] = [(s, []) for s in slots]
    current = 0
    for child in kids:
        idx = pos.get(child.tag)
        if idx is not None and idx >= current:
            current = idx
            slot, got = result[idx]
            got.append(child)
            if slot.hi is not None and len(got) > slot.hi:
                out.append(issue(IssueCode.ELEMENT_TOO_MANY, f"{prefix}{slot.name}[{len(got)}]", None,
                                 f"{slot.name}节点最多出现{slot.hi}次，实际第{len(got)}次（重复）",
                                 f"{slot.name} may occur at most {slot.hi} time(s); occurrence {len(got)} is extra"))
            continue
        name = _label(child.tag)
        if idx is not None:
            slot, got = result[idx]
            got.append(child)
            if slot.hi is not None and len(got) > slot.hi:
                out.append(issue(IssueCode.ELEMENT_TOO_MANY, f"{prefix}{name}[{len(got)}]", None,
                                 f"{name}节点最多出现{slot.hi}次，实际第{len(got)}次（重复）",
                                 f"{name} may occur at most {slot.hi} time(s); occurrence {len(got)} is extra"))
            else:
                out.append(issue(IssueCode.ELEMENT_UNEXPECTED, f"{prefix}{name}", None,
                                 f"{name}节点顺序错误", f"{name} is out of order"))
        else:
            out.append(issue(IssueCode.ELEMENT_UNEXPECTED, f"{prefix}{name}", (child.text or "").strip() or None,
                             f"不应出现的节点{name}", f"unexpected element {name}"))
    for slot, got in result:
        if len(got) < slot.lo:
            if slot.kind == "field":
                zh = slot.spec.zh or slot.name
                out.append(issue(IssueCode.FIELD_MISSING, f"{prefix}{slot.name}", None,
                                 f"缺少必填项{zh}({slot.name})", f"mandatory field {slot.name} is missing"))
            elif slot.kind == "signature":
                out.append(issue(IssueCode.SIGNATURE_MISSING, f"{prefix}ds:Signature", None,
                                 "该报文必须加签（缺少ds:Signature）", "this message must carry a ds:Signature"))
            else:
                need = f"至少{slot.lo}个" if slot.lo > 1 else ""
                out.append(issue(IssueCode.FIELD_MISSING, f"{prefix}{slot.name}", None,
                                 f"缺少{need}{slot.name}节点", f"{slot.name} is missing (at least {slot.lo} required)"))
    return result


def _fields_slots(node: NodeSpec) -> list[_Slot]:
    return [_Slot(_NS + f.name, f.name, 1 if f.required else 0, 1, "field", f) for f in node.fields]


def _check_leaf(el, node: NodeSpec, prefix: str, rules: bool, codes: bool, out: list[Issue]) -> None:
    for slot, got in _match(el, _fields_slots(node), prefix, out):
        for child in got[:1]:
            path = prefix + slot.name
            if _elements(child):
                out.append(issue(IssueCode.FIELD_CONTENT, path, None, f"{slot.name}不能含有子节点",
                                 f"{slot.name} must hold text, not elements"))
                continue
            check_value(slot.spec, child.text or "", path, rules=rules, codes=codes, out=out)


def _check_record(el, node: NodeSpec, prefix: str, rules: bool, codes: bool, out: list[Issue]) -> None:
    if not node.compound:
        _check_leaf(el, node, prefix, rules, codes, out)
        return
    slots = [_Slot(_NS + node.head.name, node.head.name, 1, 1, "node", node.head)]
    if node.items is not None:
        slots.append(_Slot(_NS + node.items.name, node.items.name, node.items_min, node.items_max, "node", node.items))
    for slot, got in _match(el, slots, prefix, out):
        many = slot.hi is None or slot.hi > 1
        for i, child in enumerate(got[: slot.hi] if slot.hi else got, 1):
            sub = f"{prefix}{slot.name}[{i}]/" if many else f"{prefix}{slot.name}/"
            _check_leaf(child, slot.spec, sub, rules, codes, out)


_EXT_NAME = FieldSpec(name="name", attr="name", kind="str", required=True, max_len=30, zh="扩展报文名称")
_EXT_VERSION = FieldSpec(name="version", attr="version", kind="str", required=True, max_len=30, zh="扩展报文版本")
_EXT_NODE = NodeSpec(name="ExtendMessage", fields=(_EXT_NAME, _EXT_VERSION))


def _check_extend(el, out: list[Issue]) -> None:
    slots = [_Slot(_NS + "name", "name", 1, 1, "field", _EXT_NAME),
             _Slot(_NS + "version", "version", 1, 1, "field", _EXT_VERSION),
             _Slot(_NS + "Message", "Message", 1, 1, "node")]
    for slot, got in _match(el, slots, "ExtendMessage/", out):
        if got and slot.kind == "field":
            check_value(slot.spec, got[0].text or "", f"ExtendMessage/{slot.name}", rules=False, codes=False, out=out)
        elif got and len(_elements(got[0])) > 1:
            out.append(issue(IssueCode.ELEMENT_TOO_MANY, "ExtendMessage/Message", None,
                             "Message节点最多含一个子节点", "ExtendMessage/Message holds at most one element"))


def check_root(root) -> tuple[MessageSpec | None, list[Issue]]:
    """The definition matching the root element, or an issue saying why there is none."""
    q = etree.QName(root)
    spec = BY_ROOT.get(q.localname)
    if q.namespace != CEB_NS:
        where = q.namespace or "无命名空间"
        return None, [issue(IssueCode.ROOT_NAMESPACE, q.localname, q.namespace,
                            f"根节点{q.localname}的命名空间应为{CEB_NS}，实际为{where}",
                            f"root {q.localname} must be in namespace {CEB_NS}, got {q.namespace or 'none'}")]
    if spec is None:
        return None, [issue(IssueCode.ROOT_UNKNOWN, q.localname, q.localname,
                            f"未知的报文根节点{q.localname}（应为CEBnnnMessage）",
                            f"unknown root element {q.localname} (expected a CEBnnnMessage)")]
    return spec, []


def check_tree(root, spec: MessageSpec, *, rules: bool = True, codes: bool = True,
               max_records: int = DEFAULT_MAX_RECORDS) -> list[Issue]:
    """Walk a whole document in Python and return every structural and per-field issue."""
    out: list[Issue] = []
    for attr, lo, hi in (("guid", 36, 36), ("version", 1, 10)):
        value = root.get(attr)
        if value is None:
            out.append(issue(IssueCode.ATTR_MISSING, f"@{attr}", None, f"根节点缺少{attr}属性",
                             f"root attribute {attr} is missing"))
        elif lo == hi and len(value) != lo:
            out.append(issue(IssueCode.FIELD_LENGTH, f"@{attr}", value, f"{attr}长度应为{lo}位，实际{len(value)}位",
                             f"{attr} must be exactly {lo} characters, got {len(value)}"))
        elif not lo <= len(value) <= hi:
            out.append(issue(IssueCode.FIELD_TOO_LONG if len(value) > hi else IssueCode.FIELD_TOO_SHORT, f"@{attr}",
                             value, f"{attr}长度应为{lo}至{hi}位", f"{attr} must be {lo} to {hi} characters"))
    rec = spec.record
    limit = spec.records_max if spec.records_max is not None else None
    if max_records is not None and (limit is None or max_records < limit):
        limit = max_records
    slots = [_Slot(_NS + rec.name, rec.name, spec.records_min, limit, "records", rec)]
    if spec.base_transfer is not None:
        slots.append(_Slot(_NS + "BaseTransfer", "BaseTransfer", 1, 1, "node", spec.base_transfer))
        slots.append(_Slot(_NS + "BaseSubscribe", "BaseSubscribe", 0, 5, "node", spec.base_subscribe))
        sig = _Slot(_DS_SIG, "ds:Signature", 1 if spec.signature == "required" else 0, 1, "signature")
        ext = _Slot(_NS + "ExtendMessage", "ExtendMessage", 0, 1, "extend")
        slots += [ext, sig] if spec.direction == "import" else [sig, ext]
    matched = _match(root, slots, "", out)
    for slot, got in matched:
        if slot.kind == "records":
            if slot.hi is not None and len(got) > slot.hi:
                # re-label: more business records than allowed
                out[:] = [i for i in out if not (i.code == IssueCode.ELEMENT_TOO_MANY and i.path.startswith(rec.name + "["))]
                out.append(issue(IssueCode.RECORDS_TOO_MANY, rec.name, str(len(got)),
                                 f"业务记录{rec.name}最多{slot.hi}条，实际{len(got)}条",
                                 f"at most {slot.hi} {rec.name} records per message, got {len(got)}"))
            for i, child in enumerate(got[: slot.hi] if slot.hi else got, 1):
                _check_record(child, rec, f"{rec.name}[{i}]/", rules, codes, out)
        elif slot.kind == "node":
            for i, child in enumerate(got[: slot.hi], 1):
                sub = f"{slot.name}[{i}]/" if slot.hi > 1 else f"{slot.name}/"
                _check_leaf(child, slot.spec, sub, rules, codes, out)
        elif slot.kind == "extend" and got:
            _check_extend(got[0], out)
    return out


def schema_issues(schema: etree.XMLSchema) -> list[Issue]:
    """Fallback: the raw lxml error log as issues (used only if the Python walk found nothing)."""
    return [issue(IssueCode.SCHEMA_OTHER, e.path or "", None, e.message, e.message) for e in schema.error_log]


def count_records(root, spec: MessageSpec) -> int:
    """The number of business records (direct children named like the record) of a document."""
    tag = _NS + spec.record.name
    return sum(1 for c in root if c.tag == tag)


def validate_tree(root, spec: MessageSpec, *, rules: bool = True, codes: bool = True,
                  max_records: int = DEFAULT_MAX_RECORDS, defer_codes: bool = False,
                  records: int | None = None) -> list[Issue]:
    """All issues of a parsed document: C-speed gate first, the Python walk only when it fails.

    ``defer_codes``: the caller checks the code tables on the model (:func:`check_codes`, much
    faster than XSD enumerations) when the document passes; a failing document still gets them.
    ``records``: the :func:`count_records` of ``root`` when the caller has it already.
    """
    n = records if records is not None else count_records(root, spec) if max_records is not None else 0
    schema = schema_for(spec, rules=rules, codes=codes and not defer_codes)
    if schema.validate(root) and (max_records is None or n <= max_records):
        return []
    found = check_tree(root, spec, rules=rules, codes=codes, max_records=max_records)
    return found or schema_issues(schema)


# ---- cross-field rules (on the model) -------------------------------------------------------------

#: Records whose list lines are numbered 1..n (商品序号从1开始连续, spec field notes / −621027).
_GNUM_SEQUENTIAL = {"OrderList", "InventoryList", "DeliveryList", "ArrivalList", "DepartureList", "WayBillList"}
_SIGN_WHEN_DECLARED = {"CEB507", "CEB607"}  # export: "填写2时,Signature节点必须填写"


def check_rules(message) -> list[Issue]:
    """Cross-field rules of the specification that a schema cannot express."""
    out: list[Issue] = []
    spec = message.spec
    rec = spec.record
    for i, record in enumerate(message.records, 1):
        prefix = f"{rec.name}[{i}]/"
        head = record.head if rec.compound else record
        if head is None:
            continue
        if spec.type == "CEB311":
            _rule_actural_paid(head, prefix + f"{rec.head.name}/", out)
        if rec.compound and rec.items is not None and rec.items.name in _GNUM_SEQUENTIAL:
            nums = [item.gnum for item in record.items]
            if all(isinstance(n, int) for n in nums) and nums != list(range(1, len(nums) + 1)):
                out.append(issue(IssueCode.RULE_GNUM, prefix + f"{rec.items.name}/gnum", ",".join(map(str, nums)),
                                 "商品序号(gnum)应从1开始连续编号且不得重复",
                                 "gnum must number the lines 1, 2, 3 … without gaps or repeats"))
        if (spec.type in _SIGN_WHEN_DECLARED and getattr(head, "app_status", None) == "2"
                and message.signature is None and not any(i.code == IssueCode.SIGNATURE_MISSING for i in out)):
            out.append(issue(IssueCode.SIGNATURE_MISSING, "ds:Signature", None,
                             "业务状态为2(申报)时必须加签", "appStatus 2 (declare) requires a ds:Signature"))
    return out


def _rule_actural_paid(head, prefix: str, out: list[Issue]) -> None:
    parts = (head.goods_value, head.freight, head.tax_total, head.discount, head.actural_paid)
    if not all(isinstance(p, Decimal) for p in parts):
        return
    expected = head.goods_value + head.freight + head.tax_total - head.discount
    if expected != head.actural_paid:
        out.append(issue(IssueCode.RULE_AMOUNT, prefix + "acturalPaid", format(head.actural_paid, "f"),
                         f"实际支付金额应等于商品价格+运杂费+代扣税款-非现金抵扣金额（{format(expected, 'f')}）",
                         f"acturalPaid must equal goodsValue + freight + taxTotal - discount ({format(expected, 'f')})"))


# ---- code tables on the model (fast path) -----------------------------------------------------------

_CODED: dict[int, list[tuple[str, FieldSpec, frozenset]]] = {}


def _coded(node: NodeSpec) -> list[tuple[str, FieldSpec, frozenset]]:
    found = _CODED.get(id(node))
    if found is None:
        found = _CODED[id(node)] = [(f.attr, f, message_codes(f.table))
                                    for f in node.fields if f.table and f.fixed is None]
    return found


def _codes_leaf(rec, node: NodeSpec, prefix: str, out: list[Issue]) -> None:
    for attr, f, allowed in _coded(node):
        value = getattr(rec, attr)
        if value and value not in allowed:
            check_value(f, value, prefix + f.name, rules=True, codes=True, out=out)


def check_codes(message) -> list[Issue]:
    """Customs code-table issues of a message model (records only; envelopes carry no codes)."""
    out: list[Issue] = []
    rec = message.spec.record
    for i, record in enumerate(message.records, 1):
        prefix = f"{rec.name}[{i}]/"
        if not rec.compound:
            _codes_leaf(record, rec, prefix, out)
            continue
        if record.head is not None:
            _codes_leaf(record.head, rec.head, f"{prefix}{rec.head.name}/", out)
        if rec.items is not None and _coded(rec.items):
            for k, item in enumerate(record.items, 1):
                _codes_leaf(item, rec.items, f"{prefix}{rec.items.name}[{k}]/", out)
    return out


# ---- the same checks on the lxml document (parse fast path, no model needed) ------------------------
#
# A document that passed the generated schema is screened with a few compiled XPath expressions
# (plain strings back, no Python objects per element). The screen may raise a false alarm but never
# misses: every value the model would hold is among the strings it sees. On an alarm the caller
# builds the model and runs the exact checks above (check_codes / check_rules), so the issues
# reported are always those of the model.

_XP_NS = {"ceb": CEB_NS, "ds": DS_NS}


class _Screen:
    """The compiled screen of one message type."""

    __slots__ = ("codes", "amounts", "gnum", "signature")

    def __init__(self, spec: MessageSpec):
        rec = spec.record
        # (XPath -> texts of every coded field of one table, allowed codes); text() lists every text
        # node of the element, so it includes the element's .text that the model keeps
        by_table: dict[str, list[str]] = {}
        nodes = [(f"ceb:{rec.name}/ceb:{rec.head.name}", rec.head)] if rec.compound else [(f"ceb:{rec.name}", rec)]
        if rec.compound and rec.items is not None:
            nodes.append((f"ceb:{rec.name}/ceb:{rec.items.name}", rec.items))
        for path, node in nodes:
            for _attr, f, _allowed in _coded(node):
                if f.kind != "str":  # pragma: no cover - the definitions put tables on strings only
                    raise ValueError(f"code table on non-string field {node.name}/{f.name}")
                by_table.setdefault(f.table, []).append(f"{path}/ceb:{f.name}/text()")
        self.codes = [(etree.XPath(" | ".join(paths), namespaces=_XP_NS, smart_strings=False),
                       message_codes(name)) for name, paths in by_table.items()]
        # CEB311: the five amounts of every OrderHead (all mandatory), in document = definition order
        self.amounts = None
        if spec.type == "CEB311":
            wanted = ("goodsValue", "freight", "taxTotal", "discount", "acturalPaid")
            names = [f.name for f in rec.head.fields if f.name in wanted]
            xp = etree.XPath(" | ".join(f"ceb:{rec.name}/ceb:{rec.head.name}/ceb:{n}/text()" for n in names),
                             namespaces=_XP_NS, smart_strings=False)
            self.amounts = (xp, tuple(names.index(n) for n in wanted), len(names))
        # lists numbered 1..n: any line whose gnum text is not its position among its siblings
        self.gnum = None
        if rec.compound and rec.items is not None and rec.items.name in _GNUM_SEQUENTIAL:
            self.gnum = etree.XPath(f"boolean(ceb:{rec.name}/ceb:{rec.items.name}[ceb:gnum/text()[1] != position()])",
                                    namespaces=_XP_NS)
        self.signature = spec.type in _SIGN_WHEN_DECLARED

    def suspicious(self, root, records: int, *, codes: bool) -> bool:
        """True when the exact model checks might find something (False: they certainly find nothing)."""
        if codes:
            for xp, allowed in self.codes:
                if not allowed.issuperset(xp(root)):
                    return True
        if self.gnum is not None and self.gnum(root):
            return True
        if self.signature and root.find(_DS_SIG) is None:
            return True
        if self.amounts is not None:
            xp, (gv, fr, tt, di, ap), n = self.amounts
            texts = xp(root)
            if len(texts) != n * records:
                return True  # e.g. a comment splitting a number: let the model decide
            dec = Decimal
            try:
                for k in range(0, len(texts), n):
                    a = texts[k:k + n]
                    # the same arithmetic as _rule_actural_paid on the model
                    if dec(a[gv]) + dec(a[fr]) + dec(a[tt]) - dec(a[di]) != dec(a[ap]):
                        return True
            except ArithmeticError:
                return True
        return False


_screens = threading.local()  # compiled XPath objects per thread, like the schemas of xsdgen


def tree_needs_model_checks(root, spec: MessageSpec, records: int, *, codes: bool) -> bool:
    """Screen a schema-valid document for code-table and cross-field issues without building the model.

    ``records`` is the number of business records (as counted by :func:`count_records`). ``False``
    means :func:`check_codes` (when ``codes``) and :func:`check_rules` would return nothing for the
    model of this document; ``True`` means they might (build the model and run them).
    """
    cache = getattr(_screens, "cache", None)
    if cache is None:
        cache = _screens.cache = {}
    screen = cache.get(spec.type)
    if screen is None:
        screen = cache[spec.type] = _Screen(spec)
    return screen.suspicious(root, records, codes=codes)


def clear_code_cache() -> None:
    """Forget the code sets and (this thread's) parse screens, e.g. after the code tables changed; see also
    ``xsdgen.clear_cache``."""
    _CODED.clear()
    _screens.cache = {}
