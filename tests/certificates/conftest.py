"""Fixtures of the certificate tests: the import zone, a demo SM2 key of the declaring agent, the switch."""

from __future__ import annotations

import pytest

from kuajing.ceb.signing import Sm2SoftwareSigner, generate_demo_keypair
from kuajing.certificates import service
from tests.imports.conftest import zone  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def agent_keys():
    """An SM2 key and self-signed certificate of the declaring agent (generated, never committed)."""
    key, cert = generate_demo_keypair("sm2-sm3", "包头测试报关有限公司")
    return key, cert, Sm2SoftwareSigner(private_key_pem=key, certificate=cert)


@pytest.fixture
def require_signatures():
    """``require_signed_declarations`` on for one test."""
    old = service.replace_policy(require_signed=True)
    yield
    service.configure_policy(old)
