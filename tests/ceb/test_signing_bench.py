"""The signing benchmark runs, reports every case, and SM2 verification meets the 1,000/s floor."""

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


def test_sm2_verification_is_native_fast():
    key, cert = generate_demo_keypair("sm2", "speed")
    signer = Sm2SoftwareSigner(private_key_pem=key, certificate=cert)
    data = b"<ds:SignedInfo>" + b"x" * 700 + b"</ds:SignedInfo>"
    signature = signer.sign(data)
    verifier = SoftwareVerifier()

    def verify() -> bool:
        return verifier.verify(algorithm=SignatureAlgorithm.SM2_SM3, data=data, signature=signature,
                               certificate_der=signer.certificate_der)

    # Best of three short runs, so a busy CI neighbour does not decide the result.
    runs = [bench._rate(verify, 0.3) for _ in range(3)]
    best = max(count / elapsed for count, elapsed in runs)
    assert best >= 1000, f"SM2 verify {best:.0f}/s is under the 1,000/s floor"
