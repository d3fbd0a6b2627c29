"""Stable error codes of the audit trail (审计追踪错误码)."""

from __future__ import annotations

from enum import StrEnum


class AuditErrorCode(StrEnum):
    """Every error the audit domain can answer; the value is the stable ``code``."""

    bad_action = "audit_bad_action"  # action is not "source:subject:action"
    bad_stream = "audit_bad_stream"  # stream name empty, too long or with forbidden characters
    bad_actor = "audit_bad_actor"  # actor empty or too long
    bad_subject = "audit_bad_subject"  # subject id too long
    naive_timestamp = "audit_naive_timestamp"  # ``at`` without a time zone
    bad_snapshot = "audit_bad_snapshot"  # before/after holds a value that has no JSON form
    bad_cursor = "audit_bad_cursor"  # timeline paging arguments out of range
