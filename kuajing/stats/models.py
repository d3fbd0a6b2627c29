"""Tables of the statistics domain (统计监测).

* ``stats_facts`` — the fact queue (事实队列): one row per (released list, country, HS heading) appended by the
  event subscribers inside the pipeline's transaction (a reversal appends the same rows negated). The fold job
  claims rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), adds them into the aggregates and deletes them.
* ``stats_agg_*`` — additive aggregates (汇总表) by month and dimension, small enough that every dashboard query
  reads a few thousand rows whatever the number of lists.
* ``stats_survey_estimates`` — enterprise-reported CBEC sales through other channels (调查口径, estimates), kept
  apart from the customs-code scope (监管方式口径).
* ``stats_brands`` — the minimal local brand registry (本土跨境电商品牌).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import Money, UTCDateTime

#: placeholder of an unknown dimension value (aggregate keys are NOT NULL so additive upserts meet)
UNKNOWN = ""


class StatsFact(Base):
    """One fact row (统计事实): a released list's value in one (country, HS heading), or its reversal."""

    __tablename__ = "stats_facts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(6))  # import 进口 / export 出口
    inventory_id: Mapped[int] = mapped_column(BigInteger)  # 清单 id (import_inventories / export_inventories)
    event: Mapped[str] = mapped_column(String(10))  # release / cancel / return / backfill
    month: Mapped[date] = mapped_column(Date)  # 放行月份 (first day, Asia/Shanghai) — a reversal keeps it
    mode: Mapped[str] = mapped_column(String(4))  # 监管方式 1210 / 9610 / 9710 / 9810
    country: Mapped[str] = mapped_column(String(3))  # 国别(地区) customs code: origin (import) / destination (export)
    hs_heading: Mapped[str] = mapped_column(String(4))  # HS 品目 (4 digits); chapter 章 = first 2
    enterprise_id: Mapped[int] = mapped_column(Integer)  # 电商企业 (0 = not in the registry)
    district: Mapped[str] = mapped_column(String(12))  # 旗县区 of the enterprise at release
    park: Mapped[str] = mapped_column(String(40))  # 园区 of the enterprise at release
    currency: Mapped[str] = mapped_column(String(3))  # 币制 of ``amount``
    amount: Mapped[Decimal] = mapped_column(Money)  # value in ``currency`` (signed)
    value_cny: Mapped[Decimal | None] = mapped_column(Money)  # 人民币值 (signed); NULL while the rate is missing
    parcels: Mapped[int] = mapped_column(Integer)  # 票数: ±1 on the row of the list's first line, else 0
    lines: Mapped[int] = mapped_column(Integer)  # 商品项数 (signed)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatsListPlace(Base):
    """Where a released list was counted (统计归属): the e-commerce enterprise and its district and park at release.

    Written once, with the list's release facts; a reversal takes the list out of this place, and a backfill puts
    it back here, so an enterprise that moves district later does not move its past trade (nor make the old
    district's figures change after they were published)."""

    __tablename__ = "stats_list_places"

    direction: Mapped[str] = mapped_column(String(6), primary_key=True)  # import / export
    inventory_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # 清单 id
    enterprise_id: Mapped[int] = mapped_column(Integer)  # 电商企业 (0 = not in the registry)
    district: Mapped[str] = mapped_column(String(12))  # 旗县区 at release
    park: Mapped[str] = mapped_column(String(40))  # 园区 at release


#: aggregate rows are updated in place by every fold: half-empty pages let PostgreSQL make those HOT updates
#: (no index touched, the old version pruned on the page) instead of bloating the table
AGG_STORAGE = {"postgresql_with": {"fillfactor": 50, "autovacuum_vacuum_scale_factor": 0.02}}


class _Measures:
    value_cny: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # 金额 (人民币)
    parcels: Mapped[int] = mapped_column(BigInteger, default=0)  # 票数 (清单)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)  # 商品项数


class AggEnterprise(_Measures, Base):
    """Monthly totals by direction, mode, district, park and enterprise (企业维度汇总)."""

    __tablename__ = "stats_agg_enterprise"
    __table_args__ = (Index("ix_stats_agg_enterprise_district", "district", "month"), AGG_STORAGE)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    district: Mapped[str] = mapped_column(String(12), primary_key=True)
    park: Mapped[str] = mapped_column(String(40), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AggCountry(_Measures, Base):
    """Monthly totals by direction, mode, district and country (国别维度汇总)."""

    __tablename__ = "stats_agg_country"
    __table_args__ = (Index("ix_stats_agg_country_district", "district", "month"), AGG_STORAGE)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    district: Mapped[str] = mapped_column(String(12), primary_key=True)
    country: Mapped[str] = mapped_column(String(3), primary_key=True)


class AggProduct(_Measures, Base):
    """Monthly totals by direction, mode, district and HS heading (商品维度汇总; chapter = first 2 digits)."""

    __tablename__ = "stats_agg_product"
    __table_args__ = (Index("ix_stats_agg_product_district", "district", "month"), AGG_STORAGE)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    district: Mapped[str] = mapped_column(String(12), primary_key=True)
    hs_heading: Mapped[str] = mapped_column(String(4), primary_key=True)


class AggCountryZone(_Measures, Base):
    """Zone-wide rollup of :class:`AggCountry` without the district (read when no district filter is set)."""

    __tablename__ = "stats_agg_country_zone"
    __table_args__ = AGG_STORAGE

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    country: Mapped[str] = mapped_column(String(3), primary_key=True)


class AggProductZone(_Measures, Base):
    """Zone-wide rollup of :class:`AggProduct` without the district (read when no district filter is set)."""

    __tablename__ = "stats_agg_product_zone"
    __table_args__ = AGG_STORAGE

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    hs_heading: Mapped[str] = mapped_column(String(4), primary_key=True)


class SurveyEstimate(Base):
    """Enterprise-reported CBEC sales through a channel outside the CBEC customs codes (企业调查口径, 估计值).

    One figure per enterprise, month, direction and channel (a new report replaces the old one, audited), so a
    sum over this table never counts the same sales twice; channels are never the CBEC codes themselves.
    """

    __tablename__ = "stats_survey_estimates"
    __table_args__ = (UniqueConstraint("enterprise_id", "month", "direction", "channel"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 填报企业
    month: Mapped[date] = mapped_column(Date, index=True)  # 所属月份 (first day)
    direction: Mapped[str] = mapped_column(String(6))  # import / export
    channel: Mapped[str] = mapped_column(String(24))  # SurveyChannel: 0110 一般贸易 / 快件 / 邮递 / 其他
    value_cny: Mapped[Decimal] = mapped_column(Money)  # 销售额 (人民币, 估计)
    parcels: Mapped[int | None] = mapped_column(Integer)  # 单量 (if reported)
    note: Mapped[str | None] = mapped_column(Text)  # 说明 / 依据
    reported_by: Mapped[str] = mapped_column(String(120))  # actor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Brand(Base):
    """A local cross-border e-commerce brand (本土跨境电商品牌) — minimal registry for the plan's target."""

    __tablename__ = "stats_brands"
    __table_args__ = (Index("ix_stats_brands_name", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))  # 品牌名称
    owner_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 品牌所有企业
    markets: Mapped[list[str]] = mapped_column(JSON, default=list)  # 目标市场 (customs country codes)
    evidence: Mapped[str] = mapped_column(Text)  # 证明材料 (trademark no., store URL …)
    registered_on: Mapped[date] = mapped_column(Date)  # 认定日期
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
