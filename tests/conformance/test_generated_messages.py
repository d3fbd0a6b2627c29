"""Messages built from hypothesis-generated data pass our validation AND the official XSD."""

from __future__ import annotations

import pytest
from ceb_strategies import messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kuajing.ceb import build, parse
from kuajing.ceb.messages import MESSAGES
from kuajing.ceb.validate import check_tree, validate_tree
from kuajing.ceb.xml import safe_parse

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                            HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("message_type", sorted(MESSAGES))
def test_generated_instances_are_officially_valid(message_type, official_schemas):
    schema = official_schemas[MESSAGES[message_type].direction]

    @SETTINGS
    @given(messages(message_type))
    def check(msg):
        data = build(msg)  # raises CebError if our own validation disagrees
        root = etree.fromstring(data)
        assert schema.validate(root), f"{schema.error_log}\n{data.decode()[:3000]}"
        again = parse(data)
        assert build(again) == data

    check()


@pytest.mark.parametrize("message_type", ["CEB311", "CEB621", "CEB603", "CEB622", "CEB792", "CEB900"])
def test_gate_and_python_walk_agree_on_broken_documents(message_type, official_schemas):
    """Break one field; the C gate, the Python walk and the official XSD all say "invalid"."""
    spec = MESSAGES[message_type]
    schema = official_schemas[spec.direction]

    @SETTINGS
    @given(messages(message_type), st.data())
    def check(msg, data):
        root = safe_parse(build(msg))
        leaves = [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0
                  and etree.QName(el).namespace == "http://www.chinaport.gov.cn/ceb"
                  and etree.QName(el.getparent()).localname not in ("Message",)]
        victim = data.draw(st.sampled_from(leaves))
        how = data.draw(st.sampled_from(["drop", "long"]))
        if how == "drop":
            victim.getparent().remove(victim)
        else:
            victim.text = "9" * 5001
        gate = validate_tree(root, spec, rules=False)
        walk = check_tree(root, spec, rules=False)
        official = schema.validate(root)
        assert bool(gate) == bool(walk) == (not official), (how, victim.tag, gate, walk, schema.error_log)

    check()
