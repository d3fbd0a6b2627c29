"""In-process domain events (领域事件), delivered synchronously inside the publisher's transaction.

The import and export pipelines publish what happened to a declaration list; other domains (statistics,
risk, …) subscribe without the pipelines knowing them. A subscriber runs in the same transaction as the
state change, so its writes commit or roll back with it — it must be cheap (append a row, bump a counter)
and must not commit. Work that is slow belongs in a job that reads what the subscriber appended.

Subscribers live in ``kuajing/<domain>/subscribers.py`` and are discovered on first publish::

    from kuajing.events import subscribe

    @subscribe("import.inventory.released")
    def count_release(*, session, inventory, **_):
        ...

A pipeline step that moves many lists at once (matching a batch of orders, applying a batch of customs
messages) holds its events with :func:`collected` and delivers them together at the end of the step (or at
:func:`deliver`), still inside its transaction: a subscriber registered with :func:`subscribe_many` then
gets the whole run of one event in one call (one multi-row INSERT instead of one per list, and no ORM
autoflush per list); a plain subscriber is called once per event, in publication order.

Event names (``<direction>.<document>.<what>``) and their keyword payload:

* ``import.inventory.declared``  — inventory (imports.models.Inventory) sent to customs
* ``import.inventory.released``  — inventory released by customs (800)
* ``import.inventory.rejected``  — inventory refused by customs (100 or a negative code)
* ``import.inventory.cancelled`` — inventory cancelled (CEB623 approved); ``was_released``
* ``import.inventory.returned``  — inventory returned in full (CEB625 approved)
* ``export.inventory.released``  — inventory (exports.models.ExportInventory) released (800, or 899 first)
* ``export.inventory.rejected``  — inventory refused by customs
* ``export.inventory.cancelled`` — inventory cancelled (CEB605 approved); ``was_released``
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

EVENTS = (
    "import.inventory.declared",
    "import.inventory.released",
    "import.inventory.rejected",
    "import.inventory.cancelled",
    "import.inventory.returned",
    "export.inventory.released",
    "export.inventory.rejected",
    "export.inventory.cancelled",
)

_subscribers: dict[str, list[Callable[..., None]]] = defaultdict(list)
_loaded = False


#: where :func:`collected` keeps the events of its block (in ``Session.info``)
_COLLECTED = "kuajing.events.collected"


def subscribe(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated function for the event ``name`` (one of :data:`EVENTS`): called as
    ``fn(session=..., **payload)`` once per event."""
    return _register(name, many=False)


def subscribe_many(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated function for the event ``name``, called as ``fn(session=..., payloads=[...])``
    with every payload of a run of that event (one payload when the event was published on its own)."""
    return _register(name, many=True)


def _register(name: str, *, many: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        if many:
            fn._kuajing_many = True  # type: ignore[attr-defined]
        if fn not in _subscribers[name]:
            _subscribers[name].append(fn)
        return fn

    return register


def load_subscribers() -> None:
    """Import every ``kuajing.<domain>.subscribers`` module once, so its decorators run."""
    global _loaded
    if _loaded:
        return
    import kuajing

    for info in pkgutil.iter_modules(kuajing.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"kuajing.{info.name}.subscribers")
            except ModuleNotFoundError as exc:
                if exc.name != f"kuajing.{info.name}.subscribers":
                    raise
    _loaded = True


def publish(*, session: Session, name: str, **payload) -> None:
    """Call every subscriber of ``name`` in the caller's transaction; an error rolls the change back.
    Inside :func:`collected` the event is held and delivered with the others at the end of the block."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    held = session.info.get(_COLLECTED) if session is not None else None
    if held is not None:
        held.append((name, payload))
        return
    _call(session, name, [payload])


@contextmanager
def collected(session: Session) -> Iterator[None]:
    """Hold the events published in the block and deliver them at its end, grouped in runs of one event name
    (in publication order). A nested block's events are delivered at the end of the outermost one; an
    exception leaving a block drops the events held since it began (the changes they describe are rolled
    back with the transaction or savepoint the exception leaves)."""
    held = session.info.get(_COLLECTED)
    if held is not None:
        mark = len(held)
        try:
            yield
        except BaseException:
            del held[mark:]
            raise
        return
    session.info[_COLLECTED] = []
    try:
        yield
        deliver(session)
    finally:
        session.info.pop(_COLLECTED, None)


def deliver(session: Session) -> None:
    """Deliver the events held so far by :func:`collected` (a step boundary inside the block)."""
    held = session.info.get(_COLLECTED)
    if not held:
        return
    pending = list(held)
    held.clear()
    for name, run in itertools.groupby(pending, key=lambda e: e[0]):
        _call(session, name, [payload for _, payload in run])


def _call(session: Session, name: str, payloads: list[dict]) -> None:
    load_subscribers()
    for fn in list(_subscribers.get(name, ())):
        if getattr(fn, "_kuajing_many", False):
            fn(session=session, payloads=payloads)
        else:
            for payload in payloads:
                fn(session=session, **payload)
