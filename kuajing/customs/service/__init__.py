"""Customs exchange services (海关通道): the port, its adapters and the choice between them.

``from kuajing.customs.service import CustomsTransport, transport_for`` is all a caller needs; the
adapters are :class:`SandboxCustoms` (built-in simulator, ``sandbox.py``) and :class:`FileTransport`
(DxpMsg files for a real customs client, ``files.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from kuajing.customs.service.files import FileTransport
from kuajing.customs.service.ports import CustomsTransport, InboundMessage
from kuajing.customs.service.sandbox import SandboxConfig, SandboxCustoms


def transport_for(settings, *, session_factory: sessionmaker[Session],
                  clock: Callable[[], datetime] | None = None) -> CustomsTransport:
    """The adapter ``settings.customs_transport`` names ("sandbox" or "file")."""
    if settings.customs_transport == "file":
        return FileTransport.from_settings(settings)
    return SandboxCustoms.from_settings(settings, session_factory=session_factory, clock=clock)


__all__ = ["CustomsTransport", "FileTransport", "InboundMessage", "SandboxConfig", "SandboxCustoms",
           "transport_for"]
