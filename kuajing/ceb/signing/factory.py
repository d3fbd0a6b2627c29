"""Choose a signer from configuration: sm2-software, rsa-software or remote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kuajing.ceb.signing.base import Signer
from kuajing.ceb.signing.remote import RemoteSigner
from kuajing.ceb.signing.software import RsaSoftwareSigner, Sm2SoftwareSigner

KINDS = ("sm2-software", "rsa-software", "remote")


def _pem(options: dict[str, Any], name: str) -> bytes:
    if options.get(name) is not None:
        value = options.pop(name)
        return value.encode() if isinstance(value, str) else value
    path = options.pop(f"{name}_path", None) or options.pop(f"{name}_file", None)
    if path is None:
        raise ValueError(f"{name} or {name}_path is required")
    return Path(path).read_bytes()


def signer_from_config(kind: str, **options: Any) -> Signer:
    """A Signer of ``kind`` ('sm2-software' | 'rsa-software' | 'remote') built from keyword options."""
    key = kind.strip().lower().replace("_", "-")
    options = dict(options)
    if key in ("sm2-software", "sm2"):
        return Sm2SoftwareSigner(private_key_pem=_pem(options, "private_key_pem"),
                                 certificate=_pem(options, "certificate"), **options)
    if key in ("rsa-software", "rsa"):
        return RsaSoftwareSigner(private_key_pem=_pem(options, "private_key_pem"),
                                 certificate=_pem(options, "certificate"), **options)
    if key == "remote":
        return RemoteSigner(**options)
    raise ValueError(f"unknown signer kind {kind!r}; expected one of {', '.join(KINDS)}")
