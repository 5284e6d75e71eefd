"""A deliberately simple reference evaluator: walks the AST of a checked pack.

It shares nothing with the compiler except the checker's answer to "what does
this name refer to", the AST visitor base and :func:`jiceng.dsl.effects.combine`
(the decision rule, stated once). It is slow and obvious on purpose: the
differential tests compare the compiled engine against it on random packs and
inputs.

Semantics (docs/language.md): a missing value is None; comparisons involving
None are false (``==``/``!=`` compare normally); arithmetic with None is None;
``not None`` is true; ``x in list`` tests item codes; ranges include both ends.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction

from jiceng.dsl import nodes as n
from jiceng.dsl.checker import Checked, literal_value
from jiceng.dsl.effects import combine
from jiceng.dsl.types import DATE, ListRef, RangeOf
from jiceng.dsl.visitor import NodeVisitor


def _num(v):
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return v


def _to_date(v):
    return None if v is None else date.fromisoformat(str(v)[:10])


class Reference(NodeVisitor):
    """``decide`` by walking each rule's condition: one visit_<Node>(e, env, scope) per
    expression type; ``env`` holds the roots (task, target …), ``scope`` quantifier variables."""

    def __init__(self, checked: Checked):
        self.c = checked

    def decide(self, task, target, history, today=None, source=None):
        """(decision, ids of the fired rules in declaration order)."""
        env = {"task": task, "target": target, "history": history, "today": today, "source": source or {}}
        fired = [rule for rule in self.c.rules if rule.when is None or bool(self.visit(rule.when, env, {}))]
        return combine(rule.effect.kind for rule in fired), [rule.id for rule in fired]

    # ----------------------------------------------------------- expressions
    def visit_Number(self, e, env, scope):
        return _num(literal_value(e, self.c.registry))

    visit_Ratio = visit_Number

    def visit_String(self, e, env, scope):
        return e.value

    visit_Bool = visit_DateLit = visit_String

    def visit_RangeLit(self, e, env, scope):
        lo, hi = literal_value(e, self.c.registry)
        return (lo, hi)

    def visit_Name(self, e, env, scope):
        c = self.c
        kind, name = c.bindings[e]
        if kind == "var":
            return scope[name]
        if kind == "root":
            return env[name]
        if kind == "symbol":
            return name
        if kind == "param":
            value = c.params[name].value
            if isinstance(value, frozenset):
                return {_num(v) for v in value}
            return tuple(value) if isinstance(value, tuple) else _num(value)
        if kind == "list":
            return set(c.lists[name].codes)
        raise AssertionError(kind)

    def visit_Attr(self, e, env, scope):
        c = self.c
        obj = self.visit(e.obj, env, scope)
        if isinstance(c.types.get(e.obj), RangeOf):
            return obj[0] if e.name == "min" else obj[1]
        if not isinstance(obj, dict):
            return None
        if isinstance(e.obj, n.Name) and c.bindings.get(e.obj) == ("root", "history") and e.name not in obj:
            fact = c.registry.history.get(e.name)
            return fact.default if fact else None
        return obj.get(e.name)

    def visit_Index(self, e, env, scope):
        lst = self.c.lists[self.c.types[e.obj].names[0]]
        key = self.visit(e.key, env, scope)
        for item in lst.items:
            if item["code"] == key:
                return {"code": item["code"], "name": item["name"], "kind": item["kind"],
                        "requires": set(item["requires"]), **item["attrs"]}
        return None

    def visit_Call(self, e, env, scope):
        return self.call(e.func, [self.visit(a, env, scope) for a in e.args])

    def visit_Quantifier(self, e, env, scope):
        seq = self.visit(e.iterable, env, scope) or []
        if e.body is None:
            return len(seq)
        results = [self.visit(e.body, env, {**scope, e.var: x}) for x in seq]
        if e.kind == "any":
            return any(results)
        if e.kind == "all":
            return all(results)
        if e.kind == "count":
            return sum(1 for r in results if r)
        return sum(r for r in results if r is not None)

    def visit_SetLit(self, e, env, scope):
        return {self.visit(i, env, scope) for i in e.items}

    def visit_Neg(self, e, env, scope):
        v = self.visit(e.operand, env, scope)
        return None if v is None else -v

    def visit_Not(self, e, env, scope):
        return not self.visit(e.operand, env, scope)

    def visit_BoolOp(self, e, env, scope):
        if e.op == "and":
            return all(self.visit(x, env, scope) for x in e.operands)
        return any(self.visit(x, env, scope) for x in e.operands)

    def call(self, name, args):
        if name in ("ceil", "floor", "round", "abs"):
            x = args[0]
            if x is None:
                return None
            return {"ceil": math.ceil, "floor": math.floor, "abs": abs,
                    "round": lambda v: math.floor(v + Fraction(1, 2))}[name](x)
        if name in ("min", "max"):
            xs = [x for x in args if x is not None]
            return (min if name == "min" else max)(xs) if xs else None
        if name == "present":
            return args[0] not in (None, "", [])
        if name == "missing":
            return args[0] in (None, "", [])
        if name == "length":
            return None if args[0] is None else len(args[0])
        if name == "starts_with":
            return isinstance(args[0], str) and args[0].startswith(args[1])
        if name == "ends_with":
            return isinstance(args[0], str) and args[0].endswith(args[1])
        return self.c.registry.functions[name].impl(*args)

    def visit_Arith(self, e, env, scope):
        lt, rt = self.c.types[e.left], self.c.types[e.right]
        a, b = self.visit(e.left, env, scope), self.visit(e.right, env, scope)
        if isinstance(lt, ListRef):
            return a | b
        if a is None or b is None:
            return None
        if lt == DATE and rt == DATE:
            return (_to_date(a) - _to_date(b)).days
        if lt == DATE:
            return (_to_date(a) + timedelta(days=b if e.op == "+" else -b)).isoformat()
        if rt == DATE:
            return (_to_date(b) + timedelta(days=a)).isoformat()
        a, b = Fraction(a) if not isinstance(a, Fraction) else a, Fraction(b) if not isinstance(b, Fraction) else b
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[e.op]

    def visit_Compare(self, e, env, scope):
        a = self.visit(e.left, env, scope)
        b = self.visit(e.right, env, scope)
        op = e.op
        if op == "==":
            return _same(a, b)
        if op == "!=":
            return not _same(a, b)
        if op in ("<", "<=", ">", ">="):
            if a is None or b is None:
                return False
            if isinstance(a, str):  # dates
                a, b = _to_date(a), _to_date(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op in ("in", "not in"):
            if isinstance(b, tuple):  # a range
                inside = a is not None and b[0] <= a <= b[1]
            else:
                inside = any(_same(a, x) for x in (b or ()))
            return inside if op == "in" else not inside
        # contains
        if isinstance(a, (list, set, frozenset)):
            return any(_same(x, b) for x in a)
        return a is not None and b is not None and b in a


def _same(a, b):
    return a == b
