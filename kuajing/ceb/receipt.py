"""Receipts (回执): answer a declaration record with the right receipt, and CEB900 format receipts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from kuajing.ceb.issues import Issue
from kuajing.ceb.messages import BY_ROOT, RECEIPT_OF, spec_of
from kuajing.ceb.models import Message, class_for, new_guid

SHANGHAI = ZoneInfo("Asia/Shanghai")
_RETURN_FIELDS = ("returnStatus", "returnTime", "returnInfo")


def return_time(when: datetime | str) -> str:
    """``when`` as yyyyMMddHHmmssSSS in Asia/Shanghai (aware datetimes are converted; strings pass through)."""
    if isinstance(when, str):
        return when
    if when.tzinfo is not None:
        when = when.astimezone(SHANGHAI)
    return when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"


def receipt_for(message_type: str, record, status: str | int, info: str, when: datetime | str,
                *, guid: str | None = None, **keys) -> Message:
    """The receipt message (CEB312 for CEB311 …) answering one declaration ``record``.

    Key fields are copied from the record (its head for head + list records); ``keys`` (snake_case
    or camelCase, e.g. ``pre_no=…``, ``invt_no=…``) supplies or overrides those the record lacks.
    """
    decl = spec_of(message_type)
    receipt_type = RECEIPT_OF.get(decl.type)
    if receipt_type is None:
        raise ValueError(f"{decl.type} is not a declaration answered by a receipt")
    rspec = spec_of(receipt_type)
    source = record.head if decl.record.compound else record
    given = {}
    for key, value in keys.items():
        f = rspec.record.by_name.get(key)
        given[f.attr if f else key] = value
    values = {}
    for f in rspec.record.fields:
        if f.name in _RETURN_FIELDS:
            continue
        if f.attr in given:
            values[f.attr] = given.pop(f.attr)
            continue
        src = source._spec.by_name.get(f.name)
        if src is not None:
            value = getattr(source, src.attr)
            if value is not None:
                values[f.attr] = value
    if given:
        raise TypeError(f"{receipt_type} has no field(s) {', '.join(sorted(given))}")
    values.update(return_status=str(status), return_time=return_time(when), return_info=info)
    return Message(message_type=receipt_type, guid=guid or new_guid(),
                   records=[class_for(rspec.record)(**values)])


def to_ceb900(issues: list[Issue], *, original: bytes, when: datetime | str, ori_cop_msg_id: str = "",
              ori_message_type: str | None = None, guid: str | None = None) -> Message:
    """A CEB900 format-check receipt (报文格式校验回执) reporting ``issues`` about ``original``.

    ``returnStatus`` is the negated official DXP format code of the first issue that has one
    (0001 -> "-1" malformed, 0002 -> "-2" schema, 0999 -> "-999" other); business-rule issues
    alone give "-2".
    """
    codes = [i.dxp_code for i in issues if i.dxp_code]
    status = f"-{int(codes[0])}" if codes else "-2"
    info = "；".join(f"[{i.code}] {i.path}: {i.message_zh}" if i.path else f"[{i.code}] {i.message_zh}"
                    for i in issues)
    if len(info) > 5000:
        info = info[:4997] + "..."
    if ori_message_type is None:
        ori_message_type = _root_name(original)
    text = original.decode("utf-8", errors="replace")
    cls = class_for(spec_of("CEB900").record)
    rec = cls(guid=guid or new_guid(), return_status=status, return_info=info, return_time=return_time(when),
              ori_cop_msg_id=ori_cop_msg_id[:255], ori_message_type=ori_message_type[:15], ori_biz_message=text)
    return Message(message_type="CEB900", guid=rec.guid, records=[rec])


def _root_name(original: bytes) -> str:
    """The root element name of ``original`` when it is a known CEB message, else "Unknown"."""
    try:
        parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
        parser.feed(original[:4096])
        for _, el in parser.read_events():
            name = etree.QName(el).localname
            return name if name in BY_ROOT else "Unknown"
    except etree.XMLSyntaxError:
        pass
    return "Unknown"
