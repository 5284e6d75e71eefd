"""A deliberately simple reference evaluator: walks the AST of a checked pack.

It shares nothing with the compiler except the checker's answer to "what does
this name refer to", the AST visitor base, :func:`jiceng.dsl.effects.combine`
(the decision rule, stated once) and :class:`jiceng.dsl.vocabulary.Vocabulary`
(what a vocabulary value names). It is slow and obvious on purpose: the
differential tests compare the compiled engine against it on random packs and
inputs.

Semantics (docs/language.md, “缺失的事实”): three-valued (Kleene) logic with
``UNKNOWN`` (None). A fact that is absent or null is unknown, unless the task
form gives the field a ``default``; a vocabulary field reads as the canonical
code it names (unknown when it names none). Comparisons, arithmetic, ``in``,
``contains`` and function calls over an unknown operand are unknown, except
``present``/``missing``; ``not U = U``; ``U and F = F``, ``U and T = U``, ``U or T
= T``, ``U or F = U``; quantifiers over an unknown array are unknown. List items
are pack data: a code the list lacks finds an empty item, an attribute an item
does not declare reads as false / empty / 0. A rule whose condition is unknown
does not fire; it makes the decision at least conditional unless it only
warns; with ``unknown reject`` it fires and rejects.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction

from jiceng.dsl import nodes as n
from jiceng.dsl.checker import Checked, literal_value
from jiceng.dsl.effects import combine
from jiceng.dsl.types import BOOL, DATE, STR, ArrayOf, Enum, ListRef, Num, RangeOf, Record, SetOf, Vocab
from jiceng.dsl.visitor import NodeVisitor
from jiceng.dsl.vocabulary import Vocabulary

UNKNOWN = None


def _num(v):
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return v


def _to_date(v):
    return None if v is None else date.fromisoformat(str(v)[:10])


def _not3(a):
    return UNKNOWN if a is UNKNOWN else not a


def _and3(values):
    values = list(values)
    if any(v is not UNKNOWN and not v for v in values):
        return False
    return UNKNOWN if any(v is UNKNOWN for v in values) else True


def _or3(values):
    values = list(values)
    if any(v is not UNKNOWN and v for v in values):
        return True
    return UNKNOWN if any(v is UNKNOWN for v in values) else False


def _member3(x, members):
    """``x == m1 or x == m2 …``"""
    if x is UNKNOWN or members is UNKNOWN:
        return UNKNOWN
    return _or3(UNKNOWN if m is UNKNOWN else x == m for m in members)


def _empty(t):
    if t == BOOL:
        return False
    if isinstance(t, (SetOf, ArrayOf)):
        return set()
    if isinstance(t, Num):
        return 0
    if t == STR or isinstance(t, Enum):
        return ""
    if isinstance(t, Record):
        return {}
    return None


class Reference(NodeVisitor):
    """``decide`` by walking each rule's condition: one visit_<Node>(e, env, scope) per
    expression type; ``env`` holds the roots (task, target …), ``scope`` quantifier variables."""

    def __init__(self, checked: Checked):
        self.c = checked
        self.vocabularies = {field: Vocabulary.from_items(name, checked.lists[name].kind, checked.lists[name].items)
                             for field, name in checked.task_form.vocabularies.items() if name in checked.lists}

    def decide(self, task, target, history, today=None, source=None):
        """(decision, ids of the fired rules, ids of the unknown rules that reject or
        require), in declaration order."""
        env = {"task": task, "target": target, "history": history, "today": today, "source": source or {}}
        outcomes, fired, unknown = [], [], []
        for rule in self.c.rules:
            holds = True if rule.when is None else self.visit(rule.when, env, {})
            if holds is UNKNOWN:
                if rule.on_unknown is not None:
                    unknown.append(rule.id)
                    fired.append(rule.id)
                    outcomes.append("reject")
                elif rule.effect.kind != "warn":  # an unknown warning cannot change the decision
                    unknown.append(rule.id)
                    outcomes.append("unknown")
            elif holds:
                fired.append(rule.id)
                outcomes.append(rule.effect.kind)
        return combine(outcomes), fired, unknown

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
            return _Lists((name,))
        raise AssertionError(kind)

    def visit_KindRef(self, e, env, scope):
        return _Lists(tuple(name for name, info in self.c.lists.items() if info.kind == e.kind))

    def _in_lists(self, value, lists, env):
        """Membership the long way: item by item, an item limited to levels counts
        only at the target's level (unknown while that level is)."""
        if value is UNKNOWN:
            return UNKNOWN
        level = (env.get("target") or {}).get("level")
        result = False
        for name in lists.names:
            for item in self.c.lists[name].items:
                if value not in (item["code"], item["name"], *item["aliases"]):
                    continue
                if not item["levels"]:
                    return True
                if level is None:
                    result = UNKNOWN
                elif level in item["levels"]:
                    return True
        return result

    def visit_Attr(self, e, env, scope):
        c = self.c
        obj = self.visit(e.obj, env, scope)
        if isinstance(c.types.get(e.obj), RangeOf):
            return obj[0] if e.name == "min" else obj[1]
        if not isinstance(obj, dict):
            return UNKNOWN
        value = obj.get(e.name)
        if isinstance(e.obj, n.Name) and c.bindings.get(e.obj) == ("root", "task"):
            if value is None:
                value = c.task_form.defaults.get(e.name)
            if e.name in self.vocabularies:
                value = self.vocabularies[e.name].resolve(value)
        return value

    def visit_Index(self, e, env, scope):
        lst = self.c.lists[self.c.types[e.obj].names[0]]
        key = self.visit(e.key, env, scope)
        if key is UNKNOWN:
            return UNKNOWN
        found = next((item for item in lst.items if item["code"] == key), None) or next(
            (item for item in lst.items if key == item["name"] or key in item["aliases"]), None)
        item = {"code": "", "name": "", "kind": "", "requires": set(), **(
            {"code": found["code"], "name": found["name"], "kind": found["kind"],
             "requires": set(found["requires"]), "aliases": set(found["aliases"]), "levels": set(found["levels"]),
             "example": found["example"], "list": found["list"], **found["attrs"]} if found else {})}
        for attr, t in lst.item_type.fields.items():
            if item.get(attr) is None:
                item[attr] = _empty(t)
        return item

    def visit_Call(self, e, env, scope):
        args = [self.visit(a, env, scope) for a in e.args]
        if e.func in ("present", "missing"):
            empty = args[0] in (None, "", [])
            return not empty if e.func == "present" else empty
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        return self.call(e.func, args)

    def visit_Quantifier(self, e, env, scope):
        seq = self.visit(e.iterable, env, scope)
        if isinstance(seq, _Lists):
            seq = [self._item_record(item, e.iterable) for name in seq.names for item in self.c.lists[name].items]
        if seq is UNKNOWN:
            return UNKNOWN
        if e.body is None:
            return len(seq)
        results = [self.visit(e.body, env, {**scope, e.var: x}) for x in seq]
        if e.kind == "any":
            return _or3(results)
        if e.kind == "all":
            return _and3(results)
        if any(r is UNKNOWN for r in results):
            return UNKNOWN
        if e.kind == "count":
            return sum(1 for r in results if r)
        return sum(results)

    def visit_SetLit(self, e, env, scope):
        return [self.visit(i, env, scope) for i in e.items]

    def visit_Neg(self, e, env, scope):
        v = self.visit(e.operand, env, scope)
        return UNKNOWN if v is UNKNOWN else -v

    def visit_Not(self, e, env, scope):
        return _not3(self.visit(e.operand, env, scope))

    def visit_BoolOp(self, e, env, scope):
        values = [self.visit(x, env, scope) for x in e.operands]
        return _and3(values) if e.op == "and" else _or3(values)

    def call(self, name, args):
        if name in ("ceil", "floor", "round", "abs"):
            x = args[0]
            return {"ceil": math.ceil, "floor": math.floor, "abs": abs,
                    "round": lambda v: math.floor(v + Fraction(1, 2))}[name](x)
        if name in ("min", "max"):
            return (min if name == "min" else max)(args)
        if name == "length":
            return len(args[0])
        if name == "starts_with":
            return args[0].startswith(args[1])
        if name == "ends_with":
            return args[0].endswith(args[1])
        return self.c.registry.functions[name].impl(*args)

    def visit_Arith(self, e, env, scope):
        lt, rt = self.c.types[e.left], self.c.types[e.right]
        a, b = self.visit(e.left, env, scope), self.visit(e.right, env, scope)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        if isinstance(a, _Lists):
            return _Lists(a.names + tuple(x for x in b.names if x not in a.names))
        if isinstance(lt, (ListRef, SetOf)):
            return set(a) | set(b)
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
        vocabulary = self._vocabulary(e.left)
        if op in ("==", "!="):
            # a constant compared with a vocabulary field is read as the code it spells
            if vocabulary is not None and self._constant_text(e.right) is not None:
                b = vocabulary.resolve(b) or b
            if self._vocabulary(e.right) is not None and self._constant_text(e.left) is not None:
                a = self._vocabulary(e.right).resolve(a) or a
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            return (a == b) if op == "==" else (a != b)
        if op in ("<", "<=", ">", ">="):
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            if isinstance(a, str):  # dates
                a, b = _to_date(a), _to_date(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op in ("in", "not in"):
            if isinstance(b, _Lists):
                inside = self._in_lists(a, b, env)
                return inside if op == "in" else _not3(inside)
            if isinstance(b, tuple):  # a range
                inside = UNKNOWN if a is UNKNOWN else b[0] <= a <= b[1]
            elif vocabulary is not None:  # within: the code or one of its ancestors is a member
                if a is UNKNOWN or b is UNKNOWN:
                    inside = UNKNOWN
                else:
                    codes = {vocabulary.resolve(x) or x for x in b if x is not UNKNOWN}
                    found = any(x in codes for x in vocabulary.ancestors(a))
                    inside = True if found else (UNKNOWN if UNKNOWN in b else False)
            else:
                inside = _member3(a, b)
            return inside if op == "in" else _not3(inside)
        # contains
        if isinstance(self.c.types[e.left], (ArrayOf, SetOf)):
            return _member3(b, a)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        return b in a

    def _item_record(self, item, iterable):
        """An item as a quantifier variable sees it: its fields, attributes, and the
        empty value of each attribute it does not declare."""
        record = self.c.types[iterable]
        from jiceng.dsl.checker import items_record
        fields = items_record(self.c, record.names).fields
        out = {"code": item["code"], "name": item["name"], "kind": item["kind"], "requires": set(item["requires"]),
               "aliases": set(item["aliases"]), "levels": set(item["levels"]), "example": item["example"],
               "list": item["list"], **item["attrs"]}
        for attr, t in fields.items():
            if out.get(attr) is None:
                out[attr] = _empty(t)
        return out

    def _constant_text(self, e):
        """The text of a literal, an enum word or a text param, else None."""
        if isinstance(e, n.String):
            return e.value
        binding = self.c.bindings.get(e) if isinstance(e, n.Name) else None
        if binding and binding[0] == "symbol":
            return binding[1]
        if binding and binding[0] == "param" and isinstance(self.c.params[binding[1]].value, str):
            return self.c.params[binding[1]].value
        return None

    def _vocabulary(self, e):
        t = self.c.types.get(e)
        if isinstance(t, Vocab) and isinstance(e, n.Attr):
            return self.vocabularies.get(e.name)
        return None


class _Lists:
    """One or more lists as a value (``L1 + kind assist``): membership is decided item by item."""

    def __init__(self, names):
        self.names = tuple(names)
