"""A few realistic FX and rebate records for the demo zone (kuajing demo)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.enterprises.models import Enterprise, EnterpriseRoleLink
from kuajing.fx.service import advances, bank, proceeds


def load(*, session: Session, exporter: Enterprise, logistics: Enterprise) -> Enterprise | None:
    """The §6 netting receipt and a personal-account receipt for ``exporter``, two advances by ``logistics``
    (one affiliated 11 months, one non-affiliated), a rebate class and claim over National Day 2025, and a
    consent to the first approved bank of the registry (returned, for its demo login)."""
    from kuajing.rebate import service as rebate
    from kuajing.rebate.choices import RebateClass

    actor = "system:demo"
    row = proceeds.record(session=session, enterprise_id=exporter.id, actor=actor, values=proceeds.ProceedsIn(
        bank_name="中国银行包头分行", bank_reference="BOC-DEMO-2025-0001", received_on=date(2025, 11, 20),
        currency="502", actual_amount=Decimal("88000"), payer_name="Overseas Marketplace EU S.à r.l.",
        payer_country="304", evidence_ref="平台订单汇总 2025-10",
        fees=[("storage", Decimal("5000")), ("logistics", Decimal("4000")), ("tax", Decimal("3000"))]))
    proceeds.record(session=session, enterprise_id=exporter.id, actor=actor, values=proceeds.ProceedsIn(
        bank_name="中国工商银行包头分行", bank_reference="ICBC-DEMO-2025-0002", received_on=date(2025, 12, 3),
        currency="502", actual_amount=Decimal("6800"), payer_name="Etsy Ireland UC", payee_kind="individual",
        person_name="王晓梅", person_id_number="150203199208280026"))
    for client, affiliated, repaid in (("包头优品欧洲子公司", True, date(2025, 12, 10)),
                                       ("Nordic Cashmere Retail AB", False, None)):
        advances.create(session=session, enterprise_id=logistics.id, actor=actor, values=advances.AdvanceIn(
            advancer_kind="logistics", client_name=client, affiliated=affiliated, purpose="storage", currency="502",
            amount=Decimal("4200"), advanced_on=date(2025, 1, 10), repaid_on=repaid))
    rebate.set_class(session=session, enterprise_id=exporter.id, rebate_class=RebateClass.two,
                     valid_from=date(2025, 4, 1), basis="包头税务 2025 年度分类评定", actor=actor)
    rebate.create_claim(session=session, enterprise_id=exporter.id, actor=actor, values=rebate.ClaimIn(
        claim_no="TS-DEMO-202509-01", accepted_on=date(2025, 9, 26), amount=Decimal("31560.40")))
    bank_ent = session.scalars(select(Enterprise).join(EnterpriseRoleLink).where(
        EnterpriseRoleLink.role == "finance", Enterprise.status == "approved").order_by(Enterprise.id)).first()
    if bank_ent is not None:
        bank.grant(session=session, enterprise_id=exporter.id, bank_enterprise_id=bank_ent.id, proceeds_id=row.id,
                   purpose="凭交易电子信息办理结汇", actor=actor)
    return bank_ent
