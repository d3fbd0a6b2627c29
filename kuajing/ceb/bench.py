"""Benchmark of the CEB layer (报文性能基准): parse+validate and build vs. a plain-lxml floor.

The floor is what any implementation must pay: lxml parse + lxml XSD validation of the OFFICIAL
schema (loaded here only, from ``KUAJING_CEB_SPEC_DIR``, default /work/shared/ceb-spec) on the same
bytes. When that directory is missing, the floor falls back to our generated structure schema and
each row says so (``floor_schema``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from kuajing.ceb.codec import build, parse
from kuajing.ceb.examples import example_message
from kuajing.ceb.messages import spec_of
from kuajing.ceb.xsdgen import schema_for

CASES = (("CEB311", 1), ("CEB311", 100), ("CEB621", 1), ("CEB621", 100))


def _official_schema(direction: str) -> etree.XMLSchema | None:
    path = Path(os.environ.get("KUAJING_CEB_SPEC_DIR", "/work/shared/ceb-spec")) / "xsd" / f"ceb-{direction}-202205.xsd"
    if not path.is_file():
        return None
    return etree.XMLSchema(etree.parse(str(path)))


def _time(fn: Callable[[], object], seconds: float) -> float:
    """Best per-call seconds over several batches within ``seconds`` (robust to a noisy machine)."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    batch = max(1, int(0.05 / once))
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        best = min(best, (time.perf_counter() - t0) / batch)
        if time.perf_counter() >= deadline:
            return best


def run(*, seconds_per_case: float = 2.0) -> list[dict]:
    """Measure every case; each row: case, records, us_per_record, floor_us_per_record, ratio (+ floor_schema)."""
    rows: list[dict] = []
    schemas: dict[str, etree.XMLSchema | None] = {}
    half = seconds_per_case / 2
    for mtype, n in CASES:
        spec = spec_of(mtype)
        if spec.direction not in schemas:
            schemas[spec.direction] = _official_schema(spec.direction)
        official = schemas[spec.direction]
        floor_schema = official if official is not None else schema_for(spec, rules=False)
        msg = example_message(mtype, records=n, items=2)
        data = build(msg)

        def floor(data: bytes = data, floor_schema: etree.XMLSchema = floor_schema) -> None:
            root = etree.fromstring(data)
            if not floor_schema.validate(root):
                raise AssertionError(str(floor_schema.error_log))

        floor_s = _time(floor, half)
        cases = ((f"{mtype} parse+validate", lambda data=data: parse(data)),
                 (f"{mtype} build", lambda msg=msg: build(msg)))
        for case, fn in cases:
            ours = _time(fn, half)
            rows.append({
                "case": case,
                "records": n,
                "us_per_record": round(ours / n * 1e6, 2),
                "floor_us_per_record": round(floor_s / n * 1e6, 2),
                "ratio": round(ours / floor_s, 2),
                "bytes": len(data),
                "floor_schema": "official" if official is not None else "generated",
            })
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as a plain-text table."""
    head = f"{'case':<26}{'records':>8}{'µs/record':>12}{'floor µs/rec':>14}{'ratio':>8}  floor"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['case']:<26}{r['records']:>8}{r['us_per_record']:>12.1f}{r['floor_us_per_record']:>14.1f}"
                     f"{r['ratio']:>8.2f}  {r['floor_schema']}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(format_table(run()))
