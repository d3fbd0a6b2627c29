"""Import declarations (跨境进口业务报文): CEB311, 411, 511, 513, 621, 623, 625, 711.

Written from the 202205 specification; in this direction ExtendMessage comes BEFORE ds:Signature.
Mandatory ``C..n`` strings default to a minimum length of 1 here (``C0..n`` marks the exceptions).
"""

from __future__ import annotations

from kuajing.ceb.messages.common import BASE_SUBSCRIBE, IMPORT_BASE_TRANSFER
from kuajing.ceb.spec import UNBOUNDED, MessageSpec, compound, node

_ENV = dict(direction="import", kind="declaration", base_transfer=IMPORT_BASE_TRANSFER,
            base_subscribe=BASE_SUBSCRIBE, extend_message=True)

ORDER_HEAD = node("OrderHead", "订单表头", """
    guid                C36       M            # 系统唯一序号
    appType             C1        M {1,2,3}    # 报送类型
    appTime             T14       M            # 报送时间
    appStatus           C..3      M {1,2}      # 业务状态
    orderType           C1        M {I}        # 电子订单类型
    orderNo             C..60     M            # 订单编号
    ebpCode             C..18     M            # 电商平台代码
    ebpName             C..100    M            # 电商平台名称
    ebcCode             C..18     M            # 电商企业代码
    ebcName             C..100    M            # 电商企业名称
    goodsValue          N19,5     M            # 商品价格
    freight             N19,5     M            # 运杂费
    discount            N19,5     M            # 非现金抵扣金额
    taxTotal            N19,5     M            # 代扣税款
    acturalPaid         N19,5     M            # 实际支付金额
    currency            C3        M =currency !142  # 币制
    buyerRegNo          C..60     M            # 订购人注册号
    buyerName           C..60     M            # 订购人姓名
    buyerTelephone      C..30     M            # 订购人电话
    buyerIdType         C1        M =id_type   # 订购人证件类型
    buyerIdNumber       C..60     M            # 订购人证件号码
    payCode             C..18     O            # 支付企业代码
    payName             C..100    O            # 支付企业名称
    payTransactionId    C..60     O            # 支付交易编号
    batchNumbers        C..100    O            # 商品批次号
    consignee           C..100    M            # 收货人姓名
    consigneeTelephone  C..50     M            # 收货人电话
    consigneeAddress    C..200    M            # 收货地址
    consigneeDistrict   C6        O            # 收货地址行政区划代码
    note                C..1000   O            # 备注
""", required_min=1)

ORDER_LIST = node("OrderList", "订单表体", """
    gnum          INT       M            # 商品序号
    itemNo        C..30     O            # 企业商品货号
    itemName      C..250    M            # 企业商品名称
    gmodel        C..510    M            # 商品规格型号
    itemDescribe  C..1000   O            # 企业商品描述
    barCode       C..50     O            # 条形码
    unit          C3        M =unit      # 计量单位
    qty           N19,5     M            # 数量
    price         N19,5     M            # 单价
    totalPrice    N19,5     M            # 总价
    currency      C3        M =currency !142  # 币制
    country       C3        M =country   # 原产国
    note          C..1000   O            # 备注
""", required_min=1)

CEB311 = MessageSpec(type="CEB311", zh="电子订单", record=compound("Order", "电子订单", ORDER_HEAD, ORDER_LIST),
                     receipt_type="CEB312", **_ENV)

PAYMENT_HEAD = node("PaymentHead", "支付凭证表头", """
    guid              C36      M            # 系统唯一序号
    appType           C1       M {1,2,3}    # 报送类型
    appTime           T14      M            # 报送时间
    appStatus         C..3     M {1,2}      # 业务状态
    payCode           C..18    M            # 支付企业代码
    payName           C..100   M            # 支付企业名称
    payTransactionId  C..60    M            # 支付交易编号
    orderNo           C..60    M            # 订单编号
    ebpCode           C..18    M            # 电商平台代码
    ebpName           C..100   M            # 电商平台名称
    payerIdType       C1       M =id_type   # 支付人证件类型
    payerIdNumber     C..60    M            # 支付人证件号码
    payerName         C..60    M            # 支付人姓名
    telephone         C..60    O            # 支付人电话
    amountPaid        N19,5    M            # 支付金额
    currency          C3       M =currency !142  # 币制
    payTime           T14      M            # 支付时间
    note              C..1000  O            # 备注
""", required_min=1)

CEB411 = MessageSpec(type="CEB411", zh="支付凭证", record=compound("Payment", "支付凭证", PAYMENT_HEAD),
                     receipt_type="CEB412", **_ENV)

LOGISTICS_HEAD = node("LogisticsHead", "运单表头", """
    guid                C36      M            # 系统唯一序号
    appType             C1       M {1,2,3}    # 报送类型
    appTime             T14      M            # 报送时间
    appStatus           C..3     M {1,2}      # 业务状态
    logisticsCode       C..18    M            # 物流企业代码
    logisticsName       C..100   M            # 物流企业名称
    logisticsNo         C..60    M            # 物流运单编号
    billNo              C..37    O            # 提运单号
    orderNo             C..60    M            # 订单编号
    freight             N19,5    O            # 运费
    insuredFee          N19,5    O            # 保价费
    currency            C3       M =currency !142  # 币制
    weight              N19,5    M            # 毛重
    packNo              N9       M            # 件数
    goodsInfo           C..200   O            # 主要货物信息
    consignee           C..100   M            # 收货人姓名
    consigneeAddress    C..200   M            # 收货地址
    consigneeTelephone  C..50    M            # 收货人电话
    note                C..1000  O            # 备注
""", required_min=1)

CEB511 = MessageSpec(type="CEB511", zh="物流运单", record=compound("Logistics", "物流运单", LOGISTICS_HEAD),
                     receipt_type="CEB512", **_ENV)

LOGISTICS_STATUS = node("LogisticsStatus", "运单状态", """
    guid             C36      M            # 系统唯一序号
    appType          C1       M {1,2,3}    # 报送类型
    appTime          T14      M            # 报送时间
    appStatus        C..3     M {1,2}      # 业务状态
    logisticsCode    C..18    M            # 物流企业代码
    logisticsName    C..100   M            # 物流企业名称
    logisticsNo      C..60    M            # 物流运单编号
    logisticsStatus  C1       M {S}        # 物流签收状态
    logisticsTime    T14      M            # 物流状态时间
    note             C..1000  O            # 备注
""", required_min=1)

CEB513 = MessageSpec(type="CEB513", zh="运单状态", record=LOGISTICS_STATUS, receipt_type="CEB514", **_ENV)

INVENTORY_HEAD = node("InventoryHead", "清单表头", """
    guid              C36      M                  # 系统唯一序号
    appType           C1       M {1,2,3}          # 报送类型
    appTime           T14      M                  # 报送时间
    appStatus         C..3     M {1,2}            # 业务状态
    orderNo           C..60    M                  # 订单编号
    ebpCode           C..18    M                  # 电商平台代码
    ebpName           C..100   M                  # 电商平台名称
    ebcCode           C..18    M                  # 电商企业代码
    ebcName           C..100   M                  # 电商企业名称
    logisticsNo       C..60    M                  # 物流运单编号
    logisticsCode     C..18    M                  # 物流企业代码
    logisticsName     C..100   M                  # 物流企业名称
    copNo             C..20    O                  # 企业内部编号
    preNo             C..18    O                  # 预录入编号
    assureCode        C..30    M                  # 担保企业编号
    emsNo             C..30    O                  # 账册编号
    invtNo            C..18    O                  # 清单编号
    ieFlag            C1       M {I}              # 进出口标记
    declTime          D8       M                  # 申报日期
    customsCode       C4       M =customs_office  # 申报海关代码
    portCode          C4       M =customs_office  # 口岸海关代码
    ieDate            D8       O                  # 进口日期
    buyerIdType       C1       M =id_type         # 订购人证件类型
    buyerIdNumber     C..60    M                  # 订购人证件号码
    buyerName         C..60    M                  # 订购人姓名
    buyerTelephone    C..30    M                  # 订购人电话
    consigneeAddress  C..200   M                  # 收件地址
    agentCode         C..18    M                  # 申报企业代码
    agentName         C..100   M                  # 申报企业名称
    areaCode          C..18    O                  # 区内企业代码
    areaName          C..100   O                  # 区内企业名称
    tradeMode         C4       M =trade_mode      # 贸易方式
    trafMode          C1       M =transport_mode  # 运输方式
    trafNo            C..100   O                  # 运输工具编号
    voyageNo          C..32    O                  # 航班航次号
    billNo            C..37    O                  # 提运单号
    loctNo            C..10    O                  # 监管场所代码
    licenseNo         C..19    O                  # 许可证件号
    country           C3       M =country         # 起运国(地区)
    freight           N19,5    M                  # 运费
    insuredFee        N19,5    M                  # 保费
    currency          C3       M =currency !142  # 币制
    wrapType          C1       O =package_type    # 包装种类代码
    packNo            N9       M                  # 件数
    grossWeight       N19,5    M                  # 毛重
    netWeight         N19,5    M                  # 净重
    note              C..1000  O                  # 备注
""", required_min=1)

INVENTORY_LIST = node("InventoryList", "清单表体", """
    gnum          INT      M            # 商品序号
    itemRecordNo  C..30    O            # 账册备案料号
    itemNo        C..20    O            # 企业商品货号
    itemName      C..250   O            # 企业商品品名
    gcode         C10      M            # 商品编码
    gname         C..250   M            # 商品名称
    gmodel        C..510   M            # 商品规格型号
    barCode       C..50    O            # 条码
    country       C3       M =country   # 原产国(地区)
    tradeCountry  C1..3    O =country   # 贸易国(地区)
    currency      C3       M =currency !142  # 币制
    qty           N19,5    M            # 数量
    unit          C3       M =unit      # 计量单位
    qty1          N19,5    M            # 法定数量
    unit1         C3       M =unit      # 法定计量单位
    qty2          N19,5    O            # 第二数量
    unit2         C3       O =unit      # 第二计量单位
    price         N19,5    M            # 单价
    totalPrice    N19,5    M            # 总价
    note          C..1000  O            # 备注
""", required_min=1)

CEB621 = MessageSpec(type="CEB621", zh="进口清单",
                     record=compound("Inventory", "进口清单", INVENTORY_HEAD, INVENTORY_LIST),
                     signature="required", receipt_type="CEB622", **_ENV)

INVT_CANCEL = node("InvtCancel", "撤销申请单", """
    guid            C36      M                  # 系统唯一序号
    appType         C1       M {1}              # 报送类型
    appTime         T14      M                  # 报送时间
    appStatus       C..3     M {1,2}            # 业务状态
    customsCode     C4       M =customs_office  # 申报海关代码
    orderNo         C..60    M                  # 订单编号
    ebpCode         C..18    M                  # 电商平台代码
    ebpName         C..100   M                  # 电商平台名称
    ebcCode         C..18    M                  # 电商企业代码
    ebcName         C..100   M                  # 电商企业名称
    logisticsNo     C..60    M                  # 物流运单编号
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    copNo           C..20    O                  # 企业内部编号
    preNo           C..18    O                  # 预录入编号
    invtNo          C..18    M                  # 清单编号
    buyerIdType     C1       M =id_type         # 订购人证件类型
    buyerIdNumber   C..60    M                  # 订购人证件号码
    buyerName       C..60    M                  # 订购人姓名
    buyerTelephone  C..30    M                  # 订购人电话
    agentCode       C..18    M                  # 申报企业代码
    agentName       C..100   M                  # 申报企业名称
    reason          C..1000  M                  # 撤单原因
    note            C..1000  O                  # 备注
""", required_min=1)

CEB623 = MessageSpec(type="CEB623", zh="撤销申请单", record=INVT_CANCEL, signature="required",
                     receipt_type="CEB624", **_ENV)

INVT_REFUND_HEAD = node("InvtRefundHead", "退货申请单表头", """
    guid            C36      M                  # 系统唯一序号
    appType         C1       M {1,2,3}          # 报送类型
    appTime         T14      M                  # 报送时间
    appStatus       C..3     M {1,2}            # 业务状态
    customsCode     C4       M =customs_office  # 申报海关代码
    orderNo         C..60    M                  # 订单编号
    ebpCode         C..18    M                  # 电商平台代码
    ebpName         C..100   M                  # 电商平台名称
    ebcCode         C..18    M                  # 电商企业代码
    ebcName         C..100   M                  # 电商企业名称
    logisticsNo     C..60    M                  # 物流运单编号
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    copNo           C..20    O                  # 企业内部编号
    preNo           C..18    O                  # 预录入编号
    invtNo          C..18    M                  # 清单编号
    buyerIdType     C1       M =id_type         # 订购人证件类型
    buyerIdNumber   C..60    M                  # 订购人证件号码
    buyerName       C..60    M                  # 订购人姓名
    buyerTelephone  C..30    M                  # 订购人电话
    agentCode       C..18    M                  # 申报企业代码
    agentName       C..100   M                  # 申报企业名称
    reason          C..1000  M                  # 退货原因
    note            C..1000  O                  # 备注
""", required_min=1)

INVT_REFUND_LIST = node("InvtRefundList", "退货申请单表体", """
    gnum   INT      M        # 商品序号
    gcode  C10      M        # 商品编码
    gname  C..250   M        # 商品名称
    qty    N19,5    M        # 数量
    unit   C3       M =unit  # 计量单位
    note   C..1000  O        # 备注
""", required_min=1)

CEB625 = MessageSpec(type="CEB625", zh="退货申请单",
                     record=compound("InvtRefund", "退货申请单", INVT_REFUND_HEAD, INVT_REFUND_LIST),
                     signature="required", receipt_type="CEB626", **_ENV)

DELIVERY_HEAD = node("DeliveryHead", "入库明细单表头", """
    guid            C36      M                  # 系统唯一序号
    appType         C1       M {1,2,3}          # 报送类型
    appTime         T14      M                  # 报送时间
    appStatus       C..3     M {1,2}            # 业务状态
    customsCode     C4       M =customs_office  # 申报海关代码
    copNo           C..20    O                  # 企业内部编号
    preNo           C..18    O                  # 预录入编号
    rkdNo           C..18    O                  # 入库单编号
    operatorCode    C..18    M                  # 监管场所经营人代码
    operatorName    C..100   M                  # 监管场所经营人名称
    ieFlag          C1       M {I,E}            # 进出口标记
    trafMode        C1       M =transport_mode  # 运输方式
    trafNo          C..100   M                  # 运输工具编号
    voyageNo        C..32    M                  # 航班航次号
    billNo          C..37    M                  # 提运单号
    logisticsCode   C..18    M                  # 物流企业代码
    logisticsName   C..100   M                  # 物流企业名称
    unloadLocation  C..100   O                  # 卸货库位
    note            C..1000  O                  # 备注
""", required_min=1)

DELIVERY_LIST = node("DeliveryList", "入库明细单表体", """
    gnum         INT      M  # 序号
    logisticsNo  C..60    M  # 物流运单编号
    note         C..1000  O  # 备注
""", required_min=1)

CEB711 = MessageSpec(type="CEB711", zh="入库明细单",
                     record=compound("Delivery", "入库明细单", DELIVERY_HEAD, DELIVERY_LIST, items_max=UNBOUNDED),
                     records_max=1, signature="required", receipt_type="CEB712", **_ENV)

IMPORT_DECLARATIONS = (CEB311, CEB411, CEB511, CEB513, CEB621, CEB623, CEB625, CEB711)
