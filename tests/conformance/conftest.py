"""Conformance fixtures: the official specification directory (test oracle only).

The directory comes from ``KUAJING_CEB_SPEC_DIR`` (default ``/work/shared/ceb-spec``). When it is
missing, every conformance test FAILS with a clear message: it never silently skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

DEFAULT_SPEC_DIR = "/work/shared/ceb-spec"


def spec_dir() -> Path:
    """The official spec directory (XSDs + samples)."""
    return Path(os.environ.get("KUAJING_CEB_SPEC_DIR", DEFAULT_SPEC_DIR))


@pytest.fixture(scope="session")
def ceb_spec_dir() -> Path:
    path = spec_dir()
    if not (path / "xsd" / "ceb-import-202205.xsd").is_file():
        pytest.fail(
            f"official CEB specification not found at {path} (expected xsd/ceb-import-202205.xsd); "
            "set KUAJING_CEB_SPEC_DIR to the directory holding xsd/ and samples/",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def official_schemas(ceb_spec_dir: Path) -> dict[str, etree.XMLSchema]:
    """The official import and export XSDs compiled by lxml (oracles)."""
    out = {}
    for direction in ("import", "export"):
        doc = etree.parse(str(ceb_spec_dir / "xsd" / f"ceb-{direction}-202205.xsd"))
        out[direction] = etree.XMLSchema(doc)
    return out


@pytest.fixture(scope="session")
def official_xsd_trees(ceb_spec_dir: Path) -> dict[str, etree._ElementTree]:
    """The official XSD documents as trees (to compare our definitions with)."""
    return {d: etree.parse(str(ceb_spec_dir / "xsd" / f"ceb-{d}-202205.xsd")) for d in ("import", "export")}
