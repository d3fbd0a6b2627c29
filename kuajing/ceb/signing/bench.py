"""Signing throughput on one core: SM2 and RSA sign/verify, and sign_message/verify_message of a CEB621."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import version

from kuajing.ceb.signing.base import SignatureAlgorithm
from kuajing.ceb.signing.certs import generate_demo_keypair
from kuajing.ceb.signing.software import RsaSoftwareSigner, Sm2SoftwareSigner, SoftwareVerifier
from kuajing.ceb.signing.xmldsig import sign_message, verify_message

_LINE = (
    "<ceb:InventoryList><ceb:gnum>{n}</ceb:gnum><ceb:itemRecordNo>1210</ceb:itemRecordNo>"
    "<ceb:itemNo>AF001-00{n}</ceb:itemNo><ceb:itemName>商品{n}</ceb:itemName><ceb:gcode>8541401000</ceb:gcode>"
    "<ceb:gname>商品{n}</ceb:gname><ceb:gmodel>44mm</ceb:gmodel><ceb:barCode>2345123</ceb:barCode>"
    "<ceb:country>116</ceb:country><ceb:tradeCountry>116</ceb:tradeCountry><ceb:currency>142</ceb:currency>"
    "<ceb:qty>1</ceb:qty><ceb:unit>007</ceb:unit><ceb:qty1>1</ceb:qty1><ceb:unit1>007</ceb:unit1>"
    "<ceb:price>20</ceb:price><ceb:totalPrice>20</ceb:totalPrice><ceb:note></ceb:note></ceb:InventoryList>"
)
_HEAD = (
    "<ceb:InventoryHead><ceb:guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</ceb:guid><ceb:appType>1</ceb:appType>"
    "<ceb:appTime>20260315153555</ceb:appTime><ceb:appStatus>2</ceb:appStatus>"
    "<ceb:orderNo>order20260308113400{i:02d}</ceb:orderNo><ceb:ebpCode>1101110325</ceb:ebpCode>"
    "<ceb:ebpName>测试企业</ceb:ebpName><ceb:ebcCode>1101110325</ceb:ebcCode><ceb:ebcName>测试企业</ceb:ebcName>"
    "<ceb:logisticsNo>L2026030811380{i:02d}</ceb:logisticsNo><ceb:logisticsCode>1101180326</ceb:logisticsCode>"
    "<ceb:logisticsName>测试物流企业</ceb:logisticsName><ceb:copNo>NB2026030800{i:02d}</ceb:copNo>"
    "<ceb:preNo></ceb:preNo><ceb:assureCode>ass202603081155</ceb:assureCode><ceb:emsNo>S1501I000164</ceb:emsNo>"
    "<ceb:invtNo></ceb:invtNo><ceb:ieFlag>I</ceb:ieFlag><ceb:declTime>20260308</ceb:declTime>"
    "<ceb:customsCode>0701</ceb:customsCode><ceb:portCode>0701</ceb:portCode><ceb:ieDate>20260308</ceb:ieDate>"
    "<ceb:buyerIdType>1</ceb:buyerIdType><ceb:buyerIdNumber>110101190001010014</ceb:buyerIdNumber>"
    "<ceb:buyerName>李小宝</ceb:buyerName><ceb:buyerTelephone>13800000000</ceb:buyerTelephone>"
    "<ceb:consigneeAddress>内蒙古呼和浩特市</ceb:consigneeAddress><ceb:agentCode>1105910159</ceb:agentCode>"
    "<ceb:agentName>测试企业</ceb:agentName><ceb:tradeMode>1210</ceb:tradeMode><ceb:trafMode>4</ceb:trafMode>"
    "<ceb:trafNo>MH730</ceb:trafNo><ceb:voyageNo>BJ20260308</ceb:voyageNo><ceb:billNo>B00024204007</ceb:billNo>"
    "<ceb:loctNo></ceb:loctNo><ceb:licenseNo></ceb:licenseNo><ceb:country>116</ceb:country>"
    "<ceb:freight>0</ceb:freight><ceb:insuredFee>0</ceb:insuredFee><ceb:currency>142</ceb:currency>"
    "<ceb:wrapType>1</ceb:wrapType><ceb:packNo>1</ceb:packNo><ceb:grossWeight>1.5</ceb:grossWeight>"
    "<ceb:netWeight>1.2</ceb:netWeight><ceb:note></ceb:note></ceb:InventoryHead>"
)


def demo_ceb621(*, inventories: int = 1, lines: int = 2) -> bytes:
    """A CEB621 (进口清单) shaped like the official sample, for benchmarks only."""
    body = "".join(
        "<ceb:Inventory>" + _HEAD.format(i=i) + "".join(_LINE.format(n=n + 1) for n in range(lines))
        + "</ceb:Inventory>" for i in range(inventories))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB621Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" '
        'version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb">' + body
        + "<ceb:BaseTransfer><ceb:copCode>1101180326</ceb:copCode><ceb:copName>物流企业</ceb:copName>"
        "<ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>DXPLGS0000000001</ceb:dxpId><ceb:note></ceb:note>"
        "</ceb:BaseTransfer></ceb:CEB621Message>"
    ).encode("utf-8")


def _rate(fn: Callable[[], object], seconds: float) -> tuple[int, float]:
    fn()  # warm up (caches, lazy imports)
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            fn()
        count += 10
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start


def run(*, seconds: float = 2.0, message: bytes | None = None) -> list[dict]:
    """Measure operations per second for each case, ``seconds`` each, in this process (one core)."""
    message = message or demo_ceb621()
    sm2_key, sm2_cert = generate_demo_keypair("sm2", "bench SM2")
    rsa_key, rsa_cert = generate_demo_keypair("rsa", "bench RSA")
    signers = {
        SignatureAlgorithm.SM2_SM3: Sm2SoftwareSigner(private_key_pem=sm2_key, certificate=sm2_cert),
        SignatureAlgorithm.RSA_SHA1: RsaSoftwareSigner(private_key_pem=rsa_key, certificate=rsa_cert),
    }
    backends = {
        SignatureAlgorithm.SM2_SM3: f"gmssl-pyx {version('gmssl-pyx')} (GmSSL)",
        SignatureAlgorithm.RSA_SHA1: f"cryptography {version('cryptography')} (OpenSSL), RSA-2048",
    }
    verifier = SoftwareVerifier()
    data = b"<ds:SignedInfo>" + b"x" * 700 + b"</ds:SignedInfo>"  # about the size of a real SignedInfo
    results: list[dict] = []

    def record(case: str, algorithm: SignatureAlgorithm, fn: Callable[[], object]) -> None:
        count, elapsed = _rate(fn, seconds)
        results.append({"case": case, "algorithm": algorithm.value, "backend": backends[algorithm],
                         "operations": count, "seconds": round(elapsed, 3),
                         "per_second": round(count / elapsed, 1)})

    for algorithm, signer in signers.items():
        signature = signer.sign(data)
        cert = signer.certificate_der
        record("sign", algorithm, lambda s=signer: s.sign(data))
        record("verify", algorithm, lambda a=algorithm, sig=signature, c=cert: verifier.verify(
            algorithm=a, data=data, signature=sig, certificate_der=c))
        signed = sign_message(message, signer=signer)
        if not verify_message(signed).valid:
            raise RuntimeError(f"benchmark self-check failed for {algorithm.value}")
        record(f"sign_message CEB621 ({len(message)} B)", algorithm, lambda s=signer: sign_message(message, signer=s))
        record(f"verify_message CEB621 ({len(signed)} B)", algorithm, lambda m=signed: verify_message(m))
    return results
