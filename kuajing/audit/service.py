"""PLACEHOLDER until the audit helper lands: the public signature other domains call."""

from __future__ import annotations

from typing import Any


def record(*, session, action: str, stream: str, actor: str, subject_id: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, at=None):
    """Record a state change ``action`` ("source:subject:action") in ``stream`` in the session's transaction."""
    return None
