"""Tamper-evident audit trail (审计追踪): events hash-chained per stream, sealed by signed checkpoints."""
