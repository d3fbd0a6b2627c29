"""Kinds of problem the audit verification reports (校验问题类型), with translatable label and colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class ProblemKind(StrEnum):
    """What is wrong with the trail at one place."""

    hash_mismatch = "hash_mismatch"  # 哈希不符: the event's content was changed
    broken_link = "broken_link"  # 链接断裂: prev_hash is not the hash of the previous event
    gap = "gap"  # 缺失事件: a seq is missing in the middle
    head_mismatch = "head_mismatch"  # 链头不符: the head row disagrees with the last event
    truncated = "truncated"  # 截断: events sealed by a checkpoint are missing
    sealed_mismatch = "sealed_mismatch"  # 与检查点不符: a sealed event was rewritten
    checkpoint_signature_invalid = "checkpoint_signature_invalid"  # 检查点签名无效
    checkpoint_chain_broken = "checkpoint_chain_broken"  # 检查点链断裂: a checkpoint was removed

    @property
    def label(self) -> str:
        """English msgid of the label (translate with :meth:`label_in`)."""
        return _LABELS[self]

    def label_in(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(_LABELS[self], locale)

    @property
    def colour(self) -> str:
        """Colour of the badge in the UI."""
        return "orange" if self in (ProblemKind.head_mismatch,) else "red"


_LABELS = {
    ProblemKind.hash_mismatch: lazy("hash mismatch"),
    ProblemKind.broken_link: lazy("broken link"),
    ProblemKind.gap: lazy("missing event (gap)"),
    ProblemKind.head_mismatch: lazy("stream head does not match the last event"),
    ProblemKind.truncated: lazy("events sealed by a checkpoint are missing (truncation)"),
    ProblemKind.sealed_mismatch: lazy("event differs from the signed checkpoint"),
    ProblemKind.checkpoint_signature_invalid: lazy("checkpoint signature invalid"),
    ProblemKind.checkpoint_chain_broken: lazy("checkpoint chain broken"),
}
