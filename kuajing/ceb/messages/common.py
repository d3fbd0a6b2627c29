"""Envelope blocks shared by the declarations of one direction: BaseTransfer, BaseSubscribe."""

from __future__ import annotations

from kuajing.ceb.spec import node

# 传输企业 (who transmits; must match the connecting DXP client) — import XSD requires copCode non-empty
IMPORT_BASE_TRANSFER = node("BaseTransfer", "传输企业", """
    copCode     C1..18   M          # 传输企业代码
    copName     C0..100  M          # 传输企业名称
    dxpMode     C3       M {DXP}    # 报文传输模式
    dxpId       C0..30   M          # 报文传输编号
    note        C..1000  O          # 备注
""", required_min=1)

EXPORT_BASE_TRANSFER = node("BaseTransfer", "传输企业", """
    copCode     C..18    M          # 传输企业代码
    copName     C..100   M          # 传输企业名称
    dxpMode     C3       M {DXP}    # 报文传输模式
    dxpId       C..30    M          # 报文传输编号
    note        C..1000  O          # 备注
""")

# 订阅 (0..5 third parties copied on data and/or receipts), same in both directions
BASE_SUBSCRIBE = node("BaseSubscribe", "订阅信息", """
    status      C..100   M {ALL,DATA,RET}  # 订阅状态
    dxpMode     C3       M {DXP}           # 报文传输模式
    dxpAddress  C..100   M                 # 订阅方传输地址
    note        C..1000  O                 # 备注
""")
