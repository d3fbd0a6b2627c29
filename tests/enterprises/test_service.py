"""Enterprise filing service: identifier rules, the state machine, duplicates, search and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from kuajing.audit.models import AuditEvent
from kuajing.enterprises import service
from kuajing.enterprises.choices import TRANSITIONS, EnterpriseStatus, ReviewAction
from kuajing.errors import AppError
from tests.enterprises.helpers import full_data, make_customs_code, make_enterprise, make_uscc

ZONE = service.zone_config()


@pytest.mark.parametrize("code", ["91150207MA0000001L", "91110000600037341L", make_uscc(4242)])
def test_valid_uscc(code):
    assert service.is_valid_uscc(code)


@pytest.mark.parametrize("code", ["", "91150207MA0000001M", "91150207MA0000001", "9115020AMA0000001L",
                                  "91150207MA0000001LX", "91150207MI0000001L"])
def test_invalid_uscc(code):
    assert not service.is_valid_uscc(code)


@pytest.mark.parametrize("code", ["1502960123", "1502930A1B", "4403160XYZ", make_customs_code(7)])
def test_valid_customs_code(code):
    assert service.is_valid_customs_code(code)


@pytest.mark.parametrize("code", ["150296012", "15029601234", "9902960123", "1500960123", "1502060123",
                                  "0703960123", "1502960abc"])
def test_invalid_customs_code(code):
    assert not service.is_valid_customs_code(code)


@pytest.mark.parametrize(("code", "ok"), [("DXPENT0000012345", True), ("DXPESW0000000001", True),
                                          ("DXPENT000001234", False), ("DXPEN10000012345", False),
                                          ("dxpent0000012345", False), ("ABCENT0000012345", False)])
def test_dxp_id(code, ok):
    assert service.is_valid_dxp_id(code) is ok


def test_clean_fields_reports_every_issue_with_its_path():
    with pytest.raises(AppError) as caught:
        service.clean_fields(data={"uscc": "91150207MA0000001M", "customs_code": "12", "district": "999999",
                                   "roles": ["ecommerce", "pirate"], "contact_phone": "12345",
                                   "customs_office": "9999", "industry": "spice", "park": "nowhere",
                                   "dxp_id": "DXP1"}, zone=ZONE)
    found = {(i.code, i.path) for i in caught.value.errors}
    assert found == {("uscc_invalid", "uscc"), ("customs_code_invalid", "customs_code"),
                     ("district_unknown", "district"), ("role_unknown", "roles[2]"),
                     ("phone_invalid", "contact_phone"), ("customs_office_unknown", "customs_office"),
                     ("industry_unknown", "industry"), ("park_unknown", "park"), ("dxp_id_invalid", "dxp_id")}
    assert caught.value.status == 422


def test_park_must_lie_in_the_district():
    with pytest.raises(AppError) as caught:
        service.clean_fields(data={"district": "150204", "park": "jiuyuan-digital"}, zone=ZONE)
    assert [(i.code, i.path) for i in caught.value.errors] == [("park_not_in_district", "park")]
    # a park without a fixed district (the bonded centre) goes with any district
    assert service.clean_fields(data={"district": "150204", "park": "bonded-b"}, zone=ZONE)["park"] == "bonded-b"


def test_codes_are_normalised():
    clean = service.clean_fields(data={"uscc": " 91150207ma0000001l ", "customs_code": "1502-960-123",
                                       "contact_phone": "+86 138 0000 1234"}, zone=ZONE)
    assert clean == {"uscc": "91150207MA0000001L", "customs_code": "1502960123", "contact_phone": "13800001234"}


def test_phone_is_encrypted_at_rest_and_masked_in_the_audit_trail(db):
    ent = make_enterprise(db)
    db.commit()
    raw = db.execute(text("SELECT contact_phone FROM enterprises")).scalar_one()
    assert "13800001234" not in raw
    event = db.scalars(select(AuditEvent)).one()
    assert event.after["contact_phone"] == "138****1234"
    assert "13800001234" not in (event.after_json or "")
    assert ent.contact_phone == "13800001234"


def test_duplicates_answer_409_with_path(db):
    make_enterprise(db, n=900)
    with pytest.raises(AppError) as caught:
        service.create_draft(session=db, data=full_data(900), actor="t", zone=ZONE)
    assert (caught.value.status, caught.value.code, caught.value.errors[0].path) == (409, "uscc_taken", "uscc")
    with pytest.raises(AppError) as caught:
        service.create_draft(session=db, data=full_data(901, customs_code=make_customs_code(900)), actor="t", zone=ZONE)
    assert (caught.value.code, caught.value.errors[0].path) == ("customs_code_taken", "customs_code")
    with pytest.raises(AppError) as caught:
        service.create_draft(session=db, data=full_data(902, dxp_id="DXPENT0000000900"), actor="t", zone=ZONE)
    assert caught.value.code == "dxp_id_taken"


ALL_STATUSES = list(EnterpriseStatus)


@pytest.mark.parametrize("action", [a for a in TRANSITIONS])
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_state_machine(db, status, action):
    ent = make_enterprise(db, status=status.value)
    _sources, _target = TRANSITIONS[action]
    effective = ReviewAction.resubmit if (action is ReviewAction.submit and status is EnterpriseStatus.returned) else action
    legal = status in TRANSITIONS[effective][0]
    if legal:
        service.transition(session=db, enterprise=ent, action=action, actor="t", reason="because")
        assert ent.status == TRANSITIONS[effective][1].value
    else:
        with pytest.raises(AppError) as caught:
            service.transition(session=db, enterprise=ent, action=action, actor="t", reason="because")
        assert caught.value.status == 409
        assert caught.value.code == "enterprise_transition_not_allowed"
        assert ent.status == status.value


def test_lifecycle_records_every_step_in_the_stream(db):
    ent = make_enterprise(db, status="returned")
    service.update_filing(session=db, enterprise=ent, data={"address": "包头市青山区幸福路2号"}, actor="a", zone=ZONE)
    service.transition(session=db, enterprise=ent, action=ReviewAction.submit, actor="a")
    service.transition(session=db, enterprise=ent, action=ReviewAction.approve, actor="op")
    service.transition(session=db, enterprise=ent, action=ReviewAction.suspend, actor="op", reason="逾期未年报")
    service.transition(session=db, enterprise=ent, action=ReviewAction.reinstate, actor="op")
    service.transition(session=db, enterprise=ent, action=ReviewAction.revoke, actor="op", reason="企业注销")
    db.flush()
    actions = [e.action.split(":")[-1] for e in reversed(service.timeline(session=db, enterprise=ent))]
    assert actions == ["create", "submit", "return", "update", "resubmit", "approve", "suspend", "reinstate", "revoke"]
    assert {e.stream for e in service.timeline(session=db, enterprise=ent)} == {f"enterprise:{ent.uscc}"}


def test_submit_needs_a_complete_filing(db):
    ent = service.create_draft(session=db, data={"uscc": make_uscc(), "name_zh": "包头某公司"}, actor="t", zone=ZONE)
    with pytest.raises(AppError) as caught:
        service.transition(session=db, enterprise=ent, action=ReviewAction.submit, actor="t")
    assert caught.value.code == "enterprise_incomplete"
    assert {i.path for i in caught.value.errors} == set(service.REQUIRED_ON_SUBMIT)
    assert ent.status == "draft"


def test_return_needs_a_reason_and_keeps_field_reasons(db):
    ent = make_enterprise(db, status="submitted")
    with pytest.raises(AppError) as caught:
        service.transition(session=db, enterprise=ent, action=ReviewAction.return_, actor="op")
    assert (caught.value.code, caught.value.errors[0].code) == ("validation_failed", "return_reason_required")
    service.transition(session=db, enterprise=ent, action=ReviewAction.return_, actor="op",
                       field_reasons=[{"path": "address", "message": "地址与营业执照不一致"}])
    assert ent.status == "returned"
    assert ent.review_issues == [{"path": "address", "message": "地址与营业执照不一致"}]


def test_only_drafts_and_returned_filings_are_editable(db):
    ent = make_enterprise(db, status="approved")
    with pytest.raises(AppError) as caught:
        service.update_filing(session=db, enterprise=ent, data={"address": "x"}, actor="a", zone=ZONE)
    assert (caught.value.status, caught.value.code) == (409, "enterprise_not_editable")


def test_an_unchanged_edit_records_nothing(db):
    ent = make_enterprise(db)
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    service.update_filing(session=db, enterprise=ent, data={"address": ent.address}, actor="a", zone=ZONE)
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_search_filters_and_counts(db):
    a = make_enterprise(db, status="approved", district="150204", park="ec-demo-qingshan", industry="honey",
                        roles=["platform"], name_zh="包头蜂语电子商务有限公司")
    make_enterprise(db, status="submitted", district="150207", industry="cashmere")
    make_enterprise(db, status="approved", district="150207", industry="cashmere")
    q = service.RegistryQuery
    rows, total, counts = service.search(session=db, params=q())
    assert total == 3 and counts["approved"] == 2 and counts["submitted"] == 1 and counts["draft"] == 0
    assert [e.id for e in service.search(session=db, params=q(q="蜂语"))[0]] == [a.id]
    assert [e.id for e in service.search(session=db, params=q(q=a.uscc.lower()))[0]] == [a.id]
    assert [e.id for e in service.search(session=db, params=q(q=a.customs_code))[0]] == [a.id]
    assert [e.id for e in service.search(session=db, params=q(role="platform"))[0]] == [a.id]
    assert [e.id for e in service.search(session=db, params=q(park="ec-demo-qingshan"))[0]] == [a.id]
    assert service.search(session=db, params=q(district="150207"))[1] == 2
    rows, total, counts = service.search(session=db, params=q(industry="cashmere", status="approved"))
    assert total == 1 and counts == {s.value: n for s, n in zip(EnterpriseStatus, [0, 1, 0, 1, 0, 0])}
    # the public view: approved only, and the USCC is not searchable
    assert service.search(session=db, params=q(), public=True)[1] == 2
    assert service.search(session=db, params=q(q=a.uscc), public=True)[1] == 0
    # pagination
    rows, total, _ = service.search(session=db, params=q(per_page=2, page=2))
    assert total == 3 and len(rows) == 1


def test_zone_file_is_configurable(tmp_path):
    (tmp_path / "zone.json").write_text('{"zone": {"code": "x"}, "districts": [{"code": "1", "name": {"zh_Hans": "甲区"}}],'
                                        ' "parks": [], "industries": []}', encoding="utf-8")
    zone = service.zone_config(var_dir=tmp_path)
    assert list(zone.districts) == ["1"] and zone.districts["1"].name("en") == "甲区"
    assert len(service.zone_config().districts) == 10
