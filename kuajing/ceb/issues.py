"""Validation issues (校验问题) and the error raised when a message is refused.

Every issue has a stable ``code`` (see :class:`IssueCode`), a ``path`` such as
``Order[3]/OrderList[2]/price``, the offending ``value`` and a message in Chinese and English.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class IssueCode(StrEnum):
    """Stable error codes of the CEB layer (documented in docs/error-codes.md)."""

    XML_TOO_LARGE = "CEB-XML-TOO-LARGE"  # 报文超过大小限制
    XML_MALFORMED = "CEB-XML-MALFORMED"  # XML格式错误
    XML_DOCTYPE = "CEB-XML-DOCTYPE"  # 禁止DOCTYPE/实体声明
    XML_ENCODING = "CEB-XML-ENCODING"  # 编码错误
    ROOT_UNKNOWN = "CEB-ROOT-UNKNOWN"  # 未知的根节点
    ROOT_NAMESPACE = "CEB-ROOT-NAMESPACE"  # 命名空间错误
    ROOT_TYPE = "CEB-ROOT-TYPE"  # 报文类型与预期不符
    ATTR_MISSING = "CEB-ATTR-MISSING"  # 根节点属性缺失
    ELEMENT_UNEXPECTED = "CEB-ELEMENT-UNEXPECTED"  # 多余或顺序错误的节点
    ELEMENT_TOO_MANY = "CEB-ELEMENT-TOO-MANY"  # 节点重复次数超限
    RECORDS_TOO_MANY = "CEB-RECORDS-TOO-MANY"  # 业务记录数超过限制
    FIELD_MISSING = "CEB-FIELD-MISSING"  # 必填项缺失
    FIELD_TOO_LONG = "CEB-FIELD-TOO-LONG"  # 超长
    FIELD_TOO_SHORT = "CEB-FIELD-TOO-SHORT"  # 长度不足
    FIELD_LENGTH = "CEB-FIELD-LENGTH"  # 定长字段长度错误
    FIELD_NOT_DECIMAL = "CEB-FIELD-NOT-DECIMAL"  # 不是数值
    FIELD_NOT_INTEGER = "CEB-FIELD-NOT-INTEGER"  # 不是整数
    FIELD_FRACTION_DIGITS = "CEB-FIELD-FRACTION-DIGITS"  # 小数位数超限
    FIELD_TOTAL_DIGITS = "CEB-FIELD-TOTAL-DIGITS"  # 总位数超限
    FIELD_DATE_FORMAT = "CEB-FIELD-DATE-FORMAT"  # 日期时间格式错误
    FIELD_ENUM = "CEB-FIELD-ENUM"  # 取值不在允许范围
    FIELD_CODE = "CEB-FIELD-CODE"  # 代码不在海关参数表中
    FIELD_CONTENT = "CEB-FIELD-CONTENT"  # 字段含有子节点
    SIGNATURE_MISSING = "CEB-SIGNATURE-MISSING"  # 缺少数字签名
    SIGNATURE_INVALID = "CEB-SIGNATURE-ELEMENT"  # 签名节点不是ds:Signature
    RULE_AMOUNT = "CEB-RULE-AMOUNT"  # 金额勾稽关系不符
    RULE_GNUM = "CEB-RULE-GNUM"  # 商品序号不连续
    RULE_NEGATIVE = "CEB-RULE-NEGATIVE"  # 金额/数量为负或数量为0
    RULE_LINE_TOTAL = "CEB-RULE-LINE-TOTAL"  # 总价不等于数量×单价
    RULE_ID_TYPE = "CEB-RULE-ID-TYPE"  # 进口证件类型不是身份证
    RULE_ID_NUMBER = "CEB-RULE-ID-NUMBER"  # 身份证号码无效 (GB 11643)
    SCHEMA_OTHER = "CEB-SCHEMA-OTHER"  # 其他结构错误


#: Official DXP error code (表7-1) answering each issue in a CEB900-style format receipt; ``None``
#: means a business rule, not a format error.
DXP_CODE: dict[IssueCode, str | None] = {
    IssueCode.XML_TOO_LARGE: "0999",
    IssueCode.XML_MALFORMED: "0001",
    IssueCode.XML_DOCTYPE: "0999",
    IssueCode.XML_ENCODING: "0001",
    IssueCode.ROOT_UNKNOWN: "0002",
    IssueCode.ROOT_NAMESPACE: "0002",
    IssueCode.ROOT_TYPE: "0002",
    IssueCode.ATTR_MISSING: "0002",
    IssueCode.ELEMENT_UNEXPECTED: "0002",
    IssueCode.ELEMENT_TOO_MANY: "0002",
    IssueCode.RECORDS_TOO_MANY: "0002",
    IssueCode.FIELD_MISSING: "0002",
    IssueCode.FIELD_TOO_LONG: "0002",
    IssueCode.FIELD_TOO_SHORT: "0002",
    IssueCode.FIELD_LENGTH: "0002",
    IssueCode.FIELD_NOT_DECIMAL: "0002",
    IssueCode.FIELD_NOT_INTEGER: "0002",
    IssueCode.FIELD_FRACTION_DIGITS: "0002",
    IssueCode.FIELD_TOTAL_DIGITS: "0002",
    IssueCode.FIELD_DATE_FORMAT: "0002",
    IssueCode.FIELD_ENUM: "0002",
    IssueCode.FIELD_CODE: None,
    IssueCode.FIELD_CONTENT: "0002",
    IssueCode.SIGNATURE_MISSING: "0002",
    IssueCode.SIGNATURE_INVALID: "0002",
    IssueCode.RULE_AMOUNT: None,
    IssueCode.RULE_GNUM: None,
    IssueCode.RULE_NEGATIVE: None,
    IssueCode.RULE_LINE_TOTAL: None,
    IssueCode.RULE_ID_TYPE: None,
    IssueCode.RULE_ID_NUMBER: None,
    IssueCode.SCHEMA_OTHER: "0002",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One violation: stable code, field path, offending value, bilingual message."""

    code: str
    path: str
    value: str | None
    message_zh: str
    message_en: str

    def to_dict(self) -> dict:
        """The issue as a plain dict (for JSON problem details)."""
        return asdict(self)

    @property
    def dxp_code(self) -> str | None:
        """The official DXP format-error code (0001/0002/0999) or ``None`` for business rules."""
        try:
            return DXP_CODE[IssueCode(self.code)]
        except ValueError:
            return None


class CebError(ValueError):
    """A message was refused; ``issues`` lists every violation found."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        self.issues = list(issues)
        head = "; ".join(f"{i.code} {i.path}: {i.message_en}" for i in self.issues[:5])
        more = f" (+{len(self.issues) - 5} more)" if len(self.issues) > 5 else ""
        super().__init__(head + more)

    @property
    def codes(self) -> list[str]:
        """The codes of all issues, in order."""
        return [i.code for i in self.issues]
