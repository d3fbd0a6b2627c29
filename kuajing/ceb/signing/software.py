"""Software-key adapters of the signing port (软件密钥): SM2-SM3 and RSA-SHA1 signers, and the verifier."""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kuajing.ceb.signing import sm2
from kuajing.ceb.signing.base import SM2_DEFAULT_ID, SignatureAlgorithm
from kuajing.ceb.signing.certs import CertificateInfo, load_certificate, load_sm2_private_key


class Sm2SoftwareSigner:
    """SM2-SM3 with a software key: SM3 with Z (ID ``1234567812345678``), DER SEQUENCE{r,s} output."""

    algorithm = SignatureAlgorithm.SM2_SM3

    def __init__(self, *, private_key_pem: bytes | str, certificate: bytes | str, key_name: str | None = None,
                 ident: bytes = SM2_DEFAULT_ID, signature_format: str = "der") -> None:
        if signature_format not in ("der", "raw"):
            raise ValueError("signature_format must be 'der' or 'raw'")
        self._cert = load_certificate(certificate)
        if self._cert.sm2_public_key is None:
            raise ValueError("the certificate does not hold an SM2 key")
        self._private = load_sm2_private_key(private_key_pem)
        self._public = self._cert.sm2_public_key
        if not sm2.keys_match(private_key=self._private, public_key=self._public):
            raise ValueError("the SM2 private key does not match the certificate")
        self._z = sm2.z_value(public_key=self._public, ident=ident)
        self._key_name = key_name or self._cert.key_name
        self._format = signature_format

    @property
    def certificate_der(self) -> bytes:
        """The signing certificate, DER."""
        return self._cert.der

    @property
    def key_name(self) -> str:
        """ds:KeyName: the certificate serial number unless given."""
        return self._key_name

    def sign(self, data: bytes) -> bytes:
        """SM2 signature over ``data`` (DER, or r||s when built with signature_format='raw')."""
        signature = sm2.sign(private_key=self._private, public_key=self._public, data=data, z=self._z)
        return sm2.der_to_raw(signature) if self._format == "raw" else signature


class RsaSoftwareSigner:
    """RSA-SHA1 (PKCS#1 v1.5) with a software key, as the spec's 通用算法 suite prescribes."""

    algorithm = SignatureAlgorithm.RSA_SHA1

    def __init__(self, *, private_key_pem: bytes | str, certificate: bytes | str,
                 key_name: str | None = None) -> None:
        if isinstance(private_key_pem, str):
            private_key_pem = private_key_pem.encode()
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("not an RSA private key")
        self._cert = load_certificate(certificate)
        if self._cert.rsa_public_key is None or (
            self._cert.rsa_public_key.public_numbers() != key.public_key().public_numbers()
        ):
            raise ValueError("the RSA private key does not match the certificate")
        self._key = key
        self._key_name = key_name or self._cert.key_name

    @property
    def certificate_der(self) -> bytes:
        """The signing certificate, DER."""
        return self._cert.der

    @property
    def key_name(self) -> str:
        """ds:KeyName: the certificate serial number unless given."""
        return self._key_name

    def sign(self, data: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-1 over ``data``."""
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA1())


@lru_cache(maxsize=256)
def _cached_certificate(der: bytes) -> tuple[CertificateInfo, bytes | None]:
    info = load_certificate(der)
    z = sm2.z_value(public_key=info.sm2_public_key) if info.sm2_public_key is not None else None
    return info, z


class SoftwareVerifier:
    """Verifies SM2-SM3 (gmssl-pyx) and RSA-SHA1 (cryptography) signatures with a certificate's key."""

    def verify(self, *, algorithm: SignatureAlgorithm, data: bytes, signature: bytes,
               certificate_der: bytes) -> bool:
        """True when ``signature`` over ``data`` verifies; False for a wrong key type or bad signature."""
        info, z = _cached_certificate(certificate_der)
        if algorithm is SignatureAlgorithm.SM2_SM3:
            if info.sm2_public_key is None:
                return False
            return sm2.verify(public_key=info.sm2_public_key, data=data, signature=signature, z=z)
        if info.rsa_public_key is None:
            return False
        try:
            info.rsa_public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            return False
        return True
