"""Standards over whole org-unit trees at once: a vectorised backend for ``standard``.

``Pack.evaluate_standard`` runs a standard's generated Python for one unit — right for
the receiving unit of an admission decision, far too slow for a country's 600,000
communities and 3,000,000 grids. This backend compiles the same checked AST
(``checked.standards`` with ``checked.types`` and ``checked.bindings``) into numpy
operations over columns, one row per unit:

* ``unit.F`` reads column F; literals and params are scalars broadcast over it;
* ``q in X.children`` opens a *frame*: the rows whose parent is X, grouped by X.
  ``sum``/``count``/``any``/``all`` are grouped reductions (``np.bincount``) back
  onto the frame outside; a value of an outer frame read inside is gathered
  through the parent index. A quantifier inside another that walks an outer
  unit's children again gets its own frame (each pair of rows), as nested loops do;
* a missing value travels as a validity mask beside each column, with the compiled
  Python's rules: arithmetic with a missing operand is missing, ``<`` with one is
  false, ``==`` finds missing equal to missing, ``max``/``min`` skip missing values;
* where the generated Python raises (a division by zero) the unit is an *error* —
  only where Python would have evaluated that operand: ``and``/``or``, the
  missing-value checks and ``any``/``all`` short-circuit, and so does this backend.

The results equal ``Pack.evaluate_standard`` unit for unit (``tests/dsl/test_columnar.py``
checks it on random trees). A construct without a vectorised form (dates, text
functions, list item lookups, functions registered by extensions) raises
:class:`Unsupported` when the standard is compiled; callers then use the per-unit path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from . import nodes as n
from .checker import Checked, StandardInfo
from .compiler import NOT_STATIC, static_value
from .types import BOOL, LEVELS, STR, ArrayOf, Enum, ListRef, Num, RangeOf, SetOf, Type
from .visitor import NodeVisitor

#: builtins with a vectorised form; others (and extensions) make a standard Unsupported
_FUNCTIONS = ("ceil", "floor", "round", "abs", "min", "max", "present", "missing")


class Unsupported(Exception):
    """The standard uses a construct this backend has no vectorised form for."""

    def __init__(self, message: str, span: Optional[n.Span] = None):
        super().__init__(f"{span}: {message}" if span else message)
        self.span = span


# ---------------------------------------------------------------------- the table
@dataclass
class UnitTable:
    """An org-unit tree as columns. Rows may come in any order; a unit's children are
    visited in row order (the per-unit path visits them in the order of its list).

    ``numbers``: field -> (float64 values, validity mask or None when none is missing).
    ``texts``: field -> (int32 codes into the categories, -1 when missing; categories).
    ``level`` is a text column (categories :data:`LEVELS` by convention).
    """

    parent: np.ndarray
    numbers: dict[str, tuple[np.ndarray, Optional[np.ndarray]]] = field(default_factory=dict)
    texts: dict[str, tuple[np.ndarray, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.parent)

    def level_rows(self, levels: Sequence[str]) -> np.ndarray:
        """Rows whose level is one of ``levels``, in row order."""
        codes, cats = self.texts["level"]
        wanted = np.array([c in levels for c in cats] + [False], dtype=bool)
        return np.flatnonzero(wanted[codes])  # code -1 picks the trailing False

    @classmethod
    def from_units(cls, units: Sequence[Mapping]) -> "UnitTable":
        """A table of unit fact dicts (``code``, ``parent`` as a code, ``level``, numbers, texts)."""
        row_of = {u["code"]: i for i, u in enumerate(units)}
        parent = np.array([row_of.get(u.get("parent"), -1) for u in units], dtype=np.int64)
        keys = sorted({k for u in units for k in u if k != "children"})
        table = cls(parent)
        for key in keys:
            values = [u.get(key) for u in units]
            present = [v for v in values if v is not None]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
                valid = np.array([v is not None for v in values], dtype=bool)
                data = np.array([float(v) if v is not None else 0.0 for v in values], dtype=np.float64)
                table.numbers[key] = (data, None if valid.all() else valid)
            elif all(isinstance(v, str) for v in present):
                cats = tuple(LEVELS) if key == "level" else tuple(sorted(set(present)))
                index = {c: i for i, c in enumerate(cats)}
                table.texts[key] = (np.array([index.get(v, -1) if v is not None else -1 for v in values],
                                             dtype=np.int32), cats)
        if "level" not in table.texts:
            table.texts["level"] = (np.full(len(units), -1, dtype=np.int32), tuple(LEVELS))
        return table


# ---------------------------------------------------------------------- values
@dataclass
class Val:
    """A value per row of a frame, or one scalar for all of them.

    kind ``num`` (float64 data), ``bool``, ``str`` (int32 codes into ``cats``, or a
    Python str when scalar), ``range`` and ``set`` (static only). ``valid`` is a mask
    or one bool: where it is false the value is missing (``None`` in Python).
    """

    kind: str
    data: Any
    valid: Any = True
    cats: tuple = ()

    @property
    def is_array(self) -> bool:
        return isinstance(self.data, np.ndarray)


def _missing(kind: str) -> Val:
    return Val(kind, 0.0 if kind == "num" else (False if kind == "bool" else ""), False)


def _truthy(v: Val):
    """Python's truthiness of each value (a missing value is false)."""
    if v.kind == "str" and v.is_array:
        nonempty = np.array([c != "" for c in v.cats] + [False], dtype=bool)
        return nonempty[v.data] & v.valid
    if not v.is_array:
        return bool(v.valid) and bool(v.data)
    data = v.data if v.kind == "bool" else v.data != 0
    return data & v.valid


def _and(a, b):
    if a is True:
        return b
    if b is True:
        return a
    if a is False or b is False:
        return False
    return a & b


def _or(a, b):
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    return a | b


def _not(a):
    return (not a) if isinstance(a, (bool, np.bool_)) else ~a


def _where(cond, a, b):
    """``a`` where ``cond`` else ``b``; a Python scalar when all three are scalars."""
    if not any(isinstance(x, np.ndarray) for x in (cond, a, b)):
        return a if cond else b
    return np.where(cond, a, b)


def _grouped(owner: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Per outer row, the sum of ``weights`` over its rows here (in row order, as Python adds)."""
    return np.bincount(owner, weights=weights, minlength=size).astype(np.float64, copy=False)


def _any(mask) -> bool:
    return bool(mask) if isinstance(mask, (bool, np.bool_)) else bool(mask.any())


# ---------------------------------------------------------------------- frames
class _Frame:
    """Rows of the table one level of iteration sees; ``owner`` is each row's position in
    the frame outside (rows of one owner are contiguous, in table order)."""

    __slots__ = ("rows", "owner", "outer", "n", "_starts", "_up", "_kids")

    def __init__(self, rows: np.ndarray, owner: Optional[np.ndarray] = None, outer: Optional["_Frame"] = None):
        self.rows, self.owner, self.outer, self.n = rows, owner, outer, len(rows)
        self._starts: Optional[np.ndarray] = None
        self._up: dict[int, np.ndarray] = {}
        self._kids: dict[int, "_Frame"] = {}

    def starts(self) -> np.ndarray:
        """Position of each outer row's first row here (owners are sorted)."""
        if self._starts is None:
            self._starts = np.searchsorted(self.owner, np.arange(self.outer.n + 1))
        return self._starts

    def index_into(self, ancestor: "_Frame") -> np.ndarray:
        """For each row here, its position in the enclosing frame ``ancestor``."""
        idx = self._up.get(id(ancestor))
        if idx is None:
            idx, f = self.owner, self.outer
            while f is not ancestor:
                idx, f = f.owner[idx], f.outer
            self._up[id(ancestor)] = idx
        return idx

    def lift(self, v: Val, src: "_Frame") -> Val:
        """``v`` (computed on the enclosing frame ``src``) seen from this frame."""
        if src is self or not (v.is_array or isinstance(v.valid, np.ndarray)):
            return v
        idx = self.index_into(src)
        valid = v.valid[idx] if isinstance(v.valid, np.ndarray) else v.valid
        data = v.data[idx] if v.is_array else v.data
        return Val(v.kind, data, valid, v.cats)

    def children_of(self, var_frame: "_Frame", table: UnitTable) -> "_Frame":
        """A frame over the children of ``var_frame``'s unit, for each row of this frame."""
        kid = self._kids.get(id(var_frame))
        if kid is not None:
            return kid
        if var_frame is self:
            pos = np.full(table.size, -1, dtype=np.int64)
            pos[self.rows] = np.arange(self.n)
            cand = np.flatnonzero(table.parent >= 0)
            own = pos[table.parent[cand]]
            keep = own >= 0
            rows, owner = cand[keep], own[keep]
            order = np.argsort(owner, kind="stable")
            kid = _Frame(rows[order], owner[order], self)
        else:  # an outer unit's children, once more for every row of this frame
            plain = var_frame.children_of(var_frame, table)
            starts = plain.starts()
            anc = self.index_into(var_frame)
            counts = starts[anc + 1] - starts[anc]
            owner = np.repeat(np.arange(self.n), counts)
            first = np.repeat(starts[anc] - (np.cumsum(counts) - counts), counts)
            kid = _Frame(plain.rows[first + np.arange(len(owner))], owner, self)
        self._kids[id(var_frame)] = kid
        return kid


@dataclass
class _Env:
    frame: _Frame
    vars: dict  # name -> _Frame
    measures: dict  # name -> Val on the top frame
    top: _Frame


class _Run:
    """One evaluation: the table and the error masks of the frames being evaluated."""

    def __init__(self, table: UnitTable):
        self.table = table
        self.errors: dict[int, Any] = {}

    def fail(self, frame: _Frame, mask) -> None:
        """Python would raise at these rows of ``frame``."""
        if not _any(mask):
            return
        cur = self.errors.get(id(frame), False)
        if isinstance(mask, (bool, np.bool_)):
            mask = np.ones(frame.n, dtype=bool)
        self.errors[id(frame)] = mask if cur is False else (cur | mask)


Code = Callable[[_Run, _Env, Any], Val]  # (run, env, reach) -> value; reach: rows actually evaluated


# ---------------------------------------------------------------------- the compiler
class _Compiler(NodeVisitor):
    """One visit_<Node>(e) per expression type that has a vectorised form: a :data:`Code`."""

    def __init__(self, checked: Checked):
        self.c = checked
        self.fields: set[str] = set()
        self.uses_children = False

    def kind_of(self, e: n.Expr) -> str:
        t = self.c.types.get(e)
        return _kind(t, e)

    # -- expressions
    def expr(self, e: n.Expr) -> Code:
        """The vectorised code of ``e``; raises :class:`Unsupported` where there is none."""
        static = static_value(e, self.c)
        if static is not NOT_STATIC:  # literals, params, enum symbols, list codes
            const = _constant(static, self.kind_of(e), e)
            return lambda run, env, reach: const
        return self.visit(e)

    def generic_visit(self, e: n.Expr) -> Code:
        raise Unsupported(f"{type(e).__name__} 无法按列计算", e.span)

    def visit_Name(self, e: n.Name) -> Code:
        kind, name = self.c.bindings[e]
        if kind == "measure":
            return lambda run, env, reach: env.frame.lift(env.measures[name], env.top)
        raise Unsupported(f"标准中单独使用 {name} 无法按列计算", e.span)

    def visit_Attr(self, e: n.Attr) -> Code:
        obj_t = self.c.types.get(e.obj)
        if isinstance(obj_t, RangeOf):
            bound = static_value(e.obj, self.c)
            if bound is NOT_STATIC:
                raise Unsupported("范围不是常量", e.span)
            const = _constant(bound[0 if e.name == "min" else 1], "num", e)
            return lambda run, env, reach: const
        if e.name == "children":
            raise Unsupported("children 只能用在 sum/count/any/all 中", e.span)
        obj = self.unit_var(e.obj)
        kind, fld = self.kind_of(e), e.name
        self.fields.add(fld)

        def read(run: _Run, env: _Env, reach) -> Val:
            frame = obj(env)
            rows = frame.rows if frame is env.frame else frame.rows[env.frame.index_into(frame)]
            return _column(run.table, fld, kind, rows)
        return read

    def unit_var(self, e: n.Expr) -> Callable[[_Env], _Frame]:
        """The frame of a unit variable (``unit`` or a quantifier's variable)."""
        binding = self.c.bindings.get(e) if isinstance(e, n.Name) else None
        if binding not in (("root", "unit"), ("var", getattr(e, "id", None))):
            raise Unsupported("只能读取单位(unit 或 children 中的单位)的字段", e.span)
        name = e.id
        return lambda env: env.vars[name]

    def visit_Quantifier(self, e: n.Quantifier) -> Code:
        it = e.iterable
        if not (isinstance(it, n.Attr) and it.name == "children" and isinstance(it.obj, n.Name)):
            raise Unsupported(f"{e.kind}() 只能遍历某个单位的 children", e.span)
        self.uses_children = True
        obj = self.unit_var(it.obj)
        body = self.expr(e.body) if e.body is not None else None
        kind, var = e.kind, e.var

        def run_q(run: _Run, env: _Env, reach) -> Val:
            outer = env.frame
            kid = outer.children_of(obj(env), run.table)
            counts = np.bincount(kid.owner, minlength=outer.n).astype(np.float64)
            if body is None:
                return Val("num", counts)
            inner = _Env(kid, {**env.vars, var: kid}, env.measures, env.top)
            kid_reach = reach[kid.owner] if isinstance(reach, np.ndarray) else reach
            saved = run.errors.pop(id(kid), False)
            v = body(run, inner, kid_reach)
            errors = run.errors.pop(id(kid), False)
            if saved is not False:
                run.errors[id(kid)] = saved
            if kind == "sum":
                data = _as_array(v.data, kid.n, np.float64)
                weights = np.where(v.valid, data, 0.0) if v.valid is not True else data
                result = Val("num", _grouped(kid.owner, weights, outer.n))
            else:
                t = _as_array(_truthy(v), kid.n, bool)
                hits = _grouped(kid.owner, t.astype(np.float64), outer.n)
                if kind == "count":
                    result = Val("num", hits)
                elif kind == "any":
                    result = Val("bool", hits > 0)
                else:
                    result = Val("bool", hits == counts)
                if errors is not False:  # any/all stop at the first child that settles them
                    settles = t if kind == "any" else ~t
                    before = np.cumsum(settles) - settles
                    errors = errors & ((before - before[kid.starts()[kid.owner]]) == 0)
            if errors is not False:
                run.fail(outer, _grouped(kid.owner, errors.astype(np.float64), outer.n) > 0)
            return result
        return run_q

    def _nullsafe(self, codes: list[tuple[Code, bool]], run: _Run, env: _Env, reach):
        """Evaluate operands in order; a non-static operand is evaluated only where every
        earlier one was present (the compiled ``(v := x) is None or …`` chain)."""
        vals, ok = [], True
        for code, static in codes:
            v = code(run, env, _and(reach, ok))
            if not static:
                ok = _and(ok, v.valid)
            vals.append(v)
        return vals, ok

    def visit_Arith(self, e: n.Arith) -> Code:
        lt, rt = self.c.types.get(e.left), self.c.types.get(e.right)
        if not (isinstance(lt, Num) and isinstance(rt, Num)):
            raise Unsupported(f"{lt} {e.op} {rt} 无法按列计算", e.span)
        left, right, op = self.expr(e.left), self.expr(e.right), e.op
        right_static = static_value(e.right, self.c)
        left_static = static_value(e.left, self.c) is not NOT_STATIC
        if op in "*/" and isinstance(right_static, Fraction) and right_static.denominator != 1:
            p, q = right_static.numerator, right_static.denominator  # x * 18 / 10000, exactly as compiled
            if op == "/":
                p, q = q, p

            def scaled(run, env, reach):
                (x,), ok = self._nullsafe([(left, left_static)], run, env, reach)
                return Val("num", x.data * p / q, ok)
            return scaled

        def apply(run, env, reach):
            (a, b), ok = self._nullsafe([(left, left_static), (right, right_static is not NOT_STATIC)],
                                        run, env, reach)
            if op == "+":
                data = a.data + b.data
            elif op == "-":
                data = a.data - b.data
            elif op == "*":
                data = a.data * b.data
            else:
                zero = b.data == 0
                run.fail(env.frame, _and(_and(reach, ok), zero))
                data = a.data / (np.where(zero, 1.0, b.data) if isinstance(zero, np.ndarray)
                                 else (b.data if not zero else 1.0))
            return Val("num", data, ok)
        return apply

    def visit_Not(self, e: n.Not) -> Code:
        inner = self.expr(e.operand)
        return lambda run, env, reach: Val("bool", _not(_truthy(inner(run, env, reach))))

    def visit_Neg(self, e: n.Neg) -> Code:
        inner = self.expr(e.operand)
        return lambda run, env, reach: (lambda v: Val("num", -v.data, v.valid))(inner(run, env, reach))

    def visit_Compare(self, e: n.Compare) -> Code:
        op = e.op
        left, right = self.expr(e.left), self.expr(e.right)
        lk, rk = self.kind_of(e.left), self.kind_of(e.right)
        if op in ("==", "!="):
            if lk != rk or lk not in ("num", "bool", "str"):
                raise Unsupported(f"比较{lk}与{rk}无法按列计算", e.span)

            def eq(run, env, reach):
                a, b = left(run, env, reach), right(run, env, reach)
                same = _equal(a, b)
                return Val("bool", same if op == "==" else _not(same))
            return eq
        if op in ("<", "<=", ">", ">="):
            if lk != "num" or rk != "num":
                raise Unsupported(f"{lk} {op} {rk} 无法按列计算", e.span)
            ls, rs = static_value(e.left, self.c) is not NOT_STATIC, static_value(e.right, self.c) is not NOT_STATIC
            cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]

            def order(run, env, reach):
                (a, b), ok = self._nullsafe([(left, ls), (right, rs)], run, env, reach)
                return Val("bool", _and(ok, cmp(a.data, b.data)))
            return order
        if op in ("in", "not in"):
            ls = static_value(e.left, self.c) is not NOT_STATIC
            rt = self.c.types.get(e.right)
            right_value = static_value(e.right, self.c)
            if isinstance(rt, RangeOf) and right_value is not NOT_STATIC:
                lo, hi = (_runtime(x) for x in right_value)

                def within(run, env, reach):
                    (a,), ok = self._nullsafe([(left, ls)], run, env, reach)
                    inside = _and(ok, (lo <= a.data) & (a.data <= hi))
                    return Val("bool", inside if op == "in" else _not(inside))
                return within
            static_set = right_value if isinstance(right_value, frozenset) else None
            if static_set is None or isinstance(rt, ArrayOf):
                raise Unsupported("in 的右边须是常量集合、清单或范围", e.span)
            members = frozenset(_runtime(v) for v in static_set)

            def member(run, env, reach):
                found = _member(left(run, env, reach), members)
                return Val("bool", found if op == "in" else _not(found))
            return member
        raise Unsupported(f"{op} 无法按列计算", e.span)

    def visit_BoolOp(self, e: n.BoolOp) -> Code:
        ops = [self.expr(x) for x in e.operands]
        kinds = {self.kind_of(x) for x in e.operands}
        if kinds != {"bool"}:
            raise Unsupported("and/or 的各项须为真假值", e.span)
        conj = e.op == "and"

        def combine(run, env, reach):
            vals, go = [], reach
            for code in ops:
                v = code(run, env, go)
                vals.append(v)
                t = _truthy(v)
                go = _and(go, t if conj else _not(t))
            data, valid = vals[-1].data, vals[-1].valid
            for v in reversed(vals[:-1]):  # Python's value: the first operand that settles it
                t = _truthy(v)
                settles = _not(t) if conj else t
                data, valid = _where(settles, v.data, data), _where(settles, v.valid, valid)
            return Val("bool", data, valid)
        return combine

    def visit_Call(self, e: n.Call) -> Code:
        fn = self.c.registry.functions.get(e.func)
        impl = getattr(fn, "impl", None)
        if e.func not in _FUNCTIONS or getattr(impl, "__module__", "") != "jiceng.dsl.functions" \
                or not getattr(impl, "__qualname__", "").startswith("_builtins."):
            raise Unsupported(f"函数 {e.func}() 无法按列计算", e.span)
        args = [self.expr(a) for a in e.args]
        name = e.func
        if name in ("present", "missing"):
            kind = self.kind_of(e.args[0])

            def presence(run, env, reach):
                v = args[0](run, env, reach)
                there = _and(v.valid, _truthy(v)) if kind == "str" else v.valid
                return Val("bool", there if name == "present" else _not(there))
            return presence
        if name in ("min", "max"):
            pick = np.greater if name == "max" else np.less

            def extreme(run, env, reach):  # Python's max(): the first of the largest, missing ones skipped
                vals = [a(run, env, reach) for a in args]
                data, valid = vals[0].data, vals[0].valid
                for v in vals[1:]:
                    take = _and(v.valid, _or(_not(valid), pick(v.data, data)))
                    data, valid = _where(take, v.data, data), _or(valid, v.valid)
                return Val("num", data, valid)
            return extreme
        unary = {"ceil": np.ceil, "floor": np.floor, "abs": np.abs,
                 "round": lambda x: np.floor(x + 0.5)}[name]
        return lambda run, env, reach: (lambda v: Val("num", unary(v.data), v.valid))(args[0](run, env, reach))


# ---------------------------------------------------------------------- helpers
def _kind(t: Optional[Type], e: n.Expr) -> str:
    if isinstance(t, Num):
        return "num"
    if t == BOOL:
        return "bool"
    if t == STR or isinstance(t, Enum):
        return "str"
    if isinstance(t, RangeOf):
        return "range"
    if isinstance(t, (SetOf, ListRef)):
        return "set"
    if isinstance(t, ArrayOf):
        return "array"
    raise Unsupported(f"类型 {t} 无法按列计算", e.span)


def _runtime(value):
    """A static value as the compiled Python holds it."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _constant(value, kind: str, e: n.Expr) -> Val:
    if kind in ("range", "set"):
        return Val(kind, value)
    if kind not in ("num", "bool", "str"):
        raise Unsupported(f"常量 {value!r} 无法按列计算", e.span)
    return Val(kind, _runtime(value))


def _as_array(data, size: int, dtype) -> np.ndarray:
    return data if isinstance(data, np.ndarray) else np.full(size, data, dtype=dtype)


def _column(table: UnitTable, name: str, kind: str, rows: np.ndarray) -> Val:
    if kind == "num" and name in table.numbers:
        data, valid = table.numbers[name]
        return Val("num", data[rows], True if valid is None else valid[rows])
    if kind == "str" and name in table.texts:
        codes, cats = table.texts[name]
        picked = codes[rows]
        return Val("str", picked, picked >= 0, cats)
    return _missing(kind)  # a field the data does not have: missing everywhere


def _str_codes(v: Val, cats: tuple) -> Any:
    """``v``'s text values as codes into ``cats`` (-1 missing, -2 not among them)."""
    if not v.is_array:
        return cats.index(v.data) if v.data in cats else -2
    if v.cats == cats:
        return v.data
    remap = np.array([cats.index(c) if c in cats else -2 for c in v.cats] + [-1], dtype=np.int32)
    return remap[v.data]


def _equal(a: Val, b: Val):
    """Python's ``a == b`` per row: a missing value equals only a missing one."""
    if a.kind == "str" and (a.is_array or b.is_array):
        cats = tuple(dict.fromkeys((a.cats if a.is_array else ()) + (b.cats if b.is_array else ())
                                   + tuple(x.data for x in (a, b) if not x.is_array and x.valid)))
        same = _str_codes(a, cats) == _str_codes(b, cats)
    else:
        same = a.data == b.data
    both = _and(a.valid, b.valid)
    neither = _and(_not(a.valid), _not(b.valid))
    result = _and(both, same)
    return result | neither if neither is not False else result


def _member(v: Val, members: frozenset):
    if v.kind == "str" and v.is_array:
        inside = np.array([c in members for c in v.cats] + [False], dtype=bool)
        return inside[v.data]
    if not v.is_array:
        return bool(v.valid) and v.data in members
    return _and(v.valid, np.isin(v.data, list(members)))


# ---------------------------------------------------------------------- results
@dataclass
class StandardColumns:
    """A standard over every unit of its levels in a table.

    ``rows``: the table rows evaluated (units of the standard's levels, in row order);
    per row of ``rows``: ``error`` (the per-unit path would raise), ``applies`` (the
    ``where`` condition holds), ``compliant``, one truth array per ``expect`` and
    one :class:`Val` per measure. Values of rows that do not apply are meaningless.
    """

    name: str
    rows: np.ndarray
    error: np.ndarray
    applies: np.ndarray
    compliant: np.ndarray
    expects: list[np.ndarray]
    measures: dict[str, Val]
    _values: dict = field(default_factory=dict, repr=False)

    def values(self, measure: str) -> list:
        """A measure's values as Python objects (None when missing), per row of ``rows``."""
        if measure not in self._values:
            self._values[measure] = self._python(self.measures[measure])
        return self._values[measure]

    def _python(self, v: Val) -> list:
        size = len(self.rows)
        valid = _as_array(v.valid, size, bool)
        if v.kind == "str":
            cats = (v.cats if v.is_array else (v.data,)) + (None,)
            codes = v.data if v.is_array else np.zeros(size, dtype=np.int32)
            return [cats[c] if ok else None for c, ok in zip(codes.tolist(), valid.tolist())]
        data = _as_array(v.data, size, np.float64 if v.kind == "num" else bool).tolist()
        if v.kind == "num":
            data = [int(x) if x.is_integer() else x for x in data]
        return [x if ok else None for x, ok in zip(data, valid.tolist())]

    def unit_result(self, i: int) -> Optional[dict]:
        """Row ``i`` as ``Pack.evaluate_standard`` answers it (None when it does not apply).

        Raises :class:`ColumnarError` where the per-unit path raises."""
        if self.error[i]:
            raise ColumnarError(f"标准 {self.name} 无法计算第 {i} 个单位")
        if not self.applies[i]:
            return None
        out = {name: self.values(name)[i] for name in self.measures}
        out["compliant"] = bool(self.compliant[i])
        out["failed"] = [k for k, ok in enumerate(self.expects) if not ok[i]]
        return out


class ColumnarError(Exception):
    """The unit's data cannot be used by the standard (the per-unit path raises too)."""


class ColumnarStandard:
    """A standard compiled to vectorised operations."""

    def __init__(self, checked: Checked, info: StandardInfo):
        comp = _Compiler(checked)
        self.info = info
        self.where = comp.expr(info.where) if info.where is not None else None
        self.measures = [(name, comp.expr(value)) for name, _title, value, _t in info.measures]
        self.expects = [comp.expr(x.condition) for x in info.expects]
        #: unit fields the standard reads (of the unit or of its children), for loaders
        self.fields: frozenset[str] = frozenset(comp.fields)
        #: whether it walks ``children`` (needs the parent index)
        self.uses_children = comp.uses_children

    def evaluate(self, table: UnitTable, within: Optional[np.ndarray] = None) -> StandardColumns:
        """Every unit of the standard's levels in ``table`` (among the rows ``within``, when given;
        their children may be any rows of the table)."""
        rows = table.level_rows(self.info.levels)
        if within is not None:
            rows = rows[np.isin(rows, within)]
        top = _Frame(rows)
        run = _Run(table)
        env = _Env(top, {"unit": top}, {}, top)
        size = top.n
        with np.errstate(all="ignore"):
            applies: Any = True
            if self.where is not None:
                applies = _truthy(self.where(run, env, True))
            for name, code in self.measures:
                v = code(run, env, applies)
                env.measures[name] = v
            expects = [_as_array(_truthy(code(run, env, applies)), size, bool) for code in self.expects]
        compliant = np.ones(size, dtype=bool)
        for x in expects:
            compliant &= x
        error = run.errors.get(id(top), False)
        return StandardColumns(self.info.name, rows, _as_array(error, size, bool), _as_array(applies, size, bool),
                               compliant, expects, {k: _sized(v, size) for k, v in env.measures.items()})


def _sized(v: Val, size: int) -> Val:
    dtype = {"num": np.float64, "bool": bool, "str": np.int32}.get(v.kind)
    if dtype is None:
        return v
    if v.kind == "str" and not v.is_array:
        return Val("str", np.zeros(size, dtype=np.int32) if v.valid else np.full(size, -1, dtype=np.int32),
                   _as_array(v.valid, size, bool), (v.data,))
    return Val(v.kind, _as_array(v.data, size, dtype), _as_array(v.valid, size, bool), v.cats)


def compile_standard(checked: Checked, name: str) -> ColumnarStandard:
    """The standard ``name`` of a checked pack, vectorised. Raises :class:`Unsupported`."""
    info = next((s for s in checked.standards if s.name == name), None)
    if info is None:
        raise KeyError(name)
    return ColumnarStandard(checked, info)
