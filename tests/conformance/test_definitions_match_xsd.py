"""Our hand-written message definitions agree with the official XSDs, element by element."""

from __future__ import annotations

import pytest

from kuajing.ceb.messages import MESSAGES
from kuajing.ceb.spec import NodeSpec

XS = "{http://www.w3.org/2001/XMLSchema}"


def _occurs(el) -> tuple[int, int | None]:
    mx = el.get("maxOccurs", "1")
    return int(el.get("minOccurs", "1")), None if mx == "unbounded" else int(mx)


class _Xsd:
    def __init__(self, tree):
        self.tops = {e.get("name"): e for e in tree.getroot().findall(XS + "element")}

    def resolve(self, el):
        ref = el.get("ref")
        if ref and ref.startswith("ceb:"):
            return ref[4:], self.tops[ref[4:]]
        return el.get("name") or ref, el

    def children(self, el):
        ct = el.find(XS + "complexType")
        seq = ct.find(XS + "sequence")
        return [c for c in seq if isinstance(c.tag, str)]


def _facets(el) -> dict:
    out = {"base": el.get("type")}
    st = el.find(XS + "simpleType")
    if st is not None:
        res = st.find(XS + "restriction")
        out["base"] = res.get("base")
        for f in res:
            if isinstance(f.tag, str):
                out[f.tag.replace(XS, "")] = f.get("value")
    return out


def _check_leaf_node(xsd: _Xsd, el, spec: NodeSpec, errors: list, where: str):
    kids = xsd.children(el)
    names = [k.get("name") for k in kids]
    ours = [f.name for f in spec.fields]
    if names != ours:
        errors.append(f"{where}: element order differs\n  xsd:  {names}\n  ours: {ours}")
        return
    for k, f in zip(kids, spec.fields, strict=True):
        mn, mx = _occurs(k)
        if (mn == 1) != f.required:
            errors.append(f"{where}/{f.name}: required xsd={mn} ours={f.required}")
        if k.get("fixed") != f.fixed:
            errors.append(f"{where}/{f.name}: fixed xsd={k.get('fixed')} ours={f.fixed}")
        fc = _facets(k)
        base = fc["base"]
        if base == "xs:decimal":
            if f.kind != "dec" or int(fc["totalDigits"]) != f.total_digits or int(fc["fractionDigits"]) != f.fraction_digits:
                errors.append(f"{where}/{f.name}: decimal facets {fc} vs {f}")
        elif base == "xs:int":
            td = fc.get("totalDigits")
            if f.kind != "int" or (int(td) if td else None) != f.total_digits:
                errors.append(f"{where}/{f.name}: int facets {fc} vs kind={f.kind} digits={f.total_digits}")
        else:
            if f.kind != "str":
                errors.append(f"{where}/{f.name}: kind {f.kind} vs {base}")
            if "length" in fc:
                lo = hi = int(fc["length"])
            else:
                lo = int(fc.get("minLength", 0))
                hi = int(fc["maxLength"]) if "maxLength" in fc else None
            if (lo, hi) != (f.min_len, f.max_len):
                errors.append(f"{where}/{f.name}: length xsd=({lo},{hi}) ours=({f.min_len},{f.max_len})")


@pytest.mark.parametrize("message_type", sorted(MESSAGES))
def test_definition_matches_official_xsd(message_type, official_xsd_trees):
    spec = MESSAGES[message_type]
    xsd = _Xsd(official_xsd_trees[spec.direction])
    root = xsd.tops[spec.root]
    kids = xsd.children(root)
    errors: list[str] = []
    rec_name, rec_el = xsd.resolve(kids[0])
    assert rec_name == spec.record.name
    assert _occurs(kids[0]) == (spec.records_min, spec.records_max)
    if spec.record.compound:
        parts = xsd.children(rec_el)
        head_name, head_el = xsd.resolve(parts[0])
        assert head_name == spec.record.head.name
        _check_leaf_node(xsd, head_el, spec.record.head, errors, f"{spec.type}/{head_name}")
        if spec.record.items is None:
            assert len(parts) == 1
        else:
            list_name, list_el = xsd.resolve(parts[1])
            assert list_name == spec.record.items.name
            assert _occurs(parts[1]) == (spec.record.items_min, spec.record.items_max)
            _check_leaf_node(xsd, list_el, spec.record.items, errors, f"{spec.type}/{list_name}")
    else:
        _check_leaf_node(xsd, rec_el, spec.record, errors, f"{spec.type}/{rec_name}")
    rest = [xsd.resolve(k)[0] if k.tag == XS + "element" else "any" for k in kids[1:]]
    expected = []
    if spec.base_transfer is not None:
        expected += ["BaseTransfer", "BaseSubscribe"]
        tail = ["ExtendMessage", "ds:Signature"] if spec.direction == "import" else ["ds:Signature", "ExtendMessage"]
        expected += tail
        bt_name, bt_el = xsd.resolve(kids[1])
        _check_leaf_node(xsd, bt_el, spec.base_transfer, errors, f"{spec.type}/BaseTransfer")
        bs_name, bs_el = xsd.resolve(kids[2])
        assert _occurs(kids[2]) == (0, 5)
        _check_leaf_node(xsd, bs_el, spec.base_subscribe, errors, f"{spec.type}/BaseSubscribe")
        sig = [k for k in kids if k.get("ref") == "ds:Signature"][0]
        assert _occurs(sig)[0] == (1 if spec.signature == "required" else 0), spec.type
    assert rest == expected
    assert not errors, "\n".join(errors)
