"""Processes that start together on a fresh var dir agree on one set of generated secrets and one platform key.

A scale-out deployment (two API processes, two workers) starts its processes at the same moment; before
kuajing.files each of them generated its own development secrets and platform key pair, and CI caught one
process dying on a temporary file a neighbour had renamed away (FileNotFoundError in ensure_platform_keys).
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

from kuajing import files
from kuajing.ceb.signing import verify_message

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[2] / "shared" / "ceb-spec")

# Each child waits for the start signal, then does what `kuajing serve` / `kuajing worker` do at start-up (load
# the settings, configure the signer), signs a declaration list with the signer it got, and reports both.
CHILD = r"""
import base64, json, sys, time
from pathlib import Path
var_dir, go, message = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]).read_bytes()
from kuajing.settings import Settings
from kuajing.certificates import service
from kuajing.ceb.signing import sign_message
while not go.exists():
    time.sleep(0.001)
settings = Settings.load(var_dir=var_dir, env="development")
policy = service.configure(settings)
signed = sign_message(message, signer=policy.signer)
print(json.dumps({"secrets": {n: settings.secret(n).decode() for n in
                              ("secret_key", "encryption_key", "lookup_key", "audit_signing_key")},
                  "certificate": base64.b64encode(policy.platform_certificates[0]).decode(),
                  "signed": base64.b64encode(signed).decode()}))
"""


def _unsigned_list(tmp_path: Path) -> Path:
    data = (SPEC / "samples" / "import" / "CEB621Message.xml").read_bytes()
    path = tmp_path / "CEB621Message.xml"
    path.write_bytes(re.sub(rb"\s*<ds:Signature\b.*</ds:Signature>", b"\n", data, flags=re.DOTALL))
    return path


def test_processes_starting_together_share_one_secret_store_and_one_key_pair(tmp_path):
    message = _unsigned_list(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUAJING_")}  # nothing configured: generate
    for rnd in range(3):
        var_dir, go = tmp_path / f"var-{rnd}", tmp_path / f"go-{rnd}"
        children = [subprocess.Popen([sys.executable, "-c", CHILD, str(var_dir), str(go), str(message)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
        time.sleep(1.5)  # let every child import and wait at the start line
        go.touch()
        outputs = [c.communicate(timeout=120) for c in children]
        for child, (_out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err[-3000:]
        reports = [json.loads(out) for out, _ in outputs]
        # one set of secrets: what any process encrypts or signs, the others can read and check
        assert len({json.dumps(r["secrets"], sort_keys=True) for r in reports}) == 1
        assert json.loads((var_dir / "secrets.json").read_text()) == reports[0]["secrets"]
        # one certificate, the one on disk, and every process's signature checks against it
        on_disk = (var_dir / "keys" / "platform-sm2-cert.pem").read_bytes()
        assert {r["certificate"] for r in reports} == {reports[0]["certificate"]}
        for r in reports:
            result = verify_message(base64.b64decode(r["signed"]), trusted_certs=[on_disk])
            assert result.valid, result
        for path in (var_dir / "secrets.json", var_dir / "keys" / "platform-sm2-key.pem"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not list(var_dir.rglob("*.tmp")), "no temporary file is left behind"


def test_write_private_replaces_whole_files_only(tmp_path):
    target = tmp_path / "sub" / "secret.bin"
    files.write_private(target, b"first")
    files.write_private(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["secret.bin"]
