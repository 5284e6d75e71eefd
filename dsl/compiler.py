"""Compile a checked pack into Python source, then into functions.

The generated module is what runs: ``decide(T, G, H, D, S)`` evaluates every
active rule over the task ``T``, target facts ``G``, history ``H``, decision
date ``D`` and source unit ``S``, and returns ``(fired, effects, unknown)``:
the indexes of the rules that fired and of those whose condition was unknown,
and ``effects``, the set of outcomes as bits (``effects |= REJECT``;
:data:`.effects.EFFECT_BIT`), which :data:`.effects.DECISION_OF` turns into
the decision. No AST is walked at decision time.

* Units are erased: quantities are plain numbers in base units; ratios are
  applied as ``x * 18 / 10000`` so integer arithmetic stays exact.
* Rules use three-valued (Kleene) logic; ``None`` is *unknown*. A fact that is
  missing (absent or null) is unknown unless the task form gives it a
  ``default``; comparisons, arithmetic, ``in``, ``contains`` and function calls
  over an unknown operand are unknown (``present``/``missing`` excepted: they
  are how a rule tests absence); ``not U = U``; ``U and F = F``, ``U or T = T``;
  ``any``/``all``/``count``/``sum`` over a missing array are unknown.
  A rule whose condition is unknown does not fire: it is reported as unknown.
* Standards keep the two-valued null-safe rules the columnar backend mirrors
  (a comparison with a missing value is false, ``not`` of it true): they
  describe registry data in reports, they do not decide (``_Ctx.kleene``).
* A rule function reads each fact its rules need once, first. When all are
  present it runs plain two-valued code: the checks for unknown operands run
  only when a fact is missing — then in the function's variant for that set of
  missing facts (``_Variants``, compiled on first use): plain code for the rules
  whose facts are present, three-valued code inline for the others. Past
  ``MISSING_VARIANTS`` sets, a generic variant tests rule by rule.
* Rules are indexed: where enough rules test one field for a constant
  (``target.level == street``, ``task.category == "招商引资"``), they move into
  per-value functions picked with one dict lookup, so a decision evaluates the
  rules that can apply, not all of them; when that field is unknown, a
  function of its own reports the indexed rules that are unknown.
* ``explain`` compiles a second variant that records, per rule, whether it
  fired (true, false, or null for unknown) and the value of every field,
  function call and lookup it saw.
"""
from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Optional

from . import nodes as n
from .checker import Checked, RuleInfo, StandardInfo, literal_value
from .effects import EFFECT_BIT, holds_decision
from .functions import date_add, date_diff
from .items import item_value, items_table
from .types import ANY, BOOL, DATE, STR, ArrayOf, Enum, ListRef, Num, RangeOf, Record, SetOf, Vocab
from .visitor import NodeVisitor, iter_child_nodes
from .vocabulary import VOCABULARY_KINDS, Vocabulary

# the generated code's name for the bit of each outcome: ``effects |= REJECT``
EFFECT_NAME = {kind: kind.upper() for kind in EFFECT_BIT}
INDEX_MIN_RULES = 12   # below this a linear scan is as fast as a lookup
INDEX_MAX_DEPTH = 3
#: variants of one rule function kept per set of missing facts (see _Variants); past them, the
#: function's generic guarded variant runs (its rules test which of their facts are missing)
MISSING_VARIANTS = 32
ROOT_VARS = {"task": "T", "target": "G", "history": "H", "today": "D", "source": "S", "unit": "U"}
#: the roots whose fields are input facts: missing ⇒ unknown
FACT_ROOTS = ("task", "target", "source", "history")
RULE_ARGS = "T, G, H, D, S, F, Q"  # Q: the unknown rules, as F holds the fired ones


def _get(obj, key):
    """Field of a nested object; None when the object is missing or not one."""
    return obj.get(key) if isinstance(obj, dict) else None


def _rec(seen: dict, label: str, value):
    seen[label] = value
    return value


# Three-valued helpers for the generated code: None is unknown. Only
# quantifiers and membership in data that may hold unknowns call them; and,
# or and not are inlined.
def _any3(values):
    """Kleene ``or`` over ``values``."""
    unknown = False
    for v in values:
        if v:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def _all3(values):
    """Kleene ``and`` over ``values``."""
    unknown = False
    for v in values:
        if v is None:
            unknown = True
        elif not v:
            return False
    return None if unknown else True


def _count3(values):
    """How many ``values`` hold; unknown if any is."""
    count = 0
    for v in values:
        if v is None:
            return None
        if v:
            count += 1
    return count


def _sum3(values):
    """The sum of ``values``; unknown if any is."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _in3(x, seq):
    """``x in seq`` when ``seq`` comes from the input: ``x == a or x == b …``,
    so an unknown member makes a miss unknown."""
    if x is None or seq is None:
        return None
    if x in seq:
        return True
    return None if None in seq else False


def _inlist(keys, by_level, x, level):
    """``x in`` lists whose items limited to levels (``levels 村``) count only at
    the target's level: unknown when that level is and ``x`` is such an item."""
    if x is None:
        return None
    if x in keys:
        return True
    if level is None:
        return None if any(x in s for s in by_level.values()) else False
    found = by_level.get(level)
    return found is not None and x in found


def _within3(vocabulary, x, members):
    """``x in members`` for a vocabulary value ``x`` (canonical) and members read
    from the input: ``x`` or one of its ancestors is a member."""
    if x is None or members is None:
        return None
    codes = {vocabulary.resolve(m) or m for m in members if m is not None}
    if any(a in codes for a in vocabulary.ancestors(x)):
        return True
    return None if None in members else False


class _Lazy(dict):
    """Functions compiled on first use, by name: the three-valued code of a rule
    (run only when a fact it reads is missing) and an index's unknown-field
    function. Most are never needed; compiling them up front would double the
    compile time and the size of the functions the hot path calls.

    A compiled pack is shared by a worker's threads, and the compiler's state is not for two
    of them at once (one thread copying its constants while another added to them failed a
    check with "dictionary changed size during iteration"): a miss compiles under ``lock``,
    the compiler's own; a hit takes no lock."""

    def __init__(self, lock: threading.RLock):
        super().__init__()
        self.makers: dict[str, Callable[[], Callable]] = {}
        self._lock = lock

    def __missing__(self, name: str) -> Callable:
        with self._lock:
            fn = dict.get(self, name)  # compiled by another thread while this one waited
            if fn is None:
                fn = self[name] = self.makers[name]()
        return fn


class _Variants(dict):
    """A rule function's variants by the set of its facts that are missing, as a bit mask (bit
    ``i``: the ``i``-th fact its plain variant checks). Each is compiled on first use knowing
    which facts are missing and that the others are present, so it runs plain code where it
    can and the three-valued code inline, with no call per rule: senders leave out the same
    optional fields again and again, so a few masks cover nearly every decision. Past
    :data:`MISSING_VARIANTS` masks, ``generic`` (the guarded variant, which tests the mask
    rule by rule) answers the rest. Compiled under ``lock``, as :class:`_Lazy`."""

    def __init__(self, lock: threading.RLock, make: Callable[[int], Callable], generic: Callable[[], Callable]):
        super().__init__()
        self._lock, self._make, self._generic = lock, make, generic
        self._made = 0

    def __missing__(self, mask: int) -> Callable:
        with self._lock:
            fn = dict.get(self, mask)
            if fn is None:
                if self._made < MISSING_VARIANTS:
                    self._made += 1
                    fn = self._make(mask)
                else:
                    fn = self._generic()
                self[mask] = fn
        return fn


class _HistoryMissing(Exception):
    """The generated code's signal that ``H`` lacks a history fact the rules read."""


@dataclass
class CompiledPack:
    decide: Callable  # (T, G, H, D, S) -> (fired, effects as bits, unknown)
    standards: dict[str, Callable]  # name -> (U) -> dict of measures + "compliant"
    source: str  # the generated Python of decide and the standards, for inspection
    reads: dict[str, set[str]]  # root -> fields read by the rules (for input errors)
    index_paths: list[str]  # discriminating fields chosen, outermost first
    rule_paths: Callable[[int], tuple] = None  # rule index -> the fact paths its condition reads
    exports: dict[str, Callable] = field(default_factory=dict)  # standard -> (U) -> {target fact: value} | None
    make_explain: Callable[[], Callable] = field(repr=False, default=None)
    _explain: Optional[Callable] = field(repr=False, default=None)

    @property
    def explain(self) -> Callable:
        """(T, G, H, D, S, A) -> (fired, effects, unknown, trace); generated on first
        use — most packs are never explained, and it doubles the generated code."""
        if self._explain is None:
            self._explain = self.make_explain()
        return self._explain


class _EveryFact:
    """``known`` of a function's plain variant: every fact it reads is present
    (the function checked them all before running it) — but ``missing``, in
    its variant for those facts missing (:class:`_Variants`)."""

    def __init__(self, missing: frozenset = frozenset()):
        self.missing = missing

    def __contains__(self, fact) -> bool:
        return fact not in self.missing


EVERY_FACT = _EveryFact()


@dataclass
class _Ctx:
    trace: bool = False
    hoist: Optional[dict] = None  # (root, field) -> local name, when hoisting
    hoist_lines: Optional[list] = None
    vars: dict = field(default_factory=dict)  # quantifier variable -> python name
    kleene: bool = True  # three-valued (rules) or the standards' two-valued null-safe rules
    known: frozenset = frozenset()  # (root, field) reads this branch knows are present
    bits: Optional[dict] = None  # (root, field) -> its bit in ``_m``, set when the hoisted read is missing
    given: Optional[dict] = None  # (root, field) -> the parameter holding the value a caller already read

    def inner(self, **changes) -> "_Ctx":
        return _Ctx(**{**self.__dict__, **changes})


class Compiler(NodeVisitor):
    """Generates the pack's module; as a visitor, the source of each expression."""

    def __init__(self, checked: Checked, source_text: Callable[[n.Span], str]):
        self.c = checked
        self.source_text = source_text
        self.ns: dict[str, Any] = {"_get": _get, "_rec": _rec, "_date_add": date_add, "_date_diff": date_diff,
                                   "_any3": _any3, "_all3": _all3, "_count3": _count3, "_sum3": _sum3,
                                   "_in3": _in3, "_within3": _within3, "_inlist": _inlist, "_HistoryMissing": _HistoryMissing,
                                   **{EFFECT_NAME[kind]: bit for kind, bit in EFFECT_BIT.items()}}
        self._const_ids: dict[Any, str] = {}
        self._merged: dict[frozenset, str] = {}  # see _merged_levels
        self._names = itertools.count()
        self.reads: dict[str, set[str]] = {}
        self.index_paths: list[str] = []
        self._pending_tables: list[tuple[str, dict]] = []
        self.defaults = dict(checked.task_form.defaults)
        self.vocabularies = {name: Vocabulary.from_items(name, info.kind, info.items)
                             for name, info in checked.lists.items() if info.kind in VOCABULARY_KINDS}
        self._maybe = _MaybeNone(self)
        self._unknown = _Unknown(self)
        self._lock = threading.RLock()  # what is compiled after compile(): one thread at a time
        self.lazy = _Lazy(self._lock)
        self.ns["_L"] = self.lazy
        self._module_ns: Optional[dict] = None  # the generated module's globals, once compiled

    # -------------------------------------------------------------- helpers
    def fresh(self, prefix: str = "_v") -> str:
        return f"{prefix}{next(self._names)}"

    def const(self, value, prefix: str = "C") -> str:
        key = (type(value).__name__, value if not isinstance(value, (dict, Vocabulary)) else id(value))
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

    def maybe(self, e: n.Expr, ctx: _Ctx) -> bool:
        """Can ``e`` be unknown (None) in ``ctx``? Only a rule's three-valued code asks."""
        return self._maybe.visit(e, ctx.known)

    def unknown(self, e: n.Expr, ctx: _Ctx) -> bool:
        """Is ``e`` unknown whatever the input, in ``ctx``? Only in a variant for missing facts."""
        missing = getattr(ctx.known, "missing", None)
        return bool(missing) and ctx.kleene and not ctx.trace and self._unknown.visit(e, missing)

    def vocabulary_of(self, e: n.Expr) -> Optional[Vocabulary]:
        """The vocabulary of a task field bound to one (``x-vocabulary``), read as ``e``."""
        t = self.type_of(e)
        return self.vocabularies.get(t.vocabulary) if isinstance(t, Vocab) else None

    def canonical(self, voc: Vocabulary, values) -> frozenset:
        """The canonical codes of ``values`` (spellings), and every code below them:
        ``x in values`` of a vocabulary value is one lookup in this set (``within``)."""
        codes = {voc.resolve(v) or v for v in values}
        return frozenset(code for code in voc.terms if any(a in codes for a in voc.ancestors(code)))

    # -------------------------------------------------------------- reading facts
    def read_code(self, root: str, fld: str) -> str:
        """The expression reading ``root.fld``: its form default when missing; for a
        vocabulary field, its canonical code (None when it names no entry)."""
        access = f"{ROOT_VARS[root]}.get({fld!r})"
        if root != "task":
            return access
        if fld in self.defaults:
            v = self.fresh()
            access = f"({v} if ({v} := {access}) is not None else {self.const_value(self.defaults[fld])})"
        voc = self.field_vocabulary(fld)
        if voc is not None:
            access = f"{self.const(voc, 'V')}.resolve({access})"
        return access

    def field_vocabulary(self, fld: str) -> Optional[Vocabulary]:
        """The vocabulary a task field is bound to (``x-vocabulary``), if any."""
        return self.vocabularies.get(self.c.task_form.vocabularies.get(fld))

    def never_missing(self, root: str, fld: str) -> bool:
        """A task field with a form default, not bound to a vocabulary (whose
        entries the value may fail to name), always reads as known."""
        return root == "task" and fld in self.defaults and self.field_vocabulary(fld) is None

    def const_value(self, value) -> str:
        if isinstance(value, (str, bool, int, float)) or value is None:
            return repr(value)
        return self.const(value)

    def root_read(self, root: str, fld: str, ctx: _Ctx) -> str:
        self.reads.setdefault(root, set()).add(fld)
        access = self.read_code(root, fld)
        if ctx.hoist is not None and not ctx.trace and root != "unit":
            key = (root, fld)
            local = ctx.hoist.get(key)
            if local is None:
                if ctx.given and key in ctx.given:  # a parameter holds it already: no copy
                    local = ctx.hoist[key] = ctx.given[key]
                else:
                    local = ctx.hoist[key] = self.fresh("_f")
                    ctx.hoist_lines.append(f"{local} = {access}")
                if ctx.bits is not None and root in FACT_ROOTS and not self.never_missing(root, fld):
                    bit = ctx.bits[key] = 1 << len(ctx.bits)
                    ctx.hoist_lines.append(f"if {local} is None: _m |= {bit}")
            return local
        return access

    # -------------------------------------------------------------- expressions
    def expr(self, e: n.Expr, ctx: _Ctx) -> str:
        """Python source for ``e``; under explain, a leaf also records its value."""
        if self.unknown(e, ctx):
            return "None"
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
        table = items_table(lst.items, lst.item_type)
        tname = self.const(table, "I")
        key = self.expr(e.key, ctx)
        if not ctx.kleene:
            return f"{tname}.get({key})"
        # pack data is never unknown: a code the list lacks finds the empty item
        empty = self.const(item_value({"code": "", "name": "", "kind": "", "requires": (), "attrs": {}},
                                       lst.item_type), "I")
        if not self.maybe(e.key, ctx):
            return f"{tname}.get({key}, {empty})"
        v = self.fresh()
        return f"(None if ({v} := {key}) is None else {tname}.get({v}, {empty}))"

    def visit_Call(self, e: n.Call, ctx: _Ctx) -> str:
        fn = self.c.registry.functions[e.func]
        fname = self.const(fn.impl, "F")
        if not ctx.kleene or fn.total:
            return f"{fname}({', '.join(self.expr(a, ctx) for a in e.args)})"
        return self._nullsafe([(a, self.expr(a, ctx)) for a in e.args],
                              lambda v: f"{fname}({', '.join(v)})", "None", ctx)

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
        code = self.expr(e.operand, ctx)
        if not ctx.kleene or not self.maybe(e.operand, ctx):
            return f"(not {code})"
        v = self.fresh()
        return f"(None if ({v} := {code}) is None else not {v})"

    def visit_BoolOp(self, e: n.BoolOp, ctx: _Ctx) -> str:
        unknown = [self.unknown(x, ctx) for x in e.operands]
        if any(unknown):
            # an unknown operand leaves the others to say whether the answer is known:
            # ``U and x`` is false where x is, else unknown; ``U or x`` true where x is
            rest = tuple(x for x, u in zip(e.operands, unknown) if not u)
            rest = rest[0] if len(rest) == 1 else n.BoolOp(e.span, e.op, rest)
            code = self.expr(rest, ctx)
            if e.op == "or":
                return f"(True if {code} else None)"
            if not self.maybe(rest, ctx):
                return f"(None if {code} else False)"
            v = self.fresh()
            return f"(None if ({v} := {code}) or {v} is None else False)"
        codes = [self.expr(x, ctx) for x in e.operands]
        maybe = [ctx.kleene and self.maybe(x, ctx) for x in e.operands]
        if not any(maybe):
            return "(" + f" {e.op} ".join(codes) + ")"
        # Kleene as one flat chain (a 3,000-term condition must not nest): ``and``
        # stops at the first known-false operand, ``or`` at the first true one; past
        # the last operand, an unknown one makes the answer unknown.
        names = [self.fresh() if m else None for m in maybe]
        unknown = " or ".join(f"{v} is None" for v in names if v)
        if e.op == "and":
            terms = [f"(({v} := {code}) or {v} is None)" if v else code for v, code in zip(names, codes)]
            last = f"(None if {unknown} else True)"
        else:
            terms = [f"({v} := {code})" if v else code for v, code in zip(names, codes)]
            last = f"(None if {unknown} else False)"
        return "(" + f" {e.op} ".join(terms + [last]) + ")"

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
            return self.list_value((name,))
        raise AssertionError(kind)

    def list_value(self, names) -> str:
        """Every spelling of every item of lists ``names``, whatever its levels."""
        keys, by_level = self.c.list_keys(names)
        return self.const(keys.union(*by_level.values()))

    def visit_KindRef(self, e: n.KindRef, ctx: _Ctx) -> str:
        return self.list_value(self.type_of(e).names)

    def visit_Attr(self, e: n.Attr, ctx: _Ctx) -> str:
        obj_t = self.type_of(e.obj)
        if isinstance(obj_t, RangeOf):
            return f"{self.expr(e.obj, ctx)}[{0 if e.name == 'min' else 1}]"
        if isinstance(e.obj, n.Name) and self.c.bindings.get(e.obj, ("",))[0] == "root":
            return self.root_read(e.obj.id, e.name, ctx)
        return f"_get({self.expr(e.obj, ctx)}, {e.name!r})"

    def visit_Quantifier(self, e: n.Quantifier, ctx: _Ctx) -> str:
        it = self.type_of(e.iterable)
        if isinstance(it, ListRef):  # the lists' items: pack data, never unknown
            seq_code = self.fresh("I")
            self.ns[seq_code] = self.c.item_values(it.names)
        else:
            seq_code = self.expr(e.iterable, ctx)
        var = self.fresh("_q")
        inner = ctx.inner(vars={**ctx.vars, e.var: var})
        if not ctx.kleene:
            seq = f"({seq_code} or ())"
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
        if not isinstance(it, ListRef) and self.maybe(e.iterable, ctx):
            s = self.fresh("_s")
            guard, seq = f"None if ({s} := {seq_code}) is None else ", s
        else:
            guard, seq = "", seq_code
        if e.body is None:
            return f"({guard}len({seq}))"
        body = self.expr(e.body, inner)
        plain = not self.maybe(e.body, inner)
        if e.kind == "any":
            call = f"any({body} for {var} in {seq})" if plain else f"_any3({body} for {var} in {seq})"
        elif e.kind == "all":
            call = f"all({body} for {var} in {seq})" if plain else f"_all3({body} for {var} in {seq})"
        elif e.kind == "count":
            call = f"sum(1 for {var} in {seq} if {body})" if plain else f"_count3({body} for {var} in {seq})"
        else:
            call = f"sum({body} for {var} in {seq})" if plain else f"_sum3({body} for {var} in {seq})"
        return f"({guard}{call})"

    def _nullsafe(self, parts: list[tuple[n.Expr, str]], build: Callable[[list[str]], str],
                  on_null: str, ctx: _Ctx) -> str:
        """Evaluate each operand once; give ``on_null`` if any is missing."""
        checks, names = [], []
        for node, code in parts:
            if static_value(node, self.c) is not NOT_STATIC or (ctx.kleene and not self.maybe(node, ctx)):
                names.append(code)
                continue
            if code.isidentifier():  # a local already (a hoisted read): test it as it is
                checks.append(f"{code} is None")
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
            left_c, right_c = self.expr(e.left, ctx), self.expr(e.right, ctx)
            if not ctx.kleene:
                return f"({left_c} | {right_c})"
            return self._nullsafe([(e.left, left_c), (e.right, right_c)], lambda v: f"({v[0]} | {v[1]})",
                                  "None", ctx)
        left_c, right_c = self.expr(e.left, ctx), self.expr(e.right, ctx)
        if lt == DATE and rt == DATE:
            return f"_date_diff({left_c}, {right_c})"
        if lt == DATE:
            sign = "" if e.op == "+" else "-"
            return self._nullsafe([(e.right, right_c)], lambda v: f"_date_add({left_c}, {sign}{v[0]})", "None", ctx)
        if rt == DATE:
            return f"_date_add({right_c}, {left_c})"
        op = e.op
        right_static = static_value(e.right, self.c)
        if op in "*/" and isinstance(right_static, Fraction) and right_static.denominator != 1:
            # keep integer arithmetic exact: x * 18 / 10000, not x * 0.0018
            p, q = right_static.numerator, right_static.denominator
            if op == "/":
                p, q = q, p
            return self._nullsafe([(e.left, left_c)], lambda v: f"({v[0]} * {p} / {q})", "None", ctx)
        return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                              lambda v: f"({v[0]} {op} {v[1]})", "None", ctx)

    def visit_Compare(self, e: n.Compare, ctx: _Ctx) -> str:
        op = e.op
        # an unknown operand makes a rule's comparison unknown; a standard's stays false
        on_null = "None" if ctx.kleene else "False"
        left_c = self.expr(e.left, ctx)
        if op in ("==", "!="):
            right_c = self._vocabulary_literal(e.left, e.right, ctx) or self.expr(e.right, ctx)
            left_c = self._vocabulary_literal(e.right, e.left, ctx) or left_c
            if not ctx.kleene:
                return f"({left_c} {op} {right_c})"
            return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                                  lambda v: f"({v[0]} {op} {v[1]})", on_null, ctx)
        if op in ("<", "<=", ">", ">="):
            right_c = self.expr(e.right, ctx)
            return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                                  lambda v: f"({v[0]} {op} {v[1]})", on_null, ctx)
        if op in ("in", "not in"):
            return self._membership(e, left_c, ctx)
        # contains
        lt = self.type_of(e.left)
        right_c = self.expr(e.right, ctx)
        if isinstance(lt, (ArrayOf, SetOf)):
            if ctx.kleene:
                return f"_in3({right_c}, {left_c})"
            return f"({right_c} in ({left_c} or ()))"
        return self._nullsafe([(e.left, left_c), (e.right, right_c)],
                              lambda v: f"({v[1]} in {v[0]})", on_null, ctx)

    def _vocabulary_literal(self, value: n.Expr, other: n.Expr, ctx: _Ctx) -> Optional[str]:
        """``other`` as a canonical code when ``value`` is a vocabulary field and
        ``other`` a constant spelling (``task.kind == 报表`` finds ``report``)."""
        voc = self.vocabulary_of(value)
        if voc is None:
            return None
        spelled = static_value(other, self.c)
        if not isinstance(spelled, str):
            return None
        return repr(voc.resolve(spelled) or spelled)

    def _membership(self, e: n.Compare, left_c: str, ctx: _Ctx) -> str:
        rt = self.type_of(e.right)
        negate = e.op == "not in"
        if isinstance(rt, ListRef) and self.c.list_keys(rt.names)[1]:
            return self._leveled_membership(e, rt, left_c, negate, ctx)
        right_static = static_value(e.right, self.c)
        voc = self.vocabulary_of(e.left)
        if voc is not None and isinstance(right_static, frozenset):
            # within: the value's canonical code or one of its ancestors is among them
            right_c = self.const(self.canonical(voc, right_static))
        else:
            right_c = self.expr(e.right, ctx)
        if not ctx.kleene:
            if isinstance(rt, RangeOf):  # ranges are always static (literals or params)
                lo, hi = (self.literal(x) for x in right_static)
                test = self._nullsafe([(e.left, left_c)], lambda v: f"({lo} <= {v[0]} <= {hi})", "False", ctx)
            elif isinstance(rt, ArrayOf) or (right_static is NOT_STATIC and not isinstance(e.right, n.SetLit)):
                test = f"({left_c} in ({right_c} or ()))"
            else:
                test = f"({left_c} in {right_c})"
            return f"(not {test})" if negate else test
        if isinstance(rt, RangeOf):
            lo, hi = (self.literal(x) for x in right_static)
            word = "not " if negate else ""
            return self._nullsafe([(e.left, left_c)], lambda v: f"({word}({lo} <= {v[0]} <= {hi}))", "None", ctx)
        if right_static is not NOT_STATIC:  # list codes, a constant set: no member is unknown
            word = "not in" if negate else "in"
            return self._nullsafe([(e.left, left_c)], lambda v: f"({v[0]} {word} {right_c})", "None", ctx)
        test = f"_in3({left_c}, {right_c})" if voc is None else f"_within3({self.const(voc, 'V')}, {left_c}, {right_c})"
        if not negate:
            return test
        v = self.fresh()
        return f"(None if ({v} := {test}) is None else not {v})"

    def _leveled_membership(self, e: n.Compare, rt: ListRef, left_c: str, negate: bool, ctx: _Ctx) -> str:
        """``x in`` lists with items limited to levels: which count depends on ``target.level``."""
        keys, by_level = self.c.list_keys(rt.names)
        level = self.root_read("target", "level", ctx) if ctx.kleene else "None"
        if ctx.kleene and ("target", "level") in ctx.known:
            # the level is present here: the items that count are one set per level, so the test
            # is a lookup and a membership, not a call (unknown only when ``x`` is)
            merged = self._merged_levels(keys, by_level)
            word = "not in" if negate else "in"
            return self._nullsafe([(e.left, left_c)],
                                  lambda v: f"({v[0]} {word} {merged}.get({level}, {self.const(keys)}))", "None", ctx)
        test = f"_inlist({self.const(keys)}, {self.const(by_level)}, {left_c}, {level})"
        if not ctx.kleene:
            return f"(not {test})" if negate else f"bool({test})"
        if not negate:
            return test
        v = self.fresh()
        return f"(None if ({v} := {test}) is None else not {v})"

    def _merged_levels(self, keys: frozenset, by_level: dict) -> str:
        """The constant naming, per level, every spelling ``x in`` matches at that level
        (``keys`` and that level's own), one per distinct list union."""
        merged = {level: keys | spellings for level, spellings in by_level.items()}
        key = frozenset(merged.items())
        name = self._merged.get(key)
        if name is None:
            name = self._merged[key] = self.const(merged, "M")
        return name

    # -------------------------------------------------------------- rules
    def _outcome(self, rule: RuleInfo, unknown: bool) -> Optional[str]:
        """What the generated code does when ``rule`` fires, or when its condition
        is unknown (nothing for a warning: it could not change the decision)."""
        if not unknown:
            return f"F.append({rule.index}); effects |= {EFFECT_NAME[rule.effect.kind]}"
        if rule.on_unknown is not None:  # `unknown reject`: the rule fires, rejecting
            return f"F.append({rule.index}); Q.append({rule.index}); effects |= REJECT"
        if not holds_decision(rule.effect.kind):
            return None
        return f"Q.append({rule.index}); effects |= UNKNOWN"

    def _rule_lines(self, rule: RuleInfo, cond: Optional[n.Expr], ctx: _Ctx, indent: str) -> list[str]:
        """The code of one rule. In a function's plain variant (``ctx.bits`` None) every
        fact it reads is known to be present (``ctx.known``); in its guarded variant,
        the rule runs plain code when its own facts are present, else its
        three-valued code, compiled the first time it is needed."""
        fire, unknown = self._outcome(rule, False), self._outcome(rule, True)
        if cond is None or (isinstance(cond, n.Bool) and cond.value):
            return [indent + fire]
        if ctx.bits is None:
            missable, known = [], ctx.inner(hoist_lines=[])
        else:
            missable = [r for r in _root_reads(cond, self.c) if not self.never_missing(*r)]
            known = ctx.inner(known=ctx.known | frozenset(missable), hoist_lines=[])
        if self.unknown(cond, ctx):  # unknown whatever the input, in this variant
            return [indent + unknown] if unknown else []
        code = self.expr(cond, known)
        lines = [indent + line for line in known.hoist_lines]
        if ctx.bits is None:
            ctx.hoist_lines += known.hoist_lines  # the plain variant reads every fact first
            lines = []
        verdict = [f"{indent}    if _c: {fire}"] + ([f"{indent}    elif _c is None: {unknown}"] if unknown else [])
        if self.maybe(cond, known):  # unknown even with every fact present (an array element may be)
            plain = [f"{indent}    _c = {code}", *verdict]
        else:
            plain = [f"{indent}    if {code}: {fire}"]
        if not missable:
            return lines + [line[4:] for line in plain]
        if len(missable) == 1:
            guard = f"{ctx.hoist[missable[0]]} is not None"
        else:  # one test for them all: _m has a bit set for each missing fact read so far
            guard = f"not _m & {sum(ctx.bits[r] for r in missable)}"
        # the facts the condition reads are in locals by now: handed over, not read again
        read = [(key, ctx.hoist[key]) for key in _root_reads(cond, self.c) if key in ctx.hoist]
        slow = self._lazy_condition(cond, [key for key, _local in read])
        return lines + [f"{indent}if {guard}:", *plain, f"{indent}else:",
                        f"{indent}    _c = _L[{slow!r}](T, G, H, D, S{''.join(', ' + v for _k, v in read)})",
                        *verdict]

    def _lazy_condition(self, cond: n.Expr, handed: list) -> str:
        """The name of a lazily compiled ``(T, G, H, D, S, *values) -> True | False | None``
        computing ``cond`` in three-valued logic; ``values``: the facts keyed ``handed``, as
        the caller read them (a fact read the same way, so the same value)."""
        name = self.fresh("_k")
        given = {key: f"_a{i}" for i, key in enumerate(handed)}

        def make() -> Callable:
            ctx = _Ctx(hoist={}, hoist_lines=[], given=given)
            code = self.expr(cond, ctx)
            params = "".join(f", {v}" for v in given.values())
            return self._compile_lazy(name, [f"def {name}(T, G, H, D, S{params}):",
                                             *("    " + line for line in ctx.hoist_lines),
                                             f"    return {code}", ""])
        self.lazy.makers[name] = make
        return name

    def _compile_lazy(self, name: str, lines: list[str]) -> Callable:
        ns = self._module_ns
        for key, value in self.ns.items():  # constants the new code introduced
            ns.setdefault(key, value)
        exec(compile("\n".join(lines), f"<jiceng pack {self.c.linked.tenant} {name}>", "exec"), ns)  # noqa: S102
        return ns[name]

    def _unknown_lines(self, rule: RuleInfo, rest: Optional[n.Expr], ctx: _Ctx, indent: str) -> list[str]:
        """An indexed rule when its indexed field is unknown: ``U and rest`` is
        unknown unless ``rest`` is false."""
        unknown = self._outcome(rule, True)
        if unknown is None:
            return []
        if rest is None:
            return [indent + unknown]
        return [f"{indent}_c = {self.expr(rest, ctx)}", f"{indent}if _c or _c is None: {unknown}"]

    def _emit_rules(self, rules: list[tuple[RuleInfo, Optional[n.Expr]]], fname: str, depth: int,
                    out: list[str]) -> None:
        """Emit ``def fname(T, G, H, D, S, F, Q) -> effects`` for ``rules`` (in order),
        and the functions it calls: per-value buckets of an index, each compiled
        the same way, and (lazily) the function for an unknown indexed field."""
        plan = _choose_index(rules, self) if depth < INDEX_MAX_DEPTH and len(rules) >= INDEX_MIN_RULES else None
        here, rest_fn, dispatch = rules, None, None
        if plan is not None:
            path, buckets, indexed, rest = plan
            self.index_paths.append(path)
            here = rest
            if len(rest) >= INDEX_MIN_RULES:  # the rules this field cannot index may split on another
                rest_fn, here = self.fresh("_rest"), []
                self._emit_rules(rest, rest_fn, depth + 1, out)
            table = {}
            for value, members in buckets.items():
                table[value] = self.fresh("_bucket")
                self._emit_rules(members, table[value], depth + 1, out)
            unknown_fn = self.fresh("_unknown")
            self.lazy.makers[unknown_fn] = lambda name=unknown_fn, rs=indexed: self._compile_lazy(
                name, self._unknown_function(name, rs))
            tname = self.fresh("_index")
            self.ns[tname] = None  # filled after the bucket functions exist
            self._pending_tables.append((tname, table))
            dispatch = (path, tname, unknown_fn)
        guarded, handed, checked = self.fresh(f"{fname}_guarded"), [], []
        self.lazy.makers[guarded] = lambda: self._compile_lazy(
            guarded, self._function_lines(guarded, here, rest_fn, dispatch, None, handed))

        def variant(mask: int) -> Callable:
            name = f"{fname}_missing{int(mask)}"
            missing = frozenset(key for i, key in enumerate(checked) if mask >> i & 1)
            return self._compile_lazy(name, self._function_lines(name, here, rest_fn, dispatch, None, handed,
                                                                 missing=missing))
        variants = self.fresh("_V")
        self.ns[variants] = _Variants(self._lock, variant, lambda: self.lazy[guarded])
        out += self._function_lines(fname, here, rest_fn, dispatch, guarded, handed, (variants, checked))

    def _function_lines(self, fname: str, rules, rest_fn: Optional[str], dispatch, guarded: Optional[str],
                        handed: list, variants: Optional[tuple[str, list]] = None,
                        missing: Optional[frozenset] = None) -> list[str]:
        """One rule function. With ``guarded`` (the name of its guarded variant): the
        plain variant, which reads every fact its rules read, hands the call over
        when one is missing — the three-valued checks cost nothing while every fact
        is present — and with it the values it read (their keys go into ``handed``,
        in the order they are passed): to its variant for the facts missing, by
        their mask in ``variants`` (the :class:`_Variants` constant's name, and the
        list given the keys of the facts checked, in bit order). Without: a variant
        that takes those values instead of reading them again — with ``missing``,
        the one for those facts missing (plain code where a rule's facts are all
        present, three-valued code inline where not); else the guarded variant,
        which tests rule by rule whether its facts are present."""
        given = None if guarded else {key: f"_a{i}" for i, key in enumerate(handed)}
        if guarded:
            bits, known = None, EVERY_FACT
        elif missing is not None:
            bits, known = None, _EveryFact(missing)
        else:
            bits, known = {}, frozenset()
        ctx = _Ctx(hoist={}, hoist_lines=[], bits=bits, known=known, given=given)
        body = [f"    effects |= {rest_fn}({RULE_ARGS})"] if rest_fn else []
        for rule, cond in rules:
            body += self._rule_lines(rule, cond, ctx, "    ")
        missable = [(key, local) for key, local in ctx.hoist.items()
                    if key[0] in FACT_ROOTS and not self.never_missing(*key)]
        read = list(ctx.hoist.items())  # what the plain variant has read when it checks (not the index key)
        if dispatch is not None:
            path, tname, unknown_fn = dispatch
            key_ctx = ctx.inner(hoist_lines=[])
            key = self.root_read(*path.split(".", 1), key_ctx)
            body += ["    " + line for line in key_ctx.hoist_lines]
            body += [f"    _k = {key}",
                     f"    _b = {tname}.get(_k)",
                     "    if _b is not None:",
                     f"        effects |= _b({RULE_ARGS})",
                     "    elif _k is None:",
                     f"        effects |= _L[{unknown_fn!r}]({RULE_ARGS})"]
        params = "".join(f", {name}" for name in (given or {}).values())
        head = [f"def {fname}({RULE_ARGS}{params}):"]
        if guarded or missing is not None:
            head += ["    " + line for line in ctx.hoist_lines]
        if guarded and missable:
            handed[:] = [key for key, _local in read]
            name, checked = variants
            checked[:] = [key for key, _local in missable]
            mask = " | ".join(f"({v} is None)" + (f" << {i}" if i else "") for i, (_k, v) in enumerate(missable))
            head.append("    if " + " or ".join(f"{v} is None" for _k, v in missable)
                        + f": return {name}[{mask}]({RULE_ARGS}{''.join(', ' + v for _k, v in read)})")
        head.append("    effects = 0")
        if ctx.bits:
            head.append("    _m = 0")
        return head + body + ["    return effects", ""]

    def _unknown_function(self, fname: str, rules) -> list[str]:
        """``fname``: the indexed ``rules`` when the indexed field is unknown."""
        body, ctx = [], _Ctx()
        for rule, cond in rules:
            body += self._unknown_lines(rule, cond, ctx, "    ")
        return [f"def {fname}({RULE_ARGS}):", "    effects = 0", *body, "    return effects", ""]

    def _history_check(self) -> list[str]:
        """The runtime must supply every history fact the rules read (None when it
        does not know one): a call that omits one fails here, before any rule runs,
        and ``Pack.decide`` says which (E703)."""
        names = sorted(self.reads.get("history", ()))
        if not names:
            return []
        return ["    if " + " or ".join(f"{name!r} not in H" for name in names) + ": raise _HistoryMissing"]

    def _explain_function(self, rules: list[RuleInfo]) -> list[str]:
        # A[0] names the rule being evaluated, so an error can say which rule failed
        lines = ["def explain(T, G, H, D, S, A):", *self._history_check(), "    F = []", "    Q = []",
                 "    effects = 0", "    TR = []"]
        for rule in rules:
            ctx = _Ctx(trace=True)
            lines += [f"    A[0] = {rule.index}", "    _w = {}"]
            if rule.when is None:
                lines.append("    _c = True")
            else:
                lines.append(f"    _c = {self.expr(rule.when, ctx)}")
            lines += [f"    TR.append(({rule.index}, _c, _w))", f"    if _c: {self._outcome(rule, False)}"]
            if self._outcome(rule, True) is not None:
                lines.append(f"    elif _c is None: {self._outcome(rule, True)}")
        lines += ["    return F, effects, Q, TR", ""]
        return lines

    # -------------------------------------------------------------- standards
    def _standard_function(self, s: StandardInfo, fname: str) -> list[str]:
        ctx = _Ctx(kleene=False)
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

    def _export_function(self, s: StandardInfo, fname: str) -> list[str]:
        """``fname(U)``: the target facts standard ``s`` exports for unit ``U``
        (None when it does not apply), in three-valued logic: a derived fact is
        unknown when the unit data it derives from is missing — where a report
        may say 0 (``max(required - unit.workers, 0 人)`` skips a missing value),
        a rule must not read a gap of 0 from data nobody entered."""
        ctx = _Ctx()
        lines = [f"def {fname}(U):", "    T = G = H = S = D = None", "    M = {}"]
        if s.where is not None:
            lines += [f"    _c = {self.expr(s.where, ctx)}", "    if _c is None: return dict.fromkeys("
                      f"{tuple(s.exports)!r})", "    if not _c: return None"]
        for name, _title, value, _t in s.measures:
            lines.append(f"    M[{name!r}] = {self.expr(value, ctx)}")
        if "compliant" in (m for m, _t in s.exports.values()):
            both = n.BoolOp(s.span, "and", tuple(x.condition for x in s.expects))
            lines.append(f"    M['compliant'] = {self.visit_BoolOp(both, ctx)}")
        lines.append("    return {" + ", ".join(f"{fact!r}: M[{measure!r}]"
                                                  for fact, (measure, _t) in s.exports.items()) + "}")
        return lines + [""]

    # -------------------------------------------------------------- module
    def compile(self) -> CompiledPack:
        out: list[str] = ["# generated by jiceng.dsl.compiler — do not edit", ""]
        rules = [(r, r.when) for r in self.c.rules]
        self._emit_rules(rules, "_all", 0, out)
        out += ["def decide(T, G, H, D, S):", *self._history_check(), "    F = []", "    Q = []",
                "    effects = _all(T, G, H, D, S, F, Q)",
                "    if len(F) > 1: F.sort()", "    if len(Q) > 1: Q.sort()", "    return F, effects, Q", ""]
        std_names, export_names = {}, {}
        for s in self.c.standards:
            fname = self.fresh("_standard")
            std_names[s.name] = fname
            out += self._standard_function(s, fname)
            if s.exports:
                export_names[s.name] = self.fresh("_export")
                out += self._export_function(s, export_names[s.name])
        source = "\n".join(out)
        code = compile(source, f"<jiceng pack {self.c.linked.tenant}>", "exec")
        ns = self._module_ns = dict(self.ns)
        exec(code, ns)  # noqa: S102 - our own generated code, no user text is executed
        for tname, table in self._pending_tables:
            ns[tname] = {value: ns[fn] for value, fn in table.items()}
        rules_by_index = {r.index: r for r in self.c.rules}

        @functools.lru_cache(maxsize=None)
        def rule_paths(index: int) -> tuple:  # asked only when a rule is unknown
            when = rules_by_index[index].when
            return read_paths(when, self.c) if when is not None else ()
        return CompiledPack(ns["decide"], {k: ns[v] for k, v in std_names.items()},
                            source, self.reads, self.index_paths, rule_paths,
                            {k: ns[v] for k, v in export_names.items()}, self._compile_explain)

    def _compile_explain(self) -> Callable:
        with self._lock:  # as a lazy function is (see _Lazy)
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
            return _static_list((b[1],), c)
        return NOT_STATIC

    def visit_KindRef(self, e: n.KindRef, c: Checked):
        t = c.types.get(e)
        return _static_list(t.names, c) if isinstance(t, ListRef) else NOT_STATIC

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


def _static_list(names, c: Checked):
    """What ``x in`` lists ``names`` tests, when it does not depend on the target's level."""
    keys, by_level = c.list_keys(names)
    return NOT_STATIC if by_level else keys


def static_value(e: n.Expr, c: Checked):
    """The compile-time value of ``e`` if it has one (literals, params,
    enum symbols, list codes), else ``NOT_STATIC``. Used by every backend
    (this compiler and ``columnar``) so constants mean the same everywhere."""
    return _STATIC_VALUE.visit(e, c)


class _MaybeNone(NodeVisitor):
    """Can an expression be unknown (None) in a rule's three-valued code?
    ``known``: the (root, field) reads the code being generated knows are
    present. Wherever this says no, the compiler emits plain Python."""

    def __init__(self, compiler: Compiler):
        self.compiler = compiler
        self.c = compiler.c

    def _never(self, e, known) -> bool:
        return False

    visit_Number = visit_Ratio = visit_String = visit_Bool = visit_DateLit = visit_RangeLit = _never
    visit_SetLit = _never  # a set is a value even when a member is unknown (membership asks _in3)
    visit_KindRef = _never

    def visit_Name(self, e: n.Name, known) -> bool:
        return self.c.bindings[e][0] in ("var", "measure")

    def visit_Attr(self, e: n.Attr, known) -> bool:
        if isinstance(self.c.types.get(e.obj), RangeOf):
            return False
        if isinstance(e.obj, n.Name) and self.c.bindings.get(e.obj, ("",))[0] == "root":
            return not self.compiler.never_missing(e.obj.id, e.name) and (e.obj.id, e.name) not in known
        if isinstance(e.obj, n.Index):  # items are total (_item_value), but an ANY attribute reads as None
            return self.visit(e.obj, known) or self.c.types.get(e) in (ANY, None)
        return True

    def visit_Index(self, e: n.Index, known) -> bool:
        return self.visit(e.key, known)

    def visit_Call(self, e: n.Call, known) -> bool:
        fn = self.c.registry.functions[e.func]
        if fn.total:
            return False
        return not fn.strict or any(self.visit(a, known) for a in e.args)

    def visit_Quantifier(self, e: n.Quantifier, known) -> bool:
        # a quantifier's variable is an element of input data: it may be unknown
        return True if e.body is not None else self.visit(e.iterable, known)

    def visit_Compare(self, e: n.Compare, known) -> bool:
        right_t = self.c.types.get(e.right)
        if e.op in ("in", "not in") and isinstance(right_t, ListRef) and self.c.list_keys(right_t.names)[1]:
            # items limited to levels: unknown while the target's level is (see _leveled_membership)
            return ("target", "level") not in known or self.visit(e.left, known)
        if e.op in ("in", "not in") and (isinstance(self.c.types.get(e.right), ArrayOf)
                                         or (static_value(e.right, self.c) is NOT_STATIC
                                             and not isinstance(self.c.types.get(e.right), RangeOf))):
            return True  # members read from the input may be unknown
        if e.op == "contains" and isinstance(self.c.types.get(e.left), (ArrayOf, SetOf)):
            return True
        return self.visit(e.left, known) or self.visit(e.right, known)

    def visit_Arith(self, e: n.Arith, known) -> bool:
        return self.visit(e.left, known) or self.visit(e.right, known)

    def visit_Neg(self, e: n.Neg, known) -> bool:
        return self.visit(e.operand, known)

    visit_Not = visit_Neg

    def visit_BoolOp(self, e: n.BoolOp, known) -> bool:
        return any(self.visit(x, known) for x in e.operands)


class _Unknown(NodeVisitor):
    """Is an expression unknown (None) whatever the input, in a function's variant for a set
    of missing facts (:class:`_Variants`)? ``missing``: those facts. Only what is unknown by
    the rules of the three-valued logic says yes: a missing fact, a field of one, and what is
    unknown when one operand is (comparisons, memberships, ``not``, negation, the calls that
    are not total, ``and``/``or`` of unknowns). Anything else — arithmetic, lookups,
    quantifiers — says no, and runs as compiled for any input."""

    def __init__(self, compiler: Compiler):
        self.compiler = compiler
        self.c = compiler.c

    def generic_visit(self, e, missing) -> bool:
        return False

    def visit_Attr(self, e: n.Attr, missing) -> bool:
        if isinstance(e.obj, n.Name) and self.c.bindings.get(e.obj, ("",))[0] == "root":
            return (e.obj.id, e.name) in missing and not self.compiler.never_missing(e.obj.id, e.name)
        return isinstance(e.obj, n.Attr) and self.visit(e.obj, missing)  # a field of an unknown record

    def visit_Compare(self, e: n.Compare, missing) -> bool:
        return self.visit(e.left, missing) or self.visit(e.right, missing)

    def visit_Not(self, e: n.Not, missing) -> bool:
        return self.visit(e.operand, missing)

    visit_Neg = visit_Not

    def visit_Call(self, e: n.Call, missing) -> bool:
        fn = self.c.registry.functions[e.func]
        return not fn.total and any(self.visit(a, missing) for a in e.args)

    def visit_BoolOp(self, e: n.BoolOp, missing) -> bool:
        return all(self.visit(x, missing) for x in e.operands)


def _root_reads(e: n.Expr, c: Checked) -> list[tuple[str, str]]:
    """The (root, field) facts ``e`` reads directly (``task.kind``), in order."""
    found: dict[tuple[str, str], None] = {}
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, n.Attr) and isinstance(x.obj, n.Name) \
                and c.bindings.get(x.obj, ("", ""))[0] == "root" and x.obj.id in FACT_ROOTS:
            found.setdefault((x.obj.id, x.name))
        else:
            if _reads_level(x, c):
                found.setdefault(("target", "level"))
            stack.extend(reversed(list(iter_child_nodes(x))))
    return list(found)


class _ReadPaths(NodeVisitor):
    """See :func:`read_paths`. ``var_paths``: quantifier variable -> the path of
    its array plus ``[]``; ``guarded``: paths whose absence the expression tests
    itself (``missing(x) or x < 3``), so it is not what leaves it unknown."""

    def __init__(self, c: Checked):
        self.c = c
        self.found: dict[tuple[str, ...], None] = {}

    def _path(self, e: n.Expr, var_paths: dict) -> Optional[tuple[str, ...]]:
        names = []
        while isinstance(e, n.Attr):
            names.append(e.name)
            e = e.obj
        if not isinstance(e, n.Name):
            return None
        binding = self.c.bindings.get(e, ("", ""))
        if binding[0] == "root" and binding[1] in FACT_ROOTS and names:
            return (binding[1], *reversed(names))
        if binding[0] == "var" and var_paths.get(binding[1]) is not None:
            return (*var_paths[binding[1]], *reversed(names))
        return None

    def visit_Attr(self, e: n.Attr, var_paths: dict, guarded: frozenset) -> None:
        path = self._path(e, var_paths)
        if path is None:
            self.generic_visit(e, var_paths, guarded)
        elif path not in guarded:
            self.found.setdefault(path)

    def visit_Compare(self, e: n.Compare, var_paths: dict, guarded: frozenset) -> None:
        self.generic_visit(e, var_paths, guarded)
        if _reads_level(e, self.c) and ("target", "level") not in guarded:
            self.found.setdefault(("target", "level"))

    def visit_Call(self, e: n.Call, var_paths: dict, guarded: frozenset) -> None:
        if not self.c.registry.functions[e.func].total:  # missing(x) is known whether or not x is
            self.generic_visit(e, var_paths, guarded)

    def visit_BoolOp(self, e: n.BoolOp, var_paths: dict, guarded: frozenset) -> None:
        # `missing(x) or …` holds whenever x is missing, `present(x) and …` fails: x cannot leave it unknown
        test = "missing" if e.op == "or" else "present"
        tested = {self._path(x.args[0], var_paths) for x in e.operands
                  if isinstance(x, n.Call) and x.func == test and len(x.args) == 1}
        inner = guarded | frozenset(p for p in tested if p is not None)
        for x in e.operands:
            self.visit(x, var_paths, inner)

    def visit_Quantifier(self, e: n.Quantifier, var_paths: dict, guarded: frozenset) -> None:
        self.visit(e.iterable, var_paths, guarded)
        seq = self._path(e.iterable, var_paths)
        if e.body is not None:
            self.visit(e.body, {**var_paths, e.var: (*seq, "[]") if seq is not None else None}, guarded)

    def generic_visit(self, e: n.Expr, var_paths: dict, guarded: frozenset) -> None:
        for child in iter_child_nodes(e):
            self.visit(child, var_paths, guarded)


def read_paths(e: n.Expr, c: Checked) -> tuple[tuple[str, ...], ...]:
    """The fact paths ``e`` reads, in order: ``("task", "department_duty")``,
    ``("task", "items", "[]", "n")`` for a field of each element of an array.
    What a decision reports as missing when the rule is unknown."""
    walker = _ReadPaths(c)
    walker.visit(e, {}, frozenset())
    return tuple(walker.found)


def _reads_level(e: n.Expr, c: Checked) -> bool:
    """Does ``e`` test membership in lists with items limited to levels (so it reads ``target.level``)?"""
    if not isinstance(e, n.Compare) or e.op not in ("in", "not in"):
        return False
    t = c.types.get(e.right)
    return isinstance(t, ListRef) and bool(c.list_keys(t.names)[1])


def _is_leaf(e: n.Expr, c: Checked) -> bool:
    """What explain records: reads of input, function results, lookups."""
    if isinstance(e, n.Attr):
        return not isinstance(c.types.get(e.obj), RangeOf)
    return isinstance(e, (n.Call, n.Quantifier, n.Index))


def _discriminator(cond: Optional[n.Expr], compiler: Compiler):
    """(path, values, remaining condition) for each top-level conjunct that
    tests a field against constants."""
    c = compiler.c
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
        voc = compiler.vocabulary_of(left)
        if voc is not None:  # the key read is canonical: so are the buckets
            values = set(compiler.canonical(voc, values)) if x.op == "in" else {voc.resolve(value) or value}
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


def _choose_index(rules, compiler: Compiler):
    """Pick the field whose constant tests split ``rules`` best: the one that
    minimises the rules a decision still evaluates (unindexed + an average
    bucket). Returns (path, {value: [(rule, remaining cond)]}, indexed, unindexed):
    ``indexed``, every (rule, remaining cond) the index took, in order — what an
    unknown key evaluates; a rule testing the field against an empty set
    (``task.category in []``) is among them though in no bucket: false whatever
    the key is, unknown when it is missing."""
    by_path: dict[str, dict[int, tuple]] = {}
    for pos, (_rule, cond) in enumerate(rules):
        for path, values, remaining in _discriminator(cond, compiler):
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
    indexed = [(rules[pos][0], hits[pos][1]) for pos in sorted(hits)]
    rest = [rules[pos] for pos in range(len(rules)) if pos not in hits]
    return path, out, indexed, rest


def compile_checked(checked: Checked, source_text: Callable[[n.Span], str]) -> CompiledPack:
    return Compiler(checked, source_text).compile()

