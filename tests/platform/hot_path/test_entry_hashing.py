"""An entry is serialised once, hashed before its chain's head is known, and must hash and
store exactly as the verifier (``entry_hash`` over the stored values) recomputes it."""
from __future__ import annotations

import json
from datetime import date
from fractions import Fraction

from hypothesis import given, settings, strategies as st

from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions.chain import HASHED_FIELDS, canonical, canonical_jsonable, chain_hash, entry_hash
from jiceng.dsl.jsonvalue import jsonable

leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=8),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([1.0, -0.0, 1e16, 2.5e20, 0.1, Fraction(3, 2), Fraction(4, 2), date(2024, 6, 1),
                                    "v1.0", "1e+5", "2024.06", 2.05]))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.frozensets(st.integers(0, 9), max_size=3),
    st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values)
def test_fast_canonical_text_is_the_canonical_text_of_the_jsonable_value(value):
    assert canonical_jsonable(value) == canonical(jsonable(value))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=5), values, max_size=3), st.lists(values, max_size=3),
       st.text(max_size=10), st.integers(1, 10**9), st.one_of(st.none(), st.lists(values, max_size=2)))
def test_an_entry_written_hashes_as_the_verifier_recomputes_it(task, reasons, actor, seq, items):
    # items None: an entry as logged before the items were recorded (the column stays NULL)
    e = log_append.entry(tenant="changsha", kind="check", actor=actor, decided_on="2024-06-01",
                           input={"task": task}, target={"level": "community", "area": 1.0}, history={"n": 2},
                           pack={"tenant": "changsha"}, outcome="admit", reasons=reasons, requirements=[],
                           items=items)
    stored = dict(zip(log_append.COLUMNS, e.values))
    stored = {k: json.loads(v) if k in log_append._JSON_FIELDS and v is not None else v for k, v in stored.items()}
    assert (stored["items"] is None) == (items is None)
    stored["seq"] = seq
    assert set(stored) == set(HASHED_FIELDS)
    assert chain_hash("ab" * 32, e.payload(seq)) == entry_hash("ab" * 32, stored)
