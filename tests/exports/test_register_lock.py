"""Issue 5 check: a released line appears in the no-invoice register (无票免税登记) exactly once and cannot be
altered through any endpoint.

A list is released and closed through the real pipeline (intake, customs sandbox, arrival, departure). Then
every route of the application is called with every changing method (POST, PUT, PATCH, DELETE), its path
parameters aimed at the entry, the list, its order and its customs record, by the zone operator, the customs
officer (sessions with CSRF) and the exporter's and agent's API keys, with bodies that try to change the six
fields; then the documents are sent again (appType 1, 2 and 3 of the list), customs' release receipt is
applied again, the list is cancelled after it left, the hand-over job runs twice. The entry is still there,
once, unchanged in every column; a correction is a new entry and the original stays as it was."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from kuajing.customs.models import SandboxDeclaration
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.data import service as data
from kuajing.export_summary import jobs
from kuajing.export_summary.models import RegisterEntry
from kuajing.exports.models import ExportInventory
from kuajing.imports.models import Receipt
from kuajing.imports.service import pump
from kuajing.imports.service.flow import apply_customs_message
from tests.accounts.fixtures import csrf_token, login, make_api_key, make_zone_user
from tests.exports import shipments as s
from tests.exports.test_release import _send
from tests.test_isolation import discover

COLUMNS = ("id", "enterprise_id", "list_no", "gnum", "export_date", "goods_name", "unit", "quantity", "unit_price",
           "amount", "currency", "hs_code", "declare_customs", "exit_customs", "kind", "corrects_id", "eligible",
           "ineligible_reasons", "reason", "recorded_by", "recorded_at")
ATTEMPT = {"goods_name": "改过的名字", "amount": "1.00", "quantity": "999", "unit_price": "0.01",
           "export_date": "2020-01-01", "unit": "035", "status": "cancelled", "reason": "试图修改", "note": "x"}


KIND = COLUMNS.index("kind")
#: routes that end or replace the caller's own session (they touch no data; calling them would only make the
#: later calls unauthenticated and the proof vacuous)
SESSION_ROUTES = {"/logout", "/login", "/account/password", "/lang/{code}"}


def _state(session_factory) -> list[tuple]:
    with session_factory() as session:
        return [tuple(getattr(e, c) for c in COLUMNS)
                for e in session.scalars(select(RegisterEntry).order_by(RegisterEntry.id))]


def _released(client, ezone, session_factory, customs) -> ExportInventory:
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1]))
    _send(client, ezone.platform, s.order(p, 1))
    _send(client, ezone.logistics, s.waybill(p, 1))
    assert _send(client, ezone.agent, s.inventory(p, 1))["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    _send(client, ezone.logistics, s.departure(p, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        inv = session.scalars(select(ExportInventory)).one()
        assert inv.status == "closed" and inv.invt_no
        session.expunge(inv)
        return inv


def test_a_released_line_is_registered_once_and_no_endpoint_alters_it(app, client, db, ezone, session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    inv = _released(client, ezone, session_factory, customs)
    before = _state(session_factory)
    assert [(row[2], row[3], row[KIND]) for row in before] == [(inv.invt_no, 1, "original")]  # exactly once
    entry_id = before[0][0]
    with session_factory() as session:
        sandbox_id = session.scalars(select(SandboxDeclaration.id).where(
            SandboxDeclaration.message_type == "CEB603")).one()

    # 1. every route, every changing method, aimed at the entry / the list / its order / its customs record
    aim = {"entry_id": entry_id, "inventory_id": inv.id, "declaration_id": sandbox_id, "order_no": inv.order_no,
           "business_key": inv.business_key, "enterprise_id": ezone.platform.id, "invt_no": inv.invt_no,
           "kind": "inventories"}
    urls: set[str] = set()
    for method, path in discover(app):
        if method == "MOUNT" or path in SESSION_ROUTES:
            continue
        names = re.findall(r"{(\w+)}", path)
        if "action" in names:
            urls |= {path.replace("{action}", a) for a in ("release", "reject", "inspect", "exit")}
            continue
        urls.add(path)
    officer, officer_pw = make_zone_user(db, role="customs_officer")
    operator, operator_pw = make_zone_user(db, role="zone_operator")
    exporter_admin = make_api_key(db, ezone.platform.id, roles=("enterprise_admin",))
    db.commit()
    callers = []
    for user, password in ((operator, operator_pw), (officer, officer_pw)):
        client.cookies.clear()
        login(client, user.username, password)
        token = csrf_token(client, "/account")
        callers.append(("session", dict(client.cookies.items()), token))
    callers += [("key", {"X-API-Key": exporter_admin}, None), ("key", ezone.agent.headers, None)]
    calls = 0
    for template in sorted(urls):
        url = re.sub(r"{(\w+)}", lambda m: str(aim.get(m.group(1), entry_id)), template)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for kind, credential, token in callers:
                client.cookies.clear()
                headers: dict[str, str] = {}
                if kind == "session":
                    client.cookies.update(credential)
                    headers["X-CSRF-Token"] = token
                else:
                    headers.update(credential)
                body = {} if method == "DELETE" else (
                    {"json": {**ATTEMPT, "enterprise_id": ezone.platform.id}} if url.startswith("/api/")
                    else {"data": {**ATTEMPT, "csrf_token": token or ""}})
                r = client.request(method, url, headers=headers, follow_redirects=False, **body)
                calls += 1
                assert r.status_code < 500, f"{method} {url} → {r.status_code}"
    # every caller was still authenticated at the end (no call revoked a key or ended a session)
    for kind, credential, _token in callers:
        client.cookies.clear()
        if kind == "session":
            client.cookies.update(credential)
        me = client.get("/api/v1/me", headers={} if kind == "session" else credential)
        assert me.status_code == 200, (kind, me.status_code)
    client.cookies.clear()
    assert calls > 1000
    after = _state(session_factory)
    assert after[0] == before[0], "the original entry changed"
    assert [row[KIND] for row in after] == ["original"] + ["correction"] * (len(after) - 1)

    # 2. the documents again: the identical list gets its original receipt (nothing stored); another list under
    # the same number (appType 1), a change (2) and a deletion (3) are refused
    p = ezone.parties
    assert _send(client, ezone.agent, s.inventory(p, 1))["code"] == "2"
    assert _send(client, ezone.agent, s.inventory(p, 1, price="1"))["code"].startswith("-")
    assert _send(client, ezone.agent, s.inventory(p, 1, app_type="2", price="1"))["code"].startswith("-")
    assert _send(client, ezone.agent, s.inventory(p, 1, app_type="3"))["code"].startswith("-")
    # customs' release receipt applied again, a cancellation after departure, the hand-over job twice
    with session_factory() as session:
        released = session.scalars(select(Receipt.receipt_xml).where(
            Receipt.declaration_type == "CEB603", Receipt.source == "customs", Receipt.return_status == "800")).one()
        apply_customs_message(session=session, data=bytes(released))
        session.commit()
    from kuajing.ceb import example_message

    cancel = example_message("CEB605")
    h = cancel.records[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.pre_no, h.ebc_code = "1", "2", inv.invt_no, p.agent, None, p.ebp
    _send(client, ezone.agent, cancel)
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        data.load_seed(session=session)  # the reminders of the daily job need the holiday calendar
        session.commit()
    for _ in range(2):
        jobs.daily(session_factory=session_factory, today=date.today())
    with session_factory() as session:
        assert session.scalars(select(ExportInventory.status)).all() == ["closed"]  # the late cancel was refused
    final = _state(session_factory)
    assert final[0] == before[0]
    assert sum(1 for row in final if row[2] == inv.invt_no and row[3] == 1 and row[KIND] == "original") == 1
