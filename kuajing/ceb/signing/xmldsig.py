"""The enveloped XML signature (封内签名) of message spec ch.6: ds:Signature inside the CEB or DxpMsg root.

SignedInfo: C14N 1.0 (inclusive, no comments); one Reference URI="" with the enveloped-signature transform;
DigestValue = base64(hash(C14N(document without this Signature))); SignatureValue over C14N(SignedInfo);
KeyInfo = KeyName (certificate serial) + X509Data/X509Certificate (base64 DER).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Iterable

from lxml import etree

from kuajing.ceb.signing.base import (
    C14N_URI,
    DS_NS,
    ENVELOPED_URI,
    SignatureAlgorithm,
    Signer,
    SigningError,
    Verifier,
    VerifyCode,
    VerifyResult,
    digest,
)
from kuajing.ceb.signing.certs import CertificateInfo, certificate_der, issued_by, load_certificate
from kuajing.ceb.signing.software import SoftwareVerifier
from kuajing.ceb.signing.xmlsafe import DEFAULT_MAX_BYTES, UnsafeXmlError, parse_xml

CEB_NS = "http://www.chinaport.gov.cn/ceb"
DXP_NS = "http://www.chinaport.gov.cn/dxp"
_DS = f"{{{DS_NS}}}"

# Where the official XSDs put ds:Signature (checked against xsd/ceb-import-202205.xsd and
# ceb-export-202205.xsd). Import roots: ... BaseSubscribe*, ExtendMessage?, ds:Signature? (last).
# Export roots: ... BaseSubscribe*, ds:Signature?, ExtendMessage? (before ExtendMessage).
IMPORT_SIGNED_ROOTS = frozenset(
    f"CEB{n}Message" for n in (311, 411, 511, 513, 621, 623, 625, 711)
)
EXPORT_SIGNED_ROOTS = frozenset(
    f"CEB{n}Message" for n in (213, 215, 303, 403, 505, 507, 509, 603, 605, 607, 701)
)
DXP_SIGNED_ROOTS = frozenset({"DxpMsg", "DxpMsgSv", "DxpRep"})  # ds:Signature is the last child


def signature_slot(root_tag: str) -> str:
    """'last' or 'before-extend' for a signable root tag ('{ns}local'); SigningError for the others."""
    qname = etree.QName(root_tag)
    if qname.namespace == CEB_NS and qname.localname in IMPORT_SIGNED_ROOTS:
        return "last"
    if qname.namespace == CEB_NS and qname.localname in EXPORT_SIGNED_ROOTS:
        return "before-extend"
    if qname.namespace == DXP_NS and qname.localname in DXP_SIGNED_ROOTS:
        return "last"
    raise SigningError(f"the schema has no ds:Signature slot in {qname.localname} ({qname.namespace})")


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(_DS + name)


def _remove_keep_tail(element: etree._Element) -> tuple[etree._Element, int, str | None]:
    """Detach ``element`` leaving its tail text in the document; return what reattach needs."""
    parent = element.getparent()
    index = parent.index(element)
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
    return parent, index, tail


def _reattach(element: etree._Element, parent: etree._Element, index: int, tail: str | None) -> None:
    if tail:
        previous = parent[index - 1] if index > 0 else None
        if previous is not None:
            previous.tail = previous.tail[: len(previous.tail) - len(tail)]
        else:
            parent.text = parent.text[: len(parent.text) - len(tail)]
    parent.insert(index, element)
    element.tail = tail


def _document_digest(tree: etree._ElementTree, signature: etree._Element, digest_uri: str) -> bytes:
    """Digest of C14N(document) after the enveloped-signature transform removed ``signature``."""
    parent, index, tail = _remove_keep_tail(signature)
    try:
        canonical = etree.tostring(tree, method="c14n", exclusive=False, with_comments=False)
    finally:
        _reattach(signature, parent, index, tail)
    return digest(uri=digest_uri, data=canonical)


def _canonical_signed_info(signed_info: etree._Element) -> bytes:
    # Inclusive C14N of a subtree carries the namespace declarations in scope (xmlns:ceb etc.).
    return etree.tostring(signed_info, method="c14n", exclusive=False, with_comments=False)


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, _DS + name, attrs)
    if text is not None:
        element.text = text
    return element


def _skeleton(signer: Signer, algorithm: SignatureAlgorithm) -> etree._Element:
    signature = etree.Element(_DS + "Signature", nsmap={"ds": DS_NS})
    signed_info = _sub(signature, "SignedInfo")
    _sub(signed_info, "CanonicalizationMethod", Algorithm=C14N_URI)
    _sub(signed_info, "SignatureMethod", Algorithm=algorithm.signature_uri)
    reference = _sub(signed_info, "Reference", URI="")
    transforms = _sub(reference, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED_URI)
    _sub(reference, "DigestMethod", Algorithm=algorithm.digest_uri)
    _sub(reference, "DigestValue", "")
    _sub(signature, "SignatureValue", "")
    key_info = _sub(signature, "KeyInfo")
    _sub(key_info, "KeyName", signer.key_name)
    x509_data = _sub(key_info, "X509Data")
    _sub(x509_data, "X509Certificate", base64.b64encode(signer.certificate_der).decode("ascii"))
    return signature


def _insert(root: etree._Element, signature: etree._Element, slot: str) -> None:
    children = [c for c in root if isinstance(c.tag, str)]
    anchor = None
    if slot == "before-extend":
        anchor = next((c for c in children if etree.QName(c).localname == "ExtendMessage"), None)
    if anchor is not None:
        previous = anchor.getprevious()
        signature.tail = previous.tail if previous is not None else root.text
        anchor.addprevious(signature)
        return
    last = root[-1] if len(root) else None
    if last is None:
        root.append(signature)
        return
    # Keep pretty-printed layout: the signature takes the indentation its siblings use.
    indent = (last.getprevious().tail if last.getprevious() is not None else root.text) or None
    signature.tail = last.tail
    if indent is not None and (last.tail or "").strip() == "" and (indent.strip() == ""):
        last.tail = indent
    root.append(signature)


def sign_message(xml: bytes, *, signer: Signer, replace: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Add an enveloped ds:Signature at the position the official XSD requires for this root; UTF-8 out."""
    tree = parse_xml(xml, max_bytes=max_bytes)
    root = tree.getroot()
    slot = signature_slot(root.tag)
    existing = root.findall(_DS + "Signature")
    if existing and not replace:
        raise SigningError("the message is already signed (pass replace=True to sign it again)")
    for old in existing:
        _remove_keep_tail(old)
    algorithm = SignatureAlgorithm.parse(signer.algorithm)
    signature = _skeleton(signer, algorithm)
    _insert(root, signature, slot)
    signed_info = _child(signature, "SignedInfo")
    reference = signed_info.find(_DS + "Reference")
    reference.find(_DS + "DigestValue").text = base64.b64encode(
        _document_digest(tree, signature, algorithm.digest_uri)
    ).decode("ascii")
    try:
        raw = signer.sign(_canonical_signed_info(signed_info))
    except SigningError:
        raise
    except Exception as exc:  # a device or bridge failure becomes one error type for callers
        raise SigningError(f"the signer failed: {exc}") from exc
    _child(signature, "SignatureValue").text = base64.b64encode(raw).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _fail(code: VerifyCode, reason: str, **facts) -> VerifyResult:
    return VerifyResult(valid=False, code=code, reason=reason, **facts)


def _b64(text: str | None) -> bytes:
    return base64.b64decode("".join((text or "").split()), validate=True)


def _check_trust(cert: CertificateInfo, trusted: list[CertificateInfo], at: dt.datetime) -> str | None:
    if not (cert.not_before <= at <= cert.not_after):
        return "expired"
    for anchor in trusted:
        if anchor.der == cert.der:
            return None
    for anchor in trusted:
        if issued_by(cert=cert, issuer=anchor) and anchor.not_before <= at <= anchor.not_after:
            return None
    return "untrusted"


def verify_message(xml: bytes, *, trusted_certs: Iterable[bytes | str] | None = None,
                   verifier: Verifier | None = None, at: dt.datetime | None = None,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> VerifyResult:
    """Check the enveloped ds:Signature of a message: digest, signature and, if given, trust and validity."""
    try:
        tree = parse_xml(xml, max_bytes=max_bytes)
    except UnsafeXmlError as exc:
        return _fail(VerifyCode.MALFORMED, str(exc))
    root = tree.getroot()
    signatures = root.findall(_DS + "Signature")
    if not signatures:
        return _fail(VerifyCode.OTHER, "the message has no ds:Signature")
    if len(signatures) > 1:
        return _fail(VerifyCode.MALFORMED, "the message has more than one ds:Signature")
    signature = signatures[0]
    signed_info = _child(signature, "SignedInfo")
    if signed_info is None:
        return _fail(VerifyCode.MALFORMED, "ds:Signature lacks ds:SignedInfo")
    c14n = signed_info.find(_DS + "CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") != C14N_URI:
        return _fail(VerifyCode.OTHER, "CanonicalizationMethod must be C14N 1.0 "
                     f"({C14N_URI}), got {None if c14n is None else c14n.get('Algorithm')!r}")
    method = signed_info.find(_DS + "SignatureMethod")
    try:
        algorithm = SignatureAlgorithm.from_signature_uri(method.get("Algorithm") if method is not None else "")
    except ValueError as exc:
        return _fail(VerifyCode.OTHER, str(exc))
    references = signed_info.findall(_DS + "Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        return _fail(VerifyCode.OTHER, 'exactly one ds:Reference with URI="" (the whole message) is required')
    reference = references[0]
    transforms = [t.get("Algorithm") for t in reference.findall(f"{_DS}Transforms/{_DS}Transform")]
    if not transforms or transforms[0] != ENVELOPED_URI or any(t != C14N_URI for t in transforms[1:]):
        return _fail(VerifyCode.OTHER, f"the Reference must use the enveloped-signature transform, got {transforms}")
    digest_method = reference.find(_DS + "DigestMethod")
    digest_uri = digest_method.get("Algorithm") if digest_method is not None else ""
    key_name_el = signature.find(f"{_DS}KeyInfo/{_DS}KeyName")
    key_name = key_name_el.text.strip() if key_name_el is not None and key_name_el.text else None
    cert_el = signature.find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
    if cert_el is None:
        return _fail(VerifyCode.OTHER, "ds:KeyInfo has no X509Certificate", algorithm=algorithm, key_name=key_name)
    try:
        cert = load_certificate(_b64(cert_el.text))
        expected_digest = _b64(reference.findtext(_DS + "DigestValue"))
        signature_value = _b64(signature.findtext(_DS + "SignatureValue"))
    except (ValueError, binascii.Error) as exc:
        return _fail(VerifyCode.MALFORMED, f"bad base64 or certificate in ds:Signature: {exc}",
                     algorithm=algorithm, key_name=key_name)
    facts = {"algorithm": algorithm, "key_name": key_name, "certificate_der": cert.der,
                 "certificate_serial": cert.key_name, "certificate_subject": cert.subject}
    warnings = ()
    if key_name is not None and key_name.lower().lstrip("0") != cert.key_name.lstrip("0"):
        warnings = (f"KeyName {key_name!r} is not the certificate serial {cert.key_name}",)
    try:
        actual_digest = _document_digest(tree, signature, digest_uri)
    except ValueError as exc:
        return _fail(VerifyCode.OTHER, str(exc), **facts)
    if not hmac.compare_digest(actual_digest, expected_digest):
        return _fail(VerifyCode.DIGEST_MISMATCH, "DigestValue does not match the message (签名与数据不符)",
                     warnings=warnings, **facts)
    if cert.key_algorithm is not algorithm:
        return _fail(VerifyCode.INVALID_SIGNATURE, f"{algorithm.value} signature with a "
                     f"{cert.key_algorithm.value.split('-')[0].upper()} certificate", warnings=warnings, **facts)
    ok = (verifier or SoftwareVerifier()).verify(
        algorithm=algorithm, data=_canonical_signed_info(signed_info), signature=signature_value,
        certificate_der=cert.der)
    if not ok:
        return _fail(VerifyCode.INVALID_SIGNATURE, "SignatureValue does not verify (数字签名无效)",
                     warnings=warnings, **facts)
    trusted = None
    if trusted_certs is not None:
        anchors = [load_certificate(certificate_der(c)) for c in trusted_certs]
        problem = _check_trust(cert, anchors, at or dt.datetime.now(dt.UTC))
        if problem == "expired":
            return _fail(VerifyCode.EXPIRED, "the signing certificate is not valid at this time (数字签名过期)",
                         trusted=False, warnings=warnings, **facts)
        if problem == "untrusted":
            return _fail(VerifyCode.OTHER, "the signing certificate is not trusted", trusted=False,
                         warnings=warnings, **facts)
        trusted = True
    return VerifyResult(valid=True, code=VerifyCode.OK, reason="valid", trusted=trusted, warnings=warnings, **facts)
