"""Impact decodes logged JSON with msgspec, falling back to json: the result must be json.loads's,
value for value and type for type (an int that came back a float could change a decision)."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from jiceng.platform.impact import jsontext

SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 4, max_value=2**70)
           | st.integers(min_value=-2**70, max_value=-2**63 + 4) | st.floats() | st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=25)


def _same(text):
    want = json.loads(text)
    got = jsontext.loads(text)
    assert repr(got) == repr(want), text  # repr: 1 and 1.0, nan and nan, -0.0 and 0.0 are told apart
    got_bytes = jsontext.loads(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    assert repr(got_bytes) == repr(want)


@settings(max_examples=300, deadline=None)
@given(value=VALUES, ascii_only=st.booleans())
def test_decoding_is_json_loads(value, ascii_only):
    _same(json.dumps(value, ensure_ascii=ascii_only))


def test_what_msgspec_refuses_is_read_as_json_reads_it():
    for text in ['[NaN, Infinity, -Infinity]', '"\\ud800"', '[1e400]', '{"a": 1, "a": 2}',
                 '{"big": 123456789012345678901234567890, "neg": -18446744073709551617}']:
        _same(text)
    assert jsontext.loads('{"big": 123456789012345678901234567890}')["big"] == 123456789012345678901234567890
