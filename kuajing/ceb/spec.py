"""The declarative message-definition language (报文定义) of the CEB layer.

Each record type is written once as a small table of lines, e.g.::

    orderNo      C1..60  M            # 订单编号
    goodsValue   N19,5   M            # 商品价格
    currency     C3      M =currency  # 币制
    appType      C1      M {1,2,3}    # 报送类型

Column 1 is the official camelCase element name, column 2 the data type in the notation of the
specification (``C36`` exactly 36 characters, ``C..18`` up to 18, ``C1..18`` 1 to 18, ``N19,5``
decimal with 19 total / 5 fraction digits, ``N9`` integer of at most 9 digits, ``INT`` a plain
``xs:int``, ``D8`` a date yyyyMMdd, ``T14`` a time yyyyMMddHHmmss, ``T17`` a time
yyyyMMddHHmmssSSS, ``C*`` a string of any length), column 3 ``M`` (mandatory) or ``O`` (optional). Optional extras:
``=table`` a customs code table of :mod:`kuajing.ceb.codes`, ``{a,b}`` an enumeration,
``!v`` a value fixed by the official XSD (checked even at structure level). The text
after ``#`` is the Chinese term. Nothing here is derived from the official XSD at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

CEB_NS = "http://www.chinaport.gov.cn/ceb"  # 海关跨境电商报文命名空间
DS_NS = "http://www.w3.org/2000/09/xmldsig#"  # 数字签名命名空间
UNBOUNDED = None

#: Formats of the time fields (时间格式) and the regular expressions that check them.
TIME_FORMATS: dict[str, tuple[str, str]] = {
    "D8": ("yyyyMMdd", r"\d{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"),
    "T14": ("yyyyMMddHHmmss", r"\d{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]"),
    "T17": (
        "yyyyMMddHHmmssSSS",
        r"\d{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9][0-9]{3}",
    ),
}


def snake(name: str) -> str:
    """The snake_case attribute name of an official camelCase element name (``POD`` -> ``pod``)."""
    if name.isupper():
        return name.lower()
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One leaf element (字段) of a record: its type, length, digits and allowed values."""

    name: str  # official camelCase element name
    attr: str  # snake_case attribute on the model
    kind: str  # "str" | "dec" | "int"
    required: bool
    min_len: int = 0
    max_len: int | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    time_format: str | None = None  # "D8" | "T14" | "T17"
    table: str | None = None  # customs code table name
    enum: tuple[str, ...] | None = None
    fixed: str | None = None  # value fixed by the official XSD (e.g. import currency 142)
    cdata: bool = False  # written as CDATA (CEB900 oriBizMessage)
    zh: str = ""  # Chinese term

    @property
    def python_type(self) -> type:
        """The Python type of the value on the model."""
        return {"str": str, "dec": Decimal, "int": int}[self.kind]


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """A complex element: either a leaf record (fields only) or a compound one (head + list)."""

    name: str  # official element name, e.g. "OrderHead" or "Order"
    zh: str = ""
    fields: tuple[FieldSpec, ...] = ()  # leaf record
    head: NodeSpec | None = None  # compound record: head node
    items: NodeSpec | None = None  # compound record: list node
    items_min: int = 1
    items_max: int | None = 99
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False, hash=False)

    @property
    def compound(self) -> bool:
        """True for a head + list record (e.g. Order = OrderHead + OrderList)."""
        return self.head is not None


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """A whole message (报文): root name, direction, record node and envelope rules."""

    type: str  # "CEB311"
    zh: str
    direction: str  # "import" | "export"
    kind: str  # "declaration" | "receipt" | "result"
    record: NodeSpec
    records_min: int = 1
    records_max: int | None = 100
    base_transfer: NodeSpec | None = None  # declarations only
    base_subscribe: NodeSpec | None = None
    extend_message: bool = False
    signature: str = "none"  # "none" | "optional" | "required"
    receipt_type: str | None = None  # the receipt answering this declaration

    @property
    def root(self) -> str:
        """The root element name, e.g. ``CEB311Message``."""
        return f"{self.type}Message"


_TYPE_RE = re.compile(r"^(?:C(\d+)|C(\d*)\.\.(\d+)|N(\d+),(\d+)|N(\d+)|INT|D8|T14|T17|C\*)$")


def parse_line(line: str, *, required_min: int) -> FieldSpec:
    """Parse one DSL line into a :class:`FieldSpec` (see module docstring)."""
    text, _, zh = line.partition("#")
    parts = text.split()
    if len(parts) < 3 or parts[2] not in ("M", "O"):
        raise ValueError(f"bad field line: {line!r}")
    name, typ, mo = parts[0], parts[1], parts[2]
    required = mo == "M"
    m = _TYPE_RE.match(typ)
    if not m:
        raise ValueError(f"bad type {typ!r} in line {line!r}")
    kw: dict = {}
    if typ in TIME_FORMATS:
        n = int(typ[1:])
        kw.update(kind="str", min_len=n, max_len=n, time_format=typ)
    elif typ == "INT":
        kw.update(kind="int")
    elif typ == "C*":
        kw.update(kind="str")
    elif m.group(1):
        n = int(m.group(1))
        kw.update(kind="str", min_len=n, max_len=n)
    elif m.group(3):
        lo = int(m.group(2)) if m.group(2) else (required_min if required else 0)
        kw.update(kind="str", min_len=lo, max_len=int(m.group(3)))
    elif m.group(4):
        kw.update(kind="dec", total_digits=int(m.group(4)), fraction_digits=int(m.group(5)))
    else:
        kw.update(kind="int", total_digits=int(m.group(6)))
    for extra in parts[3:]:
        if extra.startswith("="):
            kw["table"] = extra[1:]
        elif extra.startswith("{") and extra.endswith("}"):
            kw["enum"] = tuple(v for v in extra[1:-1].split(","))
        elif extra.startswith("!"):
            kw["fixed"] = extra[1:]
        elif extra == "cdata":
            kw["cdata"] = True
        else:
            raise ValueError(f"bad extra {extra!r} in line {line!r}")
    return FieldSpec(name=name, attr=snake(name), required=required, zh=zh.strip(), **kw)


def node(name: str, zh: str, table_text: str, *, required_min: int = 0) -> NodeSpec:
    """A leaf record node from a DSL table (``required_min`` = default min length of ``M`` C..n fields)."""
    fields = tuple(
        parse_line(line, required_min=required_min)
        for line in (raw.strip() for raw in table_text.strip().splitlines())
        if line and not line.startswith("#")
    )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate field in {name}")
    return NodeSpec(name=name, zh=zh, fields=fields, by_name={f.name: f for f in fields})


def compound(name: str, zh: str, head: NodeSpec, items: NodeSpec | None = None, *,
             items_min: int = 1, items_max: int | None = 99) -> NodeSpec:
    """A compound record node: ``head`` once, then ``items`` min..max times (or no list)."""
    return NodeSpec(name=name, zh=zh, head=head, items=items, items_min=items_min, items_max=items_max)
