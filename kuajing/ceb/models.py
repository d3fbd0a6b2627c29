"""Typed models (报文模型) generated once from the declarative definitions.

Every record node becomes a slotted dataclass whose attributes are the snake_case forms of the
official element names (``order_no`` for ``orderNo``); values are ``str``, ``Decimal`` or ``int``
(``None`` = element absent, ``""`` = element present but empty). The official camelCase name works
too: ``record["orderNo"]``. Compound records (Order = OrderHead + OrderList …) have ``head`` and
``items``.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field, fields, make_dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from kuajing.ceb.messages import MESSAGES, spec_of
from kuajing.ceb.messages.common import BASE_SUBSCRIBE, EXPORT_BASE_TRANSFER, IMPORT_BASE_TRANSFER
from kuajing.ceb.spec import MessageSpec, NodeSpec


def new_guid() -> str:
    """A fresh 36-character upper-case guid (系统唯一序号)."""
    return str(uuid.uuid4()).upper()


class Record:
    """Base of every leaf record: attribute access by snake_case, item access by camelCase."""

    __slots__ = ()
    _spec: NodeSpec

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, self._spec.by_name[name].attr)
        except KeyError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        try:
            setattr(self, self._spec.by_name[name].attr, value)
        except KeyError:
            raise KeyError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        """The value of the official element ``name`` (camelCase), or ``default``."""
        spec = self._spec.by_name.get(name)
        value = getattr(self, spec.attr) if spec else None
        return default if value is None else value

    def to_dict(self, *, camel: bool = True) -> dict[str, Any]:
        """The present fields as a dict keyed by official (or snake_case) names, in XSD order."""
        out = {}
        for f in self._spec.fields:
            value = getattr(self, f.attr)
            if value is not None:
                out[f.name if camel else f.attr] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build a record from a dict keyed by camelCase or snake_case names."""
        kwargs = {}
        for key, value in data.items():
            f = cls._spec.by_name.get(key)
            kwargs[f.attr if f else key] = value
        return cls(**kwargs)


class CompoundRecord:
    """Base of head + list records: ``head`` (a :class:`Record`) and ``items`` (a list of records)."""

    __slots__ = ()
    _spec: NodeSpec

    def to_dict(self, *, camel: bool = True) -> dict[str, Any]:
        """``{HeadName: {...}, ListName: [{...}, ...]}`` with official (or snake_case) names."""
        out: dict[str, Any] = {self._spec.head.name: self.head.to_dict(camel=camel)}
        if self._spec.items is not None:
            out[self._spec.items.name] = [i.to_dict(camel=camel) for i in self.items]
        return out


def _leaf_class(prefix: str, spec: NodeSpec) -> type:
    cls = make_dataclass(
        f"{prefix}{spec.name}",
        [(f.attr, f.python_type | str | None, field(default=None)) for f in spec.fields],
        bases=(Record,),
        slots=True,
        kw_only=True,
        eq=True,
    )
    cls._spec = spec
    cls.__doc__ = f"{spec.zh} ({spec.name})."
    return cls


def _compound_class(prefix: str, spec: NodeSpec, head_cls: type, item_cls: type | None) -> type:
    cls = make_dataclass(
        f"{prefix}{spec.name}",
        [("head", head_cls), ("items", list, field(default_factory=list))],
        bases=(CompoundRecord,),
        slots=True,
        kw_only=True,
    )
    cls._spec = spec
    cls.__doc__ = f"{spec.zh} ({spec.name} = {spec.head.name} + {spec.items.name if spec.items else '-'})."
    return cls


_CLASSES: dict[int, type] = {}
_BY_TYPE: dict[str, SimpleNamespace] = {}


def _register(prefix: str, spec: MessageSpec) -> SimpleNamespace:
    rec = spec.record
    if rec.compound:
        head = _leaf_class(prefix, rec.head)
        item = _leaf_class(prefix, rec.items) if rec.items else None
        record = _compound_class(prefix, rec, head, item)
        _CLASSES[id(rec.head)] = head
        if item:
            _CLASSES[id(rec.items)] = item
    else:
        head = item = None
        record = _leaf_class(prefix, rec)
    _CLASSES[id(rec)] = record
    return SimpleNamespace(record=record, head=head, item=item)


for _spec in MESSAGES.values():
    _BY_TYPE[_spec.type] = _register(_spec.type, _spec)

ImportBaseTransfer = _leaf_class("Import", IMPORT_BASE_TRANSFER)
ExportBaseTransfer = _leaf_class("Export", EXPORT_BASE_TRANSFER)
BaseSubscribe = _leaf_class("", BASE_SUBSCRIBE)
_CLASSES[id(IMPORT_BASE_TRANSFER)] = ImportBaseTransfer
_CLASSES[id(EXPORT_BASE_TRANSFER)] = ExportBaseTransfer
_CLASSES[id(BASE_SUBSCRIBE)] = BaseSubscribe


def class_for(spec: NodeSpec) -> type:
    """The model class of a node definition."""
    return _CLASSES[id(spec)]


def classes(message_type: str) -> SimpleNamespace:
    """The model classes of a message: ``.record``, ``.head`` and ``.item`` (the last two for compound)."""
    return _BY_TYPE[spec_of(message_type).type]


def BaseTransfer(*, direction: str, **values: Any):
    """A BaseTransfer (传输企业) block for ``direction`` ("import" or "export")."""
    cls = ImportBaseTransfer if direction == "import" else ExportBaseTransfer
    values.setdefault("dxp_mode", "DXP")
    return cls(**values)


@dataclass(slots=True, kw_only=True)
class ExtendMessage:
    """The optional custom extension block (扩展报文): name, version and free XML content."""

    name: str
    version: str
    content: Any = None  # an lxml element (the single child of ceb:Message) or None


@dataclass(slots=True, kw_only=True)
class Message:
    """A whole CEB message (报文): its type, root attributes, records and envelope blocks."""

    message_type: str  # "CEB311"
    records: list = field(default_factory=list)
    guid: str = field(default_factory=new_guid)  # 报文系统唯一序号 (36)
    version: str = "1.0"  # 报文版本号
    base_transfer: Any = None  # 传输企业 (declarations)
    base_subscribes: list = field(default_factory=list)  # 订阅信息 (0..5)
    extend_message: ExtendMessage | None = None  # 扩展报文
    signature: Any = None  # ds:Signature as an lxml element (kept verbatim)

    @property
    def spec(self) -> MessageSpec:
        """The message definition."""
        return spec_of(self.message_type)

    @property
    def root_name(self) -> str:
        """The root element name, e.g. ``CEB311Message``."""
        return f"{self.message_type}Message"


#: Message attributes a parsed message builds from its document on first access.
_LAZY_FIELDS = ("records", "base_transfer", "base_subscribes", "extend_message", "signature")


def _lazy_field(name: str) -> property:
    slot = Message.__dict__[name]  # the slot descriptor of the dataclass

    def get(self):
        if self._source is not None:
            self._materialise()
        return slot.__get__(self, Message)

    def set_(self, value):
        if self._source is not None:
            self._materialise()
        slot.__set__(self, value)

    return property(get, set_, doc=f"``{name}`` (built from the parsed document on first access).")


class ParsedMessage(Message):
    """A :class:`Message` returned by ``parse()``: its records and envelope blocks are built from the
    (already validated) lxml document on first access, so parsing does not pay for objects nobody reads.

    Behaves exactly like a :class:`Message` (``isinstance``, attributes, equality with a plain
    ``Message``, ``repr``); ``copy.copy``/``copy.deepcopy`` give a plain :class:`Message`.
    """

    __slots__ = ("_source",)

    def __init__(self, **kwargs: Any):
        self._source = None
        super().__init__(**kwargs)

    @classmethod
    def deferred(cls, root: Any, spec: MessageSpec, build) -> ParsedMessage:
        """A message over ``root`` whose lazy parts ``build(root, spec)`` (-> Message) makes when needed."""
        msg = cls.__new__(cls)
        msg._source = (root, spec, build)
        msg.message_type = spec.type
        msg.guid = root.get("guid")
        msg.version = root.get("version")
        return msg

    def _materialise(self) -> None:
        source = self._source
        if source is None:
            return
        root, spec, build = source
        full = build(root, spec)
        for name in _LAZY_FIELDS:
            Message.__dict__[name].__set__(self, getattr(full, name))
        self._source = None

    def to_message(self) -> Message:
        """A plain :class:`Message` with the same content."""
        return Message(**{f.name: getattr(self, f.name) for f in fields(Message)})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Message))

    __hash__ = None  # mutable, like Message

    def __repr__(self) -> str:
        return repr(self.to_message())

    def __copy__(self) -> Message:
        return copy.copy(self.to_message())

    def __deepcopy__(self, memo: dict) -> Message:
        return copy.deepcopy(self.to_message(), memo)


for _name in _LAZY_FIELDS:
    setattr(ParsedMessage, _name, _lazy_field(_name))
del _name


def decimal_or_text(text: str) -> Decimal | str:
    """``Decimal(text)`` or the text itself when it is not a number (kept for validation)."""
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


__all__ = [
    "BaseSubscribe", "BaseTransfer", "CompoundRecord", "ExportBaseTransfer", "ExtendMessage",
    "ImportBaseTransfer", "Message", "ParsedMessage", "Record", "class_for", "classes", "fields", "new_guid",
]
