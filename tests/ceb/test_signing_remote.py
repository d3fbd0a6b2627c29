"""The remote signer against a real HTTP bridge on 127.0.0.1 that wraps software keys (protocol v1)."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kuajing.ceb.signing import (
    RemoteSigner,
    RsaSoftwareSigner,
    SignatureAlgorithm,
    SigningError,
    Sm2SoftwareSigner,
    generate_demo_keypair,
    sign_message,
    signer_from_config,
    sm2,
    verify_message,
)

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[3] / "shared" / "ceb-spec")
TOKEN = "test-token"


def message() -> bytes:
    data = (SPEC / "samples" / "import" / "CEB311Message.xml").read_bytes()
    return re.sub(rb"\s*<ds:Signature\b.*</ds:Signature>", b"\n", data, flags=re.DOTALL)


class Bridge(ThreadingHTTPServer):
    """A USB-key bridge stand-in: real HTTP, software keys behind it, a few switchable misbehaviours."""

    daemon_threads = True

    def __init__(self, signers: dict) -> None:
        super().__init__(("127.0.0.1", 0), BridgeHandler)
        self.signers = signers
        self.mode = "normal"  # or "raw" (answers r||s), "garbage" (answers a wrong signature)
        self.requests: list[tuple[str, str]] = []


class BridgeHandler(BaseHTTPRequestHandler):
    server: Bridge

    def log_message(self, *args) -> None:  # keep test output quiet
        return

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"error": "unauthorised", "message": "bad or missing token"})
            return False
        return True

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        if not self._authorised():
            return
        match = re.fullmatch(r"/v1/keys/([^/]+)", self.path)
        signer = self.server.signers.get(match.group(1)) if match else None
        if signer is None:
            self._answer(404, {"error": "unknown_key", "message": "no such key"})
            return
        self._answer(200, {"key_id": match.group(1), "algorithm": signer.algorithm.value,
                           "certificate_b64": base64.b64encode(signer.certificate_der).decode(),
                           "key_name": signer.key_name})

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path))
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        signer = self.server.signers.get(body.get("key_id"))
        if self.path != "/v1/sign" or signer is None:
            self._answer(404, {"error": "unknown_key", "message": "no such key"})
            return
        if body.get("algorithm") != signer.algorithm.value:
            self._answer(400, {"error": "algorithm_mismatch", "message": body.get("algorithm")})
            return
        data = base64.b64decode(body["data_b64"])
        if self.server.mode == "garbage":
            data += b"!"
        signature = signer.sign(data)
        fmt = "der"
        if self.server.mode == "raw" and signer.algorithm is SignatureAlgorithm.SM2_SM3:
            signature, fmt = sm2.der_to_raw(signature), "raw"
        self._answer(200, {"signature_b64": base64.b64encode(signature).decode(), "signature_format": fmt,
                           "key_name": signer.key_name})


@pytest.fixture(scope="module")
def bridge():
    sm2_key, sm2_cert = generate_demo_keypair("sm2", "USB-key SM2")
    rsa_key, rsa_cert = generate_demo_keypair("rsa", "USB-key RSA")
    server = Bridge({
        "usbkey-sm2": Sm2SoftwareSigner(private_key_pem=sm2_key, certificate=sm2_cert),
        "usbkey-rsa": RsaSoftwareSigner(private_key_pem=rsa_key, certificate=rsa_cert),
    })
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.certs = {"usbkey-sm2": sm2_cert, "usbkey-rsa": rsa_cert}
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def url(server: Bridge) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.fixture(autouse=True)
def _normal_mode(bridge):
    bridge.mode = "normal"
    yield
    bridge.mode = "normal"


@pytest.mark.parametrize("key_id", ["usbkey-sm2", "usbkey-rsa"])
def test_remote_signed_message_verifies(bridge, key_id):
    with RemoteSigner(base_url=url(bridge), key_id=key_id, token=TOKEN) as signer:
        signed = sign_message(message(), signer=signer)
        result = verify_message(signed, trusted_certs=[bridge.certs[key_id]])
        assert result.valid and result.trusted
        assert result.algorithm is signer.algorithm
        assert result.key_name == signer.key_name == bridge.signers[key_id].key_name
        # Metadata is fetched once and cached.
        sign_message(message(), signer=signer)
    gets = [p for m, p in bridge.requests if m == "GET" and p.endswith(key_id)]
    assert len(gets) == 1


def test_raw_sm2_answer_is_normalised_to_der(bridge):
    bridge.mode = "raw"
    signer = RemoteSigner(base_url=url(bridge), key_id="usbkey-sm2", token=TOKEN)
    signature = signer.sign(b"<SignedInfo/>")
    assert signature[0] == 0x30 and len(sm2.der_to_raw(signature)) == 64
    assert verify_message(sign_message(message(), signer=signer)).valid


def test_wrong_signature_from_bridge_is_caught(bridge):
    bridge.mode = "garbage"
    signer = RemoteSigner(base_url=url(bridge), key_id="usbkey-sm2", token=TOKEN)
    with pytest.raises(SigningError, match="does not verify"):
        sign_message(message(), signer=signer)


def test_refusals_become_signing_errors(bridge):
    with pytest.raises(SigningError, match="unauthorised"):
        sign_message(message(), signer=RemoteSigner(base_url=url(bridge), key_id="usbkey-sm2", token="nope"))
    with pytest.raises(SigningError, match="unknown_key"):
        RemoteSigner(base_url=url(bridge), key_id="nope", token=TOKEN).sign(b"x")
    with pytest.raises(SigningError, match="not sm2-sm3"):
        _ = RemoteSigner(base_url=url(bridge), key_id="usbkey-rsa", token=TOKEN, algorithm="sm2").algorithm


def test_unreachable_bridge(bridge):
    # A port on loopback that nothing listens on: bind, read the port, close.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    signer = RemoteSigner(base_url=f"http://127.0.0.1:{port}", key_id="k", timeout=2)
    with pytest.raises(SigningError, match="unreachable"):
        signer.sign(b"x")


def test_factory_builds_a_remote_signer(bridge):
    signer = signer_from_config("remote", base_url=url(bridge), key_id="usbkey-rsa", token=TOKEN)
    assert isinstance(signer, RemoteSigner)
    assert verify_message(sign_message(message(), signer=signer)).algorithm is SignatureAlgorithm.RSA_SHA1
