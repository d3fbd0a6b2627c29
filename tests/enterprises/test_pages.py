"""The registry and filing pages: public vs staff view, field-level errors in the user's language, htmx checks."""

from __future__ import annotations

from tests.enterprises.helpers import full_data, login, make_enterprise, make_user


def _as(client, who, lang="zh_Hans"):
    client.cookies.clear()
    client.cookies.set("lang", lang)
    for k, v in who.cookies.items():
        client.cookies.set(k, v)
    return client


def test_public_registry_shows_approved_public_fields_only(client, db):
    approved = make_enterprise(db, status="approved", name_zh="包头鹿城羊绒制品有限公司")
    draft = make_enterprise(db, status="draft", name_zh="包头草稿企业有限公司")
    db.commit()
    r = client.get("/registry", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert approved.name_zh in r.text and draft.name_zh not in r.text
    assert approved.uscc not in r.text and approved.customs_code not in r.text and "138" not in r.text
    assert client.get(f"/registry?q={approved.uscc}").text.count(approved.name_zh) == 0  # no search by USCC
    r = client.get(f"/enterprises/{approved.id}", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_staff_registry_filters_and_counts(client, db):
    make_enterprise(db, status="approved", district="150204", park="ec-demo-qingshan", name_zh="包头青山甲公司")
    make_enterprise(db, status="submitted", district="150207", name_zh="包头九原乙公司")
    op = login(db, user_id=make_user(db, username="op-pages", roles=["zone_operator"]))
    db.commit()
    r = _as(client, op).get("/registry?district=150207")
    assert "包头九原乙公司" in r.text and "包头青山甲公司" not in r.text
    assert "待审核" in r.text  # status labels in Chinese
    r = _as(client, op).get("/registry?status=submitted")
    assert "包头九原乙公司" in r.text and "包头青山甲公司" not in r.text


def test_form_shows_field_errors_beside_fields_in_the_users_language(client, db):
    op = login(db, user_id=make_user(db, username="op-form", roles=["zone_operator"]))
    db.commit()
    data = {"csrf_token": op.csrf, "uscc": "91150207MA0000001M", "name_zh": "包头测试", "customs_code": "12",
            "district": "150207"}
    r = _as(client, op).post("/enterprises/new", data=data)
    assert r.status_code == 422
    assert 'id="err-uscc"' in r.text and "不是有效的统一社会信用代码" in r.text
    assert "不是有效的海关注册编码" in r.text
    r = _as(client, op, "ru").post("/enterprises/new", data=data)
    assert "Недействительный единый код социального кредита" in r.text
    # valid: a draft is created and we land on its page
    good = full_data(77)
    form = {k: v for k, v in good.items() if k != "roles"} | {"csrf_token": op.csrf, "roles": good["roles"]}
    r = _as(client, op).post("/enterprises/new", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/enterprises/")
    page = _as(client, op).get(r.headers["location"])
    assert good["name_zh"] in page.text and "138****1234" in page.text and "13800001234" not in page.text
    # without the CSRF token nothing is created
    r = _as(client, op).post("/enterprises/new", data={**form, "csrf_token": "x", "uscc": full_data(78)["uscc"]})
    assert r.status_code == 403


def test_htmx_validates_one_field(client, db):
    existing = make_enterprise(db)
    op = login(db, user_id=make_user(db, username="op-htmx", roles=["zone_operator"]))
    db.commit()
    c = _as(client, op)
    headers = {"X-CSRF-Token": op.csrf, "HX-Request": "true"}
    r = c.post("/enterprises/validate?field=customs_code", data={"customs_code": "0703"}, headers=headers)
    assert r.status_code == 200 and "field-error" in r.text and "海关注册编码" in r.text
    r = c.post("/enterprises/validate?field=customs_code", data={"customs_code": "1502960999"}, headers=headers)
    assert r.status_code == 200 and r.text.strip() == ""
    r = c.post("/enterprises/validate?field=uscc", data={"uscc": existing.uscc}, headers=headers)
    assert "已备案" in r.text


def test_review_actions_from_the_detail_page(client, db):
    ent = make_enterprise(db, status="submitted")
    op = login(db, user_id=make_user(db, username="op-review", roles=["zone_operator"]))
    admin = login(db, user_id=make_user(db, username="admin-review", roles=["enterprise_admin"], enterprise_id=ent.id))
    db.commit()
    page = _as(client, op).get(f"/enterprises/{ent.id}")
    assert f"/enterprises/{ent.id}/actions/approve" in page.text and "全程跟踪" in page.text
    r = _as(client, op).post(f"/enterprises/{ent.id}/actions/return",
                             data={"csrf_token": op.csrf, "field_reason_address": "门牌号缺失"}, follow_redirects=False)
    assert r.status_code == 303
    # the admin sees the reviewer's reason beside the field in the edit form
    form = _as(client, admin).get(f"/enterprises/{ent.id}/edit")
    assert form.status_code == 200 and "门牌号缺失" in form.text
    r = _as(client, admin).post(f"/enterprises/{ent.id}/edit", data={"csrf_token": admin.csrf, "name_zh": ent.name_zh,
                                                                      "address": "包头市九原区建华南路1号3栋",
                                                                      "roles": ent.roles}, follow_redirects=False)
    assert r.status_code == 303
    r = _as(client, admin).post(f"/enterprises/{ent.id}/actions/submit", data={"csrf_token": admin.csrf},
                                follow_redirects=False)
    assert r.status_code == 303
    # an illegal action is answered on the page, not with a 500
    r = _as(client, op).post(f"/enterprises/{ent.id}/actions/reinstate", data={"csrf_token": op.csrf})
    assert r.status_code == 409 and "不允许" in r.text
    r = _as(client, op).post(f"/enterprises/{ent.id}/actions/suspend", data={"csrf_token": op.csrf})
    assert r.status_code == 409
    detail = _as(client, op).get(f"/enterprises/{ent.id}")
    for label in ("创建草稿", "提交审核", "退回修改", "修改备案信息", "重新提交审核"):
        assert label in detail.text


def test_registry_search_takes_percent_and_underscore_as_text(client, db):
    # a QA pass: q=% or q=_ matched every enterprise (the wildcards were dropped, leaving "%%")
    a = make_enterprise(db, status="approved", name_zh="包头鹿城羊绒制品有限公司")
    b = make_enterprise(db, status="approved", name_zh="包头100%纯羊绒有限公司")
    db.commit()
    for q, shown, hidden in (("%", b, a), ("_", None, a), ("羊绒", a, None)):
        text = client.get("/registry", params={"q": q}, headers={"Accept": "text/html"}).text
        assert hidden is None or hidden.name_zh not in text, q
        assert shown is None or shown.name_zh in text, q
