"""The Baotou demo zone (演示数据): ~200 fictitious enterprises with a believable history, a login for
every role and sandbox API keys. Passwords and keys are generated at load time, never committed; they are
written to ``<var_dir>/demo-credentials.json`` (mode 0600) and printed.

Every name, code and person here is invented. USCCs are fictitious but carry a correct GB 32100-2015
check character (and a correct GB 11714 organisation-code check digit), region codes of Baotou (1502xx);
customs registration codes start with the Baotou region code 1502; supervising customs offices are the
Hohhot district's (0703 Baotou Customs, 0706 its container station office, 0709 Mandula port).
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from kuajing import files
from kuajing.db.session import transaction
from kuajing.demo_parcels import Party, load_demo_parcels
from kuajing.enterprises import service as enterprises
from kuajing.enterprises.choices import EnterpriseRole, ReviewAction
from kuajing.enterprises.models import Enterprise

PLAN_DATE = datetime(2023, 7, 18, 2, 0, tzinfo=UTC)  # 内政字〔2023〕99号 issued
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: name parts of fictitious companies (字号), by industry: (trade words, product word, roles)
INDUSTRY_PROFILES: dict[str, tuple[list[str], str, list[list[str]]]] = {
    "cashmere": (["鹿城", "绒都", "白绒", "雪羚", "北疆", "阴山"], "羊绒制品", [["ecommerce"], ["ecommerce", "platform"]]),
    "grains": (["河套", "黄河", "阴山", "固阳", "敕勒川", "麦香"], "杂粮", [["ecommerce"]]),
    "honey": (["草原", "百花", "蜂语", "山丹", "蜜源"], "蜂业", [["ecommerce"]]),
    "daily-chemicals": (["清源", "雪莲", "北疆", "沙棘"], "日化用品", [["ecommerce"]]),
    "rare-earth": (["稀宝", "北方", "磁源", "华稀", "新材"], "稀土新材料", [["ecommerce"]]),
    "steel": (["包钢", "钢联", "北方", "昆仑"], "钢铁贸易", [["ecommerce"]]),
    "dairy": (["草原", "牧歌", "鲜乳", "敕勒川"], "乳业", [["ecommerce"]]),
    "meat": (["达茂", "草原", "牧人", "苏尼特"], "肉业", [["ecommerce"]]),
    "equipment": (["北重", "一机", "昆仑", "装备"], "装备制造", [["ecommerce"]]),
    "consumer-goods": (["优品", "北方", "万家", "欧亚", "蒙俄"], "跨境电子商务", [["ecommerce"], ["platform", "ecommerce"]]),
    "logistics-services": (["陆港", "中欧", "满都拉", "空港", "北通", "速达"], "国际物流", [["logistics"], ["logistics", "warehouse_operator"]]),
    "digital-services": (["数智", "云帆", "跨境通", "丝路"], "信息技术", [["service_provider"], ["service_provider", "declaring_agent"]]),
    "financial-services": (["北疆", "鹿城", "汇通", "融达"], "金融服务", [["payment"], ["finance"]]),
}
INDUSTRY_WEIGHTS = {"cashmere": 22, "grains": 14, "honey": 8, "daily-chemicals": 8, "rare-earth": 14, "steel": 10,
                    "dairy": 8, "meat": 8, "equipment": 8, "consumer-goods": 22, "logistics-services": 20,
                    "digital-services": 12, "financial-services": 6}
DISTRICT_WEIGHTS = {"150207": 30, "150271": 22, "150204": 18, "150203": 14, "150202": 12, "150206": 6,
                    "150205": 5, "150221": 6, "150222": 5, "150223": 6}
ROADS = ["建华南路", "钢铁大街", "阿尔丁大街", "民族东路", "黄河大街", "友谊大街", "巴彦塔拉大街", "稀土大街",
         "沼潭南路", "青年路", "幸福路", "呼得木林大街"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "晓东", "海燕", "志强", "建华", "巴特尔", "其其格", "乌兰", "斯琴", "那仁", "额尔敦"]
#: status of a demo filing → the review actions that lead there, with their weights in the zone
STATUS_PATHS: dict[str, tuple[int, list[str]]] = {
    "approved": (60, ["submit", "approve"]),
    "approved_after_return": (8, ["submit", "return", "resubmit", "approve"]),
    "submitted": (9, ["submit"]),
    "returned": (7, ["submit", "return"]),
    "draft": (7, []),
    "suspended": (5, ["submit", "approve", "suspend"]),
    "reinstated": (2, ["submit", "approve", "suspend", "reinstate"]),
    "revoked": (4, ["submit", "approve", "revoke"]),
}
RETURN_REASONS = [("address", "注册地址与营业执照不一致，请核对。"), ("customs_code", "海关编码与海关备案信息不符。"),
                  ("contact_phone", "联系电话无法接通，请更新。"), ("roles", "企业类型与经营范围不符。")]
SUSPEND_REASONS = ["未按期报送年度经营数据。", "涉嫌申报信息不实，暂停核查。", "企业申请暂停跨境业务。"]
REVOKE_REASONS = ["企业已注销。", "企业申请撤销备案。", "长期无跨境业务，依规撤销。"]

#: the featured demo enterprises (the ones with logins and API keys)
FEATURED = [
    dict(key="platform", name_zh="包头优品跨境电子商务有限公司", name_en="Baotou Youpin Cross-border E-commerce Co., Ltd.",
         roles=["platform", "ecommerce"], industry="consumer-goods", district="150207", park="jiuyuan-digital"),
    dict(key="payment", name_zh="北疆汇通支付科技有限公司", name_en="Beijiang Huitong Payment Technology Co., Ltd.",
         roles=["payment"], industry="financial-services", district="150271", park="ec-demo-hitech"),
    dict(key="logistics", name_zh="包头陆港国际物流有限公司", name_en="Baotou Lugang International Logistics Co., Ltd.",
         roles=["logistics", "warehouse_operator"], industry="logistics-services", district="150207", park="bonded-b"),
    dict(key="agent", name_zh="包头关通报关服务有限公司", name_en="Baotou Guantong Customs Brokerage Co., Ltd.",
         roles=["declaring_agent", "service_provider"], industry="digital-services", district="150204",
         park="ec-demo-qingshan"),
]


def org_code(rng: random.Random) -> str:
    """A fictitious 9-character organisation code (GB 11714) with its check digit."""
    body = "MA0" + "".join(rng.choice(ORG_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(5))
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(rng: random.Random, district: str) -> str:
    """A fictitious USCC: registered by market regulation (9), enterprise (1), region ``district``."""
    body = "91" + district + org_code(rng)
    return body + stdnum_uscc.calc_check_digit(body)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan(seed: int, zone) -> list[dict]:
    """The demo filings (pure: same seed, same zone)."""
    rng = random.Random(seed)
    rows: list[dict] = []
    used_names: set[str] = set()
    used_codes: set[str] = set()
    parks_by_district: dict[str, list[str]] = {}
    for park in zone.parks.values():
        if park.district:
            parks_by_district.setdefault(park.district, []).append(park.code)
    floating = [p.code for p in zone.parks.values() if not p.district]
    suffixes = ["有限公司", "有限责任公司", "股份有限公司"]
    specs = [dict(f) for f in FEATURED] + [{} for _ in range(196)]
    for spec in specs:
        industry = spec.get("industry") or _weighted(rng, INDUSTRY_WEIGHTS)
        words, product, role_sets = INDUSTRY_PROFILES[industry]
        district = spec.get("district") or _weighted(rng, DISTRICT_WEIGHTS)
        name = spec.get("name_zh")
        while not name or name in used_names:
            name = f"包头{rng.choice(words)}{rng.choice(['', '恒', '兴', '达', '源', '盛', '泰', '隆'])}{product}{rng.choice(suffixes)}"
            if name in used_names:
                name = None
        used_names.add(name)
        park = spec.get("park")
        if park is None and rng.random() < 0.7:
            park = rng.choice(parks_by_district.get(district, []) + floating)
        zone_digit = {"150271": "3"}.get(district, "4" if park == "bonded-b" else "9")
        code = None
        while code is None or code in used_codes:
            code = f"1502{zone_digit}{rng.choice('6666634')}{rng.randrange(10000):04d}"
        used_codes.add(code)
        path_name = "approved" if spec else _weighted(rng, {k: v[0] for k, v in STATUS_PATHS.items()})
        roles = spec.get("roles") or list(rng.choice(role_sets))
        if "logistics" in roles and park == "bonded-b" and "warehouse_operator" not in roles:
            roles.append("warehouse_operator")
        office = "0709" if park == "mandula-consolidation" else ("0706" if "logistics" in roles and rng.random() < .4 else "0703")
        rows.append(dict(
            key=spec.get("key"), path=STATUS_PATHS[path_name][1],
            data=dict(
                uscc=make_uscc(rng, district), name_zh=name, name_en=spec.get("name_en"), roles=roles,
                customs_code=code, customs_office=office,
                dxp_id=f"DXPENT{rng.randrange(10**9, 10**10):010d}" if rng.random() < 0.85 else None,
                district=district, park=park, industry=industry,
                contact_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                contact_phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                address=f"内蒙古自治区包头市{zone.districts[district].names['zh_Hans']}{rng.choice(ROADS)}{rng.randrange(1, 300)}号",
            ),
            created=PLAN_DATE + timedelta(days=rng.uniform(0, 800), hours=rng.uniform(0, 10)),
            gaps=[timedelta(days=rng.uniform(0.5, 30), hours=rng.uniform(0, 8)) for _ in range(6)],
            reason_index=rng.randrange(100),
        ))
    return rows


def _history(session, row: dict, zone, now: datetime) -> Enterprise:
    """Create one filing and walk it through its history with past timestamps."""
    data = dict(row["data"])
    # some drafts and returned filings are still incomplete, as they would be
    if not row["path"] and row["reason_index"] % 2:
        data.pop("contact_phone")
    at = min(row["created"], now - timedelta(days=2))
    ent = enterprises.create_draft(session=session, data={k: v for k, v in data.items() if v is not None},
                                   actor="user:demo-operator", zone=zone, at=at)
    admin = f"user:ent-{ent.uscc[-6:].lower()}"
    for step, name in enumerate(row["path"]):
        at = min(at + row["gaps"][step], now - timedelta(hours=6 - step))
        action = ReviewAction(name)
        reason, field_reasons = None, []
        if action is ReviewAction.return_:
            path, message = RETURN_REASONS[row["reason_index"] % len(RETURN_REASONS)]
            reason, field_reasons = "请按意见修改后重新提交。", [{"path": path, "message": message}]
        elif action is ReviewAction.suspend:
            reason = SUSPEND_REASONS[row["reason_index"] % len(SUSPEND_REASONS)]
        elif action is ReviewAction.revoke:
            reason = REVOKE_REASONS[row["reason_index"] % len(REVOKE_REASONS)]
        if action is ReviewAction.resubmit:
            enterprises.update_filing(session=session, enterprise=ent, data={"address": data["address"] + "（已更正）"},
                                      actor=admin, zone=zone, at=at - timedelta(hours=1))
            action = ReviewAction.submit
        actor = admin if action is ReviewAction.submit else "user:demo-operator"
        enterprises.transition(session=session, enterprise=ent, action=action, actor=actor, reason=reason,
                               field_reasons=field_reasons, at=at)
    return ent


def _credentials_file(settings, payload: dict) -> str:
    path = settings.var_dir / "demo-credentials.json"
    files.write_private(path, json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))
    return str(path)


def load_demo(*, settings, session_factory, console, if_empty: bool = False, seed: int = 2023,
              parcels: int = 120) -> dict | None:
    """Load the demo zone in one transaction; print and save the generated logins and API keys."""
    from kuajing.accounts import service as accounts
    from kuajing.accounts.choices import ROLE_LABELS, Role

    if hasattr(accounts, "configure") and not accounts.is_configured():
        accounts.configure(secret_key=settings.secret("secret_key"))
    with session_factory() as probe:
        existing = probe.scalar(select(func.count()).select_from(Enterprise)) or 0
    if existing:
        if if_empty:
            console.print(f"[yellow]demo skipped[/yellow]: the database already has {existing} enterprises")
            return None
        console.print(f"[red]refusing to load the demo[/red]: the database already has {existing} enterprises "
                      "(use --if-empty, or start from an empty database)")
        raise SystemExit(1)
    zone = enterprises.zone_config(var_dir=settings.var_dir)
    rows = plan(seed, zone)
    now = datetime.now(UTC)
    logins: list[dict] = []
    keys: list[dict] = []
    with transaction(session_factory) as session:
        import kuajing.data.service as data_service

        if hasattr(data_service, "load_seed"):
            data_service.load_seed(session=session)
        featured: dict[str, Enterprise] = {}
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("enterprises (企业库)", total=len(rows))
            for row in sorted(rows, key=lambda r: r["created"]):
                ent = _history(session, row, zone, now)
                if row["key"]:
                    featured[row["key"]] = ent
                progress.advance(task)
            people = [
                ("demo-operator", "平台运营 · 演示", [Role.zone_operator], None),
                ("demo-commerce", "商务局监管 · 演示", [Role.commerce_supervisor], None),
                ("demo-customs", "海关关员 · 演示", [Role.customs_officer], None),
                ("demo-auditor", "审计 · 演示", [Role.auditor], None),
                ("demo-platform-admin", "优品平台管理员", [Role.enterprise_admin], featured["platform"]),
                ("demo-platform-clerk", "优品平台业务员", [Role.enterprise_user], featured["platform"]),
                ("demo-agent-clerk", "关通报关业务员", [Role.enterprise_user], featured["agent"]),
            ]
            # the declaring agent's tax guarantee (税款担保, R1.14): every demo parcel's e-tax bill draws on it
            from kuajing.tax import service as tax

            tax.open_guarantee(session=session, agent_enterprise_id=featured["agent"].id, actor="system:demo",
                               guarantee_no="BH-150200-2026-0001", alert_threshold=Decimal("5000.00"),
                               cover_days=7, rate_window_days=7)
            tax.top_up(session=session, agent_enterprise_id=featured["agent"].id, amount=Decimal("20000.00"),
                       reference="DEMO-GUARANTEE-1", actor="system:demo")
            from kuajing.fx.service import demo as fx_demo  # a few FX / rebate records (docs/fx.md)

            fx_bank = fx_demo.load(session=session, exporter=featured["platform"], logistics=featured["logistics"])
            if fx_bank is not None:
                people.append(("demo-bank", "银行结汇岗 · 演示", [Role.bank_insurer], fx_bank))
            task = progress.add_task("logins and API keys", total=len(people) + 4)
            for username, display, roles, ent in people:
                password = secrets.token_urlsafe(12)
                accounts.create_user(session=session, username=username, password=password, display_name=display,
                                     roles=roles, enterprise_id=ent.id if ent else None, actor="system:demo")
                logins.append({"username": username, "password": password, "role": roles[0].value,
                               "role_label": ROLE_LABELS[roles[0]], "display_name": display,
                               "enterprise": ent.name_zh if ent else None})
                progress.advance(task)
            for key in ("platform", "payment", "logistics", "agent"):
                ent = featured[key]
                _row, plain = accounts.issue_api_key(session=session, enterprise_id=ent.id, name=f"demo sandbox ({key})",
                                                     roles=[Role.enterprise_user], actor="system:demo", sandbox=True)
                keys.append({"enterprise": ent.name_zh, "enterprise_id": ent.id, "uscc": ent.uscc,
                             "roles": ", ".join(EnterpriseRole(r).value for r in ent.roles), "key": plain})
                progress.advance(task)
        counts = dict(session.execute(select(Enterprise.status, func.count()).group_by(Enterprise.status)).all())
        senders = {key: Party(enterprise_id=featured[key].id, code=featured[key].customs_code,
                              name=featured[key].name_zh) for key in ("platform", "payment", "logistics", "agent")}
    if parcels:
        load_demo_parcels(settings=settings, session_factory=session_factory, console=console, parties=senders,
                          count=parcels, seed=seed)
    from kuajing.stats import demo as stats_demo  # statistics: backfill, survey figures, brands, warehouses

    with transaction(session_factory) as session:
        stats_demo.load(session=session, today=now.astimezone(settings.tz).date(), seed=seed)
    path = _credentials_file(settings, {"seed": seed, "generated_at": now.isoformat(), "logins": logins,
                                        "api_keys": keys})
    summary = Table(title=f"Demo zone loaded: {len(rows)} enterprises")
    for column in ("status", "enterprises"):
        summary.add_column(column)
    for status, n in sorted(counts.items()):
        summary.add_row(status, str(n))
    console.print(summary)
    table = Table(title="Demo logins (passwords generated now)")
    for column in ("username", "password", "role", "enterprise"):
        table.add_column(column, overflow="fold")
    for login in logins:
        table.add_row(login["username"], login["password"], login["role"], login["enterprise"] or "—")
    console.print(table)
    key_table = Table(title="Sandbox API keys (send as X-API-Key)")
    for column in ("enterprise", "roles", "key"):
        key_table.add_column(column, overflow="fold")
    for key in keys:
        key_table.add_row(key["enterprise"], key["roles"], key["key"])
    console.print(key_table)
    console.print(f"saved to [bold]{path}[/bold] (mode 0600)")
    return {"enterprises": len(rows), "statuses": counts, "logins": logins, "api_keys": keys, "path": path}
