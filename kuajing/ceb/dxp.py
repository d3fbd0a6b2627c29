"""The DXP terminal envelope (终端节点报文 DxpMsg, message spec ch.4; xsd/ceb-terminal-node-202205.xsd).

``wrap`` puts a CEB message (bytes, kept byte-for-byte so its signature survives) base64-encoded into
Data under TransInfo (CopMsgId, SenderId, ReceiverIds/ReceiverId 1..5, CreatTime, MsgType); ``unwrap``
reads one back (also from inside a transfer-node DxpMsgSv). Parsing is hardened (no DTD, no entities,
no network, size limit).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from kuajing.ceb.signing.xmlsafe import DEFAULT_MAX_BYTES, UnsafeXmlError, parse_xml

DXP_NS = "http://www.chinaport.gov.cn/dxp"
_D = f"{{{DXP_NS}}}"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
# China Standard Time has had no daylight saving since 1991: a fixed offset avoids needing tzdata.
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
MAX_RECEIVERS = 5

__all__ = ["DXP_NS", "DxpEnvelope", "DxpError", "UnsafeXmlError", "unwrap", "wrap"]


class DxpError(ValueError):
    """An envelope that cannot be built or read (bad ids, not a DxpMsg, bad base64 ...)."""


@dataclass(frozen=True)
class DxpEnvelope:
    """A read DxpMsg (终端节点报文): TransInfo (终端信息), the carried message and optional AddInfo."""

    msg_type: str  # 报文类型, e.g. CEB311Message
    sender_id: str  # 发送方 DXP id
    receiver_ids: tuple[str, ...]  # 接收方 DXP ids
    cop_msg_id: str  # 发送方内部报文 ID
    created: dt.datetime  # 原始报文创建时间, aware (Asia/Shanghai when the envelope gives no offset)
    data: bytes  # 待传输数据: the CEB message bytes
    file_name: str | None = None
    ic_card: str | None = None
    biz_keys: dict[str, str] = field(default_factory=dict)
    signed: bool = False  # the envelope itself carries a ds:Signature


def _text_id(value: str, *, name: str, max_len: int, min_len: int = 1) -> str:
    if not isinstance(value, str):
        raise DxpError(f"{name} must be text")
    value = value.strip()
    if not (min_len <= len(value) <= max_len):
        raise DxpError(f"{name} must be {min_len}..{max_len} characters, got {len(value)}")
    return value


def _creat_time(created: dt.datetime | None) -> str:
    value = created or dt.datetime.now(SHANGHAI)
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI)
    return value.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _D + name)
    if text is not None:
        element.text = text
    return element


def wrap(
    message_xml: bytes,
    *,
    sender_id: str,
    receiver_ids: str | Iterable[str],
    msg_type: str | None = None,
    cop_msg_id: str | None = None,
    copy_msg_id: str | None = None,
    msg_id: str | None = None,
    created: dt.datetime | None = None,
    file_name: str | None = None,
    ic_card: str | None = None,
    biz_keys: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Build a DxpMsg around ``message_xml``; msg_type defaults to its root name, CopMsgId to a new UUID.

    ``copy_msg_id`` and ``msg_id`` are accepted spellings of ``cop_msg_id`` (CopMsgId).
    """
    ids = {v for v in (cop_msg_id, copy_msg_id, msg_id) if v is not None}
    if len(ids) > 1:
        raise DxpError("give CopMsgId once (cop_msg_id, copy_msg_id and msg_id name the same field)")
    message_root = parse_xml(message_xml, max_bytes=max_bytes).getroot()
    receivers = [receiver_ids] if isinstance(receiver_ids, str) else list(receiver_ids)
    if not 1 <= len(receivers) <= MAX_RECEIVERS:
        raise DxpError(f"ReceiverIds needs 1..{MAX_RECEIVERS} ReceiverId, got {len(receivers)}")

    root = etree.Element(_D + "DxpMsg", {"ver": "1.0"}, nsmap={"dxp": DXP_NS})
    trans = _sub(root, "TransInfo")
    _sub(trans, "CopMsgId", _text_id(ids.pop() if ids else str(uuid.uuid4()).upper(), name="CopMsgId",
                                     max_len=255))
    _sub(trans, "SenderId", _text_id(sender_id, name="SenderId", max_len=16))
    receivers_el = _sub(trans, "ReceiverIds")
    for receiver in receivers:
        _sub(receivers_el, "ReceiverId", _text_id(receiver, name="ReceiverId", max_len=16))
    _sub(trans, "CreatTime", _creat_time(created))
    _sub(trans, "MsgType", _text_id(msg_type or etree.QName(message_root).localname, name="MsgType",
                                    max_len=30, min_len=0))
    _sub(root, "Data", base64.b64encode(bytes(message_xml)).decode("ascii"))
    if file_name or ic_card or biz_keys:
        add = _sub(root, "AddInfo")
        if file_name:
            _sub(add, "FileName", _text_id(file_name, name="FileName", max_len=255))
        if ic_card:
            _sub(add, "IcCard", _text_id(ic_card, name="IcCard", max_len=13))
        if biz_keys:
            if len(biz_keys) > 5:
                raise DxpError("BizKey holds at most 5 Key entries")
            keys = _sub(add, "BizKey")
            for name, value in biz_keys.items():
                key = _sub(keys, "Key", _text_id(value, name="Key", max_len=64))
                key.set("name", _text_id(name, name="Key/@name", max_len=32))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DxpError(f"CreatTime {text!r} is not yyyy-mm-ddThh:mm:ss") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


def _required(parent: etree._Element, name: str) -> str:
    element = parent.find(_D + name)
    if element is None or element.text is None or not element.text.strip():
        raise DxpError(f"DxpMsg lacks {name}")
    return element.text.strip()


def unwrap(envelope: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DxpEnvelope:
    """Read a DxpMsg (or the DxpMsg inside a DxpMsgSv); DxpError/UnsafeXmlError when it is not one."""
    root = parse_xml(envelope, max_bytes=max_bytes).getroot()
    if root.tag == _D + "DxpMsgSv":
        inner = root.find(_D + "DxpMsg")
        if inner is None:
            raise DxpError("DxpMsgSv holds no DxpMsg")
        root = inner
    if root.tag != _D + "DxpMsg":
        raise DxpError(f"not a DxpMsg envelope: root is {root.tag}")
    trans = root.find(_D + "TransInfo")
    if trans is None:
        raise DxpError("DxpMsg lacks TransInfo")
    receivers = tuple(
        (r.text or "").strip() for r in trans.findall(f"{_D}ReceiverIds/{_D}ReceiverId") if (r.text or "").strip()
    )
    if not receivers:
        raise DxpError("DxpMsg lacks ReceiverIds/ReceiverId")
    data_el = root.find(_D + "Data")
    if data_el is None:
        raise DxpError("DxpMsg lacks Data")
    encoded = "".join((data_el.text or "").split())
    if len(encoded) * 3 // 4 > max_bytes:
        raise UnsafeXmlError(f"Data is larger than the limit of {max_bytes} bytes")
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise DxpError(f"Data is not base64: {exc}") from exc
    add = root.find(_D + "AddInfo")
    biz_keys: dict[str, str] = {}
    file_name = ic_card = None
    if add is not None:
        file_name = add.findtext(_D + "FileName")
        ic_card = add.findtext(_D + "IcCard")
        for key in add.findall(f"{_D}BizKey/{_D}Key"):
            biz_keys[key.get("name", "")] = key.text or ""
    return DxpEnvelope(
        msg_type=(trans.findtext(_D + "MsgType") or "").strip(),
        sender_id=_required(trans, "SenderId"),
        receiver_ids=receivers,
        cop_msg_id=_required(trans, "CopMsgId"),
        created=_parse_time(_required(trans, "CreatTime")),
        data=data,
        file_name=file_name,
        ic_card=ic_card,
        biz_keys=biz_keys,
        signed=root.find(f"{{{DS_NS}}}Signature") is not None,
    )
