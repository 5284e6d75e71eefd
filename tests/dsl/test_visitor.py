"""The one AST visitor, the node-fact tables and the one decision rule."""
from __future__ import annotations

import gc
import itertools
from fractions import Fraction

import pytest

from conftest import build
from jiceng.dsl import nodes as n
from jiceng.dsl.checker import Checker
from jiceng.dsl.columnar import _Compiler as ColumnarCompiler
from jiceng.dsl.compiler import Compiler
from jiceng.dsl.effects import DECISION_OF, EFFECT_BIT, OUTCOMES, combine
from jiceng.dsl.formatter import _ExprPrinter
from jiceng.dsl.visitor import NodeTable, NodeVisitor, UnhandledNode, iter_child_nodes
from reference_evaluator import Reference

SPAN = n.Span("t.jc", 1, 1, 1, 2)
EXPRESSIONS = sorted((c for c in vars(n).values()
                      if isinstance(c, type) and issubclass(c, n.Expr) and c is not n.Expr), key=lambda c: c.__name__)


# ----------------------------------------------------------------------- dispatch
class _Echo(NodeVisitor):
    def visit_Name(self, e, suffix, *, twice=False):
        return e.id + suffix * (2 if twice else 1)


def test_visit_dispatches_on_the_class_name_and_passes_the_arguments_on():
    assert _Echo().visit(n.Name(SPAN, "x"), "!", twice=True) == "x!!"


def test_a_node_without_a_method_is_a_clear_internal_error():
    with pytest.raises(UnhandledNode, match="_Echo has no visit_Bool"):
        _Echo().visit(n.Bool(SPAN, True), "!")


def test_dispatch_tables_belong_to_each_visitor_class():
    class Other(NodeVisitor):
        def visit_Name(self, e):
            return "other"

    assert _Echo().visit(n.Name(SPAN, "x"), "") == "x"
    assert Other().visit(n.Name(SPAN, "x")) == "other"


@pytest.mark.parametrize("walker", [Checker, Compiler, _ExprPrinter, Reference], ids=lambda w: w.__name__)
def test_the_walkers_that_must_handle_every_expression_do(walker):
    missing = [c.__name__ for c in EXPRESSIONS if not hasattr(walker, "visit_" + c.__name__)]
    assert not missing


def test_the_columnar_backend_reports_a_node_without_a_vectorised_form_as_unsupported():
    from jiceng.dsl.columnar import Unsupported
    with pytest.raises(Unsupported, match="Index 无法按列计算"):
        ColumnarCompiler(None).visit(n.Index(SPAN, n.Name(SPAN, "l"), n.String(SPAN, "A")))


def test_child_nodes_come_in_field_order_through_tuples():
    a, b, c = (n.Name(SPAN, x) for x in "abc")
    assert list(iter_child_nodes(n.BoolOp(SPAN, "and", (a, b)))) == [a, b]
    assert list(iter_child_nodes(n.Quantifier(SPAN, "any", "x", a, None))) == [a]
    assert list(iter_child_nodes(n.Call(SPAN, "max", (a, b, c)))) == [a, b, c]
    assert list(iter_child_nodes(n.Number(SPAN, Fraction(1)))) == []


# ----------------------------------------------------------------------- node tables
def test_a_node_table_tells_equal_nodes_apart():
    first, second = n.Name(SPAN, "x"), n.Name(n.Span("t.jc", 9, 1, 9, 2), "x")
    assert first == second  # nodes compare by value ...
    table = NodeTable()
    table[first] = "number"
    table[second] = "text"
    assert (table[first], table[second], len(table)) == ("number", "text", 2)  # ... facts are per node


def test_a_node_table_keeps_its_nodes_so_their_ids_are_never_reused():
    table = NodeTable()
    for i in range(200):
        table[n.Name(SPAN, f"tmp{i}")] = i  # no other reference to these nodes
    gc.collect()
    fresh = [n.Name(SPAN, "new") for _ in range(200)]
    assert not any(node in table for node in fresh)
    assert all(table.get(node) is None for node in fresh)


def test_a_node_table_refuses_keys_that_are_not_nodes():
    node = n.Name(SPAN, "x")
    table = NodeTable()
    table[node] = "fact"
    with pytest.raises(TypeError, match="keyed by expression nodes"):
        table.get(id(node))
    assert table.get(node) == "fact" and table.get(n.Name(SPAN, "x"), "none") == "none"


def test_compiling_reads_the_checker_tables_without_adding_to_them():
    rules = "\n".join(f"rule R{i} when target.level == {'street' if i % 2 else 'community'} and task.one_vote_veto"
                      f" and task.funding_provided then warn" for i in range(30))
    pack = build({"p": "pack p\n" + rules})
    assert pack.compiled.index_paths == ["target.level"]  # indexing made new `and`s of the other conjuncts
    before = (len(pack.checked.types), len(pack.checked.bindings))
    Compiler(pack.checked, lambda span: "").compile()
    assert (len(pack.checked.types), len(pack.checked.bindings)) == before


# ----------------------------------------------------------------------- the decision rule
@pytest.mark.parametrize("effects, decision", [
    ((), "admit"), (("warn",), "admit"), (("require",), "conditional"), (("require", "warn"), "conditional"),
    (("reject",), "reject"), (("require", "reject"), "reject"), (("warn", "reject", "require"), "reject"),
    (("unknown",), "conditional"), (("unknown", "warn"), "conditional"), (("unknown", "reject"), "reject"),
])
def test_combine(effects, decision):
    assert combine(effects) == decision
    assert combine(reversed(effects)) == decision  # order never matters


def test_the_compiled_engines_table_is_combine_over_every_set_of_outcomes():
    for size in range(len(OUTCOMES) + 1):
        for fired in itertools.combinations(OUTCOMES, size):
            assert DECISION_OF[sum(EFFECT_BIT[e] for e in fired)] == combine(fired)


def test_a_decision_is_combine_of_the_fired_rules_effects():
    pack = build({"p": """pack p
rule 拒绝 when task.one_vote_veto then reject
rule 要求 when task.item_code == "A" then require funding "经费"
rule 提示 when task.title == "t" then warn
"""})
    for veto, code in itertools.product((True, False), ("A", "B")):
        task = {"title": "t", "one_vote_veto": veto, "item_code": code}
        d = pack.decide(task)
        assert d.decision == combine(r["effect"] for r in d.reasons)
        assert pack.decide(task, explain=True).decision == d.decision
