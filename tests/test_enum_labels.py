"""Labels and colours of status / kind enums are looked up per member, not per value.

StrEnum members of different enums with the same value are equal strings, so a plain dict literal kept only
the last of them: the FX fee "logistics" (物流及尾程派送费, a service payment of R6.2 netting) was shown as the
advancer kind "logistics enterprise" (物流企业).
"""

from __future__ import annotations

import pytest

from kuajing.export_summary.choices import ApplicationStatus, SummaryMode
from kuajing.exports.choices import ExportDocumentStatus, ExportInventoryStatus, RoutingReason
from kuajing.fx.choices import AdvancerKind, FeeKind
from kuajing.i18n import MemberMap, lazy
from kuajing.imports.choices import DocumentStatus, InventoryStatus


@pytest.mark.parametrize(("member", "label"), [
    (FeeKind.logistics, "Logistics and last-mile delivery"),
    (AdvancerKind.logistics, "Logistics enterprise"),
    (SummaryMode.statistics, "Summary statistics"),
    (ApplicationStatus.statistics, "Statistics only"),
    (ExportDocumentStatus.decided, "Customs decision completed"),
    (ExportInventoryStatus.decided, "Decided, waiting for the arrival report"),
    (ExportInventoryStatus.inspection, "Inspection"),
    (RoutingReason.inspection, "Inspection required"),
])
def test_same_value_in_two_enums_keeps_its_own_label(member, label):
    assert str(member.label) == label


def test_the_fee_is_not_labelled_as_the_advancer_in_chinese():
    assert FeeKind.logistics.display("zh_Hans") == "物流及尾程派送费"
    assert AdvancerKind.logistics.display("zh_Hans") == "物流企业"


def test_colours_per_member():
    assert DocumentStatus.decided.colour == "green"
    assert InventoryStatus.decided.colour == "blue"


def test_member_map_refuses_a_member_twice():
    with pytest.raises(ValueError):
        MemberMap([(FeeKind.tax, lazy("a")), (FeeKind.tax, lazy("b"))])
    labels = MemberMap([(FeeKind.logistics, "fee"), (AdvancerKind.logistics, "advancer")])
    assert (labels[FeeKind.logistics], labels.get(AdvancerKind.logistics), labels.get(FeeKind.tax, "-")) == \
        ("fee", "advancer", "-")
    assert FeeKind.logistics in labels and FeeKind.tax not in labels
