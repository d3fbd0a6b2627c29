"""Signing certificates (签名证书): read X.509 (RSA or SM2), load keys, and make demo self-signed pairs."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kuajing.ceb.signing import _der, sm2
from kuajing.ceb.signing.base import SignatureAlgorithm

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.+?)\s*-----END \1-----", re.DOTALL)
RSA_KEY_OID = "1.2.840.113549.1.1.1"


@dataclass(frozen=True)
class CertificateInfo:
    """The facts of a certificate that signing and verification need."""

    der: bytes
    serial: int
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_algorithm: SignatureAlgorithm  # SM2_SM3 for an SM2 key, RSA_SHA1 for an RSA key
    sm2_public_key: bytes | None  # X||Y, 64 bytes, for SM2 keys
    rsa_public_key: rsa.RSAPublicKey | None
    tbs: bytes
    signature_oid: str
    signature: bytes

    @property
    def key_name(self) -> str:
        """The certificate serial number (证书编号) as hex, the default ds:KeyName."""
        return serial_hex(self.serial)


def serial_hex(serial: int) -> str:
    """A serial number as lowercase hex, zero-padded to whole bytes (e.g. 16 hex digits for 8 bytes)."""
    width = max(1, (serial.bit_length() + 7) // 8) * 2
    return format(serial, f"0{width}x")


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """Every PEM block in ``data`` as (label, DER)."""
    return [(m.group(1).decode(), base64.b64decode(m.group(2))) for m in _PEM_RE.finditer(data)]


def to_pem(label: str, der: bytes) -> bytes:
    """DER wrapped as PEM with 64-column lines."""
    body = base64.b64encode(der)
    lines = b"\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


def certificate_der(data: bytes | str) -> bytes:
    """A certificate given as DER, PEM or bare base64 (as in ds:X509Certificate), returned as DER."""
    if isinstance(data, str):
        data = data.encode()
    if data[:1] == b"\x30":
        return data
    blocks = [der for label, der in pem_blocks(data) if label == "CERTIFICATE"]
    if blocks:
        return blocks[0]
    return base64.b64decode(b"".join(data.split()), validate=True)


def _spki(tbs: bytes) -> _der.Tlv:
    fields = _der.children(_der.parse(tbs, _der.SEQUENCE).value)
    offset = 1 if fields and fields[0].tag == 0xA0 else 0
    return fields[offset + 5]


def load_certificate(data: bytes | str) -> CertificateInfo:
    """Parse an RSA or SM2 certificate (DER, PEM or base64); ValueError when it is neither."""
    der = certificate_der(data)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise ValueError(f"not an X.509 certificate: {exc}") from exc
    tbs = cert.tbs_certificate_bytes
    key_oid = cert.public_key_algorithm_oid.dotted_string
    sm2_key = rsa_key = None
    if key_oid == sm2.EC_PUBLIC_KEY_OID:
        spki = _der.children(_spki(tbs).value)
        params = _der.children(spki[0].value)
        if len(params) != 2 or _der.to_oid(params[1]) != sm2.SM2_CURVE_OID:
            raise ValueError("EC certificate is not on the SM2 curve")
        point = _der.to_bits(spki[1])
        if len(point) != 65 or point[0] != 4:
            raise ValueError("SM2 public key must be an uncompressed point")
        sm2_key, algorithm = point[1:], SignatureAlgorithm.SM2_SM3
    elif key_oid == RSA_KEY_OID:
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        rsa_key, algorithm = key, SignatureAlgorithm.RSA_SHA1
    else:
        raise ValueError(f"unsupported certificate key algorithm {key_oid}")
    return CertificateInfo(
        der=der,
        serial=cert.serial_number,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_algorithm=algorithm,
        sm2_public_key=sm2_key,
        rsa_public_key=rsa_key,
        tbs=tbs,
        signature_oid=cert.signature_algorithm_oid.dotted_string,
        signature=cert.signature,
    )


def issued_by(*, cert: CertificateInfo, issuer: CertificateInfo) -> bool:
    """True when ``issuer``'s key signed ``cert`` (names match and the certificate signature verifies)."""
    if cert.issuer != issuer.subject:
        return False
    if issuer.sm2_public_key is not None:
        return cert.signature_oid == sm2.SM2_WITH_SM3_OID and sm2.verify(
            public_key=issuer.sm2_public_key, data=cert.tbs, signature=cert.signature)
    try:
        parsed = x509.load_der_x509_certificate(cert.der)
        parsed.verify_directly_issued_by(x509.load_der_x509_certificate(issuer.der))
    except Exception:
        return False
    return True


# --- SM2 private keys -------------------------------------------------------------------------------


def sm2_private_key_pem(*, private_key: bytes, public_key: bytes) -> bytes:
    """An SM2 key as PKCS#8 PEM (id-ecPublicKey on the SM2 curve), readable by OpenSSL 3."""
    ec_key = _der.seq(
        _der.integer(1),
        _der.octet_string(private_key),
        _der.tlv(0xA1, _der.bit_string(b"\x04" + public_key)),
    )
    info = _der.seq(
        _der.integer(0),
        _der.seq(_der.oid(sm2.EC_PUBLIC_KEY_OID), _der.oid(sm2.SM2_CURVE_OID)),
        _der.octet_string(ec_key),
    )
    return to_pem("PRIVATE KEY", info)


def load_sm2_private_key(pem: bytes | str) -> bytes:
    """The 32-byte private scalar from a PKCS#8 'PRIVATE KEY' or SEC1 'EC PRIVATE KEY' SM2 PEM."""
    if isinstance(pem, str):
        pem = pem.encode()
    for label, der in pem_blocks(pem):
        if label == "PRIVATE KEY":
            fields = _der.children(_der.parse(der, _der.SEQUENCE).value)
            alg = _der.children(fields[1].value)
            if _der.to_oid(alg[0]) != sm2.EC_PUBLIC_KEY_OID or _der.to_oid(alg[1]) != sm2.SM2_CURVE_OID:
                raise ValueError("PKCS#8 key is not an SM2 key")
            der = fields[2].value
        elif label != "EC PRIVATE KEY":
            continue
        ec_fields = _der.children(_der.parse(der, _der.SEQUENCE).value)
        scalar = ec_fields[1].value
        if ec_fields[1].tag != _der.OCTET_STRING or len(scalar) > 32:
            raise ValueError("malformed SM2 private key")
        return scalar.rjust(32, b"\x00")
    raise ValueError("no SM2 private key PEM block found (encrypted keys are not supported)")


# --- demo certificates ------------------------------------------------------------------------------


def _name(cn: str) -> bytes:
    country = _der.tlv(_der.SET, _der.seq(_der.oid("2.5.4.6"), _der.printable("CN")))
    common = _der.tlv(_der.SET, _der.seq(_der.oid("2.5.4.3"), _der.utf8(cn)))
    return _der.seq(country, common)


def _sm2_self_signed(*, private_key: bytes, public_key: bytes, subject_cn: str, serial: int,
                     not_before: dt.datetime, not_after: dt.datetime) -> bytes:
    sig_alg = _der.seq(_der.oid(sm2.SM2_WITH_SM3_OID))
    spki = _der.seq(
        _der.seq(_der.oid(sm2.EC_PUBLIC_KEY_OID), _der.oid(sm2.SM2_CURVE_OID)),
        _der.bit_string(b"\x04" + public_key),
    )
    key_usage = _der.seq(  # digitalSignature + nonRepudiation, critical
        _der.oid("2.5.29.15"), _der.tlv(_der.BOOLEAN, b"\xff"),
        _der.octet_string(_der.tlv(_der.BIT_STRING, b"\x06\xc0")),
    )
    ski = _der.seq(_der.oid("2.5.29.14"), _der.octet_string(_der.octet_string(
        hashlib.sha1(b"\x04" + public_key).digest())))
    tbs = _der.seq(
        _der.explicit(0, _der.integer(2)),
        _der.integer(serial),
        sig_alg,
        _name(subject_cn),
        _der.seq(_der.time(not_before), _der.time(not_after)),
        _name(subject_cn),
        spki,
        _der.explicit(3, _der.seq(key_usage, ski)),
    )
    signature = sm2.sign(private_key=private_key, public_key=public_key, data=tbs)
    return _der.seq(tbs, sig_alg, _der.bit_string(signature))


def generate_demo_keypair(algorithm: str | SignatureAlgorithm, subject_cn: str, *, days: int = 365,
                          now: dt.datetime | None = None) -> tuple[bytes, bytes]:
    """A new software key and self-signed certificate for demos and tests: (private_key_pem, cert_pem)."""
    suite = SignatureAlgorithm.parse(algorithm)
    start = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=days)
    serial = secrets.randbits(63) | (1 << 62)  # 8 bytes, positive: 16 hex digits like e-port SM2 certs
    if suite is SignatureAlgorithm.SM2_SM3:
        private_key, public_key = sm2.generate_key()
        cert = _sm2_self_signed(private_key=private_key, public_key=public_key, subject_cn=subject_cn,
                                serial=serial, not_before=start, not_after=end)
        return sm2_private_key_pem(private_key=private_key, public_key=public_key), to_pem("CERTIFICATE", cert)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
