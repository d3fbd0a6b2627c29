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


class _Info:
    """A stand-in session: events.collected keeps its held events in ``info``."""

    def __init__(self):
        self.info: dict = {}


@pytest.fixture
def only_ours(monkeypatch):
    """The platform's own subscribers set aside: only the test's handlers run."""
    from collections import defaultdict

    events.load_subscribers()
    monkeypatch.setattr(events, "_subscribers", defaultdict(list))


def test_collected_events_reach_a_batch_subscriber_in_one_call_and_a_plain_one_per_event(only_ours):
    calls: list[tuple[str, list]] = []

    @events.subscribe_many("import.inventory.returned")
    def batch(*, session, payloads):
        calls.append(("batch", [p["inventory"] for p in payloads]))

    @events.subscribe("import.inventory.returned")
    def plain(*, session, inventory, **_):
        calls.append(("plain", [inventory]))

    session = _Info()
    try:
        with events.collected(session):
            for n in (1, 2, 3):
                events.publish(session=session, name="import.inventory.returned", inventory=n)
            assert calls == []  # held until the end of the step
        assert calls == [("batch", [1, 2, 3]), ("plain", [1]), ("plain", [2]), ("plain", [3])]
        calls.clear()
        events.publish(session=session, name="import.inventory.returned", inventory=9)  # outside: at once
        assert calls == [("batch", [9]), ("plain", [9])]
    finally:
        events._subscribers["import.inventory.returned"].remove(batch)
        events._subscribers["import.inventory.returned"].remove(plain)


def test_an_exception_drops_the_events_of_its_own_block_only(only_ours):
    got: list = []

    @events.subscribe_many("import.inventory.returned")
    def batch(*, session, payloads):
        got.extend(p["inventory"] for p in payloads)

    session = _Info()
    try:
        with events.collected(session):
            events.publish(session=session, name="import.inventory.returned", inventory="kept")
            with pytest.raises(RuntimeError), events.collected(session):  # one message's savepoint, rolled back
                events.publish(session=session, name="import.inventory.returned", inventory="dropped")
                raise RuntimeError("this message fails")
            events.publish(session=session, name="import.inventory.returned", inventory="after")
        assert got == ["kept", "after"]
        got.clear()
        with pytest.raises(RuntimeError), events.collected(session):
            events.publish(session=session, name="import.inventory.returned", inventory="lost")
            raise RuntimeError("the whole step fails")
        assert got == [] and events._COLLECTED not in session.info
    finally:
        events._subscribers["import.inventory.returned"].remove(batch)
