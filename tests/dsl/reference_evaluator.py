"""A deliberately simple reference evaluator: walks the AST of a checked pack.

It shares nothing with the compiler except the checker's answer to "what does
this name refer to". It is slow and obvious on purpose: the differential tests
compare the compiled engine against it on random packs and inputs.

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
from jiceng.dsl.types import ListRef, RangeOf


def _num(v):
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return v


def _to_date(v):
    return None if v is None else date.fromisoformat(str(v)[:10])


class Reference:
    def __init__(self, checked: Checked):
        self.c = checked

    def decide(self, task, target, history, today=None, source=None):
        env = {"task": task, "target": target, "history": history, "today": today, "source": source or {}}
        fired, outcome = [], "admit"
        for rule in self.c.rules:
            holds = True if rule.when is None else bool(self.eval(rule.when, env, {}))
            if holds:
                fired.append(rule.id)
                kind = rule.effect.kind
                if kind == "reject":
                    outcome = "reject"
                elif kind == "require" and outcome != "reject":
                    outcome = "conditional"
        return outcome, fired

    # ----------------------------------------------------------- expressions
    def eval(self, e, env, scope):
        c = self.c
        if isinstance(e, (n.Number, n.Ratio, n.String, n.Bool, n.DateLit)):
            return _num(literal_value(e, c.registry)) if not isinstance(e, (n.String, n.Bool, n.DateLit)) else e.value
        if isinstance(e, n.RangeLit):
            lo, hi = literal_value(e, c.registry)
            return (lo, hi)
        if isinstance(e, n.Name):
            kind, name = c.bindings[id(e)]
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
        if isinstance(e, n.Attr):
            obj = self.eval(e.obj, env, scope)
            if isinstance(c.types.get(id(e.obj)), RangeOf):
                return obj[0] if e.name == "min" else obj[1]
            if not isinstance(obj, dict):
                return None
            if isinstance(e.obj, n.Name) and c.bindings.get(id(e.obj)) == ("root", "history") and e.name not in obj:
                fact = c.registry.history.get(e.name)
                return fact.default if fact else None
            return obj.get(e.name)
        if isinstance(e, n.Index):
            lst = c.lists[c.types[id(e.obj)].names[0]]
            key = self.eval(e.key, env, scope)
            for item in lst.items:
                if item["code"] == key:
                    return {"code": item["code"], "name": item["name"], "kind": item["kind"],
                            "requires": set(item["requires"]), **item["attrs"]}
            return None
        if isinstance(e, n.Call):
            args = [self.eval(a, env, scope) for a in e.args]
            return self.call(e.func, args)
        if isinstance(e, n.Quantifier):
            seq = self.eval(e.iterable, env, scope) or []
            if e.body is None:
                return len(seq)
            results = [self.eval(e.body, env, {**scope, e.var: x}) for x in seq]
            if e.kind == "any":
                return any(results)
            if e.kind == "all":
                return all(results)
            if e.kind == "count":
                return sum(1 for r in results if r)
            return sum(r for r in results if r is not None)
        if isinstance(e, n.SetLit):
            return {self.eval(i, env, scope) for i in e.items}
        if isinstance(e, n.Neg):
            v = self.eval(e.operand, env, scope)
            return None if v is None else -v
        if isinstance(e, n.Not):
            return not self.eval(e.operand, env, scope)
        if isinstance(e, n.BoolOp):
            if e.op == "and":
                return all(self.eval(x, env, scope) for x in e.operands)
            return any(self.eval(x, env, scope) for x in e.operands)
        if isinstance(e, n.Arith):
            return self.arith(e, env, scope)
        if isinstance(e, n.Compare):
            return self.compare(e, env, scope)
        raise AssertionError(type(e).__name__)

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

    def arith(self, e, env, scope):
        lt, rt = self.c.types[id(e.left)], self.c.types[id(e.right)]
        a, b = self.eval(e.left, env, scope), self.eval(e.right, env, scope)
        if isinstance(lt, ListRef):
            return a | b
        if a is None or b is None:
            return None
        from jiceng.dsl.types import DATE
        if lt == DATE and rt == DATE:
            return (_to_date(a) - _to_date(b)).days
        if lt == DATE:
            return (_to_date(a) + timedelta(days=b if e.op == "+" else -b)).isoformat()
        if rt == DATE:
            return (_to_date(b) + timedelta(days=a)).isoformat()
        a, b = Fraction(a) if not isinstance(a, Fraction) else a, Fraction(b) if not isinstance(b, Fraction) else b
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[e.op]

    def compare(self, e, env, scope):
        a = self.eval(e.left, env, scope)
        b = self.eval(e.right, env, scope)
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
