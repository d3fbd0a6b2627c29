"""Effective-dated policy parameters with legal citations (政策参数): ``rule(name, on) -> RuleValue``."""

from kuajing.rules.service import RuleValue, rule

__all__ = ["RuleValue", "rule"]
