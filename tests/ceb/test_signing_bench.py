"""The signing benchmark runs and reports every case; SM2 verification runs in native code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kuajing.ceb.signing import bench
from kuajing.ceb.signing.base import SignatureAlgorithm
from kuajing.ceb.signing.certs import generate_demo_keypair
from kuajing.ceb.signing.software import Sm2SoftwareSigner, SoftwareVerifier


def test_bench_reports_every_case():
    rows = bench.run(seconds=0.05)
    cases = {(r["algorithm"], r["case"].split(" (")[0]) for r in rows}
    for algorithm in ("sm2-sm3", "rsa-sha1"):
        for case in ("sign", "verify", "sign_message CEB621", "verify_message CEB621"):
            assert (algorithm, case) in cases
    assert all(r["per_second"] > 0 and r["operations"] > 0 for r in rows)


def test_bench_script_uses_the_same_runner():
    path = Path(__file__).resolve().parents[2] / "bench" / "sign_bench.py"
    spec = importlib.util.spec_from_file_location("sign_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(seconds=0.02)
    assert len(rows) == 8


def test_sm2_verification_runs_in_native_code():
    # Speed is measured by `kuajing bench sign` (figures in the README), never asserted in a test.
    # What a test can hold: SM2 verification goes through the compiled GmSSL extension, not Python.
    import gmssl_pyx.gmsslext as native

    assert Path(native.__file__).suffix in (".so", ".pyd")
    key, cert = generate_demo_keypair("sm2", "speed")
    signer = Sm2SoftwareSigner(private_key_pem=key, certificate=cert)
    data = b"<ds:SignedInfo>" + b"x" * 700 + b"</ds:SignedInfo>"
    signature = signer.sign(data)
    verifier = SoftwareVerifier()
    assert verifier.verify(algorithm=SignatureAlgorithm.SM2_SM3, data=data, signature=signature,
                           certificate_der=signer.certificate_der)
    assert not verifier.verify(algorithm=SignatureAlgorithm.SM2_SM3, data=data + b" ", signature=signature,
                               certificate_der=signer.certificate_der)
