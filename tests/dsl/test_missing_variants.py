"""A rule function's variants by the set of facts missing (``dsl/compiler.py`` ``_Variants``).

When a fact a rule function reads is missing, the function hands over to its variant for that
set of missing facts, compiled on first use: plain code for the rules whose facts are present,
three-valued code inline for the others. Past ``MISSING_VARIANTS`` sets, the generic guarded
variant (which tests rule by rule which facts are missing) answers. Both must decide as the
reference evaluator does, and the variants kept must stay bounded whatever the inputs.
"""
from __future__ import annotations

import itertools
from unittest import mock

from conftest import fresh_changsha
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_evaluator import Reference

from jiceng.dsl import compiler

HISTORY = {"assessments_this_year": 0, "inspections_this_year": 1, "tasks_this_month": 3, "plaques": 0}
TASK = {"title": "老年人优待证初审", "item_code": "QG-XZ-01", "kind": "work", "role": "assist",
        "category": "招商引资", "funding_provided": True, "work_conditions_provided": False,
        "service_purchase": False, "statutory_duty": True, "approval": "已审批", "one_vote_veto": False,
        "unified_deployment": False}
TARGET = {"level": "community", "staffing_gap": 2, "community": {"level": "community"}}
SOURCE = {"department": {"own_duty": True, "own_assessment": False}}
OPTIONAL = [("task", f) for f in TASK if f != "title"] + [("target", f) for f in TARGET]
PACK = fresh_changsha("variants 0")
REFERENCE = Reference(PACK.checked)


def _inputs(dropped) -> tuple[dict, dict]:
    task = {f: v for f, v in TASK.items() if ("task", f) not in dropped}
    target = {f: v for f, v in TARGET.items() if ("target", f) not in dropped}
    return task, target


def _agrees(pack, dropped) -> None:
    task, target = _inputs(dropped)
    want = REFERENCE.decide(task, target, HISTORY, "2026-06-01", SOURCE)
    got = pack.decide(task, target, HISTORY, source=SOURCE, today="2026-06-01")
    assert (got.decision, got.rule_ids, [u["rule"] for u in got.unknown]) == want, dropped
    decision, fired, unknown = pack.outcome(task, target, HISTORY, SOURCE, "2026-06-01")
    assert (decision, [pack.rules[i].id for i in fired], [pack.rules[i].id for i in unknown]) == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dropped=st.sets(st.sampled_from(OPTIONAL)))
def test_each_set_of_missing_facts_decides_as_the_reference(dropped):
    _agrees(PACK, dropped)


def _variants(pack) -> list:
    return [v for v in pack.compiled.decide.__globals__.values() if isinstance(v, compiler._Variants)]


def test_past_the_variants_kept_the_generic_code_answers_and_what_is_kept_stays_bounded():
    with mock.patch.object(compiler, "MISSING_VARIANTS", 3):
        pack = fresh_changsha("variants 1")
        sets = [set(c) for k in (1, 2) for c in itertools.combinations(OPTIONAL, k)]
        for dropped in sets:  # far more sets of missing facts than 3 per function
            _agrees(pack, dropped)
    kept = _variants(pack)
    assert kept, "the pack's rule functions should have variants"
    assert max(v._made for v in kept) == 3  # the cap was reached, and not passed
    generic = {name for name, fn in pack.compiled.decide.__globals__["_L"].items() if "_guarded" in name}
    assert generic, "past the cap, the generic guarded variant should have answered"
    for v in kept:  # every mask past the cap maps to that one function
        assert len({id(fn) for fn in v.values()}) <= 3 + 1
