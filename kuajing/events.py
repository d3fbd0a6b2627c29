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
import pkgutil
from collections import defaultdict
from collections.abc import Callable

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


def subscribe(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated function for the event ``name`` (one of :data:`EVENTS`)."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")

    def register(fn: Callable[..., None]) -> Callable[..., None]:
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
    """Call every subscriber of ``name`` in the caller's transaction; an error rolls the change back."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    load_subscribers()
    for fn in _subscribers.get(name, ()):
        fn(session=session, **payload)
