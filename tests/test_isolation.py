"""Isolation proof (企业间数据隔离): enterprise B's user and API key can neither read nor change enterprise A.

Every route of the application is discovered from the app itself. Each one is either

* on the explicit PUBLIC allow-list below (with the reason it holds no enterprise data), or
* *addressed*: it has path parameters, which are filled with A's records; B must get a 403/404 problem
  (never a 2xx, never a 422 that hides whether authorisation works) and the database must not change; or
* a *collection*: no path parameters; B calls it aiming at A (``enterprise_id`` = A in the query, the JSON
  body and the form); the answer must not contain anything of A, and nothing of A may change.

A route the test does not know how to address (a new path parameter) fails the test, so a new endpoint
cannot slip past the proof. Positive controls: A's own user and key read A through every addressed GET.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text

from kuajing.audit.models import AuditEvent
from kuajing.db.base import import_all_models
from tests.enterprises.helpers import login, make_enterprise, make_user

#: (method, path) → why it is public or outside any one enterprise's data.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/api/openapi.json"): "the API description",
    ("GET", "/api/docs"): "the API documentation page",
    ("GET", "/docs/oauth2-redirect"): "part of the documentation page",
    ("MOUNT", "/static"): "static assets",
    ("GET", "/"): "home page",
    ("GET", "/healthz"): "liveness",
    ("GET", "/metrics"): "operational counters only (no enterprise data); bearer token when KUAJING_METRICS_TOKEN is set",
    ("GET", "/lang/{code}"): "language switch (a cookie)",
    ("GET", "/login"): "login form",
    ("POST", "/login"): "login",
    ("POST", "/logout"): "ends one's own session",
    ("GET", "/api/v1/me"): "one's own principal",
    ("POST", "/account/password"): "one's own password",
    ("GET", "/api/v1/zone"): "the zone's districts, parks and industries",
    ("GET", "/api/v1/reference/rates"): "public reference data (exchange rates)",
    ("GET", "/api/v1/reference/rates/{currency}"): "public reference data",
    ("GET", "/api/v1/reference/holidays/{year}"): "public reference data",
    ("GET", "/api/v1/reference/working-day"): "public reference data",
    ("GET", "/api/v1/reference/hs/{hs_code}"): "public reference data",
    ("GET", "/api/v1/reference/versions"): "public reference data",
    ("GET", "/api/v1/rules"): "public policy parameters",
    ("GET", "/api/v1/rules/{name}"): "public policy parameters",
    ("GET", "/api/v1/tax/hs-rates/{hs_code}"): "public tariff and tax rates of an HS code",
    ("POST", "/api/v1/tax/quote"): "public tax calculator (nothing stored)",
    ("GET", "/tax/calculator"): "public tax calculator page",
    ("POST", "/tax/calculator"): "public tax calculator page",
    ("GET", "/api/v1/imports/orders/template.xlsx"): "an empty Excel template",
    ("GET", "/api/v1/exports/orders/template.xlsx"): "an empty Excel template",
    ("GET", "/api/v1/bonded/entry-template.xlsx"): "an empty Excel template",
    ("GET", "/quota"): "the quota lookup form (answers need ID number + name, rate-limited)",
    ("POST", "/quota"): "quota lookup: ID number + name of the buyer, masked answer, rate-limited",
    ("POST", "/api/v1/quota/lookup"): "quota lookup: ID number + name of the buyer, masked answer, rate-limited",
    ("GET", "/api/v1/exports/public-warehouses"): "public / certified overseas warehouses (published master data)",
    ("GET", "/api/v1/fx/proceeds/template.xlsx"): "an empty Excel template",
}

#: Routes that belong to the proof: everything under /api/v1, /enterprises, /account and /registry.
IN_SCOPE = re.compile(r"^/(api/v1/|enterprises|account|registry|ceb|imports|bonded|customs|quota|tax|export-summary|no-invoice-register|certificates|exports|risk|evaluation|data-export|fx|rebate|stats)")

REVIEW_ACTIONS = ("submit", "approve", "return", "suspend", "reinstate", "revoke", "update", "bogus")


def discover(app) -> list[tuple[str, str]]:
    """Every (method, path) the application serves (included routers walked)."""
    found: list[tuple[str, str]] = []

    def walk(routes, prefix=""):
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + (getattr(route.include_context, "prefix", "") or ""))
            elif getattr(route, "methods", None):
                found.extend((m, prefix + route.path) for m in sorted(route.methods - {"HEAD", "OPTIONS"}))
            else:
                found.append(("MOUNT", prefix + getattr(route, "path", "")))

    walk(app.routes)
    return sorted(set(found))


def body_for(method: str, path: str, a_id: int) -> dict:
    """A body valid enough to reach the endpoint (so the answer is the authorisation decision)."""
    if method in ("GET", "DELETE"):
        return {}
    fields = {"address": "被篡改的地址", "reason": "试图越权", "name": "越权密钥", "enterprise_id": a_id,
              "uscc": "91150207MA0099999X", "name_zh": "越权企业", "username": "intruder-x",
              "display_name": "Intruder", "password": "Intruder-password-1!", "roles": ["enterprise_user"],
              "role": "enterprise_user", "mode": "test", "field": "address"}
    if path.startswith("/api/"):
        if path.endswith(("/submit", "/approve", "/reinstate", "/return", "/suspend", "/revoke")):
            return {"json": {"reason": fields["reason"]}}
        if path == "/api/v1/enterprises/{enterprise_id}":
            return {"json": {"address": fields["address"]}}
        if path == "/api/v1/api-keys":
            return {"json": {"name": fields["name"], "enterprise_id": a_id, "roles": ["enterprise_user"]}}
        if path == "/api/v1/users":
            return {"json": {k: fields[k] for k in ("username", "display_name", "password", "roles", "enterprise_id")}}
        if path == "/api/v1/enterprises":
            return {"json": {"uscc": fields["uscc"], "name_zh": fields["name_zh"]}}
        return {"json": {"enterprise_id": a_id}}
    return {"data": {k: v for k, v in fields.items() if k != "roles"}}


_CONVERTOR = re.compile(r"{(\w+):\w+}")


def fill(path: str, ids: dict[str, int]) -> list[str]:
    """Concrete URLs for ``path`` aimed at A's records; raises for an unknown path parameter."""
    path = _CONVERTOR.sub(r"{\1}", path)  # {business_key:path} is aimed like {business_key}
    params = re.findall(r"{(\w+)}", path)
    urls = [path]
    for name in params:
        if name == "action":
            urls = [u.replace("{action}", a) for u in urls for a in REVIEW_ACTIONS]
        elif name in ids:
            urls = [u.replace("{" + name + "}", str(ids[name])) for u in urls]
        else:
            raise AssertionError(f"route {path}: no filler for path parameter {{{name}}} — teach the isolation "
                                 "test how to aim it at enterprise A, or allow-list it with a reason")
    return urls


def addressable(path: str, ids: dict[str, int]) -> bool:
    """Whether the proof knows how to aim every path parameter of ``path`` (the others fail the classification test)."""
    return all(name == "action" or name in ids for name in re.findall(r"{(\w+)}", _CONVERTOR.sub(r"{\1}", path)))


def state(db, a) -> dict:
    """Row counts of every table, plus A's own rows and A's audit events (what must not change)."""
    db.expire_all()
    counts = {t.name: db.execute(select(func.count()).select_from(t)).scalar_one()
              for t in import_all_models().sorted_tables}
    a_rows = [dict(r._mapping) for r in db.execute(text("SELECT * FROM enterprises WHERE id = :i"), {"i": a.id})]
    a_roles = sorted(r[0] for r in db.execute(text("SELECT role FROM enterprise_roles WHERE enterprise_id = :i"), {"i": a.id}))
    a_users = [tuple(r) for r in db.execute(text("SELECT id, username, roles, is_active, password_hash FROM users "
                                                 "WHERE enterprise_id = :i ORDER BY id"), {"i": a.id})]
    a_keys = [tuple(r) for r in db.execute(text("SELECT id, prefix, roles, revoked_at FROM api_keys "
                                                "WHERE enterprise_id = :i ORDER BY id"), {"i": a.id})]
    a_events = db.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.stream.in_([f"enterprise:{a.uscc}", f"accounts:enterprise:{a.id}"]))).scalar_one()
    return {"counts": counts, "a": (json.dumps(a_rows, default=str), a_roles, a_users, a_keys, a_events)}


@pytest.fixture
def world(db):
    """Enterprises A (returned, so editable) and B, each with an admin, a clerk and an admin API key."""
    from kuajing.accounts import service as accounts

    a = make_enterprise(db, status="returned", n=7001, name_zh="包头甲方羊绒制品有限公司")
    b = make_enterprise(db, status="approved", n=7002, name_zh="包头乙方物流有限公司", district="150204",
                        park="ec-demo-qingshan")
    ids = {}
    for tag, ent in (("a", a), ("b", b)):
        ids[f"{tag}_admin"] = make_user(db, username=f"{tag}-admin", roles=["enterprise_admin"], enterprise_id=ent.id)
        ids[f"{tag}_clerk"] = make_user(db, username=f"{tag}-clerk", roles=["enterprise_user"], enterprise_id=ent.id)
        key, plain = accounts.issue_api_key(session=db, enterprise_id=ent.id, name=f"{tag} erp",
                                            roles=["enterprise_admin"], actor="test")
        ids[f"{tag}_key"], ids[f"{tag}_plain"], ids[f"{tag}_prefix"] = key.id, plain, key.prefix
    db.commit()
    sessions = {k: login(db, user_id=ids[k]) for k in ("a_admin", "a_clerk", "b_admin", "b_clerk")}
    db.commit()
    return a, b, ids, sessions


def _callers(ids, sessions, tag):
    admin = sessions[f"{tag}_admin"]
    return {
        f"{tag} admin (session)": {"cookies": admin.cookies, "headers": {"X-CSRF-Token": admin.csrf},
                                   "csrf": admin.csrf},
        f"{tag} clerk (session)": {"cookies": sessions[f"{tag}_clerk"].cookies,
                                   "headers": {"X-CSRF-Token": sessions[f"{tag}_clerk"].csrf},
                                   "csrf": sessions[f"{tag}_clerk"].csrf},
        f"{tag} API key": {"cookies": {}, "headers": {"X-API-Key": ids[f"{tag}_plain"]}, "csrf": None},
    }


def _send(client, method, url, caller, body):
    client.cookies.clear()
    headers = {"Accept": "text/html" if not url.startswith("/api/") else "application/json", **caller["headers"]}
    kwargs = dict(body)
    if "data" in kwargs and caller["csrf"]:
        kwargs["data"] = {**kwargs["data"], "csrf_token": caller["csrf"]}
    return client.request(method, url, headers=headers, cookies=caller["cookies"], follow_redirects=False, **kwargs)


#: quota / bonded / tax guarantee path parameters, aimed at A's account book, reservation and guarantee
BOOK_FILLERS = {"code": "ISO-A-BOOK", "reference": "ISO-A-RES", "agent_enterprise_id": 1, "month": "2026-01"}
IMPORT_FILLERS = {"business_key": "x:ISO-A-ORD", "order_no": "ISO-A-ORD", "delegation_id": 1}
SUMMARY_FILLERS = {"application_id": 1}


def a_summary_application(db, a) -> dict:
    """A's monthly summary application (汇总申请) over one released export list line."""
    from dataclasses import replace
    from datetime import date

    from kuajing.data import service as data
    from kuajing.export_summary import service as summary
    from tests.export_summary.helpers import line

    data.load_seed(session=db)
    summary.register_released_list(session=db, lines=[replace(line(7001), enterprise_id=a.id,
                                                              consignor=a.customs_code)])
    apps = summary.confirm(session=db, enterprise_id=a.id, month=date(2025, 3, 1), today=date(2025, 4, 2),
                           actor="test")
    db.commit()
    return {"application_id": apps[0].id}


CERTIFICATE_FILLERS = {"certificate_id": 1}
#: risk: an alert and a blacklist entry about A, a published evaluation (government roles only; enterprises see at
#: most their own credit grade — /api/v1/risk/credit/{enterprise_id} is aimed at A through enterprise_id)
RISK_FILLERS = {"alert_id": 1, "entry_id": 1, "snapshot_id": 1}


def a_risk_records(db, a) -> dict:
    """A blacklist entry and an alert about A (A's declaration raised it), and a published district evaluation."""
    from kuajing.evaluation import service as evaluation
    from kuajing.risk import service as risk
    from tests.risk.helpers import fact

    entry = risk.blacklist_add(session=db, actor="test", reason="隔离测试", enterprise_id=a.id)
    [alert] = risk.evaluate(session=db, fact=fact(db, buyer=None, enterprise_id=a.id, district=a.district))
    snap = evaluation.publish(session=db, period="2025", unit_kind="district", actor="test")
    db.commit()
    return {"alert_id": alert.id, "entry_id": entry.id, "snapshot_id": snap.id}


#: exports: A's overseas warehouse, A's prepared customs declaration (A's B2B export order ISO-A-ORD) and A's
#: export list for the same order number (the customs officer's desk addresses lists by id)
EXPORT_FILLERS = {"warehouse_id": 1, "customs_declaration_id": 1, "inventory_id": 1}


def a_export_records(client, db, a, ids) -> dict:
    """A's B2B export order ISO-A-ORD (sent by A's key through POST /ceb; same business key as A's import
    order), its prepared customs declaration, A's overseas warehouse with the order linked as a booking note,
    and A's export list (CEB603) for ISO-A-ORD."""
    from datetime import UTC, datetime

    from kuajing.exports.models import ExportInventory, ExportOrder
    from kuajing.exports.service import routing, warehouses
    from tests.exports.shipments import Parties, inventory, order, xml

    parties = Parties(ebp=a.customs_code, logistics=a.customs_code, agent=a.customs_code, operator=a.customs_code)
    listing = inventory(parties)
    listing.records[0].head.order_no = "ISO-A-ORD"
    msg = order(parties, order_type="B", price="6000", qty="1")
    msg.records[0].head.order_no = "ISO-A-ORD"
    for sent in (msg, listing):
        r = client.post("/ceb", content=xml(sent), headers={"X-API-Key": ids["a_plain"],
                                                            "Content-Type": "application/xml",
                                                            "Accept": "application/json"})
        assert r.status_code == 200 and r.json()["records"][0]["code"] == "2", r.text
    inv = db.scalars(select(ExportInventory).where(ExportInventory.sender_enterprise_id == a.id)).one()
    exp = db.scalars(select(ExportOrder).where(ExportOrder.sender_enterprise_id == a.id)).one()
    decl = routing.prepare(session=db, enterprise_id=a.id, order=exp, actor="test", when=datetime.now(UTC))
    wh = warehouses.create(session=db, enterprise_id=a.id, actor="test", values={
        "name": "甲方德国仓", "country": "304", "address": "Hamburg", "area_m2": "100", "operator_name": "包头甲方",
        "ownership_share": "100"})
    exp.warehouse_id = wh.id
    db.commit()
    return {"warehouse_id": wh.id, "customs_declaration_id": decl.id, "inventory_id": inv.id}


#: fx / rebate: A's receipt, advance, consent, Excel upload, export list and rebate claim
FX_FILLERS = {"proceeds_id": 1, "advance_id": 1, "consent_id": 1, "import_id": 1, "inventory_id": 1, "claim_id": 1}


def a_fx_records(client, db, a, ids) -> dict:
    """A's receipt settling its order ISO-A-ORD and its list ISO-A-ORD-L, an advance, a consent to a bank, an
    Excel upload and a rebate claim (all carrying the marker ISO-A-ORD)."""
    from datetime import date
    from decimal import Decimal

    from kuajing.data import service as data
    from kuajing.fx.service import advances, bank, excel, proceeds
    from kuajing.rebate import service as rebate
    from kuajing.rebate.choices import RebateClass
    from tests.fx.helpers import shipment

    data.load_seed(session=db)
    _order, inv = shipment(db, a, order_no="ISO-A-ORD-L", value="800", ie_date="20251010")
    row = proceeds.record(session=db, enterprise_id=a.id, actor="test", values=proceeds.ProceedsIn(
        bank_name="ISO-A-ORD bank", bank_reference="ISO-A-ORD-R", received_on=date(2025, 10, 20), currency="502",
        actual_amount=Decimal("900"), payer_name="ISO-A-ORD payer", fees=[("storage", Decimal("100"))],
        allocations=[proceeds.AllocationIn("ISO-A-ORD", Decimal("200")),
                     proceeds.AllocationIn(inv.invt_no, Decimal("800"))]))
    adv = advances.create(session=db, enterprise_id=a.id, actor="test", values=advances.AdvanceIn(
        advancer_kind="logistics", client_name="ISO-A-ORD client", affiliated=False, purpose="storage",
        currency="502", amount=Decimal("10"), advanced_on=date(2025, 1, 15)))
    fin = make_enterprise(db, status="approved", n=7004, name_zh="包头丁方银行", roles=["finance"])
    consent = bank.grant(session=db, enterprise_id=a.id, bank_enterprise_id=fin.id, proceeds_id=row.id,
                         purpose="ISO-A-ORD", actor="test")
    from tests.fx.test_excel import receipt, workbook

    upload, _ = excel.submit(session=db, enterprise_id=a.id, actor="test", file_name="ISO-A-ORD.xlsx",
                             content=workbook([receipt("ISO-A-ORD-X")]))
    rebate.set_class(session=db, enterprise_id=a.id, rebate_class=RebateClass.two, valid_from=date(2025, 1, 1),
                     basis=None, actor="test")
    claim = rebate.create_claim(session=db, enterprise_id=a.id, actor="test", values=rebate.ClaimIn(
        claim_no="ISO-A-ORD-C", accepted_on=date(2025, 9, 26), amount=Decimal("10")))
    db.commit()
    return {"proceeds_id": row.id, "advance_id": adv.id, "consent_id": consent.id, "import_id": upload.id,
            "inventory_id": inv.id, "claim_id": claim.id}


def a_certificate(db, a) -> dict:
    """A's registered signing certificate (企业证书备案)."""
    from kuajing.ceb.signing import generate_demo_keypair
    from kuajing.certificates import service as certificates

    _key, cert = generate_demo_keypair("sm2-sm3", "包头甲方羊绒制品有限公司")
    row = certificates.register(session=db, enterprise_id=a.id, data=cert, actor="test")
    db.commit()
    return {"certificate_id": row.id}


def a_import_records(client, db, a, ids) -> dict:
    """A's own order (sent by A's key through POST /ceb) and a delegation A granted."""
    from kuajing.imports.models import ImportOrder
    from kuajing.imports.service import delegations
    from tests.imports.parcels import Parties, order, xml

    msg = order(Parties(ebp=a.customs_code, pay=a.customs_code, logistics=a.customs_code, agent=a.customs_code), n=7001)
    msg.records[0].head.order_no = "ISO-A-ORD"
    r = client.post("/ceb", content=xml(msg), headers={"X-API-Key": ids["a_plain"], "Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    key = db.scalars(select(ImportOrder.business_key).where(ImportOrder.sender_enterprise_id == a.id)).one()
    agent = make_enterprise(db, status="approved", n=7003, name_zh="包头丙方报关有限公司")
    grant = delegations.grant(session=db, principal_enterprise_id=a.id, agent_code=agent.customs_code,
                              message_types=["CEB621"], actor="test")
    db.commit()
    return {"business_key": key, "order_no": "ISO-A-ORD", "delegation_id": grant.id}


def a_bonded_and_guarantee(db, a) -> dict:
    """A's bonded account book with a reservation, and A's tax guarantee with one drawn bill."""
    from decimal import Decimal

    from kuajing.bonded import service as bonded
    from kuajing.tax import service as tax

    bonded.create_warehouse(session=db, code="ISO-A-BOOK", site_code="0412", name="A 仓", operator_enterprise_id=a.id,
                            actor="test")
    bonded.stock_in(session=db, warehouse_code="ISO-A-BOOK", actor="test", lines=[bonded.EntryLine(
        item_no="A-1", goods_name="奶粉", hs_code="1901101000", unit="035", declared_unit="122",
        quantity=Decimal(5), document_no="QD-A")])
    bonded.reserve(session=db, warehouse_code="ISO-A-BOOK", item_no="A-1", quantity=Decimal(1),
                   reference="ISO-A-RES", actor="test", enterprise_id=a.id)
    tax.open_guarantee(session=db, agent_enterprise_id=a.id, actor="test")
    tax.top_up(session=db, agent_enterprise_id=a.id, amount=Decimal("100.00"), reference="ISO-A-TU", actor="test")
    tax.draw(session=db, agent_enterprise_id=a.id, amount=Decimal("27.30"), reference="ISO-A-TAX", actor="test")
    db.commit()
    return {**BOOK_FILLERS, "agent_enterprise_id": a.id, "month": tax._today().strftime("%Y-%m")}


def test_every_route_is_classified(app):
    """A new in-scope route is either allow-listed as public or addressable by the proof."""
    ids = {"enterprise_id": 1, "api_key_id": 1, "declaration_id": 1, **BOOK_FILLERS, **IMPORT_FILLERS, **SUMMARY_FILLERS,
           **CERTIFICATE_FILLERS, **EXPORT_FILLERS, **RISK_FILLERS, **FX_FILLERS}
    for method, path in discover(app):
        if (method, path) in PUBLIC or not IN_SCOPE.match(path):
            assert (method, path) in PUBLIC or not path.startswith(("/api/", "/enterprises", "/account")), path
            continue
        fill(path, ids)  # raises for an unknown parameter


def test_enterprise_b_cannot_reach_enterprise_a(app, client, db, world):
    a, _b, ids, sessions = world
    # declaration_id: a customs sandbox record (no enterprise owns it; the desk is for customs officers only)
    fillers = {"enterprise_id": a.id, "api_key_id": ids["a_key"], "declaration_id": 1,
               **a_bonded_and_guarantee(db, a), **a_import_records(client, db, a, ids),
               **a_summary_application(db, a), **a_certificate(db, a), **a_export_records(client, db, a, ids),
               **a_risk_records(db, a)}
    fillers.update(a_fx_records(client, db, a, ids))
    markers = [a.uscc, a.name_zh, a.customs_code, "a-admin", "a-clerk", ids["a_prefix"], a.dxp_id, "ISO-A-ORD"]
    routes = [(m, p) for m, p in discover(app)
              if (m, p) not in PUBLIC and IN_SCOPE.match(p) and addressable(p, fillers)]
    assert len(routes) >= 20, routes
    addressed = collections = 0
    for caller_name, caller in _callers(ids, sessions, "b").items():
        for method, path in routes:
            for url in fill(path, fillers):
                before = state(db, a)
                body = body_for(method, path, a.id)
                if "{" not in path:
                    url = f"{url}?enterprise_id={a.id}"
                response = _send(client, method, url, caller, body)
                where = f"{caller_name}: {method} {url} → {response.status_code}"
                assert response.status_code < 500, where
                after = state(db, a)
                if "{" in path:
                    addressed += 1
                    assert response.status_code in (403, 404), f"{where}: enterprise A's record is reachable"
                    if url.startswith("/api/"):
                        assert response.headers["content-type"].startswith("application/problem+json"), where
                        assert response.json()["code"], where
                    assert after == before, f"{where}: something changed"
                else:
                    collections += 1
                    assert after["a"] == before["a"], f"{where}: enterprise A's data changed"
                    if response.status_code in (401, 403, 404, 405, 422) or response.status_code >= 400:
                        assert after["counts"] == before["counts"], f"{where}: a refused call changed rows"
                    leaked = [m for m in markers if m and m in response.text]
                    assert not leaked, f"{where}: leaks {leaked}"
    assert addressed > 0 and collections > 0


def test_enterprise_a_reaches_its_own_records(app, client, db, world):
    """Positive control: the same addressed GET routes answer A's own user and key."""
    a, b, ids, sessions = world
    fillers = {"enterprise_id": a.id, "api_key_id": ids["a_key"]}
    gets = [p for m, p in discover(app) if m == "GET" and "{" in p and (m, p) not in PUBLIC and IN_SCOPE.match(p)
            and addressable(p, fillers)]
    assert gets
    for caller_name, caller in _callers(ids, sessions, "a").items():
        for path in gets:
            for url in fill(path, fillers):
                response = _send(client, "GET", url, caller, {})
                if path.endswith("/edit") and "clerk" in caller_name:
                    assert response.status_code == 403, f"{caller_name}: {url}"  # clerks read, admins edit
                    continue
                assert response.status_code == 200, f"{caller_name}: GET {url} → {response.status_code}"
                assert a.name_zh in response.text or a.uscc in response.text or "items" in response.text
    # and A's administrator can change A (the same calls B could not make)
    admin = _callers(ids, sessions, "a")["a admin (session)"]
    r = _send(client, "PATCH", f"/api/v1/enterprises/{a.id}", admin, {"json": {"address": "包头市九原区新地址8号"}})
    assert r.status_code == 200, r.text
    key = _callers(ids, sessions, "a")["a API key"]
    r = _send(client, "POST", f"/api/v1/enterprises/{a.id}/submit", key, {})
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    # B still sees its own enterprise only
    b_key = _callers(ids, sessions, "b")["b API key"]
    r = _send(client, "GET", "/api/v1/enterprises", b_key, {})
    assert [e["id"] for e in r.json()["items"]] == [b.id]


def test_credit_grades_own_only_for_enterprises_every_one_for_government(client, db, world):
    """Enterprises see at most their own credit grade; government roles see every approved enterprise's."""
    a, b, ids, sessions = world
    b_key = _callers(ids, sessions, "b")["b API key"]
    own = _send(client, "GET", "/api/v1/risk/credit", b_key, {})
    assert [g["enterprise_id"] for g in own.json()["items"]] == [b.id] and a.name_zh not in own.text
    assert _send(client, "GET", f"/api/v1/risk/credit/{a.id}", b_key, {}).status_code == 403
    page = _send(client, "GET", "/risk/credit", _callers(ids, sessions, "b")["b admin (session)"], {})
    assert page.status_code == 200 and b.name_zh in page.text and a.name_zh not in page.text
    supervisor = login(db, user_id=make_user(db, username="bureau", roles=["commerce_supervisor"]))
    db.commit()
    gov = {"cookies": supervisor.cookies, "headers": {"X-CSRF-Token": supervisor.csrf}, "csrf": supervisor.csrf}
    every = _send(client, "GET", "/api/v1/risk/credit", gov, {}).json()["items"]
    assert b.id in {g["enterprise_id"] for g in every}  # A is not approved (returned): only approved are graded
    assert _send(client, "GET", f"/api/v1/risk/credit/{a.id}", gov, {}).status_code == 200


def test_a_bank_sees_enterprise_a_only_with_consent(app, client, db, world):
    """A bank / insurer user reaches none of A's FX and rebate records through any route; the bundle of A's
    receipt only while A's consent is live."""
    from kuajing.fx.models import FxConsent

    a, _b, ids, _sessions = world
    fillers = {"enterprise_id": a.id, "api_key_id": ids["a_key"], **a_export_records(client, db, a, ids)}
    fillers.update(a_fx_records(client, db, a, ids))
    consent = db.get(FxConsent, fillers["consent_id"])
    bank_id = consent.bank_enterprise_id
    other = make_enterprise(db, status="approved", n=7005, name_zh="包头戊方保险", roles=["finance"])
    users = {"consented bank": make_user(db, username="bank-a", roles=["bank_insurer"], enterprise_id=bank_id),
             "other bank": make_user(db, username="bank-x", roles=["bank_insurer"], enterprise_id=other.id)}
    db.commit()
    markers = [a.uscc, a.name_zh, a.customs_code, "ISO-A-ORD"]
    bundle = f"/api/v1/fx/bank/bundles/{fillers['proceeds_id']}"
    opened = (bundle, "/api/v1/fx/bank/bundles?", "/fx/bank?")  # the bundle, the list and the page of it
    routes = [(m, p) for m, p in discover(app) if (m, p) not in PUBLIC and re.match(r"^/(api/v1/)?(fx|rebate)", p)]
    assert len(routes) >= 15, routes
    for who, user_id in users.items():
        s = login(db, user_id=user_id)
        db.commit()
        caller = {"cookies": s.cookies, "headers": {"X-CSRF-Token": s.csrf}, "csrf": s.csrf}
        for method, path in routes:
            for url in fill(path, fillers):
                if "{" not in path:
                    url = f"{url}?enterprise_id={a.id}"
                before = state(db, a)
                response = _send(client, method, url, caller, body_for(method, path, a.id))
                where = f"{who}: {method} {url} → {response.status_code}"
                assert response.status_code < 500, where
                assert state(db, a)["counts"] == before["counts"] or url.startswith(bundle), where
                if url.startswith(opened) and who == "consented bank":
                    assert response.status_code == 200, where  # what the consent opens: that receipt
                    continue
                assert not [m for m in markers if m in response.text], f"{where}: leaks"
                if "{" in path:
                    assert response.status_code in (403, 404), where
    # revoked: the consented bank sees nothing any more
    from kuajing.fx.service import bank as bank_service

    bank_service.revoke(session=db, consent=db.get(FxConsent, fillers["consent_id"]), actor="test")
    db.commit()
    s = login(db, user_id=users["consented bank"])
    db.commit()
    r = _send(client, "GET", bundle, {"cookies": s.cookies, "headers": {}, "csrf": None}, {})
    assert r.status_code == 404
    for url in ("/api/v1/fx/bank/bundles", "/fx/bank"):
        r = _send(client, "GET", url, {"cookies": s.cookies, "headers": {}, "csrf": None}, {})
        assert r.status_code == 200 and "ISO-A-ORD" not in r.text, url
