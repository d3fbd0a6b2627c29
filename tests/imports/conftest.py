"""Fixtures of the import tests: four demo-like enterprises with sandbox API keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.accounts.fixtures import make_api_key, make_enterprise
from tests.imports.parcels import Parties


@dataclass
class Party:
    """An enterprise with its customs code and plain API key."""

    id: int
    code: str
    key: str
    uscc: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers authenticating as this enterprise."""
        return {"X-API-Key": self.key}


@dataclass
class Zone:
    """The four senders of a parcel plus an outsider."""

    platform: Party  # 电商平台 (ebpCode = ebcCode)
    pay: Party  # 支付企业
    logistics: Party  # 物流企业
    agent: Party  # 申报企业 (customs broker)
    outsider: Party  # another enterprise of the zone

    @property
    def parties(self) -> Parties:
        """The codes the parcels name."""
        return Parties(ebp=self.platform.code, pay=self.pay.code, logistics=self.logistics.code,
                       agent=self.agent.code)


@pytest.fixture
def zone(db) -> Zone:
    """Five approved enterprises with customs codes, DXP ids and sandbox API keys (committed)."""
    made = []
    for n, name in enumerate(("platform", "pay", "logistics", "agent", "outsider"), start=1):
        code = f"15029{n:05d}"
        ent = make_enterprise(db, customs_code=code, dxp_id=f"DXPENT00000{n:05d}", name_zh=f"测试{name}")
        made.append(Party(id=ent.id, code=code, key=make_api_key(db, ent.id), uscc=ent.uscc))
    db.commit()
    return Zone(*made)
