"""Domain events: subscribers see a declaration list's release and rejection in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kuajing import events
from kuajing.imports.models import Inventory
from kuajing.imports.service import pump
from tests.imports.test_flow import FakeCustoms, list_receipt
from tests.imports.test_intake import send_parcel


@pytest.fixture
def seen():
    """Subscribe a recorder to every event for the test, then unsubscribe it."""
    got: list[tuple[str, str, str]] = []
    handlers = {}
    for name in events.EVENTS:
        def handler(*, session, inventory, _name=name, **_):
            got.append((_name, inventory.business_key, inventory.status))
        handlers[name] = events.subscribe(name)(handler)
    yield got
    for name, fn in handlers.items():
        events._subscribers[name].remove(fn)


def test_unknown_event_names_are_refused():
    with pytest.raises(ValueError):
        events.subscribe("import.inventory.teleported")
    with pytest.raises(ValueError):
        events.publish(session=None, name="nope")


def test_declared_then_released_are_published_once(client, db, session_factory, zone, seen):
    send_parcel(client, zone)
    inv = db.scalars(select(Inventory)).one()
    assert seen == [("import.inventory.declared", inv.business_key, "declared")]
    customs = FakeCustoms()
    customs.queue = [list_receipt(inv, s) for s in ("120", "399", "800", "800")]  # a repeated 800
    pump(session_factory=session_factory, transport=customs)
    assert [s[0] for s in seen] == ["import.inventory.declared", "import.inventory.released"]
    assert seen[-1][2] == "released"


def test_a_customs_rejection_is_published(client, db, session_factory, zone, seen):
    send_parcel(client, zone)
    inv = db.scalars(select(Inventory)).one()
    customs = FakeCustoms()
    customs.queue = [list_receipt(inv, "100")]
    pump(session_factory=session_factory, transport=customs)
    assert seen[-1][0] == "import.inventory.rejected" and seen[-1][2] == "customs_rejected"


def test_a_failing_subscriber_rolls_the_release_back(client, db, session_factory, zone):
    send_parcel(client, zone)
    inv = db.scalars(select(Inventory)).one()

    @events.subscribe("import.inventory.released")
    def boom(**_):
        raise RuntimeError("subscriber failed")

    try:
        customs = FakeCustoms()
        customs.queue = [list_receipt(inv, "800")]
        result = pump(session_factory=session_factory, transport=customs)
        assert (result.applied, result.apply_failed) == (0, 1)  # the customs message is refused, not half-applied
    finally:
        events._subscribers["import.inventory.released"].remove(boom)
    db.expire_all()
    assert db.scalars(select(Inventory)).one().status == "declared"
