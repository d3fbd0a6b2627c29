"""Messages from customs (回执与结果报文): receipts of every declaration, CEB792, CEB816/818, CEB900.

Receipts carry only their return records (1..100): no BaseTransfer, no signature. ``returnTime``
is yyyyMMddHHmmssSSS; ``returnStatus`` is a status code (2, 120, 399, 800 …) or a negative error
code (see :mod:`kuajing.ceb.catalogue`).
"""

from __future__ import annotations

from kuajing.ceb.spec import UNBOUNDED, MessageSpec, compound, node


def _imp(type_: str, zh: str, record) -> MessageSpec:
    return MessageSpec(type=type_, zh=zh, direction="import", kind="receipt", record=record)


def _exp(type_: str, zh: str, record) -> MessageSpec:
    return MessageSpec(type=type_, zh=zh, direction="export", kind="receipt", record=record)


# ---- import receipts (mandatory C..n strings are non-empty in the import XSD) -----------------
_RET_IMPORT = """
    returnStatus  C..10    M  # 回执状态
    returnTime    T17      M  # 回执时间
    returnInfo    C..1000  M  # 回执信息
"""

CEB312 = _imp("CEB312", "电子订单回执", node("OrderReturn", "订单回执", """
    guid     C36    M  # 系统唯一序号
    ebpCode  C..18  M  # 电商平台代码
    ebcCode  C..18  M  # 电商企业代码
    orderNo  C..60  M  # 订单编号
""" + _RET_IMPORT, required_min=1))

CEB412 = _imp("CEB412", "支付凭证回执", node("PaymentReturn", "支付凭证回执", """
    guid              C36    M  # 系统唯一序号
    payCode           C..18  M  # 支付企业代码
    payTransactionId  C..60  M  # 支付交易编号
""" + _RET_IMPORT, required_min=1))

CEB512 = _imp("CEB512", "物流运单回执", node("LogisticsReturn", "运单回执", """
    guid           C36    M  # 系统唯一序号
    logisticsCode  C..18  M  # 物流企业代码
    logisticsNo    C..60  M  # 物流运单编号
""" + _RET_IMPORT, required_min=1))

CEB514 = _imp("CEB514", "运单状态回执", node("LogisticsStatusReturn", "运单状态回执", """
    guid             C36    M      # 系统唯一序号
    logisticsCode    C..18  M      # 物流企业代码
    logisticsNo      C..60  M      # 物流运单编号
    logisticsStatus  C1     M {S}  # 物流签收状态
""" + _RET_IMPORT, required_min=1))

_INVT_RET_KEYS = """
    copNo    C..20  M  # 企业内部编号
    preNo    C18    M  # 预录入编号
    invtNo   C18    O  # 清单编号
"""

CEB622 = _imp("CEB622", "进口清单回执", node("InventoryReturn", "清单回执", """
    guid         C36    M                  # 系统唯一序号
    customsCode  C4     O =customs_office  # 申报海关代码
    ebpCode      C1..18 O                  # 电商平台代码
    ebcCode      C1..18 O                  # 电商企业代码
    agentCode    C1..18 O                  # 申报企业代码
""" + _INVT_RET_KEYS + _RET_IMPORT, required_min=1))

CEB624 = _imp("CEB624", "撤销申请单回执", node("InvtCancelReturn", "撤销申请单回执", """
    guid         C36    M                  # 系统唯一序号
    customsCode  C4     O =customs_office  # 申报海关代码
    agentCode    C1..18 O                  # 申报企业代码
    ebpCode      C1..18 O                  # 电商平台代码
    ebcCode      C1..18 O                  # 电商企业代码
""" + _INVT_RET_KEYS + _RET_IMPORT, required_min=1))

CEB626 = _imp("CEB626", "退货申请单回执", node("InvtRefundReturn", "退货申请单回执", """
    guid         C36    M                  # 系统唯一序号
    customsCode  C4     O =customs_office  # 申报海关代码
    agentCode    C1..18 O                  # 申报企业代码
    ebpCode      C1..18 O                  # 电商平台代码
    ebcCode      C1..18 O                  # 电商企业代码
""" + _INVT_RET_KEYS + _RET_IMPORT, required_min=1))

CEB712 = _imp("CEB712", "入库明细单回执", node("DeliveryReturn", "入库明细单回执", """
    guid          C36    M                  # 系统唯一序号
    customsCode   C4     O =customs_office  # 申报海关代码
    operatorCode  C1..18 O                  # 监管场所经营人代码
    copNo         C..20  O                  # 企业内部编号
    preNo         C..18  O                  # 预录入编号
    rkdNo         C..18  O                  # 入库单编号
""" + _RET_IMPORT, required_min=1))

TAX_HEAD_RD = node("TaxHeadRd", "电子税单表头", """
    guid            C36      M                  # 系统唯一序号
    returnTime      T17      M                  # 回执时间
    invtNo          C..18    M                  # 清单编号
    taxNo           C..50    M                  # 电子税单编号
    customsTax      N19,5    M                  # 应征关税
    valueAddedTax   N19,5    M                  # 应征增值税
    consumptionTax  N19,5    M                  # 应征消费税
    status          C1       M {1,2,3}          # 税单状态
    entDutyNo       C..50    O                  # 缴款书编号
    note            C..1000  O                  # 备注
    assureCode      C..64    O                  # 担保企业代码
    ebcCode         C..64    O                  # 电商企业代码
    logisticsCode   C..64    O                  # 物流企业代码
    agentCode       C1..18   O                  # 申报单位代码
    customsCode     C4       O =customs_office  # 申报海关代码
""", required_min=1)

TAX_LIST_RD = node("TaxListRd", "电子税单表体", """
    gnum            INT    M  # 商品序号
    gcode           C10    M  # 商品编码
    taxPrice        N19,5  M  # 完税总价格
    customsTax      N19,5  M  # 应征关税
    valueAddedTax   N19,5  M  # 应征增值税
    consumptionTax  N19,5  M  # 应征消费税
""", required_min=1)

CEB816 = MessageSpec(type="CEB816", zh="电子税单", direction="import", kind="result",
                     record=compound("Tax", "电子税单", TAX_HEAD_RD, TAX_LIST_RD), records_max=UNBOUNDED)

CEB818 = MessageSpec(type="CEB818", zh="电子税单状态", direction="import", kind="result",
                     record=compound("Tax", "电子税单状态", node("TaxHeadStatus", "税单状态", """
    guid        C36    M          # 系统唯一序号
    returnTime  T17    M          # 回执时间
    invtNo      C..18  M          # 清单编号
    taxNo       C..50  M          # 电子税单编号
    status      C1     M {1,2,3}  # 税单状态
    entDutyNo   C..50  O          # 缴款书编号
    assureCode  C..64  O          # 担保企业代码
""", required_min=1)), records_max=UNBOUNDED)

CEB900 = MessageSpec(type="CEB900", zh="报文格式校验回执", direction="import", kind="receipt",
                     records_max=1, record=node("MessageReturn", "格式校验回执", """
    guid            C36      M        # 系统唯一序号
    returnStatus    C1..10   M        # 回执状态
    returnInfo      C0..5000 M        # 回执详细信息
    returnTime      T17      M        # 操作时间
    oriCopMsgId     C0..255  M        # 原始报文编号
    oriMessageType  C0..15   M        # 原始报文类型
    oriBizMessage   C*       M cdata  # 原始业务报文
"""))

IMPORT_RECEIPTS = (CEB312, CEB412, CEB512, CEB514, CEB622, CEB624, CEB626, CEB712, CEB816, CEB818, CEB900)

# ---- export receipts (the export XSD mostly allows empty mandatory strings) --------------------
_RET_EXPORT = """
    returnStatus  C1..10   M  # 回执状态
    returnTime    T17      M  # 回执时间
    returnInfo    C..1000  M  # 回执信息
"""

CEB304 = _exp("CEB304", "出口电子订单回执", node("OrderReturn", "订单回执", """
    guid     C36    M  # 系统唯一序号
    ebpCode  C..18  M  # 电商平台代码
    ebcCode  C..18  M  # 电商企业代码
    orderNo  C..60  M  # 订单编号
""" + _RET_EXPORT))

CEB404 = _exp("CEB404", "收款单回执", node("ReceiptsReturn", "收款单回执", """
    guid     C36    M  # 系统唯一序号
    ebcCode  C..18  M  # 电商企业代码
    orderNo  C..60  M  # 订单编号
    payNo    C..60  O  # 支付交易编号
""" + _RET_EXPORT))

CEB506 = _exp("CEB506", "出口物流运单回执", node("LogisticsReturn", "运单回执", """
    guid           C36    M  # 系统唯一序号
    logisticsCode  C..18  M  # 物流企业代码
    logisticsNo    C..32  M  # 物流运单编号
""" + _RET_EXPORT))

CEB508 = _exp("CEB508", "运抵单回执", node("ArrivalReturn", "运抵单回执", """
    guid           C36    M  # 系统唯一序号
    operatorCode   C..18  M  # 监管场所经营人代码
    logisticsCode  C..18  M  # 物流企业代码
    preNo          C18    M  # 预录入编号
    copNo          C..30  M  # 企业内部编号
    billNo         C..37  M  # 提运单号
    msgSeqNo       N9     M  # 报文序号
""" + _RET_EXPORT))

CEB510 = _exp("CEB510", "离境单回执", node("DepartureReturn", "离境单回执", """
    guid           C36    M  # 系统唯一序号
    logisticsCode  C..18  M  # 物流企业代码
    copNo          C..30  M  # 企业内部编号
    preNo          C18    M  # 预录入编号
    msgSeqNo       N9     M  # 报文序号
""" + _RET_EXPORT))

CEB604 = _exp("CEB604", "出口清单回执", node("InventoryReturn", "清单回执", """
    guid            C36    M        # 系统唯一序号
    agentCode       C..18  M        # 申报企业代码
    copNo           C..30  M        # 企业内部编号
    preNo           C18    M        # 预录入编号
    invtNo          C..20  M        # 清单编号
    ebcCode         C..18  M        # 电商企业代码
    ebpCode         C..18  M        # 电商平台代码
    orderNo         C..60  M        # 订单编号
    statisticsFlag  C1     M {A,B}  # 申报业务类型
""" + _RET_EXPORT))

CEB606 = _exp("CEB606", "出口撤销申请单回执", node("InvtCancelReturn", "撤销申请单回执", """
    guid       C36    M  # 系统唯一序号
    agentCode  C..18  M  # 申报企业代码
    copNo      C..30  M  # 企业内部编号
    preNo      C18    M  # 预录入编号
    invtNo     C..20  M  # 清单编号
""" + _RET_EXPORT))

CEB608 = _exp("CEB608", "清单总分单回执", node("WayBillReturn", "清单总分单回执", """
    guid           C36    M  # 系统唯一序号
    agentCode      C..18  M  # 申报企业代码
    logisticsCode  C..18  M  # 物流企业代码
    copNo          C..30  M  # 企业内部编号
    preNo          C18    M  # 预录入编号
    billNo         C..37  M  # 提运单号
    msgSeqNo       N9     M  # 报文序号
""" + _RET_EXPORT))

CEB214 = _exp("CEB214", "出口退货申请单回执", node("RefundReturn", "退货申请单回执", """
    guid          C36      M  # 系统唯一序号
    ebpCode       C..18    O  # 电商平台代码
    ebcCode       C..18    O  # 电商企业代码
    agentCode     C..18    M  # 申报企业代码
    coElNo        C..30    M  # 企业内部编号
    preNo         C..18    O  # 预录入编号
    invtNo        C..20    M  # 清单编号
    returnStatus  C..10    M  # 回执状态
    returnTime    T17      M  # 回执时间
    returnInfo    C..1000  M  # 回执信息
"""))

CEB216 = _exp("CEB216", "退货理货明细单回执", node("InvtRefundDetailReturn", "退货理货明细单回执", """
    guid           C36      M  # 系统唯一序号
    operatorCode   C..18    M  # 监管场所经营人代码
    logisticsCode  C..18    M  # 物流企业代码
    logisticsNo    C..80    M  # 物流运单编号
    coElNo         C..30    M  # 企业内部编号
    preNo          C..18    O  # 预录入编号
    returnStatus   C..10    M  # 回执状态
    returnTime     T17      M  # 回执时间
    returnInfo     C..1000  M  # 回执信息
"""))

CEB702 = _exp("CEB702", "汇总申请单回执", node("SummaryReturn", "汇总申请单回执", """
    guid       C36    M  # 系统唯一序号
    agentCode  C..18  M  # 申报企业代码
    ebcCode    C..18  M  # 电商企业代码
    copNo      C..30  M  # 企业内部编号
    preNo      C18    M  # 预录入编号
    sumNo      C18    O  # 汇总申请编号
    msgSeqNo   N9     M  # 报文序号
""" + _RET_EXPORT))

SUMMARY_RESULT_HEAD = node("SummaryResultHead", "汇总结果单表头", """
    guid           C36      M                  # 系统唯一序号
    customsCode    C4       M =customs_office  # 申报海关代码
    sumNo          C18      M                  # 汇总申请编号
    opDate         T17      M                  # 汇总处理时间
    declSeqNo      C18      M                  # 汇总统一编号
    decTmpNo       C18      O                  # 报关单暂存编号
    decPreNo       C18      O                  # 报关单预录入编号
    entryId        C18      O                  # 报关单编号
    decState       C1..3    M                  # 报关单状态
    agentCode      C..18    M                  # 申报企业代码
    agentName      C..100   M                  # 申报企业名称
    ebcCode        C..18    M                  # 收发货人代码
    ebcName        C..100   M                  # 收发货人名称
    declAgentCode  C..18    M                  # 报关单申报单位代码
    declAgentName  C..100   M                  # 报关单申报单位名称
    grossWeight    N19,5    M                  # 毛重
    netWeight      N19,5    M                  # 净重
    msgCount       N9       M                  # 报文总数
    msgSeqNo       N9       M                  # 报文序号
    note           C..1000  O                  # 备注
""")

SUMMARY_RESULT_LIST = node("SummaryResultList", "汇总结果单表体", """
    invtNo       C..20  M  # 清单编号
    logisticsNo  C..32  M  # 物流运单编号
    gseqno       N5     M  # 报关单商品序号
    gnum         N5     M  # 清单商品序号
    gcode        C10    M  # 商品编码
""")

CEB792 = MessageSpec(type="CEB792", zh="汇总结果单", direction="export", kind="result",
                     record=compound("SummaryResult", "汇总结果单", SUMMARY_RESULT_HEAD, SUMMARY_RESULT_LIST,
                                     items_min=0, items_max=UNBOUNDED))

EXPORT_RECEIPTS = (CEB214, CEB216, CEB304, CEB404, CEB506, CEB508, CEB510, CEB604, CEB606, CEB608, CEB702, CEB792)
