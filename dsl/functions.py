"""The registry of builtin functions, history facts and units.

Rules call functions by name (``ceil(x)``, ``starts_with(task.title, "关于")``)
and read history facts as ``history.<name>``; both are typed here so the
checker can refuse a wrong call before anything runs. Developers extend the
language without touching the grammar::

    from jiceng.dsl.functions import function

    @function("working_days", "(date, date) -> num[天]", doc="两个日期之间的工作日天数")
    def working_days(start, end): ...

or from another distribution, through the ``jiceng.functions`` entry-point
group (docs/extending.md has the worked example).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import metadata
from typing import Any, Callable, Optional

import re2

from .types import ANY, BOOL, DATE, NUMBER, STR, ArrayOf, Num, SetOf, Type, is_stringy, same_kind
from .units import UnitTable, default_units

ENTRY_POINT_GROUP = "jiceng.functions"


class SignatureError(ValueError):
    """A developer wrote an invalid signature string (not a user error)."""


@dataclass(frozen=True)
class UnitVar:
    """``num[U]``: a quantity whose unit is bound by the first argument."""

    name: str


ParamSpec = Any  # Type | UnitVar-carrying Num placeholder, see _parse_type


@dataclass
class Function:
    name: str
    impl: Callable[..., Any]
    params: tuple = ()
    returns: Any = ANY
    variadic: bool = False
    doc: str = ""
    #: optional custom typing: (arg_types) -> Type | str (an error message)
    typer: Optional[Callable[[list[Type]], Any]] = None
    #: optional static argument check, e.g. a regex literal: (arg_nodes) -> error message | None
    check_literals: Optional[Callable[[list], Optional[str]]] = None
    #: called with unknown (None) arguments too, and its answer is always known
    #: (``present``, ``missing``); any other function's call is unknown when an
    #: argument is, without calling it
    total: bool = False
    #: never answers None for known arguments (the builtins): lets the compiler
    #: emit plain code for a call whose arguments are known
    strict: bool = False


@dataclass(frozen=True)
class HistoryFact:
    name: str
    type: Type
    default: Any = None
    doc: str = ""


@dataclass
class Registry:
    functions: dict[str, Function] = field(default_factory=dict)
    history: dict[str, HistoryFact] = field(default_factory=dict)
    units: UnitTable = field(default_factory=default_units)

    def function(self, name: str, signature: Optional[str] = None, *, doc: str = "",
                 typer=None, check_literals=None, total: bool = False, strict: bool = False):
        """Decorator registering ``impl`` under ``name``.

        ``signature`` is ``"(num[U], num[U]...) -> num[U]"``: types ``bool str
        date any num num[人] num[U] set[T] array[T]``; a capital letter is a unit
        variable; a trailing ``...`` repeats the last parameter. In a rule, a
        call with an unknown (missing) argument is unknown and the function is
        not called, unless it is ``total``; a function may return ``None`` to
        say its own answer is unknown. Standards call it with ``None`` for
        missing values, and it should return ``None`` then.
        """
        params, returns, variadic = parse_signature(signature, self.units) if signature else ((), ANY, False)

        def register(impl):
            self.functions[name] = Function(name, impl, params, returns, variadic,
                                            doc or (impl.__doc__ or "").strip(), typer, check_literals,
                                            total, strict)
            return impl
        return register

    def history_fact(self, name: str, type_spec: str, *, default=None, doc: str = "") -> HistoryFact:
        """Declare a fact the runtime looks up and rules read as ``history.<name>``."""
        fact = HistoryFact(name, _parse_type(type_spec, self.units, {}), default, doc)
        self.history[name] = fact
        return fact

    def unit(self, name: str, **kw):
        """Register a unit, see :meth:`UnitTable.register`."""
        return self.units.register(name, **kw)

    def copy(self) -> "Registry":
        return Registry(dict(self.functions), dict(self.history), self.units.copy())


# ------------------------------------------------------------ signatures
_TYPE_RE = re.compile(r"\s*(bool|str|date|any|num|set|array)(\[|\s*)")


def _parse_type(spec: str, units: UnitTable, unit_vars: dict):
    spec = spec.strip()
    simple = {"bool": BOOL, "str": STR, "date": DATE, "any": ANY, "num": NUMBER}
    if spec in simple:
        return simple[spec]
    m = re.fullmatch(r"(num|set|array)\[(.+)\]", spec)
    if not m:
        raise SignatureError(f"bad type {spec!r}")
    kind, inner = m.groups()
    if kind == "num":
        if re.fullmatch(r"[A-Z]", inner):
            return unit_vars.setdefault(inner, UnitVar(inner))
        unit = units.get(inner)
        if unit is None:
            raise SignatureError(f"unknown unit {inner!r}")
        return Num(((unit.base, 1),))
    elem = _parse_type(inner, units, unit_vars)
    return SetOf(elem) if kind == "set" else ArrayOf(elem)


def parse_signature(sig: str, units: UnitTable):
    m = re.fullmatch(r"\s*\((.*)\)\s*->\s*(.+?)\s*", sig)
    if not m:
        raise SignatureError(f"bad signature {sig!r}")
    args, ret = m.groups()
    unit_vars: dict = {}
    variadic = args.strip().endswith("...")
    if variadic:
        args = args.strip()[:-3]
    params = tuple(_parse_type(a, units, unit_vars) for a in _split_args(args))
    return params, _parse_type(ret, units, unit_vars), variadic


def _split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    if cur.strip():
        out.append(cur)
    return out


def apply_signature(fn: Function, arg_types: list[Type]) -> Type | str:
    """The call's result type, or a zh-CN message saying what does not fit."""
    if fn.typer is not None:
        return fn.typer(arg_types)
    params = list(fn.params)
    if fn.variadic and len(arg_types) > len(params):
        params += [params[-1]] * (len(arg_types) - len(params))
    if len(arg_types) != len(params):
        return f"__arity__{len(fn.params)}{'+' if fn.variadic else ''}"
    bound: dict[str, Num] = {}
    for i, (want, got) in enumerate(zip(params, arg_types), 1):
        if isinstance(want, UnitVar):
            if not isinstance(got, Num):
                return f"第 {i} 个参数应为数量,实际为{got}"
            if want.name in bound and bound[want.name].dims != got.dims:
                return f"第 {i} 个参数的单位应与前面一致({bound[want.name]}),实际为{got}"
            bound.setdefault(want.name, got)
        elif want == ANY or got == ANY:
            continue
        elif want == STR and is_stringy(got):
            continue
        elif isinstance(want, Num) and isinstance(got, Num) and want.dims == got.dims:
            continue
        elif want == NUMBER and isinstance(got, Num) and not got.dims:
            continue
        elif not same_kind(want, got) or (isinstance(want, Num) != isinstance(got, Num)):
            return f"第 {i} 个参数应为{want},实际为{got}"
    ret = fn.returns
    if isinstance(ret, UnitVar):
        return bound.get(ret.name, NUMBER)
    return ret


# ------------------------------------------------------------ the default registry
def _builtins(reg: Registry) -> None:
    def f(name, signature=None, **kw):
        return reg.function(name, signature, strict=True, **kw)

    @f("ceil", "(num[U]) -> num[U]", doc="向上取整:ceil(2.1 人) = 3 人")
    def ceil(x):
        return None if x is None else math.ceil(x)

    @f("floor", "(num[U]) -> num[U]", doc="向下取整")
    def floor_(x):
        return None if x is None else math.floor(x)

    @f("round", "(num[U]) -> num[U]", doc="四舍五入到整数(0.5 进位)")
    def round_(x):
        return None if x is None else math.floor(x + 0.5)

    @f("abs", "(num[U]) -> num[U]", doc="绝对值")
    def abs_(x):
        return None if x is None else abs(x)

    @f("min", "(num[U], num[U]...) -> num[U]", doc="最小值(规则中有未知值时未知;标准中忽略空值)")
    def min_(*xs):
        xs = [x for x in xs if x is not None]
        return min(xs) if xs else None

    @f("max", "(num[U], num[U]...) -> num[U]", doc="最大值(规则中有未知值时未知;标准中忽略空值)")
    def max_(*xs):
        xs = [x for x in xs if x is not None]
        return max(xs) if xs else None

    # present and missing are how a rule tests absence: they see unknowns, and answer
    @f("present", "(any) -> bool", doc="字段已填写(不为空)", total=True)
    def present(x):
        return x is not None and x != "" and x != []

    @f("missing", "(any) -> bool", doc="字段未填写或为空", total=True)
    def missing(x):
        return x is None or x == "" or x == []

    def _length_type(args):
        if len(args) != 1:
            return "__arity__1"
        if args[0] == STR or isinstance(args[0], (ArrayOf, SetOf)) or args[0] == ANY or is_stringy(args[0]):
            return NUMBER
        return f"第 1 个参数应为文字、数组或集合,实际为{args[0]}"

    @f("length", doc="文字的字数,或数组、集合的元素个数", typer=_length_type)
    def length(x):
        return None if x is None else len(x)

    @f("starts_with", "(str, str) -> bool", doc="文字以某段文字开头")
    def starts_with(s, prefix):
        return isinstance(s, str) and isinstance(prefix, str) and s.startswith(prefix)

    @f("ends_with", "(str, str) -> bool", doc="文字以某段文字结尾")
    def ends_with(s, suffix):
        return isinstance(s, str) and isinstance(suffix, str) and s.endswith(suffix)

    def _regex_literal(args):
        # The pattern must be written in the pack: a pattern taken from task
        # data could be anything, and validating it only at compile time means
        # a bad one is a diagnostic with a position, never a decision-time error.
        from .nodes import String
        if len(args) != 2:
            return None  # arity is reported as E304
        if not isinstance(args[1], String):
            return NON_LITERAL_PATTERN
        return regex_problem(args[1].value)

    @f("matches", "(str, str) -> bool", doc="文字符合正则表达式(RE2 语法,在任意位置匹配)",
       check_literals=_regex_literal)
    def matches(s, pattern):
        if not isinstance(s, str) or not isinstance(pattern, str):
            return False
        return _compiled(pattern).search(s) is not None

    @f("year", "(date) -> num", doc="日期的年份")
    def year(d):
        return None if d is None else int(str(d)[:4])

    @f("month", "(date) -> num", doc="日期的月份")
    def month(d):
        return None if d is None else int(str(d)[5:7])

    @f("days_between", "(date, date) -> num[天]", doc="两个日期相差的天数(后者减前者)")
    def days_between(a, b):
        return date_diff(b, a)

    reg.history_fact("assessments_this_year", "num[次]", default=0,
                     doc="本年度该单位已接受的考核评比次数(由运行时从任务记录中统计)")
    reg.history_fact("inspections_this_year", "num[次]", default=0,
                     doc="本年度该单位已接受的督查检查次数")
    reg.history_fact("tasks_this_month", "num[次]", default=0,
                     doc="本月已下派给该单位的任务数")
    reg.history_fact("plaques", "num[个]", default=0,
                     doc="该单位党群服务中心门口已悬挂的牌子数量")


#: What ``check_literals`` of ``matches`` answers for a pattern that is not a
#: string literal; the checker reports it as E309 rather than E305.
NON_LITERAL_PATTERN = "__non_literal_pattern__"

#: Patterns run on RE2, whose matching time is linear in the text: a pack
#: pattern like ``^(a+)+$`` cannot stall a decision (Python's backtracking
#: ``re`` took ~20 s on 27 characters). ``log_errors`` off: a bad pattern is
#: our diagnostic, not a line on the server's stderr.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def regex_problem(pattern: str) -> Optional[str]:
    """Why ``pattern`` is not a valid RE2 pattern (zh-CN), or None if it is."""
    try:
        _compiled(pattern)
    except re2.error as e:
        reason = e.args[0] if e.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"{reason}(RE2 语法,不支持反向引用和前后断言)"
    return None


@lru_cache(maxsize=512)
def _compiled(pattern: str):
    """The compiled pattern; bounded so a long-running server does not keep
    every pattern of every pack version it ever loaded."""
    return re2.compile(pattern, _RE2_OPTIONS)


def to_date(value) -> Optional[date]:
    """ISO text (``2024-05-01`` or a timestamp starting with it) -> date."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def date_diff(a, b):
    """Days from ``b`` to ``a`` (``a - b``); None when either is missing."""
    if a is None or b is None:
        return None
    return (to_date(a) - to_date(b)).days


def date_add(d, days):
    if d is None or days is None:
        return None
    return (to_date(d) + timedelta(days=days)).isoformat()


_DEFAULT: Optional[Registry] = None


def default_registry() -> Registry:
    """The process-wide registry: builtins plus every ``jiceng.functions``
    entry point (each a module that registers on import, or a callable that
    receives the registry)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry()
        _builtins(_DEFAULT)
        load_entry_points(_DEFAULT)
    return _DEFAULT


def load_entry_points(registry: Registry) -> list[str]:
    loaded = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if callable(obj) and not isinstance(obj, type):
            obj(registry)
        loaded.append(ep.name)
    return loaded


def function(name: str, signature: Optional[str] = None, **kw):
    """Register a function in the default registry (decorator)."""
    return default_registry().function(name, signature, **kw)


def history_fact(name: str, type_spec: str, **kw) -> HistoryFact:
    """Declare a history fact in the default registry."""
    return default_registry().history_fact(name, type_spec, **kw)


def unit(name: str, **kw):
    """Register a unit in the default registry."""
    return default_registry().unit(name, **kw)
