"""Export declarations (跨境出口业务报文): CEB213, 215, 303, 403, 505, 507, 509, 603, 605, 607, 701.

Written from the 202205 specification; in this direction ds:Signature comes BEFORE ExtendMessage.
The export XSD leaves most mandatory strings without a minimum length; so do we (``C1..n`` where
the XSD asks for one).
"""

from __future__ import annotations

from kuajing.ceb.messages.common import BASE_SUBSCRIBE, EXPORT_BASE_TRANSFER
from kuajing.ceb.spec import UNBOUNDED, MessageSpec, compound, node

_ENV = dict(direction="export", kind="declaration", base_transfer=EXPORT_BASE_TRANSFER,
            base_subscribe=BASE_SUBSCRIBE, extend_message=True, signature="optional")

_APP = """
    guid       C36    M          # 系统唯一序号
    appType    C1     M {1,2,3}  # 报送类型
    appTime    T14    M          # 报送时间
    appStatus  C1     M {1,2}    # 业务状态
"""

ORDER_HEAD = node("OrderHead", "订单表头", _APP + """
    orderType  C1       M {E,B,W}    # 电子订单类型
    orderNo    C..60    M            # 订单编号/订仓单编号
    ebpCode    C..18    M            # 电商平台代码
    ebpName    C..100   M            # 电商平台名称/海外仓名称
    ebcCode    C..18    M            # 电商企业代码
    ebcName    C..100   M            # 电商企业名称
    goodsValue N19,5    M            # 商品价格
    freight    N19,5    M            # 运杂费
    currency   C3       M =currency  # 币制
    note       C..1000  O            # 备注
""")

ORDER_LIST = node("OrderList", "订单表体", """
    gnum          N5       M            # 商品序号
    itemNo        C..30    M            # 企业商品货号
    itemName      C..250   M            # 企业商品名称
    itemDescribe  C..1000  O            # 企业商品描述
    barCode       C..50    O            # 条形码
    unit          C3       M =unit      # 计量单位
    currency      C3       M =currency  # 币制
    qty           N19,5    M            # 数量
    price         N19,5    M            # 单价
    totalPrice    N19,5    M            # 总价
    note          C..1000  O            # 备注
""")

CEB303 = MessageSpec(type="CEB303", zh="出口电子订单",
                     record=compound("Order", "电子订单", ORDER_HEAD, ORDER_LIST, items_max=100),
                     receipt_type="CEB304", **_ENV)

RECEIPTS = node("Receipts", "收款单", _APP + """
    ebpCode         C..18    M            # 电商平台代码
    ebpName         C..100   M            # 电商平台名称
    ebcCode         C..18    M            # 电商企业代码
    ebcName         C..100   M            # 电商企业名称
    orderNo         C..60    M            # 订单编号
    payCode         C..18    O            # 支付企业代码
    payName         C..100   M            # 支付企业名称
    payNo           C..60    O            # 支付交易编号
    charge          N19,5    M            # 收款金额
    currency        C3       M =currency  # 币制
    accountingDate  T14      M            # 到账时间
    note            C..1000  O            # 备注
""")

CEB403 = MessageSpec(type="CEB403", zh="收款单", record=RECEIPTS, receipt_type="CEB404", **_ENV)

LOGISTICS = node("Logistics", "物流运单", _APP + """
    logisticsCode  C..18    M            # 物流企业代码
    logisticsName  C..100   M            # 物流企业名称
    logisticsNo    C..32    M            # 物流运单编号
    freight        N19,5    M            # 运费
    insuredFee     N19,5    M            # 保价费
    currency       C3       M =currency  # 币制
    grossWeight    N19,5    M            # 毛重
    packNo         N9       M            # 件数
    goodsInfo      C..200   M            # 主要货物信息
    ebcCode        C..18    O            # 电商企业代码
    ebcName        C..100   O            # 电商企业名称
    ebcTelephone   C..50    O            # 电商企业电话
    note           C..1000  O            # 备注
""")

CEB505 = MessageSpec(type="CEB505", zh="出口物流运单", record=LOGISTICS, receipt_type="CEB506", **_ENV)

ARRIVAL_HEAD = node("ArrivalHead", "运抵单表头", _APP + """
    customsCode     C4       M =customs_office  # 申报海关代码
    copNo           C..30    M                  # 企业内部编号
    preNo           C18      O                  # 预录入编号
    operatorCode    C..18    M                  # 监管场所经营人代码
    operatorName    C..100   M                  # 监管场所经营人名称
    loctNo          C..10    O                  # 监管场所代码
    ieFlag          C1       M {I,E}            # 进出口标记
    trafMode        C1       M =transport_mode  # 运输方式
    billNo          C..37    O                  # 提运单号
    domesticTrafNo  C..100   M                  # 境内运输工具编号
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    msgCount        N9       M                  # 报文总数
    msgSeqNo        N9       M                  # 报文序号
    note            C..1000  O                  # 备注
""")

ARRIVAL_LIST = node("ArrivalList", "运抵单表体", """
    gnum            N5       M  # 序号
    logisticsNo     C..32    M  # 物流运单编号
    totalPackageNo  C..37    O  # 总包号
    note            C..1000  O  # 备注
""")

CEB507 = MessageSpec(type="CEB507", zh="运抵单",
                     record=compound("Arrival", "运抵单", ARRIVAL_HEAD, ARRIVAL_LIST, items_min=0,
                                     items_max=UNBOUNDED),
                     receipt_type="CEB508", **_ENV)

DEPARTURE_HEAD = node("DepartureHead", "离境单表头", _APP + """
    customsCode    C4       M =customs_office  # 申报海关代码
    copNo          C..30    M                  # 企业内部编号
    preNo          C18      O                  # 预录入编号
    logisticsCode  C..18    M                  # 物流企业代码
    logisticsName  C..100   M                  # 物流企业名称
    trafMode       C1       M =transport_mode  # 运输方式
    trafName       C..100   O                  # 运输工具名称
    voyageNo       C..32    O                  # 航班航次号
    billNo         C..37    O                  # 提运单号
    leaveTime      T14      M                  # 离境时间
    msgCount       N9       M                  # 报文总数
    msgSeqNo       N9       M                  # 报文序号
    note           C..1000  O                  # 备注
""")

DEPARTURE_LIST = node("DepartureList", "离境单表体", """
    gnum            N5       M  # 序号
    totalPackageNo  C..37    O  # 总包号
    logisticsNo     C..32    M  # 物流运单编号
    note            C..1000  O  # 备注
""")

CEB509 = MessageSpec(type="CEB509", zh="离境单",
                     record=compound("Departure", "离境单", DEPARTURE_HEAD, DEPARTURE_LIST,
                                     items_max=UNBOUNDED),
                     receipt_type="CEB510", **_ENV)

INVENTORY_HEAD = node("InventoryHead", "清单表头", _APP + """
    customsCode     C4       M =customs_office  # 申报海关代码
    ebpCode         C..18    M                  # 电商平台代码
    ebpName         C..100   M                  # 电商平台名称
    orderNo         C..60    M                  # 订单编号
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    logisticsNo     C..32    M                  # 物流运单编号
    copNo           C..30    M                  # 企业内部编号
    preNo           C18      O                  # 预录入编号
    invtNo          C..20    O                  # 清单编号
    ieFlag          C1       M {E}              # 进出口标记
    portCode        C4       M =customs_office  # 出口口岸代码
    ieDate          D8       M                  # 出口日期
    statisticsFlag  C1       M {A,B}            # 申报业务类型
    agentCode       C..18    M                  # 申报企业代码
    agentName       C..100   M                  # 申报企业名称
    ebcCode         C..18    M                  # 电商企业代码
    ebcName         C..100   M                  # 电商企业名称
    ownerCode       C..18    M                  # 生产销售单位代码
    ownerName       C..100   M                  # 生产销售单位名称
    iacCode         C..18    O                  # 区内企业代码
    iacName         C..100   O                  # 区内企业名称
    emsNo           C..30    O                  # 账册编号
    tradeMode       C4       M =trade_mode      # 贸易方式
    trafMode        C1       M =transport_mode  # 运输方式
    trafName        C..100   O                  # 运输工具名称
    voyageNo        C..32    O                  # 航班航次号
    billNo          C..37    O                  # 提运单号
    totalPackageNo  C..37    O                  # 总包号
    loctNo          C..10    O                  # 监管场所代码
    licenseNo       C..19    O                  # 许可证号
    country         C3       M =country         # 运抵国(地区)
    POD             C3..4    M                  # 指运港代码
    freight         N19,5    M                  # 运费
    fCurrency       C3       M =currency        # 运费币制
    fFlag           C1       M {1,2,3} !3       # 运费标志
    insuredFee      N19,5    M                  # 保费
    iCurrency       C3       M =currency        # 保费币制
    iFlag           C1       M {1,2,3} !3       # 保费标志
    wrapType        C1       M =package_type    # 包装种类代码
    packNo          N9       M                  # 件数
    grossWeight     N19,5    M                  # 毛重
    netWeight       N19,5    M                  # 净重
    note            C..1000  O                  # 备注
""")

INVENTORY_LIST = node("InventoryList", "清单表体", """
    gnum          N5       M            # 商品序号
    itemNo        C..20    M            # 企业商品货号
    itemRecordNo  C..30    O            # 账册备案料号
    itemName      C..250   O            # 企业商品品名
    gcode         C10      M            # 商品编码
    gname         C..250   M            # 商品名称
    gmodel        C..250   M            # 商品规格型号
    barCode       C..50    M            # 条码
    country       C3       M =country   # 最终目的国(地区)
    currency      C3       M =currency  # 币制
    qty           N19,5    M            # 数量
    qty1          N19,5    M            # 法定数量
    qty2          N19,5    O            # 第二数量
    unit          C3       M =unit      # 计量单位
    unit1         C3       M =unit      # 法定计量单位
    unit2         C..3     O =unit      # 第二计量单位
    price         N19,5    M            # 单价
    totalPrice    N19,5    M            # 总价
    note          C..1000  O            # 备注
""")

CEB603 = MessageSpec(type="CEB603", zh="出口申报清单",
                     record=compound("Inventory", "申报清单", INVENTORY_HEAD, INVENTORY_LIST, items_max=100),
                     receipt_type="CEB604", **_ENV)

INVT_CANCEL = node("InvtCancel", "撤销申请单", _APP + """
    customsCode  C4       M =customs_office  # 申报海关代码
    copNo        C..30    M                  # 企业内部编号
    preNo        C18      O                  # 预录入编号
    invtNo       C..20    M                  # 清单编号
    reason       C..1000  M                  # 撤单原因
    agentCode    C..18    M                  # 申报企业代码
    agentName    C..100   M                  # 申报企业名称
    ebcCode      C..18    M                  # 电商企业代码
    ebcName      C..100   M                  # 电商企业名称
    note         C..1000  O                  # 备注
""")

CEB605 = MessageSpec(type="CEB605", zh="出口撤销申请单", record=INVT_CANCEL, receipt_type="CEB606", **_ENV)

WAYBILL_HEAD = node("WayBillHead", "清单总分单表头", _APP + """
    customsCode     C4       M =customs_office  # 申报海关代码
    copNo           C..30    M                  # 企业内部编号
    preNo           C18      O                  # 预录入编号
    agentCode       C..18    M                  # 申报企业代码
    agentName       C..100   M                  # 申报企业名称
    loctNo          C..10    O                  # 监管场所代码
    trafMode        C1       M =transport_mode  # 运输方式
    trafName        C..100   M                  # 运输工具名称
    voyageNo        C..32    M                  # 航班航次号
    billNo          C..37    M                  # 提运单号
    domesticTrafNo  C..100   O                  # 境内运输工具编号
    grossWeight     N19,5    M                  # 毛重
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    msgCount        N9       M                  # 报文总数
    msgSeqNo        N9       M                  # 报文序号
    note            C..1000  O                  # 备注
""")

WAYBILL_LIST = node("WayBillList", "清单总分单表体", """
    gnum            N5       M  # 序号
    totalPackageNo  C..60    O  # 总包号
    logisticsNo     C..32    M  # 物流运单编号
    invtNo          C..20    O  # 清单编号
    note            C..1000  O  # 备注
""")

CEB607 = MessageSpec(type="CEB607", zh="清单总分单",
                     record=compound("WayBill", "清单总分单", WAYBILL_HEAD, WAYBILL_LIST, items_max=UNBOUNDED),
                     receipt_type="CEB608", **_ENV)

REFUND_HEAD = node("InvtRefundHead", "退货申请单表头", _APP + """
    customsCode    C4       M =customs_office  # 申报海关代码
    loctNo         C..10    O                  # 监管场所代码
    ebpCode        C..18    M                  # 电商平台代码
    ebpName        C..100   M                  # 电商平台名称
    ebcCode        C..18    M                  # 电商企业代码
    ebcName        C..100   M                  # 电商企业名称
    logisticsNo    C..80    M                  # 物流运单编号
    logisticsCode  C..18    M                  # 物流企业代码
    logisticsName  C..100   M                  # 物流企业名称
    coElNo         C..30    M                  # 企业内部编号
    preNo          C..18    O                  # 预录入编号
    invtNo         C..20    M                  # 原清单编号
    tradeMode      C4       O =trade_mode      # 贸易方式
    agentCode      C..18    M                  # 申报企业代码
    agentName      C..100   M                  # 申报企业名称
    billNo         C..37    M                  # 提运单号
    ieFlag         C..1     M {I}              # 进出口标记
    trafMode       C..1     M =transport_mode  # 运输方式
    trafName       C..100   M                  # 运输工具名称
    portCode       C..4     M =customs_office  # 进境口岸代码
    reason         C..500   M                  # 退货原因
    country        C..3     M =country         # 起运国(地区)
    voyageNo       C..32    M                  # 航班航次号
    note           C..500   O                  # 备注
""")

REFUND_LIST = node("InvtRefundList", "退货申请单表体", """
    gnum   N4       M        # 商品序号
    gcode  C..10    M        # 商品编码
    gname  C..250   M        # 商品名称
    gmodel C..250   M        # 商品规格型号
    qty    N19,5    M        # 数量
    qty1   N19,5    M        # 法定数量
    unit   C3       M =unit  # 计量单位
    unit1  C3       M =unit  # 法定计量单位
    qty2   N19,5    O        # 第二数量
    unit2  C3       O =unit  # 第二计量单位
    note   C..500   O        # 备注
""")

CEB213 = MessageSpec(type="CEB213", zh="出口退货申请单",
                     record=compound("InvtRefund", "退货申请单", REFUND_HEAD, REFUND_LIST, items_max=100),
                     receipt_type="CEB214", **_ENV)

REFUND_DETAIL = node("InvtRefundDetail", "退货理货明细单", _APP + """
    customsCode    C4       M =customs_office  # 申报海关代码
    operatorCode   C..18    M                  # 监管场所经营人代码
    operatorName   C..100   M                  # 监管场所经营人名称
    logisticsCode  C..18    M                  # 物流企业代码
    logisticsName  C..100   M                  # 物流企业名称
    logisticsNo    C..80    M                  # 物流运单编号
    invtNo         C..20    O                  # 原清单编号
    coElNo         C..20    M                  # 企业内部编号
    preNo          C..18    O                  # 预录入编号
    billNo         C..37    M                  # 提运单号
    ieFlag         C1       M {I,E}            # 进出口标记
    trafMode       C1       M =transport_mode  # 运输方式
    trafName       C..100   M                  # 运输工具名称
    voyageNo       C..32    M                  # 航班航次号
    location       C..250   O                  # 存放位置
    note           C..250   O                  # 备注
""")

CEB215 = MessageSpec(type="CEB215", zh="退货理货明细单", record=REFUND_DETAIL, receipt_type="CEB216", **_ENV)

SUMMARY_HEAD = node("SummaryApplyHead", "汇总申请单表头", _APP + """
    customsCode    C4       M =customs_office  # 申报海关代码
    copNo          C..30    M                  # 企业内部编号
    preNo          C..18    O                  # 预录入编号
    sumNo          C..18    O                  # 汇总申请编号
    agentCode      C..18    M                  # 申报企业代码
    agentName      C..100   M                  # 申报企业名称
    ebcCode        C..18    M                  # 收发货人代码
    ebcName        C..100   M                  # 收发货人名称
    declAgentCode  C..18    M                  # 报关单申报单位代码
    declAgentName  C..100   M                  # 报关单申报单位名称
    startTime      T14      O                  # 汇总起始时间
    endTime        T14      O                  # 汇总结束时间
    loctNo         C..10    O                  # 监管场所代码
    summaryFlag    C1       M {1,2}            # 汇总条件
    itemNameFlag   C1       M                  # 商品名称标志
    msgCount       N9       M                  # 报文总数
    msgSeqNo       N9       M                  # 报文序号
    note           C..1000  O                  # 备注
""")

SUMMARY_LIST = node("SummaryApplyList", "汇总申请单表体", """
    invtNo  C..20  M  # 清单编号
""")

CEB701 = MessageSpec(type="CEB701", zh="汇总申请单",
                     record=compound("SummaryApply", "汇总申请单", SUMMARY_HEAD, SUMMARY_LIST, items_min=0,
                                     items_max=UNBOUNDED),
                     receipt_type="CEB702", **_ENV)

EXPORT_DECLARATIONS = (CEB213, CEB215, CEB303, CEB403, CEB505, CEB507, CEB509, CEB603, CEB605, CEB607, CEB701)
