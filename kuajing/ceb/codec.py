"""parse(bytes) -> Message and build(Message) -> bytes (报文解析与生成)."""

from __future__ import annotations

import keyword
from copy import deepcopy
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from kuajing.ceb.issues import CebError, Issue, IssueCode
from kuajing.ceb.messages import MESSAGES, spec_of
from kuajing.ceb.models import CompoundRecord, ExtendMessage, Message, ParsedMessage, Record, class_for
from kuajing.ceb.spec import CEB_NS, DS_NS, FieldSpec, MessageSpec, NodeSpec
from kuajing.ceb.validate import (
    DEFAULT_MAX_RECORDS,
    check_codes,
    check_root,
    check_rules,
    count_records,
    issue,
    tree_needs_model_checks,
    validate_tree,
)
from kuajing.ceb.xml import DEFAULT_MAX_BYTES, safe_parse

_NS = f"{{{CEB_NS}}}"
_DS_SIG = f"{{{DS_NS}}}Signature"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

# per node: {namespaced tag: (attr, converter or None for text)}; built once
_READ: dict[int, dict[str, tuple[str, object]]] = {}


def _to_decimal(text: str):
    if not text:
        return text
    try:
        return Decimal(text)
    except ArithmeticError:
        return text  # kept as text; validation reports it


def _to_int(text: str):
    if not text:
        return text
    try:
        return int(text)
    except ValueError:
        return text


_CONVERTERS = {"str": None, "dec": _to_decimal, "int": _to_int}


def _reader(node: NodeSpec) -> dict[str, tuple[str, object]]:
    r = _READ.get(id(node))
    if r is None:
        r = _READ[id(node)] = {_NS + f.name: (f.attr, _CONVERTERS[f.kind]) for f in node.fields}
    return r


def _read_leaf(el, node: NodeSpec):
    reader = _reader(node)
    get = reader.get
    kw = {}
    for child in el:
        spec = get(child.tag)
        if spec is not None:
            attr, conv = spec
            text = child.text or ""
            kw[attr] = text if conv is None else conv(text)
    return class_for(node)(**kw)


def _read_record(el, node: NodeSpec):
    if not node.compound:
        return _read_leaf(el, node)
    head_tag = _NS + node.head.name
    items_node = node.items
    items_tag = _NS + items_node.name if items_node is not None else None
    head = None
    items = []
    append = items.append
    for child in el:
        tag = child.tag
        if tag == items_tag:
            append(_read_leaf(child, items_node))
        elif tag == head_tag and head is None:
            head = _read_leaf(child, node.head)
    return class_for(node)(head=head, items=items)


def _detach(el):
    """A standalone copy of ``el`` without the namespace declarations it inherited but does not use."""
    copy = deepcopy(el)
    copy.tail = None
    etree.cleanup_namespaces(copy)
    return copy


def to_message(root, spec: MessageSpec) -> Message:
    """Turn a parsed root element into a :class:`Message` (no validation; unknown parts ignored)."""
    rec = spec.record
    rec_tag = _NS + rec.name
    msg = Message(message_type=spec.type, guid=root.get("guid"), version=root.get("version"))
    records = msg.records
    for child in root:
        tag = child.tag
        if tag == rec_tag:
            records.append(_read_record(child, rec))
        elif tag == _NS + "BaseTransfer" and spec.base_transfer is not None and msg.base_transfer is None:
            msg.base_transfer = _read_leaf(child, spec.base_transfer)
        elif tag == _NS + "BaseSubscribe" and spec.base_subscribe is not None:
            msg.base_subscribes.append(_read_leaf(child, spec.base_subscribe))
        elif tag == _NS + "ExtendMessage":
            name = child.find(_NS + "name")
            version = child.find(_NS + "version")
            body = child.find(_NS + "Message")
            content = None
            if body is not None:
                kids = [c for c in body if isinstance(c.tag, str)]
                content = _detach(kids[0]) if kids else None
            msg.extend_message = ExtendMessage(
                name=name.text or "" if name is not None else "",
                version=version.text or "" if version is not None else "",
                content=content,
            )
        elif tag == _DS_SIG:
            msg.signature = _detach(child)
    return msg


def parse(data: bytes, *, validate: bool = True, rules: bool = True, codes: bool = True,
          max_bytes: int = DEFAULT_MAX_BYTES, max_records: int = DEFAULT_MAX_RECORDS,
          expect: str | None = None) -> Message:
    """Parse and (by default) validate one CEB message; raise :class:`CebError` listing every issue."""
    root = safe_parse(data, max_bytes=max_bytes)
    spec, found = check_root(root)
    if spec is None:
        raise CebError(found)
    if expect is not None and spec.type != spec_of(expect).type:
        raise CebError([issue(IssueCode.ROOT_TYPE, spec.root, spec.type,
                              f"报文类型应为{spec_of(expect).type}，实际为{spec.type}",
                              f"expected a {spec_of(expect).type} message, got {spec.type}")])
    if validate:
        n = count_records(root, spec)
        found = validate_tree(root, spec, rules=rules, codes=codes, max_records=max_records, defer_codes=True,
                              records=n)
        if found:
            raise CebError(found)
        if rules and tree_needs_model_checks(root, spec, n, codes=codes):
            msg = to_message(root, spec)
            found = _model_checks(msg, codes=codes)
            if found:
                raise CebError(found)
            return msg
    # the document is valid: records are built from it on first access
    return ParsedMessage.deferred(root, spec, to_message)


def _model_checks(msg: Message, *, codes: bool) -> list[Issue]:
    """Code tables (when ``codes``) and cross-field rules, on a model whose document passed the gate."""
    found = check_codes(msg) if codes else []
    return found + check_rules(msg)


# ---- build --------------------------------------------------------------------------------------

def _text(f: FieldSpec, value) -> str:
    if isinstance(value, Decimal):
        text = str(value)
        if "E" in text:
            text = format(value, "f")
    elif isinstance(value, bool):
        raise TypeError(f"{f.name}: booleans are not CEB values")
    else:
        text = str(value)
    if f.cdata:
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return escape(text, {"\r": "&#13;"})
    return text


# per node: a writer function generated once from the definition (straight-line code, one branch per
# field: no per-field loop, lookups or tuple unpacking on the hot path of build())
_WRITE: dict[int, object] = {}


def _compile_writer(node: NodeSpec):
    open_, close = f"<ceb:{node.name}>", f"</ceb:{node.name}>"
    lines = ["def write(rec, append):", f"    append({open_!r})"]
    for i, f in enumerate(node.fields):
        if not f.attr.isidentifier() or keyword.iskeyword(f.attr) or not f.name.isalnum():
            raise ValueError(f"unusable field name {f.name!r}")  # pragma: no cover - definitions are ours
        o, c = repr(f"<ceb:{f.name}>"), repr(f"</ceb:{f.name}>")
        lines += [f"    v = rec.{f.attr}", "    if v is not None:"]
        if f.kind == "str" and not f.cdata:
            lines += ["        if v.__class__ is str and '&' not in v and '<' not in v and '>' not in v "
                      "and '\\r' not in v:",
                      f"            append({o} + v + {c})",
                      "        else:",
                      f"            append({o} + text(fields[{i}], v) + {c})"]
        elif f.kind == "int":
            lines += ["        if v.__class__ is int:",
                      f"            append({o} + str(v) + {c})",
                      "        else:",
                      f"            append({o} + text(fields[{i}], v) + {c})"]
        else:
            lines.append(f"        append({o} + text(fields[{i}], v) + {c})")
    lines.append(f"    append({close!r})")
    scope = {"text": _text, "fields": node.fields}
    exec(compile("\n".join(lines), f"<ceb writer {node.name}>", "exec"), scope)  # source built above from our definitions
    return scope["write"]


def _write_leaf(rec, node: NodeSpec, out: list[str]) -> None:
    write = _WRITE.get(id(node))
    if write is None:
        write = _WRITE[id(node)] = _compile_writer(node)
    write(rec, out.append)


def _write_record(rec, node: NodeSpec, out: list[str]) -> None:
    if not node.compound:
        _write_leaf(rec, node, out)
        return
    out.append(f"<ceb:{node.name}>")
    if rec.head is not None:
        _write_leaf(rec.head, node.head, out)
    if node.items is not None:
        for item in rec.items:
            _write_leaf(item, node.items, out)
    out.append(f"</ceb:{node.name}>")


def _raw(el) -> str:
    return etree.tostring(el, encoding="unicode", with_tail=False)


def _check_types(message: Message, spec: MessageSpec) -> None:
    rec_cls = class_for(spec.record)
    for i, rec in enumerate(message.records, 1):
        if not isinstance(rec, rec_cls):
            raise CebError([issue(IssueCode.SCHEMA_OTHER, f"{spec.record.name}[{i}]", type(rec).__name__,
                                  f"第{i}条记录类型应为{rec_cls.__name__}",
                                  f"record {i} must be a {rec_cls.__name__}, got {type(rec).__name__}")])


def serialize_message(message: Message) -> bytes:
    """Write the message as UTF-8 XML with the ``ceb:`` prefix (no validation)."""
    spec = spec_of(message.message_type)
    _check_types(message, spec)
    out = [_XML_DECL, f'<ceb:{spec.root} guid={quoteattr(message.guid or "")} '
                      f'version={quoteattr(message.version or "")} xmlns:ceb="{CEB_NS}">']
    for rec in message.records:
        _write_record(rec, spec.record, out)
    if spec.base_transfer is not None:
        if message.base_transfer is not None:
            _write_leaf(message.base_transfer, spec.base_transfer, out)
        for sub in message.base_subscribes:
            _write_leaf(sub, spec.base_subscribe, out)
        ext = ""
        if message.extend_message is not None:
            e = message.extend_message
            body = _raw(e.content) if e.content is not None else ""
            ext = (f"<ceb:ExtendMessage><ceb:name>{escape(e.name)}</ceb:name><ceb:version>{escape(e.version)}"
                   f"</ceb:version><ceb:Message>{body}</ceb:Message></ceb:ExtendMessage>")
        sig = ""
        if message.signature is not None:
            sig = message.signature if isinstance(message.signature, str) else (
                message.signature.decode() if isinstance(message.signature, bytes) else _raw(message.signature))
        out.append(ext + sig if spec.direction == "import" else sig + ext)
    out.append(f"</ceb:{spec.root}>")
    return "".join(out).encode("utf-8")


def build(message: Message, *, validate: bool = True, rules: bool = True, codes: bool = True,
          max_records: int = DEFAULT_MAX_RECORDS) -> bytes:
    """Serialise ``message`` and (by default) validate the result; raise :class:`CebError` on any issue."""
    data = serialize_message(message)
    if validate:
        found = _validate_serialized(data, message, rules=rules, codes=codes, max_records=max_records)
        if found:
            raise CebError(found)
    return data


def _validate_serialized(data: bytes, message: Message, *, rules: bool, codes: bool, max_records: int) -> list[Issue]:
    """Validate bytes we just wrote from ``message`` (cross-field rules run on the model itself)."""
    root = safe_parse(data, max_bytes=max(len(data), DEFAULT_MAX_BYTES))
    found = validate_tree(root, message.spec, rules=rules, codes=codes, max_records=max_records, defer_codes=True)
    if not found and rules:
        found = _model_checks(message, codes=codes)
    return found


def validate_bytes(data: bytes, *, rules: bool = True, codes: bool = True, max_bytes: int = DEFAULT_MAX_BYTES,
                   max_records: int = DEFAULT_MAX_RECORDS) -> list[Issue]:
    """Every issue of a serialised message (empty list = valid)."""
    try:
        root = safe_parse(data, max_bytes=max_bytes)
    except CebError as exc:
        return exc.issues
    spec, found = check_root(root)
    if spec is None:
        return found
    n = count_records(root, spec)
    found = validate_tree(root, spec, rules=rules, codes=codes, max_records=max_records, defer_codes=True,
                          records=n)
    if not found and rules and tree_needs_model_checks(root, spec, n, codes=codes):
        found = _model_checks(to_message(root, spec), codes=codes)
    return found


def validate(message: Message | bytes, *, rules: bool = True, codes: bool = True,
             max_records: int = DEFAULT_MAX_RECORDS) -> list[Issue]:
    """Every issue of a message object or of serialised bytes (empty list = valid)."""
    if isinstance(message, (bytes, bytearray)):
        return validate_bytes(bytes(message), rules=rules, codes=codes, max_records=max_records)
    try:
        data = serialize_message(message)
    except CebError as exc:
        return exc.issues
    return _validate_serialized(data, message, rules=rules, codes=codes, max_records=max_records)


__all__ = ["build", "parse", "serialize_message", "to_message", "validate", "validate_bytes", "MESSAGES",
           "Record", "CompoundRecord"]
