"""Enveloped XML signatures on CEB messages: both suites, placement per the official XSDs, tampering, trust."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kuajing.ceb.signing import (
    RsaSoftwareSigner,
    SignatureAlgorithm,
    SigningError,
    Sm2SoftwareSigner,
    UnsafeXmlError,
    VerifyCode,
    generate_demo_keypair,
    load_certificate,
    sign_message,
    signature_slot,
    signer_from_config,
    sm2,
    verify_message,
)
from kuajing.ceb.signing.base import DS_NS, LEGACY_SM2_SM3_URI, SM2_SM3_URI

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[3] / "shared" / "ceb-spec")
DS = f"{{{DS_NS}}}"
CEB = "{http://www.chinaport.gov.cn/ceb}"
# Samples that are XSD-valid as published (see the spec README) and whose root has a Signature slot.
VALID_SIGNABLE = [f"import/CEB{n}Message.xml" for n in (311, 411, 511, 513, 621, 623, 625, 711)] + [
    f"export/CEB{n}Message.xml" for n in (213, 215, 701)
]


def unsigned(relative: str) -> bytes:
    """An official sample with its placeholder ds:Signature removed."""
    data = (SPEC / "samples" / relative).read_bytes()
    return re.sub(rb"\s*<ds:Signature\b.*</ds:Signature>", b"\n", data, flags=re.DOTALL)


@pytest.fixture(scope="module")
def schemas():
    return {
        "import": etree.XMLSchema(etree.parse(str(SPEC / "xsd" / "ceb-import-202205.xsd"))),
        "export": etree.XMLSchema(etree.parse(str(SPEC / "xsd" / "ceb-export-202205.xsd"))),
    }


@pytest.fixture(scope="module")
def sm2_pair():
    return generate_demo_keypair("sm2-sm3", "测试企业 SM2")


@pytest.fixture(scope="module")
def rsa_pair():
    return generate_demo_keypair(SignatureAlgorithm.RSA_SHA1, "测试企业 RSA")


@pytest.fixture(scope="module")
def sm2_signer(sm2_pair):
    return Sm2SoftwareSigner(private_key_pem=sm2_pair[0], certificate=sm2_pair[1])


@pytest.fixture(scope="module")
def rsa_signer(rsa_pair):
    return RsaSoftwareSigner(private_key_pem=rsa_pair[0], certificate=rsa_pair[1])


@pytest.fixture(params=["sm2", "rsa"])
def signer(request, sm2_signer, rsa_signer):
    return sm2_signer if request.param == "sm2" else rsa_signer


def signature_of(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    found = root.findall(DS + "Signature")
    assert len(found) == 1
    return found[0]


def test_signed_message_verifies_and_carries_the_spec_structure(signer):
    signed = sign_message(unsigned("import/CEB621Message.xml"), signer=signer)
    result = verify_message(signed)
    assert result and result.valid and result.code is VerifyCode.OK
    assert result.algorithm is signer.algorithm
    sig = signature_of(signed)
    si = sig.find(DS + "SignedInfo")
    assert si.find(DS + "CanonicalizationMethod").get("Algorithm") == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    assert si.find(DS + "SignatureMethod").get("Algorithm") == signer.algorithm.signature_uri
    ref = si.find(DS + "Reference")
    assert ref.get("URI") == ""
    assert [t.get("Algorithm") for t in ref.iter(DS + "Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature"]
    assert ref.find(DS + "DigestMethod").get("Algorithm") == signer.algorithm.digest_uri
    assert len(base64.b64decode(ref.findtext(DS + "DigestValue"))) == (32 if signer.algorithm.value == "sm2-sm3"
                                                                         else 20)
    key_name = sig.findtext(f"{DS}KeyInfo/{DS}KeyName")
    cert = load_certificate(sig.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate"))
    assert key_name == cert.key_name == format(cert.serial, "x").rjust(len(key_name), "0")
    assert cert.der == signer.certificate_der
    assert result.key_name == key_name and result.certificate_serial == key_name and not result.warnings


def test_sm2_signature_value_is_der_sequence_of_r_and_s(sm2_signer):
    signed = sign_message(unsigned("import/CEB311Message.xml"), signer=sm2_signer)
    value = base64.b64decode(signature_of(signed).findtext(DS + "SignatureValue"))
    assert value[0] == 0x30 and len(sm2.der_to_raw(value)) == 64


@pytest.mark.parametrize("sample", VALID_SIGNABLE)
def test_signed_official_samples_still_validate_against_the_official_xsd(sample, schemas, sm2_signer):
    schema = schemas[sample.split("/")[0]]
    original = (SPEC / "samples" / sample).read_bytes()
    assert schema.validate(etree.fromstring(original)), schema.error_log
    signed = sign_message(unsigned(sample), signer=sm2_signer)
    assert schema.validate(etree.fromstring(signed)), schema.error_log
    assert verify_message(signed).valid


def _with_extend(data: bytes) -> bytes:
    extend = (b"<ceb:ExtendMessage><ceb:name>kj</ceb:name><ceb:version>1.0</ceb:version>"
              b"<ceb:Message><x xmlns=\"urn:kj\"/></ceb:Message></ceb:ExtendMessage>")
    closing = data.rstrip().rsplit(b"</", 1)
    return closing[0] + extend + b"\n</" + closing[1]


@pytest.mark.parametrize("sample,order", [
    ("import/CEB621Message.xml", ["ExtendMessage", "Signature"]),
    ("export/CEB213Message.xml", ["Signature", "ExtendMessage"]),
    ("export/CEB701Message.xml", ["Signature", "ExtendMessage"]),
])
def test_signature_goes_where_the_xsd_wants_it_relative_to_extend_message(sample, order, schemas, rsa_signer):
    data = _with_extend(unsigned(sample))
    schema = schemas[sample.split("/")[0]]
    signed = sign_message(data, signer=rsa_signer)
    tail = [etree.QName(c).localname for c in etree.fromstring(signed) if isinstance(c.tag, str)][-2:]
    assert tail == order
    assert schema.validate(etree.fromstring(signed)), schema.error_log
    assert verify_message(signed).valid


def test_signature_slots_for_roots():
    assert signature_slot(f"{CEB}CEB311Message") == "last"
    assert signature_slot(f"{CEB}CEB603Message") == "before-extend"
    assert signature_slot("{http://www.chinaport.gov.cn/dxp}DxpMsg") == "last"
    with pytest.raises(SigningError, match="no ds:Signature slot"):
        signature_slot(f"{CEB}CEB312Message")  # receipts have no Signature in the XSD


def test_changed_byte_breaks_verification(signer):
    signed = sign_message(unsigned("import/CEB621Message.xml"), signer=signer)
    tampered = signed.replace(b"<ceb:totalPrice>20</ceb:totalPrice>", b"<ceb:totalPrice>21</ceb:totalPrice>", 1)
    assert tampered != signed
    result = verify_message(tampered)
    assert not result and result.code is VerifyCode.DIGEST_MISMATCH
    # A changed SignedInfo (here: its digest value re-computed for the tampered body) fails the signature.
    sig = signature_of(signed)
    forged_digest = sig.findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
    other = sign_message(unsigned("import/CEB621Message.xml").replace(b"order2016030811340001",
                                                                      b"order2016030811340009"), signer=signer)
    other_digest = signature_of(other).findtext(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
    spliced = other.replace(signature_of(other).findtext(DS + "SignatureValue").encode(),
                            sig.findtext(DS + "SignatureValue").encode())
    assert forged_digest != other_digest
    assert verify_message(spliced).code is VerifyCode.INVALID_SIGNATURE


def test_every_single_byte_flip_in_the_body_is_detected(sm2_signer):
    signed = sign_message(unsigned("import/CEB623Message.xml"), signer=sm2_signer)
    body_end = signed.index(b"<ds:Signature")
    positions = [i for i in range(200, body_end, max(1, body_end // 40)) if chr(signed[i]).isalnum()]
    for i in positions:
        flipped = signed[:i] + (b"X" if signed[i:i + 1] != b"X" else b"Y") + signed[i + 1:]
        assert not verify_message(flipped).valid, i


def test_reformatting_outside_the_signature_is_not_tolerated_but_c14n_equivalents_are(rsa_signer):
    signed = sign_message(unsigned("import/CEB311Message.xml"), signer=rsa_signer)
    # Same infoset after C14N: attribute quotes and an empty-element form.
    equivalent = signed.replace(b'version="1.0"', b"version='1.0'", 1)
    assert equivalent != signed and verify_message(equivalent).valid
    assert not verify_message(signed.replace(b"\n\t<ceb:Order>", b"\n\t\t<ceb:Order>", 1)).valid


def test_already_signed_is_refused_unless_replace(sm2_signer, rsa_signer):
    once = sign_message(unsigned("import/CEB511Message.xml"), signer=sm2_signer)
    with pytest.raises(SigningError, match="already signed"):
        sign_message(once, signer=sm2_signer)
    twice = sign_message(once, signer=rsa_signer, replace=True)
    assert twice.count(b"<ds:Signature xmlns") == 1
    assert verify_message(twice).algorithm is SignatureAlgorithm.RSA_SHA1


def test_unsigned_and_hostile_inputs(sm2_signer):
    assert verify_message(unsigned("import/CEB311Message.xml")).code is VerifyCode.OTHER
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&b;</ceb:CEB311Message>')
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        sign_message(bomb, signer=sm2_signer)
    assert verify_message(bomb).code is VerifyCode.MALFORMED
    xxe = b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'
    assert verify_message(xxe).code is VerifyCode.MALFORMED
    with pytest.raises(UnsafeXmlError, match="limit"):
        sign_message(unsigned("import/CEB621Message.xml"), signer=sm2_signer, max_bytes=1000)
    with pytest.raises(UnsafeXmlError, match="well-formed"):
        sign_message(b"<ceb:CEB311Message", signer=sm2_signer)


def test_wrong_references_and_algorithms_are_refused(rsa_signer):
    signed = sign_message(unsigned("import/CEB411Message.xml"), signer=rsa_signer)
    assert verify_message(signed.replace(b'URI=""', b'URI="#x"')).code is VerifyCode.OTHER
    assert verify_message(signed.replace(b"REC-xml-c14n-20010315", b"xml-exc-c14n#")).code is VerifyCode.OTHER
    # An RSA signature labelled SM2 fails cleanly.
    relabelled = signed.replace(b"http://www.w3.org/2000/09/xmldsig#rsa-sha1", SM2_SM3_URI.encode())
    assert verify_message(relabelled).code is VerifyCode.INVALID_SIGNATURE


def test_legacy_sm2_uri_and_raw_signature_encoding_are_accepted(sm2_pair):
    raw_signer = Sm2SoftwareSigner(private_key_pem=sm2_pair[0], certificate=sm2_pair[1], signature_format="raw")
    signed = sign_message(unsigned("import/CEB711Message.xml"), signer=raw_signer)
    assert len(base64.b64decode(signature_of(signed).findtext(DS + "SignatureValue"))) == 64
    assert verify_message(signed).valid
    # Relabelling SignatureMethod changes SignedInfo, so the old signature no longer holds ...
    assert not verify_message(signed.replace(SM2_SM3_URI.encode(), LEGACY_SM2_SM3_URI.encode())).valid
    # ... but a SignedInfo signed under the legacy URI (seen from one signing tool) is accepted.
    root = etree.fromstring(signed)
    sig = root.find(DS + "Signature")
    si = sig.find(DS + "SignedInfo")
    si.find(DS + "SignatureMethod").set("Algorithm", LEGACY_SM2_SM3_URI)
    sig.find(DS + "SignatureValue").text = base64.b64encode(
        raw_signer.sign(etree.tostring(si, method="c14n"))).decode()
    result = verify_message(etree.tostring(root))
    assert result.valid and result.algorithm is SignatureAlgorithm.SM2_SM3


def test_trust_pinned_issued_expired_and_unknown(sm2_pair, rsa_pair, sm2_signer):
    signed = sign_message(unsigned("import/CEB621Message.xml"), signer=sm2_signer)
    assert verify_message(signed, trusted_certs=[sm2_pair[1]]).trusted is True
    untrusted = verify_message(signed, trusted_certs=[rsa_pair[1]])
    assert not untrusted and untrusted.code is VerifyCode.OTHER and untrusted.trusted is False
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    expired = verify_message(signed, trusted_certs=[sm2_pair[1]], at=later)
    assert expired.code is VerifyCode.EXPIRED
    # Without trusted certs, only the cryptography is checked.
    assert verify_message(signed).trusted is None


def test_key_name_override_and_mismatch_warning(sm2_pair):
    signer = Sm2SoftwareSigner(private_key_pem=sm2_pair[0], certificate=sm2_pair[1], key_name="0001")
    result = verify_message(sign_message(unsigned("import/CEB621Message.xml"), signer=signer))
    assert result.valid and result.key_name == "0001" and result.warnings


def test_key_and_certificate_must_match(sm2_pair, rsa_pair):
    other_key, _ = generate_demo_keypair("sm2", "other")
    with pytest.raises(ValueError, match="does not match"):
        Sm2SoftwareSigner(private_key_pem=other_key, certificate=sm2_pair[1])
    with pytest.raises(ValueError):
        Sm2SoftwareSigner(private_key_pem=sm2_pair[0], certificate=rsa_pair[1])
    other_rsa, _ = generate_demo_keypair("rsa", "other")
    with pytest.raises(ValueError, match="does not match"):
        RsaSoftwareSigner(private_key_pem=other_rsa, certificate=rsa_pair[1])


def test_signer_from_config(tmp_path, sm2_pair, rsa_pair):
    (tmp_path / "k.pem").write_bytes(sm2_pair[0])
    (tmp_path / "c.pem").write_bytes(sm2_pair[1])
    s = signer_from_config("sm2-software", private_key_pem_path=tmp_path / "k.pem",
                           certificate_path=str(tmp_path / "c.pem"))
    assert s.algorithm is SignatureAlgorithm.SM2_SM3
    r = signer_from_config("rsa-software", private_key_pem=rsa_pair[0].decode(), certificate=rsa_pair[1])
    assert r.algorithm is SignatureAlgorithm.RSA_SHA1
    with pytest.raises(ValueError, match="unknown signer kind"):
        signer_from_config("usb")
    with pytest.raises(ValueError, match="required"):
        signer_from_config("sm2-software", certificate=sm2_pair[1])


def test_signing_a_dxp_envelope(sm2_signer):
    from kuajing.ceb.dxp import wrap

    envelope = wrap(unsigned("import/CEB311Message.xml"), sender_id="DXPENT0000000001",
                    receiver_ids=["DXPEDCCEB0000002"], msg_type="CEB311Message")
    signed = sign_message(envelope, signer=sm2_signer)
    assert etree.QName(etree.fromstring(signed)[-1]).localname == "Signature"
    schema = etree.XMLSchema(etree.parse(str(SPEC / "xsd" / "ceb-terminal-node-202205.xsd")))
    assert schema.validate(etree.fromstring(signed)), schema.error_log
    assert verify_message(signed).valid


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2048))
def test_sm2_sign_verify_and_encodings_property(sm2_signer, data):
    public = load_certificate(sm2_signer.certificate_der).sm2_public_key
    der = sm2_signer.sign(data)
    raw = sm2.der_to_raw(der)
    assert sm2.raw_to_der(raw) == sm2.normalize_signature(der) == sm2.normalize_signature(raw)
    assert sm2.verify(public_key=public, data=data, signature=der)
    assert sm2.verify(public_key=public, data=data, signature=raw)
    assert not sm2.verify(public_key=public, data=data + b"\0", signature=der)
    assert not sm2.verify(public_key=public, data=data, signature=der[:-1])
    assert not sm2.verify(public_key=public, data=data, signature=b"\x30\x00")


def test_sm2_identity_matters(sm2_pair):
    signer = Sm2SoftwareSigner(private_key_pem=sm2_pair[0], certificate=sm2_pair[1], ident=b"ALICE123@YAHOO.COM")
    public = load_certificate(sm2_pair[1]).sm2_public_key
    signature = signer.sign(b"data")
    assert sm2.verify(public_key=public, data=b"data", signature=signature, ident=b"ALICE123@YAHOO.COM")
    assert not sm2.verify(public_key=public, data=b"data", signature=signature)  # default ID differs
    with pytest.raises(ValueError):
        sm2.der_to_raw(sm2._der.seq(sm2._der.integer(0), sm2._der.integer(1)))  # r out of range
