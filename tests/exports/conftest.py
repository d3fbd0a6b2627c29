"""Fixtures of the export tests: platform, logistics, agent and site operator with API keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.accounts.fixtures import make_api_key, make_enterprise
from tests.exports.shipments import Parties


@dataclass
class Party:
    """An enterprise with its customs code and plain API key."""

    id: int
    code: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers authenticating as this enterprise."""
        return {"X-API-Key": self.key}


@dataclass
class Zone:
    """The senders of an export shipment plus an outsider."""

    platform: Party
    logistics: Party
    agent: Party
    operator: Party
    outsider: Party

    @property
    def parties(self) -> Parties:
        """The codes the shipments name."""
        return Parties(ebp=self.platform.code, logistics=self.logistics.code, agent=self.agent.code,
                       operator=self.operator.code)


@pytest.fixture
def ezone(db) -> Zone:
    """Five approved enterprises with customs codes and API keys (committed)."""
    made = []
    for n, name in enumerate(("platform", "logistics", "agent", "operator", "outsider"), start=1):
        code = f"15027{n:05d}"
        ent = make_enterprise(db, customs_code=code, dxp_id=f"DXPENT00007{n:04d}", name_zh=f"出口{name}")
        made.append(Party(id=ent.id, code=code, key=make_api_key(db, ent.id)))
    db.commit()
    return Zone(*made)
