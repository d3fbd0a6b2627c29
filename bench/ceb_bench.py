"""Benchmark of the CEB message layer; run as ``python bench/ceb_bench.py [seconds_per_case]``.

The implementation lives in :mod:`kuajing.ceb.bench` (the CLI's ``kuajing bench ceb`` calls it).
"""

from __future__ import annotations

import sys

from kuajing.ceb.bench import format_table
from kuajing.ceb.bench import run as _run


def run(*, seconds_per_case: float = 2.0) -> list[dict]:
    """Rows with case, records, us_per_record, floor_us_per_record, ratio."""
    return _run(seconds_per_case=seconds_per_case)


if __name__ == "__main__":
    print(format_table(run(seconds_per_case=float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)))
