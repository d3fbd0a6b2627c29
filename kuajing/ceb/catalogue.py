"""Catalogue of receipt statuses and error codes (回执状态与错误代码), keyed by (message type, code).

Written from the 202205 specification (receipt field notes and chapter 7). The specification reuses
some codes with two meanings inside the same message (−621027, −625022), so a key can hold more
than one entry: :func:`lookup` returns all of them and :func:`explain` picks the one whose Chinese
text matches the receipt's ``returnInfo``. ``render_error_codes_markdown()`` renders
docs/error-codes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from kuajing.ceb.issues import DXP_CODE, IssueCode


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One code: where it occurs, what it means and how to fix it, in Chinese and English."""

    message_type: str  # "CEB622", "CEB621", "*" (any declaration) or "DXP"
    code: str
    meaning_zh: str
    meaning_en: str
    fix_zh: str
    fix_en: str
    kind: str  # "status" | "error" | "dxp"
    variant: int = 1


# ---- receipt statuses (returnStatus >= 0) -----------------------------------------------------------
_IMPORT_RECEIPTS = "CEB312 CEB412 CEB512 CEB514 CEB622 CEB624 CEB626 CEB712"
_EXPORT_RECEIPTS = "CEB304 CEB404 CEB506 CEB508 CEB510 CEB604 CEB606 CEB608 CEB702 CEB214 CEB216"

_STATUSES = [
    ("1", "电子口岸已暂存", "saved at the e-port (appStatus 1), not sent to customs",
     "如需申报，将appStatus改为2后重新发送", "to declare, resend with appStatus 2",
     "CEB622 CEB624 CEB626 CEB712 " + _EXPORT_RECEIPTS),
    ("2", "电子口岸申报中", "accepted by the e-port, being declared", "无需处理，等待后续回执",
     "nothing to do; wait for the next receipt", _IMPORT_RECEIPTS + " " + _EXPORT_RECEIPTS),
    ("3", "发送海关成功", "delivered to customs", "无需处理，等待海关处理结果", "nothing to do; wait for customs",
     _IMPORT_RECEIPTS + " " + _EXPORT_RECEIPTS),
    ("4", "发送海关失败", "delivery to customs failed", "稍后重发；持续失败时联系电子口岸",
     "resend later; contact the e-port if it keeps failing", _IMPORT_RECEIPTS + " " + _EXPORT_RECEIPTS),
    ("100", "海关退单", "rejected by customs (reason in returnInfo)", "按returnInfo所述原因修改后重新申报",
     "correct what returnInfo says and declare again", _IMPORT_RECEIPTS + " " + _EXPORT_RECEIPTS),
    ("120", "海关入库", "accepted and stored by customs", "无需处理（订单、支付、运单的正常终态）",
     "nothing to do (normal end state of order, payment and waybill)",
     _IMPORT_RECEIPTS + " CEB604 CEB304 CEB404 CEB608 CEB214"),
    ("300", "人工审核", "under manual review by customs", "等待审核结果，必要时准备单证", "wait; prepare documents if asked",
     "CEB622 CEB604 CEB214"),
    ("399", "海关审结", "customs decision completed", "无需处理，等待放行", "nothing to do; wait for release",
     "CEB312 CEB412 CEB512 CEB514 CEB622 CEB624 CEB626 CEB712 CEB604 CEB606 CEB702 CEB304 CEB404 CEB506 "
     "CEB508 CEB510 CEB608 CEB216"),
    ("500", "查验", "selected for inspection", "配合海关查验", "cooperate with the customs inspection",
     "CEB622 CEB604 CEB214"),
    ("501", "扣留移送通关", "detained, handed to the clearance department", "联系海关通关部门", "contact customs clearance",
     "CEB622"),
    ("502", "扣留移送缉私", "detained, handed to the anti-smuggling bureau", "联系海关缉私部门",
     "contact the customs anti-smuggling bureau", "CEB622"),
    ("503", "扣留移送法规", "detained, handed to the legal department", "联系海关法规部门",
     "contact the customs legal department", "CEB622"),
    ("505", "移交", "handed over", "联系海关了解移交原因", "ask customs why it was handed over", "CEB214"),
    ("599", "其它扣留", "other detention", "联系海关了解扣留原因", "ask customs why the goods are detained", "CEB622"),
    ("600", "挂起", "suspended", "联系海关了解挂起原因", "ask customs why the return is suspended", "CEB214"),
    ("700", "退运", "returned / re-shipped abroad", "按海关要求办理退运", "handle the return shipment as customs requires",
     "CEB622"),
    ("800", "放行", "released", "无需处理，可以配送", "nothing to do; goods may be delivered", "CEB622 CEB604 CEB214"),
    ("899", "结关", "closed", "无需处理", "nothing to do", "CEB622 CEB604"),
]

# ---- negative business error codes (chapter 7, table 7-2) ------------------------------------------
# (code, meaning_zh, meaning_en, fix_zh, fix_en); "" fix = the family default
_F_RESEND = ("核对报文内容后重新发送", "check the message and send it again")
_F_SYSTEM = ("电子口岸系统异常，稍后重发；持续出现时联系电子口岸", "e-port system error: resend later, contact the e-port if it persists")
_F_DUP = ("不要重复申报；如需修改请用appType=2变更", "do not declare twice; use appType 2 to change it")
_F_STATE = ("查询单证当前状态，仅在允许的状态下操作", "check the document's current status; act only in a state that allows it")
_F_LIMIT = ("一个报文最多100条业务记录，拆分后重发", "at most 100 records per message: split and resend")
_F_SIGN = ("使用与申报企业一致的有效证书重新加签", "re-sign with a valid certificate of the declaring enterprise")
_F_AUTH = ("使用有权限的企业IC卡/证书操作", "use the IC card/certificate of an enterprise with the right")
_F_OLD = ("报文比已处理的更旧：使用新的报送时间重新发送", "older than data already processed: resend with a newer appTime")
_F_PARAM = ("按returnInfo提示修改字段后重新发送", "fix the fields named in returnInfo and resend")
_F_QUOTA = ("核对购买人年度/单笔限额，超限商品按一般贸易申报", "check the buyer's per-order/annual limits; over-limit goods go through general trade")

_ERRORS: list[tuple[str, tuple[str, ...], str, str, tuple[str, str]]] = [
    # message types, code, zh, en, fix
    ("*", ("-10101",), "无效企业类型", "invalid enterprise type", ("核对企业备案类型", "check the enterprise's registered type")),
    ("*", ("-10102",), "无效企业代码", "invalid enterprise code", ("核对企业海关注册编码或统一社会信用代码", "check the customs registration code / USCC")),
]

_ORDER = [
    ("-301001", "订单商品表体信息不存在", "order has no goods lines (OrderList)", ("至少填写一条OrderList", "add at least one OrderList")),
    ("-301002", "订单商品信息内有重复商品序号", "duplicate gnum in the order lines", ("gnum从1开始连续且不重复", "number gnum 1, 2, 3 … without repeats")),
    ("-301003", "订单信息查询不存在[*]", "order not found [*]", _F_STATE),
    ("-301004", "订单信息查询不存在[*]", "order not found [*]", _F_STATE),
    ("-301005", "[*]订单信息查询不存在", "[*] order not found", _F_STATE),
    ("-301006", "[*]检索到多条订单信息", "[*] several orders found", ("核对ebpCode+orderNo唯一", "make ebpCode + orderNo unique")),
    ("-301007", "订单业务报文信息不能为空", "order message is empty", _F_RESEND),
    ("-301008", "参数校验不通过，*", "parameter check failed: *", _F_PARAM),
    ("-301009", "订单标识(appType)不正确,未找到操作的订单", "wrong appType: no order to change/delete", ("新单用appType=1，变更/删除前确认订单已存在", "use appType 1 for a new order; change/delete only existing ones")),
    ("-301010", "已存在相同编号的订单", "an order with the same number exists", _F_DUP),
    ("-301011", "该订单已向海关申报清单，状态不符", "order already used by a declared inventory; status does not allow it", _F_STATE),
    ("-301012", "订单报文处理失败，未找到对应操作", "order processing failed: no matching operation", _F_PARAM),
    ("-301013", "订单报文处理失败，系统异常", "order processing failed: system error", _F_SYSTEM),
    ("-301014", "订单报文处理失败，接收报文为旧报文数据，不做处理", "order processing failed: stale message ignored", _F_OLD),
    ("-301015", "订单报文处理失败，报文表头数据超过限制", "order processing failed: too many heads in the message", _F_LIMIT),
]
_PAYMENT = [
    ("-401001", "支付凭证查询不存在[*]", "payment voucher not found [*]", _F_STATE),
    ("-401002", "支付状态查询不存在[*]", "payment status not found [*]", _F_STATE),
    ("-401003", "[*]对应多条支付凭证", "[*] matches several payment vouchers", ("核对payCode+payTransactionId唯一", "make payCode + payTransactionId unique")),
    ("-401004", "[*]对应支付凭证查询不存在", "[*] no matching payment voucher", _F_STATE),
    ("-401005", "支付单业务报文不能为空", "payment message is empty", _F_RESEND),
    ("-401006", "支付单标识(appType)不正确,未找到对应操作的支付单", "wrong appType: no payment to change/delete", ("新单用appType=1，变更/删除前确认支付单已存在", "use appType 1 for a new payment; change/delete only existing ones")),
    ("-401007", "已存在相同编号的支付单", "a payment with the same number exists", _F_DUP),
    ("-401008", "该支付单已向海关申报支付单，状态不符", "payment already declared; status does not allow it", _F_STATE),
    ("-401009", "参数校验不通过，[paymentHead,payment]", "parameter check failed [paymentHead, payment]", _F_PARAM),
    ("-401010", "支付单报文处理失败，未找到对应操作", "payment processing failed: no matching operation", _F_PARAM),
    ("-401011", "支付单报文处理失败，系统异常", "payment processing failed: system error", _F_SYSTEM),
    ("-401012", "支付单报文处理失败，接收报文为旧报文数据，不做处理", "payment processing failed: stale message ignored", _F_OLD),
    ("-401013", "支付单报文处理失败，报文表头数据超过限制", "payment processing failed: too many heads in the message", _F_LIMIT),
]
_WAYBILL = [
    ("-504000", "运单报文解析失败！", "waybill message could not be parsed", _F_RESEND),
    ("-504010", "运单业务报文不能为空", "waybill message is empty", _F_RESEND),
    ("-504011", "参数校验不通过，*", "parameter check failed: *", _F_PARAM),
    ("-504012", "物流运单已存在", "waybill already exists", _F_DUP),
    ("-504013", "物流运单报文数量超过限制", "too many waybills in the message", _F_LIMIT),
    ("-504014", "运单标识(appType)不正确,未找到操作的运单", "wrong appType: no waybill to change/delete", ("新单用appType=1，变更/删除前确认运单已存在", "use appType 1 for a new waybill; change/delete only existing ones")),
    ("-504015", "已存在相同编号的运单", "a waybill with the same number exists", _F_DUP),
    ("-504016", "该运单已向海关申报运单，状态不符", "waybill already declared; status does not allow it", _F_STATE),
]
_WAYBILL_STATUS = [
    ("-505000", "运单状态报文解析失败！", "waybill-status message could not be parsed", _F_RESEND),
    ("-505010", "运单状态业务报文不能为空", "waybill-status message is empty", _F_RESEND),
    ("-505011", "参数校验不通过", "parameter check failed", _F_PARAM),
    ("-505012", "物流运单状态已存在", "waybill status already exists", _F_DUP),
    ("-505013", "物流运单状态报文数量超过限制", "too many waybill statuses in the message", _F_LIMIT),
    ("-505014", "物流运单状态报文处理失败，未找到对应操作", "waybill-status processing failed: no matching operation", _F_PARAM),
    ("-505015", "物流报文处理失败，系统异常", "logistics processing failed: system error", _F_SYSTEM),
    ("-505016", "物流报文处理失败，接收报文为旧报文数据，不做处理", "logistics processing failed: stale message ignored", _F_OLD),
    ("-505017", "报文处理失败，报文表头数据超过限制", "processing failed: too many heads in the message", _F_LIMIT),
]
_INVENTORY = [
    ("-621000", "CEB621Message接收失败，清单表体为空，报文业务主键[*]", "CEB621 refused: inventory has no lines [*]", ("至少填写一条InventoryList", "add at least one InventoryList")),
    ("-621001", "清单报文校验失败，[*]", "inventory check failed [*]", _F_PARAM),
    ("-621002", "四单回执解析失败，[*]！", "could not parse the four-document receipt [*]", _F_SYSTEM),
    ("-621003", "清单申报失败，[*]", "inventory declaration failed [*]", _F_PARAM),
    ("-621004", "清单[*]已经申报过，请勿重复申报", "inventory [*] already declared", _F_DUP),
    ("-621005", "清单[*]的购买金额超过单笔限额[[*]]", "inventory [*] exceeds the single-transaction limit", _F_QUOTA),
    ("-621006", "未找到headGuid为[*]的清单", "no inventory with headGuid [*]", _F_STATE),
    ("-621008", "清单[*]发送海关成功，更新状态时发生错误", "inventory [*] sent to customs; status update failed", _F_SYSTEM),
    ("-621009", "清单[*]发送海关失败，更新状态时发生错误", "inventory [*] not sent to customs; status update failed", _F_SYSTEM),
    ("-621010", "申报清单[*]发生错误，状态不是申报中", "inventory [*]: status is not 'declaring'", _F_STATE),
    ("-621011", "不存在已申报的清单[*]，无法进行改单操作", "no declared inventory [*] to change", _F_STATE),
    ("-621012", "清单[*]的申报状态不符合改单申报的条件", "inventory [*] status does not allow a change", _F_STATE),
    ("-621013", "清单[*]，查询个人限额失败", "inventory [*]: personal limit lookup failed", _F_SYSTEM),
    ("-621014", "清单[*]，核增个人[*]消费金额时出错", "inventory [*]: error adding to buyer [*]'s consumption", _F_SYSTEM),
    ("-621015", "*[*]与卡信息[*]不匹配，没有权限进行操作", "*[*] does not match the card [*]: not authorised", _F_AUTH),
    ("-621016", "[*]没有权限进行操作", "[*] is not authorised", _F_AUTH),
    ("-621017", "系统发生异常", "system error", _F_SYSTEM),
    ("-621018", "清单[*]中购买人[*]已用购买额度为[*]，本次购买将超过年度限额[*]", "inventory [*]: buyer [*] would exceed the annual limit", _F_QUOTA),
    ("-621019", "查无此数据", "no such data", _F_STATE),
    ("-621020", "请求参数错误，请重试", "bad request parameters, retry", _F_RESEND),
    ("-621021", "申报失败[主键为空或未找到数据]，请重试", "declaration failed (empty key or no data), retry", _F_RESEND),
    ("-621022", "申报失败[*]，请重试", "declaration failed [*], retry", _F_RESEND),
    ("-621023", "执行改单操作时发生错误，请重试", "error while changing the inventory, retry", _F_RESEND),
    ("-621024", "所有清单的表体均为空，无法完成申报操作", "all inventories have no lines", ("至少填写一条InventoryList", "add at least one InventoryList")),
    ("-621025", "保存签名信息发生错误！", "error saving the signature", _F_SIGN),
    ("-621026", "保存签名信息发生错误,签名信息为空！", "error saving the signature: signature empty", _F_SIGN),
    ("-621027", "保存失败，请确认状态并刷新重试", "save failed: check the status, refresh and retry", _F_STATE),
    ("-621027", "请确认表体gnum无重复！", "gnum repeats in the lines", ("gnum从1开始连续且不重复", "number gnum 1, 2, 3 … without repeats")),
    ("-621028", "加签数据比对失败！", "signed data does not match the message", _F_SIGN),
    ("-621029", "验签失败！", "signature verification failed", _F_SIGN),
    ("-621030", "CEB621Message接收失败[*]，清单数据超过限制！", "CEB621 refused [*]: too many inventories", _F_LIMIT),
]
_CANCEL = [
    ("-623000", "CEB623Message接收失败，撤单清单为空，报文业务主键[*]", "CEB623 refused: no cancellation in the message [*]", _F_RESEND),
    ("-623001", "报文校验失败，[*]", "message check failed [*]", _F_PARAM),
    ("-623002", "回执解析失败，[*]！", "receipt could not be parsed [*]", _F_SYSTEM),
    ("-623003", "系统中不存在清单编号为[*]的清单！", "no inventory with invtNo [*]", ("核对invtNo是否为海关回执的清单编号", "use the invtNo returned by customs")),
    ("-623004", "查无此数据", "no such data", _F_STATE),
    ("-623005", "清单的状态不符合撤单申报要求(清单编号[*])！", "inventory [*] status does not allow cancellation", _F_STATE),
    ("-623006", "撤单清单[*]发送海关成功，更新状态时发生错误", "cancellation [*] sent; status update failed", _F_SYSTEM),
    ("-623007", "撤单清单[*]发送海关失败，更新状态时发生错误", "cancellation [*] not sent; status update failed", _F_SYSTEM),
    ("-623008", "CEB623Message接收失败[*]，数据超过限制！", "CEB623 refused [*]: too many records", _F_LIMIT),
    ("-623009", "撤单清单[*]已经申报过", "cancellation [*] already declared", _F_DUP),
    ("-623010", "第*条，企业内部编号[*]:[*]", "record *, copNo [*]: [*]", _F_PARAM),
    ("-623011", "生成失败[主键为空或未找到数据]，请重试", "creation failed (empty key or no data), retry", _F_RESEND),
    ("-623012", "生成失败[撤单原因为空]，请重试", "creation failed: reason is empty", ("填写撤单原因reason", "fill in reason")),
    ("-623013", "撤单状态[*]不符合删除条件", "cancellation status [*] does not allow deletion", _F_STATE),
    ("-623014", "校验失败[*]", "check failed [*]", _F_PARAM),
    ("-623016", "保存签名信息发生错误！", "error saving the signature", _F_SIGN),
    ("-623017", "保存签名信息发生错误,签名信息为空！", "error saving the signature: signature empty", _F_SIGN),
    ("-623018", "请求参数错误，请重试", "bad request parameters, retry", _F_RESEND),
    ("-623019", "申报失败[主键为空或未找到数据]，请重试", "declaration failed (empty key or no data), retry", _F_RESEND),
    ("-623020", "申报失败[*]，请重试", "declaration failed [*], retry", _F_RESEND),
    ("-623021", "*[*]与卡信息[*]不匹配，没有权限进行操作", "*[*] does not match the card [*]: not authorised", _F_AUTH),
    ("-623022", "保存失败，请确认状态并刷新重试", "save failed: check the status, refresh and retry", _F_STATE),
    ("-623023", "撤单清单申报失败，[*]", "cancellation declaration failed [*]", _F_PARAM),
    ("-623024", "通过界面申报清单[*]发生错误，状态不是申报中", "inventory [*] via UI: status is not 'declaring'", _F_STATE),
    ("-623025", "清单[*]，核增个人[*]消费金额时出错", "inventory [*]: error adjusting buyer [*]'s consumption", _F_SYSTEM),
    ("-623026", "[*]没有权限进行操作", "[*] is not authorised", _F_AUTH),
    ("-623027", "系统发生异常", "system error", _F_SYSTEM),
    ("-623028", "申报请求发送失败[*]", "declaration request could not be sent [*]", _F_RESEND),
    ("-623029", "验签失败*！", "signature verification failed *", _F_SIGN),
]
_REFUND = [
    ("-625001", "退货申请单报文校验失败，[*]", "return request check failed [*]", _F_PARAM),
    ("-625002", "四单回执解析失败，[*]！", "could not parse the four-document receipt [*]", _F_SYSTEM),
    ("-625003", "退货申请单业务报文不能为空！", "return request message is empty", _F_RESEND),
    ("-625004", "退货申请单申报失败，[*]", "return request declaration failed [*]", _F_PARAM),
    ("-625005", "退货申请单[*]验签失败！", "return request [*]: signature verification failed", _F_SIGN),
    ("-625006", "退货申请单[*]表体无数据，不允许申报！", "return request [*] has no lines", ("至少填写一条InvtRefundList", "add at least one InvtRefundList")),
    ("-625007", "退货申请单[*]表体第[*]项商品未备案！", "return request [*] line [*]: goods not registered", ("核对原清单商品及备案信息", "check the goods against the original inventory / registration")),
    ("-625008", "退货申请单预录入号应由电子口岸生成！", "preNo must be generated by the e-port", ("新申报时不要填写preNo", "leave preNo empty on a new request")),
    ("-625009", "退货申请单[*]表体第[*]项的第二数量与第二单位不符合规则（当第二单位为空时，第二数量应为空；当第二单位有值时，第二数量应为正数）！",
     "return request [*] line [*]: second quantity and second unit inconsistent", ("第二单位为空时第二数量也为空；有第二单位时第二数量为正数", "qty2 empty when unit2 is empty, positive when unit2 is set")),
    ("-625010", "退货申请单[*]表体第[*]项的*[*]与备案库[*]不一致！", "return request [*] line [*]: * differs from the registration [*]", ("与备案信息保持一致", "make it agree with the registration")),
    ("-625011", "退货申请单[*]表体第[*]项在参数库中没有匹配商品编号[*]的商品！", "return request [*] line [*]: HS code [*] unknown", ("核对商品编码gcode", "check gcode")),
    ("-625012", "退货申请单[*]表体第[*]项的*[*]与参数库[*]不一致！", "return request [*] line [*]: * differs from the parameter table [*]", _F_PARAM),
    ("-625013", "退货申请单[*]和证书中的“申报单位代码/名称”不一致！", "return request [*]: agent code/name differs from the certificate", _F_AUTH),
    ("-625022", "退货申请单[*]已经申报过，请勿重复申报", "return request [*] already declared", _F_DUP),
    ("-625014", "退货申请单[*]金额超过单笔限额", "return request [*] exceeds the single-transaction limit", _F_QUOTA),
    ("-625015", "退货申请单[*]中购买人[*]的购买金额超过限额", "return request [*]: buyer [*] exceeds the limit", _F_QUOTA),
    ("-625016", "查无此数据", "no such data", _F_STATE),
    ("-625017", "请求参数错误，请重试", "bad request parameters, retry", _F_RESEND),
    ("-625018", "申报失败[主键为空或未找到数据]，请重试", "declaration failed (empty key or no data), retry", _F_RESEND),
    ("-625019", "申报失败[系统错误]，请重试", "declaration failed (system error), retry", _F_SYSTEM),
    ("-625020", "*[*]与卡信息[*]不匹配，没有权限进行操作", "*[*] does not match the card [*]: not authorised", _F_AUTH),
    ("-625021", "[*]没有权限进行操作", "[*] is not authorised", _F_AUTH),
    ("-625022", "退货申请单[*]的申报状态不符合改单申报的条件", "return request [*] status does not allow a change", _F_STATE),
    ("-625023", "所有退货申请单的表体均为空，无法完成批量申报操作", "all return requests have no lines (batch)", ("至少填写一条InvtRefundList", "add at least one InvtRefundList")),
    ("-625024", "退货申请单[*]，核增个人[*]消费金额时出错", "return request [*]: error adjusting buyer [*]'s consumption", _F_SYSTEM),
    ("-625025", "退货申请单[*]，新增个人消费金额时出错", "return request [*]: error adding buyer consumption", _F_SYSTEM),
    ("-625026", "退货申请单[*]，查询个人限额失败", "return request [*]: personal limit lookup failed", _F_SYSTEM),
    ("-625027", "保存签名信息发生错误！", "error saving the signature", _F_SIGN),
    ("-625028", "保存签名信息发生错误,签名信息为空！", "error saving the signature: signature empty", _F_SIGN),
    ("-625029", "保存失败，请确认状态并刷新重试", "save failed: check the status, refresh and retry", _F_STATE),
    ("-625030", "申报失败[*]，请重试", "declaration failed [*], retry", _F_RESEND),
    ("-625031", "所有退货申请单的表体均为空，无法完成批量申报操作", "all return requests have no lines (batch)", ("至少填写一条InvtRefundList", "add at least one InvtRefundList")),
    ("-625032", "查无此数据", "no such data", _F_STATE),
    ("-625033", "退货申请单[*]已经申报过，请勿重复申报", "return request [*] already declared", _F_DUP),
    ("-625110", "系统发生异常", "system error", _F_SYSTEM),
    ("-625113", "*[*]与卡信息[*]不匹配，没有权限进行操作", "*[*] does not match the card [*]: not authorised", _F_AUTH),
    ("-625114", "[*]没有权限进行操作", "[*] is not authorised", _F_AUTH),
    ("-625116", "系统发生异常", "system error", _F_SYSTEM),
    ("-625200", "CEB625Message接收失败，退货申请单为空，报文业务主键[*]", "CEB625 refused: no return request [*]", _F_RESEND),
    ("-625202", "退货申请单[*]发送海关成功，更新状态时发生错误", "return request [*] sent; status update failed", _F_SYSTEM),
    ("-625203", "退货申请单[*]发送海关失败，更新状态时发生错误", "return request [*] not sent; status update failed", _F_SYSTEM),
    ("-625204", "未找到headGuid为[*]的清单", "no inventory with headGuid [*]", _F_STATE),
    ("-625205", "通过界面申报清单[*]发生错误，状态不是申报中", "inventory [*] via UI: status is not 'declaring'", _F_STATE),
    ("-625206", "退货申请单[*]发送海关成功，更新状态时发生错误", "return request [*] sent; status update failed", _F_SYSTEM),
    ("-625207", "退货申请单[*]发送海关失败，更新状态时发生错误", "return request [*] not sent; status update failed", _F_SYSTEM),
    ("-625208", "验签失败*！", "signature verification failed *", _F_SIGN),
    ("-625209", "退货申请单[*],在关联的清单中未找到表体序号为[*],商品编号为[*]的数据", "return request [*]: line gnum [*] / gcode [*] not in the original inventory", ("gnum和gcode须与原清单表体一致", "gnum and gcode must match a line of the original inventory")),
]
_DELIVERY = [
    ("-800000", "入库明细单表体信息不存在", "warehouse-entry detail has no lines", ("至少填写一条DeliveryList", "add at least one DeliveryList")),
    ("-800001", "校验不通过，[错误信息]", "check failed [message]", _F_PARAM),
    ("-800002", "入库明细单报文解析失败", "warehouse-entry detail could not be parsed", _F_RESEND),
    ("-800003", "入库明细单报已存在", "warehouse-entry detail already exists", _F_DUP),
    ("-800004", "入库明细单报文处理失败，系统异常", "processing failed: system error", _F_SYSTEM),
    ("-800005", "入库明细单报文处理失败，接收报文为旧报文数据，不做处理", "processing failed: stale message ignored", _F_OLD),
    ("-800006", "入库明细单报文处理失败，报文表头数据超过限制", "processing failed: too many heads in the message", _F_LIMIT),
]

# CEB900 format-check receipts (报文格式校验回执): the spec only says a negative returnStatus is a format error;
# to_ceb900() answers with the negated DXP format code of table 7-1 (our mapping, see kuajing/ceb/README.md)
_FORMAT = [
    ("-1", "报文格式错误（数据交换平台代码0001）", "malformed message (DXP code 0001)",
     ("按returnInfo所列路径修正XML格式与编码(UTF-8)后重发", "fix the XML at the paths in returnInfo (well-formed, UTF-8) and resend")),
    ("-2", "数据包不能通过schema验证（数据交换平台代码0002）", "message fails schema validation (DXP code 0002)",
     ("按returnInfo所列字段路径修正后重发", "fix the fields at the paths in returnInfo and resend")),
    ("-999", "其他格式错误（数据交换平台代码0999）", "other format error (DXP code 0999)",
     ("按returnInfo所述修正（报文大小、DOCTYPE等）后重发", "fix what returnInfo names (size, DOCTYPE …) and resend")),
]

_FAMILIES = [
    (("CEB900",), _FORMAT),
    (("CEB311", "CEB303"), _ORDER), (("CEB411", "CEB403"), _PAYMENT), (("CEB511", "CEB505"), _WAYBILL),
    (("CEB513",), _WAYBILL_STATUS), (("CEB621",), _INVENTORY), (("CEB623",), _CANCEL), (("CEB625",), _REFUND),
    (("CEB711",), _DELIVERY),
]

# ---- DXP transport errors (chapter 7, table 7-1) ----------------------------------------------------
_DXP = [
    ("0001", "报文格式错误", "malformed message", "检查XML格式与编码(UTF-8)", "check XML well-formedness and UTF-8 encoding"),
    ("0002", "数据包不能通过schema验证", "message fails schema validation", "按返回的字段路径修正后重发", "fix the fields at the reported paths and resend"),
    ("0999", "其他格式错误", "other format error", "检查报文大小、DOCTYPE等", "check size, DOCTYPE and similar"),
    ("1001", "数字签名无效", "invalid digital signature", "重新加签", "sign again"),
    ("1002", "数字签名过期", "signature certificate expired", "更新证书后重新加签", "renew the certificate and sign again"),
    ("1003", "报文解密错误", "message decryption error", "检查加密设置", "check the encryption settings"),
    ("1004", "签名与数据不符", "signature does not match the data", "加签后不要修改报文", "do not alter the message after signing"),
    ("1999", "其他安全错误", "other security error", "联系电子口岸", "contact the e-port"),
    ("2001", "指定的接收方不存在", "receiver does not exist", "核对ReceiverId", "check ReceiverId"),
    ("2002", "地址不匹配，报文的实际接收方与该报文的“接收方”定义不同", "address mismatch between actual and declared receiver", "核对ReceiverId与路由", "check ReceiverId and routing"),
    ("2999", "其他业务逻辑错误", "other business logic error", "联系电子口岸", "contact the e-port"),
    ("3001", "数据库、中间件等系统错误", "database / middleware error", "稍后重发", "resend later"),
    ("3002", "远程连接错误", "remote connection error", "检查网络后重发", "check the network and resend"),
    ("3003", "远程连接超时", "remote connection timeout", "稍后重发", "resend later"),
    ("3999", "其他系统级错误", "other system error", "联系电子口岸", "contact the e-port"),
]


def _build() -> dict[tuple[str, str], tuple[CatalogueEntry, ...]]:
    out: dict[tuple[str, str], list[CatalogueEntry]] = {}

    def add(entry: CatalogueEntry) -> None:
        bucket = out.setdefault((entry.message_type, entry.code), [])
        bucket.append(_with_variant(entry, len(bucket) + 1))

    for code, zh, en, fzh, fen, types in _STATUSES:
        for t in types.split():
            add(CatalogueEntry(t, code, zh, en, fzh, fen, "status"))
    for types, code, zh, en, (fzh, fen) in ((t, c, z, e, f) for t, cs, z, e, f in _ERRORS for c in cs):
        add(CatalogueEntry(types, code, zh, en, fzh, fen, "error"))
    for types, rows in _FAMILIES:
        for t in types:
            for code, zh, en, (fzh, fen) in rows:
                add(CatalogueEntry(t, code, zh, en, fzh, fen, "error"))
    for code, zh, en, fzh, fen in _DXP:
        add(CatalogueEntry("DXP", code, zh, en, fzh, fen, "dxp"))
    return {k: tuple(v) for k, v in out.items()}


def _with_variant(entry: CatalogueEntry, variant: int) -> CatalogueEntry:
    return CatalogueEntry(entry.message_type, entry.code, entry.meaning_zh, entry.meaning_en, entry.fix_zh,
                          entry.fix_en, entry.kind, variant)


CATALOGUE: dict[tuple[str, str], tuple[CatalogueEntry, ...]] = _build()


def _declaration_of(message_type: str) -> str:
    from kuajing.ceb.messages import RECEIPT_OF

    t = message_type.removesuffix("Message")
    for decl, receipt in RECEIPT_OF.items():
        if receipt == t:
            return decl
    return t


def _receipt_of(message_type: str) -> str:
    from kuajing.ceb.messages import RECEIPT_OF

    t = message_type.removesuffix("Message")
    return RECEIPT_OF.get(t, t)


def lookup(message_type: str, code: str | int) -> tuple[CatalogueEntry, ...]:
    """All entries for ``code`` as met on ``message_type`` (a declaration or its receipt; "DXP" for transport)."""
    code = str(code).strip()
    t = message_type.removesuffix("Message")
    if code.startswith("-"):
        return CATALOGUE.get((_declaration_of(t), code)) or CATALOGUE.get(("*", code), ())
    if t == "DXP" or (len(code) == 4 and code.isdigit() and code[0] in "0123"):
        found = CATALOGUE.get(("DXP", code))
        if found or t == "DXP":
            return found or ()
    return CATALOGUE.get((_receipt_of(t), code), ())


def explain(message_type: str, code: str | int, return_info: str = "") -> CatalogueEntry | None:
    """The single best entry for a receipt: disambiguates reused codes by the Chinese ``returnInfo``."""
    entries = lookup(message_type, code)
    if len(entries) <= 1:
        return entries[0] if entries else None

    def score(e: CatalogueEntry) -> int:
        core = e.meaning_zh.replace("[*]", "").replace("*", "")
        return sum(1 for ch in set(core) if ch in return_info)

    return max(entries, key=score)


# ---- rendering ----------------------------------------------------------------------------------------

_ISSUE_TEXT: dict[IssueCode, tuple[str, str, str, str]] = {
    IssueCode.XML_TOO_LARGE: ("报文超过大小限制", "message larger than the size limit", "拆分报文或减少记录数", "split the message"),
    IssueCode.XML_MALFORMED: ("XML格式错误", "malformed XML", "生成格式正确的UTF-8 XML", "produce well-formed UTF-8 XML"),
    IssueCode.XML_DOCTYPE: ("含有DOCTYPE或实体声明（防XXE）", "DOCTYPE or entity declaration (XXE guard)", "去掉DOCTYPE", "remove the DOCTYPE"),
    IssueCode.XML_ENCODING: ("编码错误", "bad encoding", "使用UTF-8编码", "use UTF-8"),
    IssueCode.ROOT_UNKNOWN: ("未知的报文根节点", "unknown root element", "根节点应为CEBnnnMessage", "use a CEBnnnMessage root"),
    IssueCode.ROOT_NAMESPACE: ("根节点命名空间错误", "wrong root namespace", "使用http://www.chinaport.gov.cn/ceb", "use http://www.chinaport.gov.cn/ceb"),
    IssueCode.ROOT_TYPE: ("报文类型与预期不符", "message type not the expected one", "发送正确类型的报文", "send the expected message type"),
    IssueCode.ATTR_MISSING: ("根节点缺少guid/version属性", "root lacks guid/version", "补充属性", "add the attribute"),
    IssueCode.ELEMENT_UNEXPECTED: ("多余或顺序错误的节点", "unexpected or out-of-order element", "按规范顺序填写节点", "follow the XSD element order"),
    IssueCode.ELEMENT_TOO_MANY: ("节点重复次数超限（如BaseTransfer重复）", "element repeated too often (e.g. duplicate BaseTransfer)", "删除重复节点", "remove the repeat"),
    IssueCode.RECORDS_TOO_MANY: ("业务记录数超过限制（每报文最多100条）", "too many business records (max 100)", "拆分报文", "split the message"),
    IssueCode.FIELD_MISSING: ("必填项缺失或为空", "mandatory field missing or empty", "填写该字段", "fill in the field"),
    IssueCode.FIELD_TOO_LONG: ("字段超长", "field too long", "缩短到规定长度", "shorten it"),
    IssueCode.FIELD_TOO_SHORT: ("字段长度不足", "field too short", "补足长度或不填写该可选节点", "lengthen it or omit the optional element"),
    IssueCode.FIELD_LENGTH: ("定长字段长度错误（如guid须36位）", "fixed-length field has the wrong length (e.g. guid 36)", "按规定位数填写", "use the exact length"),
    IssueCode.FIELD_NOT_DECIMAL: ("不是有效数值", "not a decimal number", "填写数值，如12.50", "write a number such as 12.50"),
    IssueCode.FIELD_NOT_INTEGER: ("不是有效整数", "not an integer", "填写整数", "write an integer"),
    IssueCode.FIELD_FRACTION_DIGITS: ("小数位数超限", "too many decimal places", "最多保留规定小数位", "round to the allowed places"),
    IssueCode.FIELD_TOTAL_DIGITS: ("数字总位数超限", "too many digits", "减少位数", "use fewer digits"),
    IssueCode.FIELD_DATE_FORMAT: ("日期时间格式错误", "bad date/time format", "按yyyyMMdd / yyyyMMddHHmmss / yyyyMMddHHmmssSSS填写", "use yyyyMMdd / yyyyMMddHHmmss / yyyyMMddHHmmssSSS"),
    IssueCode.FIELD_ENUM: ("取值不在允许范围", "value not allowed", "填写规范列出的取值", "use one of the listed values"),
    IssueCode.FIELD_CODE: ("代码不在海关参数代码表中", "code not in the customs code table", "使用海关参数代码（如币制142）", "use a customs code (e.g. currency 142)"),
    IssueCode.FIELD_CONTENT: ("字段含有子节点", "field holds child elements", "字段只填文本", "write text only"),
    IssueCode.SIGNATURE_MISSING: ("缺少数字签名", "ds:Signature missing", "加签后发送", "sign the message"),
    IssueCode.SIGNATURE_INVALID: ("签名节点不是ds:Signature", "signature element is not ds:Signature", "使用XML-DSig签名", "use an XML-DSig signature"),
    IssueCode.RULE_AMOUNT: ("金额勾稽关系不符（实际支付=商品价格+运杂费+代扣税款-非现金抵扣）", "amounts do not add up (acturalPaid = goodsValue + freight + taxTotal - discount)", "重新计算金额", "recompute the amounts"),
    IssueCode.RULE_GNUM: ("商品序号未从1连续编号或重复", "gnum not numbered 1..n", "按1、2、3…编号", "number the lines 1, 2, 3 …"),
    IssueCode.RULE_NEGATIVE: ("金额、数量或重量为负数，或数量为0", "negative amount, quantity or weight, or a quantity of 0", "填写不小于0的金额（赠品单价为0），数量大于0", "amounts of 0 or more (a gift's price is 0), quantities above 0"),
    IssueCode.RULE_LINE_TOTAL: ("商品总价不等于数量×单价", "totalPrice is not qty × price", "总价=数量×单价（允许分位舍入差）", "totalPrice = qty × price (to the fen)"),
    IssueCode.RULE_ID_TYPE: ("进口订购人/支付人证件类型不是1（身份证）", "import buyer / payer ID type is not 1 (ID card)", "证件类型填1并填写身份证号码", "use ID type 1 with the ID card number"),
    IssueCode.RULE_ID_NUMBER: ("订购人/支付人身份证号码无效（位数、行政区划、出生日期或校验码）", "buyer / payer ID card number is not valid (length, province, birth date or check character)", "按身份证填写18位号码，末位X大写", "give the 18 characters exactly as on the ID card"),
    IssueCode.SCHEMA_OTHER: ("其他结构错误", "other structural error", "按提示修正", "fix as described"),
}


def issue_code_text(code: IssueCode) -> tuple[str, str, str, str]:
    """(meaning_zh, meaning_en, fix_zh, fix_en) of one of our own issue codes."""
    return _ISSUE_TEXT[code]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")


def render_error_codes_markdown() -> str:
    """docs/error-codes.md, rendered from this catalogue (a test keeps the committed file equal)."""
    lines = [
        "# CEB error codes (报文错误代码)",
        "",
        "Generated by `kuajing.ceb.catalogue.render_error_codes_markdown()`; do not edit by hand.",
        "Sources: the 202205 message specification (receipt field notes, chapter 7) and our own validation codes.",
        "The specification reuses −621027 and −625022 with two meanings inside the same message; both are listed",
        "(variant 1 and 2) and `explain()` picks one by the receipt's returnInfo text. The CEB900 codes −1, −2 and",
        "−999 are the negated DXP format codes 0001, 0002 and 0999 (our mapping: the specification only says that a",
        "negative CEB900 returnStatus is a format error).",
        "The platform's own business codes (−4xxx: sender not authorised, three-document mismatch, bonded stock,",
        "certificates, export rules) are listed in `docs/platform-codes.md`.",
        "",
        "## 1. Validation issue codes of the platform (平台校验代码)",
        "",
        "A CEB900 receipt carries these codes; so do the problem details (`imports_message_unreadable`) answering a",
        "JSON client of `POST /ceb` or of the JSON intake, whose `errors[].message` is the issue's exact Chinese or",
        "English text, and in the other languages (ru, mn) the meaning below, translated (`ceb.po` catalogues). The",
        "JSON intake's own field codes (`wrong_type`, `bad_character`, `field_unknown` …) are listed in `docs/api.md`.",
        "",
        "| code | DXP code | meaning (中文) | meaning | fix (处理) | fix |",
        "|---|---|---|---|---|---|",
    ]
    for code in IssueCode:
        zh, en, fzh, fen = _ISSUE_TEXT[code]
        lines.append(f"| `{code}` | {DXP_CODE[code] or '—'} | {_md(zh)} | {_md(en)} | {_md(fzh)} | {_md(fen)} |")
    lines += ["", "## 2. Receipt statuses (回执状态 returnStatus ≥ 0)", "",
              "| code | meaning (中文) | meaning | fix (处理) | fix | receipts |", "|---|---|---|---|---|---|"]
    for code, zh, en, fzh, fen, types in _STATUSES:
        lines.append(f"| {code} | {_md(zh)} | {_md(en)} | {_md(fzh)} | {_md(fen)} | {' '.join(types.split())} |")
    lines += ["", "## 3. Business error codes (业务错误代码 returnStatus < 0)", "",
              "| message | code | variant | meaning (中文) | meaning | fix (处理) | fix |",
              "|---|---|---|---|---|---|---|"]
    for (mtype, code), entries in sorted(
            ((k, v) for k, v in CATALOGUE.items() if v[0].kind == "error"),
            key=lambda kv: (kv[0][0], -int(kv[0][1]))):
        for e in entries:
            lines.append(f"| {mtype} | {code} | {e.variant} | {_md(e.meaning_zh)} | {_md(e.meaning_en)} | "
                         f"{_md(e.fix_zh)} | {_md(e.fix_en)} |")
    lines += ["", "## 4. DXP transport error codes (数据交换平台错误代码)", "",
              "| code | meaning (中文) | meaning | fix (处理) | fix |", "|---|---|---|---|---|"]
    for code, zh, en, fzh, fen in _DXP:
        lines.append(f"| {code} | {_md(zh)} | {_md(en)} | {_md(fzh)} | {_md(fen)} |")
    lines.append("")
    return "\n".join(lines)
