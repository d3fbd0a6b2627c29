"""Message signing (报文加签/验签): the Signer port, software and remote adapters, and XML-DSig glue."""

from kuajing.ceb.signing.base import (
    SignatureAlgorithm,
    Signer,
    SigningError,
    UnsafeXmlError,
    Verifier,
    VerifyCode,
    VerifyResult,
)
from kuajing.ceb.signing.certs import CertificateInfo, generate_demo_keypair, load_certificate
from kuajing.ceb.signing.factory import signer_from_config
from kuajing.ceb.signing.remote import RemoteSigner
from kuajing.ceb.signing.software import RsaSoftwareSigner, Sm2SoftwareSigner, SoftwareVerifier
from kuajing.ceb.signing.xmldsig import sign_message, signature_slot, verify_message

__all__ = [
    "CertificateInfo",
    "RemoteSigner",
    "RsaSoftwareSigner",
    "SignatureAlgorithm",
    "Signer",
    "SigningError",
    "Sm2SoftwareSigner",
    "SoftwareVerifier",
    "UnsafeXmlError",
    "Verifier",
    "VerifyCode",
    "VerifyResult",
    "generate_demo_keypair",
    "load_certificate",
    "sign_message",
    "signature_slot",
    "signer_from_config",
    "verify_message",
]
