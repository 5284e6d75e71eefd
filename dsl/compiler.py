"""Compile a checked pack into Python source, then into functions.

The generated module is what runs: ``decide(T, G, H, D, S)`` evaluates every
active rule over the task ``T``, target facts ``G``, history ``H``, decision
date ``D`` and source unit ``S``, and returns ``(fired rule indexes, effects)``:
``effects`` is the set of effects that fired, as bits (``effects |= REJECT``;
:data:`.effects.EFFECT_BIT`), which :data:`.effects.DECISION_OF` turns into the
decision. No AST is walked at decision time.

* Units are erased: quantities are plain numbers in base units; ratios are
  applied as ``x * 18 / 10000`` so integer arithmetic stays exact.
* Missing values are ``None``: comparisons with a missing value are false,
  arithmetic with one gives ``None`` (docs/language.md, “缺失的值”).
* Each field is read once per decision, just before the first rule that
  needs it.
* Rules are indexed: where enough rules test one field for a constant
  (``target.level == street``, ``task.category == "招商引资"``), they move into
  per-value functions picked with one dict lookup, so a decision evaluates the
  rules that can apply, not all of them.
* ``explain`` compiles a second variant that records, per rule, whether it
  fired and the value of every field, function call and lookup it saw.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Optional

from . import nodes as n
from .checker import Checked, RuleInfo, StandardInfo, literal_value
from .effects import EFFECT_BIT
from .functions import date_add, date_diff
from .types import DATE, ArrayOf, ListRef, RangeOf, SetOf
from .visitor import NodeVisitor

# the generated code's name for the bit of each effect: ``effects |= REJECT``
EFFECT_NAME = {kind: kind.upper() for kind in EFFECT_BIT}
INDEX_MIN_RULES = 12   # below this a linear scan is as fast as a lookup
INDEX_MAX_DEPTH = 3
ROOT_VARS = {"task": "T", "target": "G", "history": "H", "today": "D", "source": "S", "unit": "U"}


def _get(obj, key):
    """Field of a nested object; None when the object is missing or not one."""
    return obj.get(key) if isinstance(obj, dict) else None


def _rec(seen: dict, label: str, value):
    seen[label] = value
    return value


@dataclass
class CompiledPack:
    decide: Callable  # (T, G, H, D, S) -> (fired rule indexes, effects that fired as bits)
    standards: dict[str, Callable]  # name -> (U) -> dict of measures + "compliant"
    source: str  # the generated Python of decide and the standards, for inspection
    reads: dict[str, set[str]]  # root -> fields read by the rules (for input errors)
    index_paths: list[str]  # discriminating fields chosen, outermost first
    make_explain: Callable[[], Callable] = field(repr=False, default=None)
    _explain: Optional[Callable] = field(repr=False, default=None)

    @property
    def explain(self) -> Callable:
        """(T, G, H, D, S, A) -> (fired, effects, trace); generated on first use —
        most packs are never explained, and it doubles the generated code."""
        if self._explain is None:
            self._explain = self.make_explain()
        return self._explain


@dataclass
class _Ctx:
    trace: bool = False
    hoist: Optional[dict] = None  # (root, field) -> local name, when hoisting
    hoist_lines: Optional[list] = None
    vars: dict = field(default_factory=dict)  # quantifier variable -> python name


class Compiler(NodeVisitor):
    """Generates the pack's module; as a visitor, the source of each expression."""

    def __init__(self, checked: Checked, source_text: Callable[[n.Span], str]):
        self.c = checked
        self.source_text = source_text
        self.ns: dict[str, Any] = {"_get": _get, "_rec": _rec, "_date_add": date_add,
                                   "_date_diff": date_diff,
                                   **{EFFECT_NAME[kind]: bit for kind, bit in EFFECT_BIT.items()}}
        self._const_ids: dict[Any, str] = {}
        self._names = itertools.count()
        self.reads: dict[str, set[str]] = {}
        self.index_paths: list[str] = []
        self._pending_tables: list[tuple[str, dict]] = []

    # -------------------------------------------------------------- helpers
    def fresh(self, prefix: str = "_v") -> str:
        return f"{prefix}{next(self._names)}"

    def const(self, value, prefix: str = "C") -> str:
        key = (type(value).__name__, value if not isinstance(value, dict) else id(value))
        name = self._const_ids.get(key)
        if name is None:
            name = self.fresh(prefix)
            self._const_ids[key] = name
            self.ns[name] = value
        return name

    def literal(self, value) -> str:
        if isinstance(value, Fraction):
            return str(value.numerator) if value.denominator == 1 else repr(float(value))
        if isinstance(value, (str, bool, int, float)) or value is None:
            return repr(value)
        if isinstance(value, frozenset):
            return self.const(frozenset(self.runtime(v) for v in value))
        raise AssertionError(value)

    @staticmethod
    def runtime(value):
        if isinstance(value, Fraction):
            return value.numerator if value.denominator == 1 else float(value)
        return value

    def type_of(self, e: n.Expr):
        return self.c.types.get(e)

    # -------------------------------------------------------------- expressions
    def expr(self, e: n.Expr, ctx: _Ctx) -> str:
        """Python source for ``e``; under explain, a leaf also records its value."""
        code = self.visit(e, ctx)
        if ctx.trace and _is_leaf(e, self.c):
            return f"_rec(_w, {self.source_text(e.span)!r}, {code})"
        return code

    # One visit_<Node>(e, ctx) per expression type: the Python source computing it.
    def visit_Number(self, e: n.Expr, ctx: _Ctx) -> str:
        return self.literal(literal_value(e, self.c.registry))

    visit_Ratio = visit_String = visit_Bool = visit_DateLit = visit_Number

    def visit_RangeLit(self, e: n.RangeLit, ctx: _Ctx) -> str:
        lo, hi = literal_value(e, self.c.registry)
        return f"({self.literal(lo)}, {self.literal(hi)})"

    def visit_Index(self, e: n.Index, ctx: _Ctx) -> str:
        lst = self.c.lists[self.type_of(e.obj).names[0]]
        table = {it["code"]: _item_value(it) for it in lst.items}
        return f"{self.const(table, 'I')}.get({self.expr(e.key, ctx)})"

    def visit_Call(self, e: n.Call, ctx: _Ctx) -> str:
        fn = self.c.registry.functions[e.func]
        fname = self.const(fn.impl, "F")
        return f"{fname}({', '.join(self.expr(a, ctx) for a in e.args)})"

    def visit_SetLit(self, e: n.SetLit, ctx: _Ctx) -> str:
        values = [static_value(i, self.c) for i in e.items]
        if all(v is not NOT_STATIC for v in values):
            return self.const(frozenset(self.runtime(v) for v in values))
        return "frozenset((" + ", ".join(self.expr(i, ctx) for i in e.items) + ",))"

    def visit_Neg(self, e: n.Neg, ctx: _Ctx) -> str:
        if isinstance(e.operand, (n.Number, n.Ratio)):
            return f"(-{self.visit(e.operand, ctx)})"
        v = self.fresh()
        return f"(None if ({v} := {self.expr(e.operand, ctx)}) is None else -{v})"

    def visit_Not(self, e: n.Not, ctx: _Ctx) -> str:
        return f"(not {self.expr(e.operand, ctx)})"

    def visit_BoolOp(self, e: n.BoolOp, ctx: _Ctx) -> str:
        return "(" + f" {e.op} ".join(self.expr(x, ctx) for x in e.operands) + ")"

    def visit_Name(self, e: n.Name, ctx: _Ctx) -> str:
        kind, name = self.c.bindings[e]
        if kind == "var":
            return ctx.vars[name]
        if kind == "measure":
            return f"M[{name!r}]"
        if kind == "root":
            self.reads.setdefault(name, set())
            return ROOT_VARS[name]
        if kind == "symbol":
            return repr(name)
        if kind == "param":
            p = self.c.params[name]
            if isinstance(p.type, RangeOf):
                return f"({self.literal(p.value[0])}, {self.literal(p.value[1])})"
            return self.literal(p.value)
        if kind == "list":
            return self.const(self.c.lists[name].codes)
        raise AssertionError(kind)

    def visit_Attr(self, e: n.Attr, ctx: _Ctx) -> str:
        obj_t = self.type_of(e.obj)
        if isinstance(obj_t, RangeOf):
            return f"{self.expr(e.obj, ctx)}[{0 if e.name == 'min' else 1}]"
        if isinstance(e.obj, n.Name) and self.c.bindings.get(e.obj, ("",))[0] == "root":
            root = e.obj.id
            self.reads.setdefault(root, set()).add(e.name)
            default = None
            if root == "history":
                fact = self.c.registry.history.get(e.name)
                default = fact.default if fact else None
            access = f"{ROOT_VARS[root]}.get({e.name!r}{', ' + repr(default) if default is not None else ''})"
            if ctx.hoist is not None and not ctx.trace and root != "unit":
                key = (root, e.name)
                local = ctx.hoist.get(key)
                if local is None:
                    local = ctx.hoist[key] = self.fresh("_f")
                    ctx.hoist_lines.append(f"{local} = {access}")
                return local
            return access
        return f"_get({self.expr(e.obj, ctx)}, {e.name!r})"

    def visit_Quantifier(self, e: n.Quantifier, ctx: _Ctx) -> str:
        seq = f"({self.expr(e.iterable, ctx)} or ())"
        var = self.fresh("_q")
        inner = _Ctx(ctx.trace, ctx.hoist, ctx.hoist_lines, {**ctx.vars, e.var: var})
        if e.body is None:
            return f"len({seq})"
        body = self.expr(e.body, inner)
        if e.kind == "any":
            return f"any({body} for {var} in {seq})"
        if e.kind == "all":
            return f"all({body} for {var} in {seq})"
        if e.kind == "count":
            return f"sum(1 for {var} in {seq} if {body})"
        t = self.fresh()
        return f"sum({t} for {var} in {seq} if ({t} := {body}) is not None)"

    def _nullsafe(self, parts: list[tuple[n.Expr, str]], build: Callable[[list[str]], str],
                  on_null: str) -> str:
        """Evaluate each operand once; give ``on_null`` if any is missing."""
        checks, names = [], []
        for node, code in parts:
            if static_value(node, self.c) is not NOT_STATIC:
                names.append(code)
                continue
            v = self.fresh()
            checks.append(f"({v} := {code}) is None")
            names.append(v)
        if not checks:
            return build(names)
        if on_null == "False":
            return "(not (" + " or ".join(checks) + f") and {build(names)})"
        return f"({on_null} if " + " or ".join(checks) + f" else {build(names)})"

    def visit_Arith(self, e: n.Arith, ctx: _Ctx) -> str:
        lt, rt = self.type_of(e.left), self.type_of(e.right)
        if isinstance(lt, ListRef) or isinstance(lt, SetOf):
            left, right = static_value(e.left, self.c), static_value(e.right, self.c)
            if left is not NOT_STATIC and right is not NOT_STATIC:
                return self.const(frozenset(left) | frozenset(right))
            return f"({self.expr(e.left, ctx)} | {self.expr(e.right, ctx)})"
        left_c, right_c = self.expr(e.left, ctx), self.expr(e.right, ctx)
        if lt == DATE and rt == DATE:
            return f"_date_diff({left_c}, {right_c})"
        if lt == DATE:
            sign = "" if e.op == "+" else "-"
            return self._nullsafe([(e.right, right_c)], lambda v: f"_date_add({left_c}, {sign}{v[0]})", "None")
        if rt == DATE:
            return f"_date_add({right_c}, {left_c})"
        op = e.op
        right_static = static_value(e.right, self.c)
        if op in "*/" and isinstance(right_static, Fraction) and right_static.denominator != 1:
            # keep integer arithmetic exact: x * 18 / 10000, not x * 0.0018
            p, q = right_static.numerator, right_static.denominator
            if op == "/":
                p, q = q, p
            return self._nullsafe([(e.left, left_c)], lambda v: f"({v[0]} * {p} / {q})", "None")
        return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                              lambda v: f"({v[0]} {op} {v[1]})", "None")

    def visit_Compare(self, e: n.Compare, ctx: _Ctx) -> str:
        op = e.op
        left_c = self.expr(e.left, ctx)
        if op in ("==", "!="):
            return f"({left_c} {op} {self.expr(e.right, ctx)})"
        if op in ("<", "<=", ">", ">="):
            right_c = self.expr(e.right, ctx)
            return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                                  lambda v: f"({v[0]} {op} {v[1]})", "False")
        if op in ("in", "not in"):
            rt = self.type_of(e.right)
            right_c = self.expr(e.right, ctx)
            if isinstance(rt, RangeOf):  # ranges are always static (literals or params)
                lo, hi = (self.literal(x) for x in static_value(e.right, self.c))
                test = self._nullsafe([(e.left, left_c)], lambda v: f"({lo} <= {v[0]} <= {hi})", "False")
            elif isinstance(rt, ArrayOf) or (isinstance(rt, SetOf) and static_value(e.right, self.c) is NOT_STATIC
                                              and not isinstance(e.right, n.SetLit)):
                test = f"({left_c} in ({right_c} or ()))"
            else:
                test = f"({left_c} in {right_c})"
            return f"(not {test})" if op == "not in" else test
        # contains
        lt = self.type_of(e.left)
        right_c = self.expr(e.right, ctx)
        if isinstance(lt, (ArrayOf, SetOf)):
            return f"({right_c} in ({left_c} or ()))"
        return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                              lambda v: f"({v[1]} in {v[0]})", "False")

    # -------------------------------------------------------------- rules
    def _rule_lines(self, rule: RuleInfo, cond: Optional[n.Expr], ctx: _Ctx, indent: str) -> list[str]:
        fire = f"F.append({rule.index}); effects |= {EFFECT_NAME[rule.effect.kind]}"
        if cond is None or (isinstance(cond, n.Bool) and cond.value):
            return [indent + fire]
        ctx.hoist_lines = []
        test = self.expr(cond, ctx)
        lines = [indent + line for line in ctx.hoist_lines]
        lines += [f"{indent}if {test}:", f"{indent}    {fire}"]
        return lines

    def _emit_rules(self, rules: list[tuple[RuleInfo, Optional[n.Expr]]], fname: str, depth: int,
                    out: list[str]) -> None:
        """Emit ``def fname(T, G, H, D, S, F) -> effects`` for ``rules`` (in order)."""
        plan = _choose_index(rules, self.c) if depth < INDEX_MAX_DEPTH and len(rules) >= INDEX_MIN_RULES else None
        body: list[str] = []
        ctx = _Ctx(hoist={}, hoist_lines=[])
        if plan is None:
            for rule, cond in rules:
                body += self._rule_lines(rule, cond, ctx, "    ")
        else:
            path, buckets, rest = plan
            self.index_paths.append(path)
            if len(rest) >= INDEX_MIN_RULES:  # the rules this field cannot index may split on another
                sub = self.fresh("_rest")
                self._emit_rules(rest, sub, depth + 1, out)
                body.append(f"    effects |= {sub}(T, G, H, D, S, F)")
            else:
                for rule, cond in rest:
                    body += self._rule_lines(rule, cond, ctx, "    ")
            table = {}
            for value, members in buckets.items():
                sub = self.fresh("_bucket")
                self._emit_rules(members, sub, depth + 1, out)
                table[value] = sub
            root, fld = path.split(".", 1)
            key_local = ctx.hoist.get((root, fld))
            key = key_local or f"{ROOT_VARS[root]}.get({fld!r})"
            self.reads.setdefault(root, set()).add(fld)
            tname = self.fresh("_index")
            self.ns[tname] = None  # filled after the bucket functions exist
            self._pending_tables.append((tname, table))
            body += [f"    _b = {tname}.get({key})",
                     "    if _b is not None:",
                     "        effects |= _b(T, G, H, D, S, F)"]
        out += [f"def {fname}(T, G, H, D, S, F):", "    effects = 0", *body, "    return effects", ""]

    def _explain_function(self, rules: list[RuleInfo]) -> list[str]:
        # A[0] names the rule being evaluated, so an error can say which rule failed
        lines = ["def explain(T, G, H, D, S, A):", "    F = []", "    effects = 0", "    TR = []"]
        for rule in rules:
            ctx = _Ctx(trace=True)
            lines += [f"    A[0] = {rule.index}", "    _w = {}"]
            if rule.when is None:
                lines.append("    _c = True")
            else:
                lines.append(f"    _c = bool({self.expr(rule.when, ctx)})")
            lines += [f"    TR.append(({rule.index}, _c, _w))",
                      f"    if _c: F.append({rule.index}); effects |= {EFFECT_NAME[rule.effect.kind]}"]
        lines += ["    return F, effects, TR", ""]
        return lines

    # -------------------------------------------------------------- standards
    def _standard_function(self, s: StandardInfo, fname: str) -> list[str]:
        ctx = _Ctx()
        lines = [f"def {fname}(U):", "    T = G = H = S = None", "    D = None", "    M = {}"]
        if s.where is not None:
            lines.append(f"    if not ({self.expr(s.where, ctx)}): return None")
        for name, _title, value, _t in s.measures:
            lines.append(f"    M[{name!r}] = {self.expr(value, ctx)}")
        failed = []
        for i, x in enumerate(s.expects):
            lines.append(f"    _e{i} = bool({self.expr(x.condition, ctx)})")
            failed.append(i)
        lines.append("    M['compliant'] = " + (" and ".join(f"_e{i}" for i in failed) or "True"))
        lines.append("    M['failed'] = [i for i, ok in enumerate((" + "".join(f"_e{i}, " for i in failed)
                     + ")) if not ok]")
        lines += ["    return M", ""]
        return lines

    # -------------------------------------------------------------- module
    def compile(self) -> CompiledPack:
        out: list[str] = ["# generated by jiceng.dsl.compiler — do not edit", ""]
        rules = [(r, r.when) for r in self.c.rules]
        self._emit_rules(rules, "_all", 0, out)
        out += ["def decide(T, G, H, D, S):", "    F = []", "    effects = _all(T, G, H, D, S, F)",
                "    if len(F) > 1: F.sort()", "    return F, effects", ""]
        std_names = {}
        for s in self.c.standards:
            fname = self.fresh("_standard")
            std_names[s.name] = fname
            out += self._standard_function(s, fname)
        source = "\n".join(out)
        code = compile(source, f"<jiceng pack {self.c.linked.tenant}>", "exec")
        ns = dict(self.ns)
        exec(code, ns)  # noqa: S102 - our own generated code, no user text is executed
        for tname, table in self._pending_tables:
            ns[tname] = {value: ns[fn] for value, fn in table.items()}
        return CompiledPack(ns["decide"], {k: ns[v] for k, v in std_names.items()},
                            source, self.reads, self.index_paths, self._compile_explain)

    def _compile_explain(self) -> Callable:
        source = "\n".join(self._explain_function(self.c.rules))
        ns = dict(self.ns)
        exec(compile(source, f"<jiceng explain {self.c.linked.tenant}>", "exec"), ns)  # noqa: S102
        return ns["explain"]


# ------------------------------------------------------------------ analysis
class _NotStatic:
    pass


NOT_STATIC = _NotStatic()


class _StaticValue(NodeVisitor):
    """See :func:`static_value`; any other node has no compile-time value."""

    def _literal(self, e: n.Expr, c: Checked):
        return literal_value(e, c.registry)

    visit_Number = visit_Ratio = visit_String = visit_Bool = visit_DateLit = visit_RangeLit = _literal

    def visit_Name(self, e: n.Name, c: Checked):
        b = c.bindings.get(e)
        if b is None:
            return NOT_STATIC
        if b[0] == "symbol":
            return b[1]
        if b[0] == "param":
            return c.params[b[1]].value
        if b[0] == "list":
            return c.lists[b[1]].codes
        return NOT_STATIC

    def visit_Neg(self, e: n.Neg, c: Checked):
        v = self.visit(e.operand, c)
        return -v if isinstance(v, Fraction) else NOT_STATIC

    def visit_SetLit(self, e: n.SetLit, c: Checked):
        vs = [self.visit(i, c) for i in e.items]
        return NOT_STATIC if any(v is NOT_STATIC for v in vs) else frozenset(vs)

    def visit_Arith(self, e: n.Arith, c: Checked):
        if e.op == "+":  # list or set union
            a, b = self.visit(e.left, c), self.visit(e.right, c)
            if isinstance(a, frozenset) and isinstance(b, frozenset):
                return a | b
        return NOT_STATIC

    def generic_visit(self, e: n.Expr, c: Checked):
        return NOT_STATIC


_STATIC_VALUE = _StaticValue()


def static_value(e: n.Expr, c: Checked):
    """The compile-time value of ``e`` if it has one (literals, params,
    enum symbols, list codes), else ``NOT_STATIC``. Used by every backend
    (this compiler and ``columnar``) so constants mean the same everywhere."""
    return _STATIC_VALUE.visit(e, c)


def _is_leaf(e: n.Expr, c: Checked) -> bool:
    """What explain records: reads of input, function results, lookups."""
    if isinstance(e, n.Attr):
        return not isinstance(c.types.get(e.obj), RangeOf)
    return isinstance(e, (n.Call, n.Quantifier, n.Index))


def _item_value(item: dict) -> dict:
    return {"code": item["code"], "name": item["name"], "kind": item["kind"],
            "requires": frozenset(item["requires"]), **item["attrs"]}


def _discriminator(cond: Optional[n.Expr], c: Checked):
    """(path, values, remaining condition) for each top-level conjunct that
    tests a field against constants."""
    if cond is None:
        return []
    conjuncts = list(cond.operands) if isinstance(cond, n.BoolOp) and cond.op == "and" else [cond]
    found = []
    for i, x in enumerate(conjuncts):
        if not isinstance(x, n.Compare) or x.op not in ("==", "in"):
            continue
        left, right = x.left, x.right
        path = _root_path(left, c)
        if path is None and x.op == "==":
            left, right = right, left
            path = _root_path(left, c)
        if path is None:
            continue
        value = static_value(right, c)
        if value is NOT_STATIC:
            continue
        if x.op == "==":
            values = {value}
        elif isinstance(right, n.SetLit) or isinstance(c.types.get(right), ListRef):
            values = set(value)
        else:
            continue
        if not all(isinstance(v, str) for v in values):
            continue
        rest = conjuncts[:i] + conjuncts[i + 1:]
        if not rest:
            remaining = None
        elif len(rest) == 1:
            remaining = rest[0]
        else:
            # a new node the checker never saw: nothing reads its own type (only its operands')
            remaining = n.BoolOp(cond.span, "and", tuple(rest))
        found.append((path, values, remaining))
    return found


def _root_path(e: n.Expr, c: Checked) -> Optional[str]:
    if isinstance(e, n.Attr) and isinstance(e.obj, n.Name) \
            and c.bindings.get(e.obj) == ("root", e.obj.id) and e.obj.id in ("task", "target"):
        return f"{e.obj.id}.{e.name}"
    return None


def _choose_index(rules, c: Checked):
    """Pick the field whose constant tests split ``rules`` best: the one that
    minimises the rules a decision still evaluates (unindexed + an average
    bucket). Returns (path, {value: [(rule, remaining cond)]}, unindexed)."""
    by_path: dict[str, dict[int, tuple]] = {}
    for pos, (_rule, cond) in enumerate(rules):
        for path, values, remaining in _discriminator(cond, c):
            by_path.setdefault(path, {}).setdefault(pos, (values, remaining))
    best = None
    for path, hits in by_path.items():
        buckets: dict[str, list] = {}
        for pos, (values, _) in hits.items():
            for v in values:
                buckets.setdefault(v, []).append(pos)
        unindexed = len(rules) - len(hits)
        # the key takes one of the bucket values, or another (no bucket at all)
        cost = unindexed + sum(len(b) for b in buckets.values()) / (len(buckets) + 1)
        if cost < len(rules) - 3 and (best is None or cost < best[0]):
            best = (cost, path, hits, buckets)
    if best is None:
        return None
    _, path, hits, buckets = best
    out = {v: [(rules[pos][0], hits[pos][1]) for pos in members] for v, members in buckets.items()}
    rest = [rules[pos] for pos in range(len(rules)) if pos not in hits]
    return path, out, rest


def compile_checked(checked: Checked, source_text: Callable[[n.Span], str]) -> CompiledPack:
    return Compiler(checked, source_text).compile()
