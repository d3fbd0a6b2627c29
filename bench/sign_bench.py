"""Signing benchmark: SM2/RSA sign and verify per second on one core, and sign_message/verify_message of a
CEB621 (the official sample when the spec folder is at hand, else a generated one).

    .venv/bin/python bench/sign_bench.py [seconds]
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from kuajing.ceb.signing import bench

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[2] / "shared" / "ceb-spec")


def official_ceb621() -> bytes | None:
    """The official CEB621 sample without its placeholder signature, or None when absent."""
    path = SPEC / "samples" / "import" / "CEB621Message.xml"
    if not path.is_file():
        return None
    return re.sub(rb"\s*<ds:Signature\b.*</ds:Signature>", b"\n", path.read_bytes(), flags=re.DOTALL)


def run(*, seconds: float = 2.0) -> list[dict]:
    """Run every case for ``seconds`` each; one dict per case."""
    return bench.run(seconds=seconds, message=official_ceb621())


if __name__ == "__main__":
    rows = run(seconds=float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
    width = max(len(r["case"]) for r in rows)
    for r in rows:
        print(f"{r['algorithm']:9} {r['case']:{width}}  {r['per_second']:>10,.1f}/s   {r['backend']}")
