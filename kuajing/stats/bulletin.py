"""Monthly information bulletin (信息通报): the month's figures, highlights and risks as a PDF (WeasyPrint,
Chinese fonts embedded, charts drawn on the server by matplotlib) and an Excel workbook (openpyxl).

The risk section calls ``kuajing.risk.service.summary(session=, start=, end=, district=None)`` when the risk
module is installed; without it the bulletin says so in a section of its own.
"""

from __future__ import annotations

import base64
import io
import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from kuajing.stats import calc, registry, service, targets
from kuajing.stats.choices import INDICATOR_LABELS, SURVEY_CHANNEL_LABELS, TARGET_STATUS_LABELS

log = logging.getLogger(__name__)
FONT_FAMILY = "Noto Sans CJK SC"
MODE_NAMES = {"1210": "1210 网购保税进口/出口", "9610": "9610 直购进口/一般出口", "9710": "9710 B2B直接出口",
              "9810": "9810 出口海外仓"}
DIRECTION_NAMES = {"import": "进口", "export": "出口"}
STATUS_NAMES = {"met": "已完成", "on_track": "预计完成", "behind": "进度滞后", "over": "超出区间上限"}


def country_name(code: str) -> str:
    """The Chinese name of a customs country code (the code when unknown)."""
    from kuajing.ceb.codes import table

    entry = table("country").entries.get(code)
    return entry.name_zh if entry else (code or "未知")


def district_name(code: str, var_dir: Path | None = None) -> str:
    """The Chinese name of a district code of the zone (未登记 for none)."""
    from kuajing.enterprises.service import zone_config

    if not code:
        return "未登记"
    item = zone_config(var_dir=var_dir).districts.get(code)
    return item.names["zh_Hans"] if item else code


def risk_summary(session: Session, start: date, end: date) -> dict:
    """The risk module's summary of the period, or ``{"installed": False}`` when it is not installed."""
    import pkgutil

    import kuajing

    # installed = a package of this kuajing (as the app discovers routers and models), never a stray import path
    if not any(m.name == "risk" and m.ispkg for m in pkgutil.iter_modules(kuajing.__path__)):
        return {"installed": False}
    try:
        from kuajing.risk import service as risk
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("kuajing.risk"):
            return {"installed": False}
        raise
    if not hasattr(risk, "summary"):
        return {"installed": False}
    try:
        with session.begin_nested():  # a failing risk query must not abort the bulletin's transaction
            data = risk.summary(session=session, start=start, end=end, district=None)
    except Exception as exc:  # the bulletin still renders; the section says the risk data is unavailable
        log.warning("risk summary unavailable: %s", exc)
        return {"installed": True, "error": type(exc).__name__}
    return {"installed": True, **data}


def _wan(value: Decimal) -> str:
    """CNY as 万元 with two decimals."""
    return format((Decimal(value) / Decimal(10000)).quantize(Decimal("0.01")), ",f")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def collect(*, session: Session, month: date, today: date, var_dir: Path | None = None) -> dict:
    """Every figure of the bulletin of ``month`` (first day)."""
    month = calc.month_start(month)
    last_day = calc.add_months(month, 1) - timedelta(days=1)
    one = service.Filters(end=month, months=1)
    cur = service.totals(session=session, filters=one)
    prev = service.totals(session=session, filters=service.Filters(end=calc.add_months(month, -1), months=1))
    yoy = service.totals(session=session, filters=service.Filters(end=calc.add_months(month, -12), months=1))
    ytd = service.totals(session=session, filters=service.Filters(end=month, months=month.month))
    ytd_prev = service.totals(session=session, filters=service.Filters(end=calc.add_months(month, -12),
                                                                       months=month.month))
    modes = service.mode_mix(session=session, filters=one)
    countries = service.top_countries(session=session, filters=one)
    products = service.top_products(session=session, filters=one)
    districts = service.district_ranking(session=session, filters=one)
    trend = service.trend(session=session, filters=service.Filters(end=month, months=12))
    as_of = min(today, last_day)
    progress = targets.progress(session=session, today=as_of, var_dir=var_dir)
    survey = registry.survey_by_channel(session=session, start=month, end=month)
    data = {
        "month": month, "label": f"{month.year}年{month.month}月", "as_of": as_of, "current": cur, "previous": prev,
        "year_ago": yoy, "ytd": ytd, "ytd_prev": ytd_prev,
        "growth": {"mom": calc.growth(cur["total_cny"], prev["total_cny"]),
                   "yoy": calc.growth(cur["total_cny"], yoy["total_cny"]),
                   "ytd": calc.growth(ytd["total_cny"], ytd_prev["total_cny"])},
        "modes": modes, "countries": [{**c, "name": country_name(c["country"])} for c in countries],
        "products": products, "districts": [{**d, "name": district_name(d["district"], var_dir)} for d in districts],
        "trend": trend, "targets": progress, "survey": survey, "survey_total": sum(survey.values(), Decimal(0)),
        "risks": risk_summary(session, month, last_day),
    }
    data["highlights"] = highlights(data)
    return data


def highlights(data: dict) -> list[str]:
    """The month's highlights (本月要点), written from the figures."""
    cur, g = data["current"], data["growth"]
    out = [f"{data['label']}，全区跨境电商进出口额（监管方式口径）{_wan(cur['total_cny'])}万元，其中进口"
           f"{_wan(cur['import_cny'])}万元、出口{_wan(cur['export_cny'])}万元；清单{cur['import_parcels'] + cur['export_parcels']}票，"
           f"有业务的企业{cur['enterprises']}家。"]
    out.append(f"同比增长{_pct(g['yoy'])}，环比增长{_pct(g['mom'])}；1—{data['month'].month}月累计"
               f"{_wan(data['ytd']['total_cny'])}万元，同比增长{_pct(g['ytd'])}。")
    modes = [m for m in data["modes"] if m["value_cny"]]
    if modes:
        top = max(modes, key=lambda m: m["value_cny"])
        share = (top["value_cny"] * 100 / cur["total_cny"]).quantize(Decimal("0.1")) if cur["total_cny"] else 0
        out.append(f"监管方式以{MODE_NAMES[top['mode']]}为主，占{share}%。")
    if data["countries"]:
        names = "、".join(c["name"] for c in data["countries"][:3])
        out.append(f"主要贸易国别（地区）：{names}。")
    if data["districts"]:
        d = data["districts"][0]
        out.append(f"旗县区中{d['name']}居首，{_wan(d['value_cny'])}万元。")
    if data["survey_total"]:
        out.append(f"另据企业调查，其他渠道跨境电商销售额（估计值）{_wan(data['survey_total'])}万元，单列不计入监管方式口径。")
    return out


# --- charts (server side) ---------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def chart_trend(data: dict) -> str:
    """Stacked bars of import and export value (万元) for the 12 months up to the bulletin's month."""
    plt = _pyplot()
    months = [t["month"][2:] for t in data["trend"]]
    imp = [float(t["import_cny"] / 10000) for t in data["trend"]]
    exp = [float(t["export_cny"] / 10000) for t in data["trend"]]
    fig, ax = plt.subplots(figsize=(7.5, 3))
    ax.bar(months, imp, label="进口", color="#5470c6")
    ax.bar(months, exp, bottom=imp, label="出口", color="#91cc75")
    ax.set_title("近12个月跨境电商进出口额（万元）")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def chart_modes(data: dict) -> str:
    """The month's mode mix as a pie."""
    plt = _pyplot()
    modes = [m for m in data["modes"] if m["value_cny"] > 0]
    fig, ax = plt.subplots(figsize=(4, 3))
    if modes:
        ax.pie([float(m["value_cny"]) for m in modes], labels=[m["mode"] for m in modes], autopct="%1.1f%%")
    else:
        ax.text(0.5, 0.5, "本月无数据", ha="center", va="center")
        ax.axis("off")
    ax.set_title("监管方式结构")
    return _png(fig)


# --- PDF and Excel ----------------------------------------------------------------------------------------


def html(data: dict) -> str:
    """The bulletin as HTML (the PDF's source)."""
    from kuajing.web.render import environment

    tpl = environment().get_template("stats/templates/bulletin_pdf.html")
    return tpl.render(d=data, wan=_wan, pct=_pct, modes=MODE_NAMES, dirs=DIRECTION_NAMES, statuses=STATUS_NAMES,
                      indicators={k.value: v for k, v in INDICATOR_LABELS.items()}, ind_zh=INDICATOR_ZH,
                      channels={k.value: v for k, v in SURVEY_CHANNEL_LABELS.items()}, channel_zh=CHANNEL_ZH,
                      trend_png=chart_trend(data), modes_png=chart_modes(data), font=FONT_FAMILY,
                      status_labels=TARGET_STATUS_LABELS)


INDICATOR_ZH = {"enterprises_cumulative": "跨境电商市场主体（累计，家）", "trade_value_cny": "跨境电商交易额（元）",
                "overseas_warehouses": "海外仓（个）", "public_overseas_warehouses": "公共海外仓（个）",
                "local_brands": "本土跨境电商品牌（个）"}
CHANNEL_ZH = {"general_trade_0110": "一般贸易（0110）", "express": "快件", "postal": "邮递", "other": "其他渠道"}


def pdf(data: dict) -> bytes:
    """The bulletin as a PDF with the CJK font embedded (subset)."""
    from weasyprint import HTML

    return HTML(string=html(data)).write_pdf()


def workbook(data: dict) -> bytes:
    """The bulletin's tables as an Excel workbook (one sheet per table)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from kuajing.spreadsheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = "概览"
    cur, prev, yoy, ytd = data["current"], data["previous"], data["year_ago"], data["ytd"]
    rows = [("信息通报", data["label"]), ("指标", "本月", "上月", "去年同月", "本年累计"),
            ("进出口额（元）", cur["total_cny"], prev["total_cny"], yoy["total_cny"], ytd["total_cny"]),
            ("进口额（元）", cur["import_cny"], prev["import_cny"], yoy["import_cny"], ytd["import_cny"]),
            ("出口额（元）", cur["export_cny"], prev["export_cny"], yoy["export_cny"], ytd["export_cny"]),
            ("进口清单（票）", cur["import_parcels"], prev["import_parcels"], yoy["import_parcels"], ytd["import_parcels"]),
            ("出口清单（票）", cur["export_parcels"], prev["export_parcels"], yoy["export_parcels"], ytd["export_parcels"]),
            ("有业务企业（家）", cur["enterprises"], prev["enterprises"], yoy["enterprises"], ytd["enterprises"]),
            ("调查口径其他渠道销售额（估计，元，单列）", data["survey_total"])]
    for r in rows:
        append_row(ws, r)
    ws["A1"].font = Font(bold=True)
    ws.append([])
    ws.append(["本月要点"])
    for h in data["highlights"]:
        append_row(ws, [h])

    def sheet(title: str, header: list[str], body: list[list]):
        s = wb.create_sheet(title)
        s.append(header)
        for cell in s[1]:
            cell.font = Font(bold=True)
        for r in body:
            append_row(s, r)  # names (districts, brands, risk subjects) stay text, never a formula

    sheet("月度趋势", ["月份", "进口额（元）", "出口额（元）", "进口票数", "出口票数", "企业数"],
          [[t["month"], t["import_cny"], t["export_cny"], t["import_parcels"], t["export_parcels"], t["enterprises"]]
           for t in data["trend"]])
    sheet("监管方式", ["监管方式", "金额（元）", "票数"], [[MODE_NAMES[m["mode"]], m["value_cny"], m["parcels"]]
                                                  for m in data["modes"]])
    sheet("国别前十", ["排名", "国别代码", "国别（地区）", "金额（元）", "票数"],
          [[i + 1, c["country"], c["name"], c["value_cny"], c["parcels"]] for i, c in enumerate(data["countries"])])
    sheet("商品前十", ["排名", "HS品目", "HS章", "金额（元）", "商品项数"],
          [[i + 1, p["hs_heading"], p["hs_chapter"], p["value_cny"], p["lines"]] for i, p in enumerate(data["products"])])
    sheet("旗县区排名", ["排名", "旗县区代码", "旗县区", "金额（元）", "票数", "企业数"],
          [[d["rank"], d["district"], d["name"], d["value_cny"], d["parcels"], d["enterprises"]] for d in data["districts"]])
    sheet("目标进度", ["年度", "目标", "指标", "目标值", "实际", "年末预测", "完成率%", "状态"],
          [[t["year"], t["wording"], INDICATOR_ZH[t["indicator"]], t["min"], t["actual"], t["projected"],
            t["share_pct"], STATUS_NAMES[t["status"]]] for t in data["targets"]["targets"]])
    sheet("调查口径", ["渠道", "金额（元，估计）"], [[CHANNEL_ZH.get(k, k), v] for k, v in data["survey"].items()])
    risks = data["risks"]
    if risks.get("error"):
        sheet("风险提示", ["风险数据暂不可用"], [])
    elif risks.get("installed"):
        sheet("风险提示", ["规则", "对象", "发现时间", "状态"],
              [[r.get("rule"), r.get("subject"), str(r.get("opened_at")), r.get("status")] for r in risks.get("top", [])])
    else:
        sheet("风险提示", ["风险模块未安装"], [])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
