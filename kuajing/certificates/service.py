"""Certificate registry (企业证书备案) and the signature policy of declaration lists (验签 / 加签).

* Registry: :func:`register`, :func:`revoke`, :func:`listing`, :func:`visible` — an enterprise's X.509 signing
  certificates (SM2 or RSA), audited.
* Incoming (intake hook): :func:`check_incoming` verifies the ds:Signature of a CEB621/623/625/711 message ONCE
  per message (the Reference URI="" covers the whole root, so one signature signs every record) and pins the
  signing certificate to an active, valid certificate registered for the sending enterprise;
  :func:`keep_evidence` stores the original signed bytes.
* Outgoing (flow hook): :func:`sign_outgoing` — the platform, as transmitting agent, signs what it sends to
  customs with its own signer (settings ``signer*``).
* Customs side (sandbox hook): :func:`check_at_customs` — what the simulated customs does with a list.

The platform signer and the "signatures required" switch are configured once per process from the settings
(:func:`configure`, called by the app factory, the CLI and the test fixtures), like the personal-data keyring.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing import files
from kuajing.audit import service as audit
from kuajing.ceb.dxp import DxpError, unwrap
from kuajing.ceb.signing import (
    Signer,
    SigningError,
    UnsafeXmlError,
    VerifyCode,
    generate_demo_keypair,
    load_certificate,
    sign_message,
    signature_slot,
    signer_from_config,
    verify_message,
)
from kuajing.ceb.signing.base import DS_NS
from kuajing.ceb.signing.certs import CertificateInfo, certificate_der, issued_by, to_pem
from kuajing.ceb.xml import root_name
from kuajing.certificates import errors
from kuajing.certificates.choices import CertificateStatus
from kuajing.certificates.models import EnterpriseCertificate, SignedDeclaration
from kuajing.db.base import utcnow
from kuajing.enterprises.models import Enterprise

log = logging.getLogger(__name__)
_DS = f"{{{DS_NS}}}"


# --- the registry -----------------------------------------------------------------------------------


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER, lowercase hex (the registry's pin)."""
    return hashlib.sha256(der).hexdigest()


def _snapshot(cert: EnterpriseCertificate) -> dict:
    return {"enterprise_id": cert.enterprise_id, "serial": cert.serial, "subject": cert.subject,
            "algorithm": cert.algorithm, "fingerprint": cert.fingerprint, "status": cert.status,
            "not_after": cert.not_after.isoformat()}


def register(*, session: Session, enterprise_id: int, data: bytes | str, actor: str,
             now: datetime | None = None) -> EnterpriseCertificate:
    """Register an X.509 certificate (PEM, DER or base64 DER; SM2 or RSA key) for ``enterprise_id``."""
    now = now or utcnow()
    if session.get(Enterprise, enterprise_id) is None:
        raise errors.enterprise_unknown(enterprise_id)
    try:
        info = load_certificate(data if isinstance(data, bytes) else data.strip())
    except (ValueError, TypeError) as exc:
        raise errors.unreadable(str(exc)) from exc
    if info.not_after < now:
        raise errors.expired(info.not_after.date().isoformat())
    fp = fingerprint(info.der)
    taken = session.scalars(select(EnterpriseCertificate.id).where(EnterpriseCertificate.fingerprint == fp)).first()
    if taken is not None:
        raise errors.duplicate(info.key_name)
    cert = EnterpriseCertificate(enterprise_id=enterprise_id, serial=info.key_name, subject=info.subject[:1000],
                                 issuer=info.issuer[:1000], algorithm=info.key_algorithm.value,
                                 not_before=info.not_before, not_after=info.not_after, fingerprint=fp, der=info.der,
                                 status=CertificateStatus.active.value, registered_by=actor, registered_at=now)
    session.add(cert)
    session.flush()
    audit.record(session=session, action="certificates:certificate:register",
                 stream=f"certificates:enterprise:{enterprise_id}", actor=actor, subject_id=str(cert.id),
                 before=None, after=_snapshot(cert))
    return cert


def revoke(*, session: Session, certificate: EnterpriseCertificate, reason: str, actor: str,
           now: datetime | None = None) -> EnterpriseCertificate:
    """Revoke a registered certificate: lists signed with it are refused from now on."""
    if certificate.status == CertificateStatus.revoked.value:
        raise errors.already_revoked()
    before = _snapshot(certificate)
    certificate.status = CertificateStatus.revoked.value
    certificate.revoked_at, certificate.revoked_by = now or utcnow(), actor
    certificate.revoke_reason = (reason or "")[:500] or None
    session.flush()
    audit.record(session=session, action="certificates:certificate:revoke",
                 stream=f"certificates:enterprise:{certificate.enterprise_id}", actor=actor,
                 subject_id=str(certificate.id), before=before,
                 after={**_snapshot(certificate), "reason": certificate.revoke_reason})
    return certificate


def visible(*, session: Session, certificate_id: int, principal) -> EnterpriseCertificate:
    """The certificate if ``principal`` may see it (its enterprise, or a zone-wide role); 404 otherwise."""
    cert = session.get(EnterpriseCertificate, certificate_id)
    if cert is None or not principal.can_see_enterprise(cert.enterprise_id):
        raise errors.not_found()
    return cert


def listing(*, session: Session, enterprise_id: int | None, status: str | None = None, page: int = 1,
            page_size: int = 50) -> tuple[list[EnterpriseCertificate], int]:
    """A page of certificates (of one enterprise, or all when ``enterprise_id`` is None) and the total."""
    q = select(EnterpriseCertificate)
    if enterprise_id is not None:
        q = q.where(EnterpriseCertificate.enterprise_id == enterprise_id)
    if status:
        q = q.where(EnterpriseCertificate.status == status)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = session.scalars(q.order_by(EnterpriseCertificate.id.desc()).offset((page - 1) * page_size)
                           .limit(page_size)).all()
    return list(rows), total


# --- the process-wide signing policy ----------------------------------------------------------------


@dataclass(frozen=True)
class SigningPolicy:
    """What this process does with signatures: the platform's signer, its certificates, and the switch."""

    signer: Signer | None = None  # the platform's signer for what it transmits to customs
    platform_certificates: tuple[bytes, ...] = ()  # DER; the sandbox customs trusts these
    require_signed: bool = False  # refuse lists without a verifiable signature


_policy = SigningPolicy()


def policy() -> SigningPolicy:
    """The configured signing policy."""
    return _policy


def configure_policy(new: SigningPolicy) -> SigningPolicy:
    """Install ``new`` as this process's policy (tests); returns the previous one."""
    global _policy
    old, _policy = _policy, new
    return old


def platform_key_paths(settings) -> tuple[Path, Path]:
    """The platform's key and certificate files (configured, or generated under ``<var_dir>/keys/``)."""
    folder = Path(settings.var_dir) / "keys"
    suffix = "rsa" if settings.signer == "rsa-software" else "sm2"
    return (settings.signer_key_path or folder / f"platform-{suffix}-key.pem",
            settings.signer_cert_path or folder / f"platform-{suffix}-cert.pem")


def ensure_platform_keys(settings) -> tuple[Path, Path]:
    """Development/test: generate the platform's software key and self-signed certificate once (mode 0600).

    Several processes starting on one fresh var dir (API processes, workers) generate under one lock, so they
    all end up with the same pair (:mod:`kuajing.files`); the certificate is written before the key, and a
    process that finds both files takes them as they are.
    """
    key_path, cert_path = platform_key_paths(settings)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    if settings.env == "production" or settings.signer_key_path or settings.signer_cert_path:
        raise SigningError(f"the platform signing key {key_path} or certificate {cert_path} is missing "
                           "(KUAJING_SIGNER_KEY_PATH / KUAJING_SIGNER_CERT_PATH)")
    with files.exclusive(key_path.parent / ".platform-keys.lock"):
        if key_path.exists() and cert_path.exists():  # another process generated them while we waited
            return key_path, cert_path
        algorithm = "rsa-sha1" if settings.signer == "rsa-software" else "sm2-sm3"
        key_pem, cert_pem = generate_demo_keypair(algorithm, "Kuajing 平台签名证书（开发）", days=3650)
        files.write_private(cert_path, cert_pem)
        files.write_private(key_path, key_pem)
    return key_path, cert_path


def configure(settings) -> SigningPolicy:
    """Build and install the policy of ``settings`` (signer kind, key files or remote signer, the switch)."""
    if settings.signer == "remote":
        if not settings.signer_remote_url or not settings.signer_remote_key_id:
            raise SigningError("KUAJING_SIGNER_REMOTE_URL and KUAJING_SIGNER_REMOTE_KEY_ID are required")
        token = settings.signer_remote_token.get_secret_value() if settings.signer_remote_token else None
        signer = signer_from_config("remote", base_url=settings.signer_remote_url,
                                    key_id=settings.signer_remote_key_id, token=token)
    else:
        key_path, cert_path = ensure_platform_keys(settings)
        signer = signer_from_config(settings.signer, private_key_pem_path=key_path, certificate_path=cert_path)
    new = SigningPolicy(signer=_LazySigner(signer) if settings.signer == "remote" else signer,
                        platform_certificates=() if settings.signer == "remote" else (signer.certificate_der,),
                        require_signed=settings.signatures_required)
    configure_policy(new)
    return new


class _LazySigner:
    """A remote signer whose metadata is fetched on first use, not at start-up."""

    def __init__(self, inner: Signer):
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def platform_certificate_pem() -> bytes | None:
    """The platform's signing certificate as PEM (to register it with customs), if configured."""
    certs = policy().platform_certificates
    if not certs and policy().signer is not None:
        certs = (policy().signer.certificate_der,)
    return to_pem("CERTIFICATE", certs[0]) if certs else None


# --- reading a message's signature ------------------------------------------------------------------


def signed_bytes(raw: bytes | None) -> bytes | None:
    """The CEB message bytes as signed: the DxpMsg's Data when ``raw`` is an envelope, else ``raw`` itself.

    The envelope is recognised as intake recognises it, by its root element (:func:`kuajing.ceb.xml.root_name`,
    after a BOM, comments and processing instructions), so the bytes verified are always the bytes intake
    reads: a BOM, or the word DxpMsg somewhere in the first bytes, no longer makes a signed list count as
    unsigned (its signature unchecked), nor an envelope after a long comment count as a bad signature."""
    if not raw:
        return None
    if root_name(raw) in ("DxpMsg", "DxpMsgSv"):
        try:
            return unwrap(raw).data
        except (DxpError, UnsafeXmlError, ValueError):
            return None
    return raw


def carries_signature(signature) -> bool:
    """Whether a parsed ds:Signature names its key (KeyInfo): the structural placeholder of the samples and
    of JSON/Excel intake has none, and counts as unsigned (it signs nothing anybody could check)."""
    if signature is None:
        return False
    if isinstance(signature, (bytes, str)):
        try:
            signature = etree.fromstring(signature.encode() if isinstance(signature, str) else signature)
        except etree.XMLSyntaxError:
            return True  # something is there: let verification say what is wrong with it
    return signature.find(_DS + "KeyInfo") is not None


# --- incoming (intake) ------------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    """The outcome of checking one received message's signature."""

    signed: bool  # a real signature was present (and checked)
    code: str | None = None  # the receipt code refusing every record, or None
    detail: str = ""
    certificate_id: int | None = None
    key_name: str | None = None
    algorithm: str | None = None
    data: bytes | None = None  # the signed bytes that verified (kept as evidence)

    @property
    def refused(self) -> bool:
        """Whether every record of the message is refused."""
        return self.code is not None


def check_incoming(*, session: Session, enterprise_id: int, message_type: str, message, raw: bytes | None,
                   when: datetime) -> SignatureCheck:
    """Verify a received list's signature once and pin its certificate to the sender's registry (intake hook)."""
    if message_type not in errors.SIGNED_LISTS:
        return SignatureCheck(signed=False)
    data = signed_bytes(raw)
    if data is None or not carries_signature(message.signature):
        if policy().require_signed:
            return SignatureCheck(signed=False, code=errors.SIGNATURE_EMPTY[message_type],
                                  detail="需要企业数字签名 (signature required)")
        return SignatureCheck(signed=False)
    result = verify_message(data)
    if not result.valid:
        return SignatureCheck(signed=True, code=errors.verdict_code(message_type, result.code),
                              detail=f"{errors.DXP_TEXT.get(result.code, result.code.value)}：{result.reason}"[:400],
                              key_name=result.key_name)
    fp = fingerprint(result.certificate_der)
    cert = session.scalars(select(EnterpriseCertificate).where(EnterpriseCertificate.enterprise_id == enterprise_id,
                                                               EnterpriseCertificate.fingerprint == fp)).first()
    serial = result.certificate_serial or ""
    if cert is None:
        return SignatureCheck(signed=True, code=errors.CERT_NOT_REGISTERED, detail=f"{serial} (1999 其他安全错误)",
                              key_name=result.key_name)
    if cert.status != CertificateStatus.active.value:
        return SignatureCheck(signed=True, code=errors.CERT_REVOKED, detail=f"{serial} (1999 其他安全错误)",
                              certificate_id=cert.id, key_name=result.key_name)
    if not (cert.not_before <= when <= cert.not_after):
        return SignatureCheck(signed=True, code=errors.CERT_NOT_VALID,
                              detail=f"{serial} {cert.not_before:%Y-%m-%d}..{cert.not_after:%Y-%m-%d} (1002 数字签名过期)",
                              certificate_id=cert.id, key_name=result.key_name)
    return SignatureCheck(signed=True, certificate_id=cert.id, key_name=result.key_name,
                          algorithm=result.algorithm.value if result.algorithm else cert.algorithm, data=data)


def keep_evidence(*, session: Session, check: SignatureCheck, enterprise_id: int, message_type: str,
                  message_guid: str | None, received_message_id: int | None, when: datetime) -> None:
    """Store the enterprise's original signed bytes of a list whose signature verified (签名存证)."""
    if not check.signed or check.refused or check.data is None or check.certificate_id is None:
        return
    session.add(SignedDeclaration(enterprise_id=enterprise_id, certificate_id=check.certificate_id,
                                  received_message_id=received_message_id, message_type=message_type,
                                  message_guid=(message_guid or "")[:64] or None,
                                  sha256=hashlib.sha256(check.data).hexdigest(), key_name=(check.key_name or "")[:80],
                                  algorithm=check.algorithm or "", signed_xml=check.data, verified_at=when))


# --- outgoing (flow) --------------------------------------------------------------------------------

_warned = False


def sign_outgoing(data: bytes, message_type: str) -> bytes:
    """Sign a built message the platform transmits to customs (replacing any placeholder) with its own signer."""
    global _warned
    signer = policy().signer
    if not signable(message_type):
        return data
    if signer is None:
        if not _warned:
            log.warning("no platform signer configured: %s leaves with its placeholder signature", message_type)
            _warned = True
        return data
    return sign_message(data, signer=signer, replace=True)


def signable(message_type: str) -> bool:
    """Whether the schema has a ds:Signature slot in ``message_type``'s root."""
    try:
        signature_slot(f"{{http://www.chinaport.gov.cn/ceb}}{message_type}Message")
    except SigningError:
        return False
    return True


# --- the customs side (sandbox) ---------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _anchor(der: bytes) -> CertificateInfo:
    return load_certificate(der)


def check_at_customs(*, data: bytes, message_type: str, signature_present: bool, at: datetime,
                     trusted: tuple[bytes, ...] | None = None, require: bool | None = None) -> tuple[str, str] | None:
    """What customs says about a list's signature: None when acceptable, else (official code, returnInfo).

    ``trusted``: the certificates registered with customs (default: the platform's own); ``require``: refuse
    unsigned lists (default: the policy's switch). The signing certificate must be one of ``trusted`` or be
    issued by one, and valid at ``at``.
    """
    if message_type not in errors.SIGNED_LISTS:
        return None
    pol = policy()
    trusted = pol.platform_certificates if trusted is None else trusted
    require = pol.require_signed if require is None else require
    if not signature_present:
        if require:
            return errors.SIGNATURE_EMPTY[message_type], "保存签名信息发生错误,签名信息为空！"
        return None
    result = verify_message(data)
    if not result.valid:
        code = errors.verdict_code(message_type, result.code)
        text = "加签数据比对失败！" if result.code is VerifyCode.DIGEST_MISMATCH else "验签失败！"
        return code, f"{text}({errors.DXP_TEXT.get(result.code, result.code.value)})"
    cert = _anchor(result.certificate_der)
    anchors = [_anchor(certificate_der(t)) for t in trusted]
    if not any(a.der == cert.der for a in anchors) and not any(
            issued_by(cert=cert, issuer=a) for a in anchors):
        return errors.SIGNATURE_INVALID[message_type], "验签失败！(1999 证书未在海关备案)"
    if not (cert.not_before <= at <= cert.not_after):
        return errors.SIGNATURE_INVALID[message_type], "验签失败！(1002 数字签名过期)"
    return None


def replace_policy(**changes) -> SigningPolicy:
    """Install a copy of the current policy with ``changes`` (e.g. ``require_signed=True``); returns the old one."""
    return configure_policy(dataclasses.replace(policy(), **changes))
