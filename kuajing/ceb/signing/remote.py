"""Remote signer (远程签名): the signing port over a small JSON-over-HTTP protocol, for a USB-key bridge
(智能密码钥匙) or a server crypto device (服务器密码机/签名验签服务器). Protocol v1, see docs/signing.md:

    GET  {base}/v1/keys/{key_id}  -> {"key_id", "algorithm", "certificate_b64", "key_name"}
    POST {base}/v1/sign  {"key_id", "algorithm", "data_b64"}
                                  -> {"signature_b64", "signature_format"?, "key_name"?, "certificate_b64"?}
    errors: non-2xx with {"error": "<code>", "message": "<text>"}

``data_b64`` carries the exact bytes to sign (the canonical SignedInfo); the device hashes them itself
(SM3 with Z and ID 1234567812345678 for sm2-sm3, SHA-1 for rsa-sha1).
"""

from __future__ import annotations

import base64
import binascii
from typing import Self
from urllib.parse import quote

import httpx

from kuajing.ceb.signing import sm2
from kuajing.ceb.signing.base import SignatureAlgorithm, SigningError
from kuajing.ceb.signing.certs import certificate_der
from kuajing.ceb.signing.software import SoftwareVerifier

PROTOCOL_VERSION = "v1"


class RemoteSigner:
    """A Signer whose key lives behind an HTTP bridge; metadata is fetched once, on first use."""

    def __init__(self, *, base_url: str, key_id: str, algorithm: str | SignatureAlgorithm | None = None,
                 token: str | None = None, timeout: float = 10.0, verify_response: bool = True,
                 client: httpx.Client | None = None) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self._key_id = key_id
        self._expected = SignatureAlgorithm.parse(algorithm) if algorithm else None
        self._verify_response = verify_response
        self._meta: tuple[SignatureAlgorithm, bytes, str] | None = None

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            response = self._client.request(method, f"/{PROTOCOL_VERSION}{path}", json=body)
        except httpx.HTTPError as exc:
            raise SigningError(f"remote signer unreachable: {exc}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 300:
            code = payload.get("error", response.status_code) if isinstance(payload, dict) else response.status_code
            message = payload.get("message", response.reason_phrase) if isinstance(payload, dict) else ""
            raise SigningError(f"remote signer refused ({code}): {message}")
        if not isinstance(payload, dict):
            raise SigningError("remote signer answered something other than a JSON object")
        return payload

    def _metadata(self) -> tuple[SignatureAlgorithm, bytes, str]:
        if self._meta is None:
            payload = self._call("GET", f"/keys/{quote(self._key_id, safe='')}")
            try:
                algorithm = SignatureAlgorithm.parse(payload["algorithm"])
                cert = certificate_der(payload["certificate_b64"])
                key_name = str(payload["key_name"])
            except (KeyError, ValueError, binascii.Error) as exc:
                raise SigningError(f"remote signer sent bad key metadata: {exc}") from exc
            if self._expected is not None and algorithm is not self._expected:
                raise SigningError(f"remote key {self._key_id} is {algorithm.value}, not {self._expected.value}")
            self._meta = (algorithm, cert, key_name)
        return self._meta

    @property
    def algorithm(self) -> SignatureAlgorithm:
        """The suite of the remote key."""
        return self._metadata()[0]

    @property
    def certificate_der(self) -> bytes:
        """The remote key's certificate, DER."""
        return self._metadata()[1]

    @property
    def key_name(self) -> str:
        """ds:KeyName as the bridge reports it (the certificate serial)."""
        return self._metadata()[2]

    def sign(self, data: bytes) -> bytes:
        """Ask the bridge to sign ``data``; SM2 answers are normalised to DER and checked locally."""
        algorithm, cert, _ = self._metadata()
        payload = self._call("POST", "/sign", {
            "key_id": self._key_id, "algorithm": algorithm.value,
            "data_b64": base64.b64encode(data).decode("ascii"),
        })
        try:
            signature = base64.b64decode(payload["signature_b64"], validate=True)
            if algorithm is SignatureAlgorithm.SM2_SM3:
                signature = sm2.normalize_signature(signature)
        except (KeyError, ValueError, binascii.Error) as exc:
            raise SigningError(f"remote signer sent a bad signature: {exc}") from exc
        if self._verify_response and not SoftwareVerifier().verify(
            algorithm=algorithm, data=data, signature=signature, certificate_der=cert
        ):
            raise SigningError("remote signature does not verify with the key's certificate")
        return signature
