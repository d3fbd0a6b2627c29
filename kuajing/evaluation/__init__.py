"""District and park evaluation (综合考评): indicators, weights, entries with evidence, scores, ranking and
published snapshots that never change (docs/evaluation.md)."""
