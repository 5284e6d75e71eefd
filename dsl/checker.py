"""Static checking: every name, type, unit and override before anything runs.

Input: the merged chain (:class:`~.resolver.Linked`), the tenant's task form
and the function registry. Output: :class:`Checked` — params with their
effective values, lists, rules, standards and tests, plus the side tables the
compiler reads (the type of every expression, what every name refers to).

The checker never stops at the first problem: it reports each one and types
the faulty expression as ``ANY`` so that one mistake is reported once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from functools import cached_property
from typing import Any, Optional

from . import nodes as n
from .diagnostics import Diagnostic, Note, did_you_mean, make
from .effects import DECISIONS
from .formatter import expr as format_expr
from .functions import NON_LITERAL_PATTERN, Registry, apply_signature
from .items import item_value
from .resolver import LIST_KINDS, Linked, MergedList
from .taskform import TaskForm
from .types import (ANY, BOOL, DATE, DERIVED, FACT_SOURCES, FIELD_SOURCES, LEVEL_LABELS, LEVELS, NUMBER, STR,
                    ArrayOf, Enum,
                    ListRef, Num, RangeOf, Record, SetOf, Type, Vocab, is_stringy, same_kind, source_fields,
                    target_fields, unit_fields)
from .units import PERCENT, dims_of, format_dims, mul_dims
from .visitor import NodeTable, NodeVisitor, iter_child_nodes

POLICIES = ("floor", "ceiling", "narrow", "fixed", "free")
#: how an item's ``levels`` may name a level: its code or its Chinese label (社区, 村 …)
LEVEL_SPELLINGS = {**{code: code for code in LEVELS}, **{label: code for code, label in LEVEL_LABELS.items()},
                   "县": "county", "区": "county", "县区": "county", "镇": "township", "乡": "township"}
GIVEN_ROOTS = ("task", "target", "history", "source", "unit")
DAYS = Num((("天", 1),))


# ------------------------------------------------------------------ results
@dataclass
class ParamInfo:
    name: str
    title: Optional[str]
    type: Type
    value: Any  # Fraction | (Fraction, Fraction) | str | bool | frozenset
    policy: str
    span: n.Span
    pack: str
    declared_in: list[str] = field(default_factory=list)
    text: str = ""  # the value as written: "18 人 per 10000 人"


@dataclass
class ListInfo:
    name: str
    kind: str
    title: Optional[str]
    pack: str
    # {"code","name","kind","requires","attrs","pack","aliases","levels","example","cites","list"}
    items: list[dict]
    codes: frozenset[str]
    item_type: Record
    # what `x in list` matches: each item's code, name and aliases; items limited to
    # levels match only at those levels (by_level), the others everywhere (keys)
    keys: frozenset[str] = frozenset()
    by_level: dict[str, frozenset[str]] = field(default_factory=dict)
    cites: tuple[n.Cite, ...] = ()

    def find(self, spelling: str) -> Optional[dict]:
        """The item whose code, name or alias is ``spelling`` (the first such, in list order)."""
        return self._by_spelling.get(spelling)

    @cached_property
    def _by_spelling(self) -> dict[str, dict]:
        # a decision looks items up by the task's facts: a list of hundreds scanned per fired rule
        # per decision was a quarter of a small pack's decision time
        index: dict[str, dict] = {}
        for item in self.items:
            for spelling in (item["code"], item["name"], *item["aliases"]):
                index.setdefault(spelling, item)
        return index


@dataclass
class RuleInfo:
    index: int
    id: str
    title: Optional[str]
    pack: str
    effect: n.Effect
    cites: tuple[n.Cite, ...]
    when: Optional[n.Expr]
    overridable: bool
    span: n.Span
    on_unknown: Optional[n.Effect] = None  # `unknown reject`: an unknown condition rejects


@dataclass
class StandardInfo:
    name: str
    title: Optional[str]
    pack: str
    levels: tuple[str, ...]  # the unit levels it evaluates (`over community, village`)
    where: Optional[n.Expr]
    measures: list[tuple[str, Optional[str], n.Expr, Type]]
    expects: list[n.StandardExpect]
    exports: dict[str, tuple[str, Type]]  # target fact -> (measure or "compliant", type)
    cites: tuple[n.Cite, ...]
    span: n.Span

    @property
    def level(self) -> str:
        """The first level of ``over`` (most standards have exactly one)."""
        return self.levels[0]

    def applies_to(self, level: Optional[str]) -> bool:
        return level in self.levels


@dataclass
class Checked:
    linked: Linked
    task_form: TaskForm
    params: dict[str, ParamInfo]
    lists: dict[str, ListInfo]
    rules: list[RuleInfo]
    standards: list[StandardInfo]
    tests: list[n.Test]
    requirements: dict[str, str]
    target_record: Record
    source_record: Record
    unit_record: Record
    history_record: Record
    types: NodeTable[Type]  # every expression checked -> its type
    bindings: NodeTable[tuple]  # every Name -> (kind, name): var measure root param list symbol
    warnings: list[Diagnostic]
    registry: Registry
    defines: dict[str, tuple[n.Define, Type]] = field(default_factory=dict)

    def lists_of_kind(self, kind: str) -> tuple[str, ...]:
        """The names of every list of ``kind`` (``kind assist``)."""
        return tuple(name for name, info in self.lists.items() if info.kind == kind)

    def list_keys(self, names) -> tuple[frozenset, dict[str, frozenset]]:
        """What ``x in`` the union of lists ``names`` matches: (spellings at every level,
        {level: spellings only there})."""
        keys, by_level = set(), {}
        for name in names:
            info = self.lists.get(name)
            if info is None:
                continue
            keys |= info.keys
            for level, spellings in info.by_level.items():
                by_level[level] = by_level.get(level, frozenset()) | spellings
        return frozenset(keys), by_level

    def item_values(self, names) -> tuple[dict, ...]:
        """The items of lists ``names`` as records (what ``any(i in kind assist: …)`` iterates)."""
        record = items_record(self, names)
        return tuple(item_value(item, record) for name in names if name in self.lists
                     for item in self.lists[name].items)

    def source_of(self, path: str) -> str:
        """Who supplies the fact at ``path`` (``task.unified_deployment`` → ``sender``,
        ``source.department.own_duty`` → ``departments``): a key of :data:`.types.SOURCE_LABELS`.
        Standards' exports are derived."""
        root, _, rest = path.partition(".")
        field = rest.split(".")[0].split("[")[0]
        if root == "target" and field in self.derived_facts:
            return DERIVED
        return FIELD_SOURCES.get((root, field)) or FACT_SOURCES.get(root, root)

    @property
    def derived_facts(self) -> frozenset[str]:
        """The ``target.*`` facts standards export."""
        return frozenset(f for s in self.standards for f in s.exports)


# ------------------------------------------------------------------ scopes
@dataclass
class Scope:
    vars: dict[str, Type] = field(default_factory=dict)
    measures: dict[str, Type] = field(default_factory=dict)
    unit: Optional[Record] = None
    parent: Optional["Scope"] = None

    def lookup_var(self, name: str) -> Optional[Type]:
        s: Optional[Scope] = self
        while s is not None:
            if name in s.vars:
                return s.vars[name]
            s = s.parent
        return None

    def all_vars(self) -> list[str]:
        out, s = [], self
        while s is not None:
            out += list(s.vars)
            s = s.parent
        return out


class Checker(NodeVisitor):
    """Checks a linked chain; as a visitor, types expressions (``infer``)."""

    def __init__(self, linked: Linked, form: TaskForm, registry: Registry):
        self.linked = linked
        self.form = _with_vocabulary_types(form)
        self.registry = registry
        self.diags: list[Diagnostic] = []
        self.types: NodeTable[Type] = NodeTable()
        self.bindings: NodeTable[tuple] = NodeTable()
        self.params: dict[str, ParamInfo] = {}
        self.lists: dict[str, ListInfo] = {}
        self.history_record = Record("history", {k: f.type for k, f in registry.history.items()},
                                     owner_label="history(历史事实)")
        self.target_extra: dict[str, Type] = {}
        self.defines: dict[str, tuple[n.Define, Type]] = {}
        self._defining: list[str] = []  # the defines being checked, innermost last (cycles)
        self._expand = _Expand(self)
        self.cyclic: set[str] = set()  # defines in a cycle (E240): never expanded
        self.target_record = Record("target", fields_fn=lambda r: target_fields(self.target_extra),
                                    owner_label="target(接收单位)")
        self.source_record = Record("source", fields_fn=lambda r: source_fields(), owner_label="source(下派单位)")
        # a standard reads the unit's own facts only: exported measures are
        # supplied to rules (target.*), never to other standards
        self.unit_record = Record(
            "unit", fields_fn=lambda r: {**unit_fields(), "children": ArrayOf(r)},
            owner_label="unit(被评价单位)")

    # -------------------------------------------------------------- driver
    def run(self) -> Checked:
        for name, decls in self.linked.param_decls.items():
            self._check_param(name, decls)
        for name, merged in self.linked.lists.items():
            self.lists[name] = self._list_info(merged)
        standards = [self._check_standard(s, pack) for s, pack in self.linked.standards]
        standards = [s for s in standards if s is not None]
        # after the standards: their exports are fields of target, which a define may read (the
        # target record fixes its fields when first read); standards never read a define (E301)
        for name in self.linked.defines:
            self._check_define(name)
        rules = [r for r in (self._check_rule(i, e.rule, e.pack) for i, e in enumerate(self.linked.rules)) if r]
        tests = [t for t, _ in self.linked.tests]
        by_name = {s.name: s for s in standards}
        for t in tests:
            self._check_test(t, by_name)
        errors = [d for d in self.diags if d.is_error]
        warnings = [d for d in self.diags if not d.is_error]
        self.diags = errors
        return Checked(self.linked, self.form, self.params, self.lists, rules, standards, tests,
                       self.linked.requirements, self.target_record, self.source_record, self.unit_record,
                       self.history_record, self.types, self.bindings, warnings, self.registry, self.defines)

    def error(self, code: str, span: n.Span, /, **kw) -> Type:
        self.diags.append(make(code, span, **kw))
        return ANY

    # -------------------------------------------------------------- params
    def _check_param(self, name: str, decls: list[tuple[n.Param, str]]) -> None:
        current: Optional[ParamInfo] = None
        for decl, pack in decls:
            t, value = self.constant(decl.value, name)
            if t == ANY:
                return
            if decl.policy is not None and decl.policy not in POLICIES:
                self.error("E211", decl.span, problem=f"未知的覆盖策略 {decl.policy}")
                return
            if current is None:
                policy = decl.policy or "free"
                if not self._policy_applies(policy, t):
                    self.error("E410", decl.span, name=name, policy=policy, value_type=t)
                    return
                current = ParamInfo(name, decl.title, t, value, policy, decl.span, pack, [pack],
                                    format_expr(decl.value))
                continue
            note = [Note(current.span, f"上级规则包 {current.pack} 的声明:{current.text}")]
            if t != current.type:
                self.diags.append(make("E409", decl.span, name=name, value_type=t,
                                       inherited_type=current.type, notes=note))
                return
            if decl.policy is not None and decl.policy != current.policy:
                self.diags.append(make("E405", decl.span, name=name, inherited=current.policy,
                                       policy=decl.policy, notes=note))
                return
            problem = _violates(current.policy, current.value, value)
            if problem:
                self.diags.append(make(problem, decl.span, name=name, value=format_expr(decl.value),
                                       bound=current.text, notes=note))
                return
            current = ParamInfo(name, decl.title or current.title, t, value, current.policy, decl.span,
                                pack, current.declared_in + [pack], format_expr(decl.value))
        if current is not None:
            self.params[name] = current

    @staticmethod
    def _policy_applies(policy: str, t: Type) -> bool:
        if policy in ("floor", "ceiling"):
            return isinstance(t, Num)
        if policy == "narrow":
            return isinstance(t, (RangeOf, SetOf))
        return True

    def constant(self, e: n.Expr, name: str) -> tuple[Type, Any]:
        """Type and value of a param's constant expression."""
        return _Constant(self, name).visit(e)

    # -------------------------------------------------------------- lists
    def _list_info(self, merged: MergedList) -> ListInfo:
        attr_types: dict[str, Type] = {}
        items = []
        keys: set[str] = set()
        by_level: dict[str, set[str]] = {}
        self._check_cites(merged.cites)
        for code, (item, pack) in merged.items.items():
            for req in item.requires:
                if req not in self.linked.requirements:
                    self.error("E208", item.span, code=req, hint=did_you_mean(req, self.linked.requirements))
            self._check_cites(item.cites)
            levels = []
            for level in item.levels:
                if level not in LEVEL_SPELLINGS:
                    self.error("E217", item.levels_span or item.span, value=level, owner=f"事项 {code} 的 levels",
                               allowed="、".join(f"{c}({LEVEL_LABELS[c]})" for c in LEVELS),
                               hint=did_you_mean(level, LEVEL_SPELLINGS))
                else:
                    levels.append(LEVEL_SPELLINGS[level])
            spellings = {code, item.name, *item.aliases}
            if levels:
                for level in levels:
                    by_level.setdefault(level, set()).update(spellings)
            else:
                keys |= spellings
            attrs = {}
            for key, value in item.attrs:
                t = _json_type(value)
                if key in attr_types and attr_types[key] != t:
                    attr_types[key] = ANY
                else:
                    attr_types.setdefault(key, t)
                attrs[key] = value
            cites = [{"source": c.source, "clause": c.clause, "quote": c.quote} for c in item.cites]
            items.append({"code": code, "name": item.name, "kind": merged.kind,
                          "requires": list(item.requires), "attrs": attrs, "pack": pack,
                          "aliases": list(item.aliases), "levels": list(dict.fromkeys(levels)),
                          "example": item.example, "cites": cites, "list": merged.name})
        record = Record(f"{merged.name} 的事项", {**ITEM_FIELDS, **attr_types},
                        owner_label=f"清单 {merged.name} 的事项")
        return ListInfo(merged.name, merged.kind, merged.title, merged.pack, items,
                        frozenset(i["code"] for i in items), record, frozenset(keys),
                        {level: frozenset(v) for level, v in by_level.items()}, merged.cites)

    # -------------------------------------------------------------- named conditions
    def _check_define(self, name: str) -> Type:
        """Type a ``define`` once (others it uses first); a cycle is E240."""
        if name in self.defines:
            return self.defines[name][1]
        decl, _pack = self.linked.defines[name]
        if name in self._defining:
            cycle = self._defining[self._defining.index(name):] + [name]
            self.error("E240", decl.span, cycle=" → ".join(cycle))
            self.cyclic.update(cycle)
            self.defines[name] = (decl, ANY)
            return ANY
        self._defining.append(name)
        t = self.infer(decl.value, Scope())
        self._defining.pop()
        if name not in self.defines:  # a cycle through it has already typed it ANY
            self.defines[name] = (decl, t)
        return self.defines[name][1]

    # -------------------------------------------------------------- citations
    def _check_cites(self, cites) -> None:
        for c in cites:
            if c.source not in self.linked.sources:
                self.error("E209", c.span, source=c.source, hint=did_you_mean(c.source, self.linked.sources))

    # -------------------------------------------------------------- standards
    def _check_standard(self, s: n.Standard, pack: str) -> Optional[StandardInfo]:
        self._check_cites(s.cites)
        if len(s.levels) != 1:
            problem = ("缺少 over 子句(如 over community)" if not s.levels
                       else "只能有一个 over 子句;多个层级写在一起:over community, village")
            self.error("E218", s.span, standard=s.name, problem=problem)
            return None
        levels = s.levels[0]
        for level in levels:
            if level not in LEVELS:
                self.error("E217", s.level_span or s.span, value=level, owner="over", allowed="、".join(LEVELS),
                           hint=did_you_mean(level, LEVELS))
                return None
        scope = Scope(unit=self.unit_record)
        if s.where is not None:
            self.condition(s.where, scope, "where 条件")
        measures = []
        for m in s.measures:
            if m.name in scope.measures or m.name in ("compliant", *("task target source history today unit".split())):
                self.error("E202", m.span, what="指标", name=m.name)
                continue
            t = self.infer(m.value, scope)
            scope.measures[m.name] = t
            measures.append((m.name, m.title, m.value, t))
        if not s.expects:
            self.error("E218", s.span, standard=s.name, problem="缺少 expect 达标条件")
        for x in s.expects:
            self.condition(x.condition, scope, "expect 条件")
        reach = max((children_depth(e) for e in [s.where, *(m[2] for m in measures),
                                                  *(x.condition for x in s.expects)] if e is not None), default=0)
        if s.exports and reach > 1:
            # exports feed admission decisions, which see the target and its children only
            self.error("E218", s.exports[0].span, standard=s.name,
                       problem="导出给准入规则的标准只能读取单位本身及其下一级(unit.children),不能读取更下级")
            return None
        exports = {}
        for x in s.exports:
            if x.measure == "compliant":
                t: Type = BOOL
            elif x.measure in scope.measures:
                t = scope.measures[x.measure]
            else:
                self.error("E218", x.span, standard=s.name, problem=f"没有指标 {x.measure} 可导出",
                           hint=did_you_mean(x.measure, [*scope.measures, "compliant"]))
                continue
            alias = x.alias or x.measure
            if alias in target_fields() or alias in self.target_extra:
                self.error("E202", x.span, what="单位事实", name=alias)
                continue
            self.target_extra[alias] = t
            exports[alias] = (x.measure, t)
        return StandardInfo(s.name, s.title, pack, levels, s.where, measures, list(s.expects), exports,
                            s.cites, s.span)

    # -------------------------------------------------------------- rules
    def _check_rule(self, index: int, r: n.Rule, pack: str) -> Optional[RuleInfo]:
        self._check_cites(r.cites)
        ok = True
        if not r.effects:
            self.error("E215", r.span, rule=r.id, problem="缺少 then 结果(reject、require 或 warn)")
            ok = False
        for extra in r.effects[1:]:
            self.error("E215", extra.span, rule=r.id,
                       problem="只能有一个 then 结果;同时提出多项要求请写成 then require 甲, 乙 \"说明\"")
            ok = False
        for extra in r.extra_when:
            self.error("E215", extra.span, rule=r.id, problem="只能有一个 when 条件;请用 and 连接")
            ok = False
        for extra in r.unknown[1:]:
            self.error("E215", extra.span, rule=r.id, problem="只能有一个 unknown 子句")
            ok = False
        for eff in r.effects[:1]:
            for code in eff.codes if eff.kind == "require" else ():
                if code not in self.linked.requirements:
                    self.error("E208", eff.span, code=code, hint=did_you_mean(code, self.linked.requirements))
                    ok = False
        if r.when is not None:
            before = len(self.diags)
            self.condition(r.when, Scope(), "when 条件")
            if len(self.diags) == before:
                reason = never_fires(r.when, self)
                if reason:
                    self.diags.append(make("W301", r.when.span, rule=r.id, reason=reason))
        when = r.when if r.when is None or not self.defines else self._expand.visit(r.when)
        if r.unknown and (when is None or not reads_facts(when, self.bindings)):
            self.diags.append(make("W303", r.unknown[0].span, rule=r.id))
        if not ok:
            return None
        return RuleInfo(index, r.id, r.title, pack, r.effects[0], r.cites, when, r.overridable, r.span,
                        r.unknown[0] if r.unknown else None)

    def condition(self, e: n.Expr, scope: Scope, what: str) -> None:
        t = self.infer(e, scope)
        if t not in (BOOL, ANY):
            self.error("E303", e.span, what=what, actual=t)

    # -------------------------------------------------------------- tests
    def _check_standard_expectation(self, t: n.Test, x: n.Expectation, standards) -> None:
        (name, name_span), (verdict, verdict_span) = x.named()
        std = standards.get(name)
        if std is None:
            self.error("E221", name_span, name=name, hint=did_you_mean(name, standards))
            return
        if verdict not in ("passes", "fails"):
            self.error("E219", verdict_span, test=t.name, problem=f"标准的结论应为 passes(达标)或 fails(不达标),不能是 {verdict}")
        if not any(g.root == "unit" for g in t.givens):
            self.error("E219", x.span, test=t.name, problem="检验标准需要 given unit {...} 给出被评价的单位")
        measures = {m[0]: m[3] for m in std.measures}
        measures["compliant"] = BOOL
        for key, value in x.record:
            if key not in measures:
                self.error("E218", x.span, standard=name, problem=f"没有指标 {key}",
                           hint=did_you_mean(key, measures))
            else:
                self._check_value(t.name, f"{name}.{key}", measures[key], value, x.span)

    def _check_test(self, t: n.Test, standards: Optional[dict] = None) -> None:
        standards = standards or {}
        all_rules = {e.rule.id for e in self.linked.rules} | set(self.linked.disabled)
        records = {"task": self.form.record, "target": self.target_record, "source": self.source_record,
                   "history": self.history_record, "unit": self.unit_record}
        for g in t.givens:
            if g.root not in GIVEN_ROOTS:
                self.error("E219", g.span, test=t.name, problem=f"given 只能是 {'、'.join(GIVEN_ROOTS)},不能是 {g.root}")
                continue
            self._check_given(t.name, g.root, records[g.root], g.record, g.span)
        if t.on is not None and not _valid_date(t.on):
            self.error("E107", t.span, value=t.on)
        if not t.expectations:
            self.diags.append(make("W302", t.span, test=t.name))
        for x in t.expectations:
            if x.kind == "standard":
                self._check_standard_expectation(t, x, standards)
                continue
            if x.kind == "decision" and x.value not in DECISIONS:
                self.error("E219", x.span, test=t.name, problem=f"expect 的结论应为 admit、conditional 或 reject,不能是 {x.value}",
                           hint=did_you_mean(x.value or "", DECISIONS))
            for name, span in x.named():
                if x.kind == "requires":
                    if name not in self.linked.requirements:
                        self.error("E208", span, code=name, hint=did_you_mean(name, self.linked.requirements))
                elif name not in all_rules:
                    self.error("E210", span, rule=name, hint=did_you_mean(name, all_rules))

    def _check_given(self, test: str, path: str, record: Record, values, span: n.Span) -> None:
        for key, value in values:
            ftype = record.fields.get(key)
            where = f"{path}.{key}"
            if ftype is None:
                code = "E204" if record is self.form.record else "E205"
                self.error(code, span, field=key, owner=record.owner_label, hint=did_you_mean(key, record.fields))
                continue
            self._check_value(test, where, ftype, value, span)

    def _check_value(self, test: str, where: str, t: Type, value, span: n.Span) -> None:
        if value is None or t == ANY:
            return
        ok = True
        if t == BOOL:
            ok = isinstance(value, bool)
        elif isinstance(t, Enum):
            ok = isinstance(value, str)
            if ok and value not in t.values:
                self.error("E217", span, value=value, owner=where, allowed="、".join(t.values),
                           hint=did_you_mean(value, t.values))
                return
        elif t == STR:
            ok = isinstance(value, str)
        elif t == DATE:
            ok = isinstance(value, str) and _valid_date(value[:10])
        elif isinstance(t, Num):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif isinstance(t, (ArrayOf, SetOf)):
            ok = isinstance(value, list)
            if ok:
                for i, v in enumerate(value):
                    self._check_value(test, f"{where}[{i}]", t.elem, v, span)
                return
        elif isinstance(t, Record):
            ok = isinstance(value, tuple)
            if ok:
                self._check_given(test, where, t, value, span)
                return
        if not ok:
            self.error("E307", span, test=test, path=where, expected=t, actual=_json_type(value))

    # -------------------------------------------------------------- expressions
    # One visit_<Node>(e, scope, expected) per expression type. ``expected`` is
    # the type the context wants, if it knows one: it lets a bare word or a text
    # be checked against an enum (``target.level == street``).
    def infer(self, e: n.Expr, scope: Scope, expected: Optional[Type] = None) -> Type:
        """The type of ``e`` (``ANY`` after an error), recorded for the backends."""
        t = self.visit(e, scope, expected)
        self.types[e] = t
        return t

    def _unit(self, unit: str, span: n.Span):
        """The definition of a unit name, or None after reporting E203."""
        ud = PERCENT if unit == "%" else self.registry.units.get(unit)
        if ud is None:
            self.error("E203", span, unit=unit, hint=did_you_mean(unit, self.registry.units.names()))
        return ud

    def visit_Number(self, e: n.Number, scope: Scope, expected: Optional[Type]) -> Type:
        if e.unit is None:
            return NUMBER
        unit = self._unit(e.unit, e.span)
        return ANY if unit is None else Num(dims_of(unit))

    def visit_Ratio(self, e: n.Ratio, scope: Scope, expected: Optional[Type]) -> Type:
        units = []
        for u in (e.numerator_unit, e.denominator_unit):
            ud = self._unit(u, e.span)
            if ud is None:
                return ANY
            units.append(ud)
        if e.denominator == 0:
            return self.error("E308", e.span)
        return Num(mul_dims(dims_of(units[0]), dims_of(units[1]), -1))

    def visit_RangeLit(self, e: n.RangeLit, scope: Scope, expected: Optional[Type]) -> Type:
        dims: tuple = ()
        if e.unit is not None:
            ud = self._unit(e.unit, e.span)
            if ud is None:
                return ANY
            dims = dims_of(ud)
        if e.low > e.high:
            return self.error("E301", e.span, detail=f"范围下限 {e.low} 大于上限 {e.high}")
        return RangeOf(Num(dims))

    def visit_String(self, e: n.String, scope: Scope, expected: Optional[Type]) -> Type:
        if isinstance(expected, Enum) and e.value not in expected.values:
            return self.error("E217", e.span, value=e.value, owner=expected.name,
                              allowed="、".join(expected.values), hint=did_you_mean(e.value, expected.values))
        return STR

    def visit_DateLit(self, e: n.DateLit, scope: Scope, expected: Optional[Type]) -> Type:
        if not _valid_date(e.value):
            return self.error("E107", e.span, value=e.value)
        return DATE

    def visit_Bool(self, e: n.Bool, scope: Scope, expected: Optional[Type]) -> Type:
        return BOOL

    def visit_KindRef(self, e: n.KindRef, scope: Scope, expected: Optional[Type]) -> Type:
        if e.kind not in LIST_KINDS:
            return self.error("E207", e.span, kind=e.kind, allowed="、".join(LIST_KINDS),
                              hint=did_you_mean(e.kind, LIST_KINDS))
        return ListRef(tuple(name for name, info in self.lists.items() if info.kind == e.kind))

    def visit_Index(self, e: n.Index, scope: Scope, expected: Optional[Type]) -> Type:
        obj = self.infer(e.obj, scope)
        if isinstance(obj, ListRef) and len(obj.names) == 1:
            key = self.infer(e.key, scope)
            if key != ANY and not is_stringy(key):
                return self.error("E301", e.key.span, detail=f"清单事项按代码查找,代码应为文字,实际为{key}")
            return self.lists[obj.names[0]].item_type if obj.names[0] in self.lists else ANY
        if obj == ANY:
            return ANY
        return self.error("E301", e.span, detail=f"只能按代码查找单个清单中的事项,不能对{obj}使用 [ ]")

    def visit_SetLit(self, e: n.SetLit, scope: Scope, expected: Optional[Type]) -> Type:
        elem_expected = expected.elem if isinstance(expected, (SetOf, ArrayOf)) else None
        elem: Optional[Type] = None
        for item in e.items:
            t = self.infer(item, scope, elem_expected or elem)
            if t == ANY:
                continue
            if elem is not None and not same_kind(elem, t):
                return self.error("E301", item.span, detail=f"集合中混有{elem}与{t}")
            elem = elem or t
        return SetOf(elem or ANY)

    def visit_Neg(self, e: n.Neg, scope: Scope, expected: Optional[Type]) -> Type:
        t = self.infer(e.operand, scope)
        if t != ANY and not isinstance(t, Num):
            return self.error("E301", e.span, detail=f"负号只能用于数字或数量,不能用于{t}")
        return t

    def visit_Not(self, e: n.Not, scope: Scope, expected: Optional[Type]) -> Type:
        t = self.infer(e.operand, scope)
        if t not in (BOOL, ANY):
            return self.error("E303", e.operand.span, what="not 的对象", actual=t)
        return BOOL

    def visit_BoolOp(self, e: n.BoolOp, scope: Scope, expected: Optional[Type]) -> Type:
        for x in e.operands:
            t = self.infer(x, scope)
            if t not in (BOOL, ANY):
                self.error("E303", x.span, what=f"{e.op} 的每一项", actual=t)
        return BOOL

    def visit_Name(self, e: n.Name, scope: Scope, expected: Optional[Type]) -> Type:
        var = scope.lookup_var(e.id)
        if var is not None:
            self.bindings[e] = ("var", e.id)
            return var
        s: Optional[Scope] = scope
        while s is not None:
            if e.id in s.measures:
                self.bindings[e] = ("measure", e.id)
                return s.measures[e.id]
            s = s.parent
        roots = {"task": self.form.record, "target": self.target_record, "source": self.source_record,
                 "history": self.history_record, "today": DATE}
        unit = _scope_unit(scope)
        if unit is not None:
            roots["unit"] = unit
        if e.id in roots:
            self.bindings[e] = ("root", e.id)
            return roots[e.id]
        if e.id in self.params:
            self.bindings[e] = ("param", e.id)
            return self.params[e.id].type
        if e.id in self.linked.param_decls:  # declared, but its value failed to check
            return ANY
        if e.id in self.lists:
            self.bindings[e] = ("list", e.id)
            return ListRef((e.id,))
        if e.id in self.linked.defines:
            if unit is not None:  # a standard reads its unit, not the task and target a define reads
                return self.error("E301", e.span, detail=f"命名条件 {e.id} 只能用于规则(rule)和其他命名条件,不能用于标准")
            self.bindings[e] = ("define", e.id)
            return self._check_define(e.id)
        if isinstance(expected, Enum):
            if e.id in expected.values:
                self.bindings[e] = ("symbol", e.id)
                return expected
            return self.error("E217", e.span, value=e.id, owner=expected.name,
                              allowed="、".join(expected.values), hint=did_you_mean(e.id, expected.values))
        candidates = [*roots, *self.params, *self.lists, *self.linked.defines, *scope.all_vars()]
        hint = did_you_mean(e.id, candidates)
        if hint is None and expected in (STR, None):
            hint = f"如果这是一段文字,请加引号:\"{e.id}\""
        return self.error("E201", e.span, name=e.id, hint=hint)

    def visit_Attr(self, e: n.Attr, scope: Scope, expected: Optional[Type]) -> Type:
        obj = self.infer(e.obj, scope)
        if obj == ANY:
            return ANY
        if isinstance(obj, Record):
            t = obj.fields.get(e.name)
            if t is None:
                if obj is self.form.record:
                    return self.error("E204", e.span, field=e.name, hint=did_you_mean(e.name, obj.fields))
                return self.error("E205", e.span, owner=obj.owner_label, field=e.name,
                                  hint=did_you_mean(e.name, obj.fields))
            return t
        if isinstance(obj, RangeOf) and e.name in ("min", "max"):
            return obj.num
        detail = f"{obj}没有字段 {e.name}" + ("(范围只有 min 和 max)" if isinstance(obj, RangeOf) else "")
        return self.error("E301", e.span, detail=detail)

    def visit_Call(self, e: n.Call, scope: Scope, expected: Optional[Type]) -> Type:
        fn = self.registry.functions.get(e.func)
        arg_types = [self.infer(a, scope) for a in e.args]
        if fn is None:
            return self.error("E206", e.span, name=e.func, hint=did_you_mean(e.func, self.registry.functions))
        if ANY in arg_types:
            return ANY if fn.typer or not fn.returns or fn.returns == ANY else _concrete(fn.returns)
        if fn.check_literals is not None:
            problem = fn.check_literals(list(e.args))
            if problem == NON_LITERAL_PATTERN:
                return self.error("E309", e.args[-1].span, name=e.func)
            if problem:
                return self.error("E305", e.span, detail=problem)
        result = apply_signature(fn, arg_types)
        if isinstance(result, str):
            if result.startswith("__arity__"):
                return self.error("E304", e.span, name=e.func, expected=result[9:], actual=len(e.args))
            code = "E302" if "单位" in result else "E301"
            return self.error(code, e.span, detail=f"{e.func}() {result}")
        return result

    def visit_Quantifier(self, e: n.Quantifier, scope: Scope, expected: Optional[Type]) -> Type:
        it = self.infer(e.iterable, scope)
        if it == ANY:
            elem: Type = ANY
        elif isinstance(it, (ArrayOf, SetOf)):
            elem = it.elem
        elif isinstance(it, ListRef):  # the items of the lists, with their attributes
            elem = items_record(self, it.names)
        else:
            return self.error("E301", e.iterable.span, detail=f"{e.kind}() 需要数组或集合,实际为{it}")
        inner = Scope(vars={e.var: elem}, parent=scope)
        if e.body is None:
            if e.kind != "count":
                return self.error("E301", e.span, detail=f"{e.kind}(x in ...: 条件) 缺少冒号后的部分")
            return NUMBER
        body = self.infer(e.body, inner)
        if e.kind == "sum":
            if body != ANY and not isinstance(body, Num):
                return self.error("E301", e.body.span, detail=f"sum() 的求和项应为数字或数量,实际为{body}")
            return body
        if body not in (BOOL, ANY):
            return self.error("E303", e.body.span, what=f"{e.kind}() 的条件", actual=body)
        return NUMBER if e.kind == "count" else BOOL

    def visit_Arith(self, e: n.Arith, scope: Scope, expected: Optional[Type]) -> Type:
        lt, rt = self.infer(e.left, scope), self.infer(e.right, scope)
        if ANY in (lt, rt):
            return ANY
        op = e.op
        if op == "+" and isinstance(lt, ListRef) and isinstance(rt, ListRef):
            return ListRef(lt.names + tuple(x for x in rt.names if x not in lt.names))
        if isinstance(lt, ListRef) or isinstance(rt, ListRef):
            return self.error("E301", e.span, detail=f"清单只能用 + 合并,不能计算 {lt} {op} {rt}")
        if op == "+" and isinstance(lt, SetOf) and isinstance(rt, SetOf) and same_kind(lt.elem, rt.elem):
            return lt
        if op in "+-":
            if isinstance(lt, Num) and isinstance(rt, Num):
                if lt.dims != rt.dims:
                    return self.error("E302", e.span, detail=f"{_unit_text(lt)} {op} {_unit_text(rt)}:不同单位的数量不能相加减")
                return lt
            if lt == DATE and rt == DAYS:
                return DATE
            if op == "+" and lt == DAYS and rt == DATE:
                return DATE
            if op == "-" and lt == DATE and rt == DATE:
                return DAYS
            if DATE in (lt, rt) and isinstance(lt if rt == DATE else rt, Num):
                return self.error("E302", e.span, detail="日期只能加减以“天”为单位的数量")
            return self.error("E301", e.span, detail=f"不能计算 {lt} {op} {rt}")
        if isinstance(lt, Num) and isinstance(rt, Num):
            if op == "/" and isinstance(e.right, n.Number) and e.right.value == 0:
                return self.error("E308", e.right.span)
            return Num(mul_dims(lt.dims, rt.dims, 1 if op == "*" else -1))
        return self.error("E301", e.span, detail=f"不能计算 {lt} {op} {rt}")

    def _pair(self, a: n.Expr, b: n.Expr, scope: Scope) -> tuple[Type, Type]:
        """Type both sides; a bare word or text on one side is checked against
        an enum on the other (``target.level == street``)."""
        if _is_free_word(a, scope, self) and not _is_free_word(b, scope, self):
            tb = self.infer(b, scope)
            return self.infer(a, scope, tb), tb
        ta = self.infer(a, scope)
        return ta, self.infer(b, scope, ta)

    def visit_Compare(self, e: n.Compare, scope: Scope, expected: Optional[Type]) -> Type:
        op = e.op
        if op in ("==", "!="):
            lt, rt = self._pair(e.left, e.right, scope)
            if ANY not in (lt, rt) and not same_kind(lt, rt):
                if isinstance(lt, Num) and isinstance(rt, Num):
                    return self.error("E302", e.span, detail=f"{_unit_text(lt)} 与 {_unit_text(rt)} 不能比较")
                return self.error("E301", e.span, detail=f"不能比较{lt}与{rt}")
            return BOOL
        if op in ("<", "<=", ">", ">="):
            lt, rt = self.infer(e.left, scope), self.infer(e.right, scope)
            if ANY in (lt, rt):
                return BOOL
            if isinstance(lt, Num) and isinstance(rt, Num):
                if lt.dims != rt.dims:
                    hint = None
                    if not rt.dims and isinstance(e.right, n.Number) and lt.dims:
                        hint = f"请写明单位,如 {e.right.value} {format_dims(lt.dims)}"
                    return self.error("E302", e.span, detail=f"{_unit_text(lt)} 与 {_unit_text(rt)} 不能比较大小",
                                      hint=hint)
                return BOOL
            if lt == DATE and rt == DATE:
                return BOOL
            return self.error("E301", e.span, detail=f"{lt}与{rt}不能比较大小")
        if op in ("in", "not in"):
            lt = self.infer(e.left, scope) if not _is_free_word(e.left, scope, self) else None
            rt = self.infer(e.right, scope, SetOf(lt) if lt is not None else None)
            if lt is None:
                lt = self.infer(e.left, scope, rt.elem if isinstance(rt, (SetOf, ArrayOf)) else None)
            if ANY in (lt, rt):
                return BOOL
            if isinstance(rt, ListRef):
                if not is_stringy(lt):
                    return self.error("E301", e.left.span, detail=f"清单按事项代码判断,左边应为文字,实际为{lt}")
                return BOOL
            if isinstance(rt, RangeOf):
                if not isinstance(lt, Num) or lt.dims != rt.num.dims:
                    return self.error("E302" if isinstance(lt, Num) else "E301", e.span,
                                      detail=f"{lt} 不能与{rt}比较")
                return BOOL
            if isinstance(rt, (SetOf, ArrayOf)):
                if rt.elem != ANY and not same_kind(lt, rt.elem):
                    return self.error("E301", e.span, detail=f"{lt}不可能属于{rt}")
                return BOOL
            if rt == STR or isinstance(rt, Enum):
                return self.error("E301", e.span, detail="判断文字包含请用 contains:如 task.title contains \"考核\"")
            return self.error("E301", e.right.span, detail=f"in 的右边应为清单、集合、数组或范围,实际为{rt}")
        # contains
        lt = self.infer(e.left, scope)
        if isinstance(lt, (ArrayOf, SetOf)):
            rt = self.infer(e.right, scope, lt.elem)
            if ANY not in (rt, lt.elem) and not same_kind(lt.elem, rt):
                return self.error("E301", e.span, detail=f"{lt}中不可能包含{rt}")
            return BOOL
        rt = self.infer(e.right, scope)
        if ANY in (lt, rt):
            return BOOL
        if is_stringy(lt) and is_stringy(rt):
            return BOOL
        return self.error("E301", e.span, detail=f"contains 用于文字或数组,不能用于{lt}")


# ------------------------------------------------------------------ helpers
def _with_vocabulary_types(form: TaskForm) -> TaskForm:
    """``form`` with each field bound to a vocabulary typed :class:`~.types.Vocab`
    (:func:`~.vocabulary.bind_task_form` has made it an enum of the spellings):
    the compiler reads such a field as its canonical code."""
    fields = dict(form.record.fields)
    bound = {f: v for f, v in form.vocabularies.items() if isinstance(fields.get(f), Enum)}
    if not bound:
        return form
    for f, vocabulary in bound.items():
        fields[f] = Vocab(fields[f].name, fields[f].values, vocabulary)
    record = Record(form.record.name, fields, owner_label=form.record.owner_label)
    return replace(form, record=record)


def reads_facts(e: n.Expr, bindings) -> bool:
    """Does ``e`` read an input fact (``task``, ``target``, ``source``, ``history``)?"""
    if isinstance(e, n.Name) and bindings.get(e, ("", ""))[0] == "root":
        return e.id in FACT_SOURCES
    return any(reads_facts(x, bindings) for x in iter_child_nodes(e))


def _scope_unit(scope: Scope) -> Optional[Record]:
    s: Optional[Scope] = scope
    while s is not None:
        if s.unit is not None:
            return s.unit
        s = s.parent
    return None


def _is_free_word(e: n.Expr, scope: Scope, checker: Checker) -> bool:
    """A bare word that names nothing, or a text literal: its meaning comes
    from the other side (an enum symbol)."""
    if isinstance(e, n.String):
        return True
    if not isinstance(e, n.Name):
        return False
    if scope.lookup_var(e.id) is not None or e.id in checker.params or e.id in checker.lists:
        return False
    s: Optional[Scope] = scope
    while s is not None:
        if e.id in s.measures:
            return False
        s = s.parent
    return e.id not in ("task", "target", "source", "history", "today", "unit")


def _unit_text(t: Num) -> str:
    return format_dims(t.dims) or "纯数字"


def _concrete(t):
    return t if isinstance(t, Type) else ANY


def _valid_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _json_type(value) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return ArrayOf(ANY)
    if isinstance(value, tuple):
        return Record("对象")
    return ANY


class _Constant(NodeVisitor):
    """(type, value) of a param's value: a literal, a negated number or a set of
    them; anything else is reported (E306) and typed ``ANY``."""

    def __init__(self, checker: Checker, param: str):
        self.checker, self.param = checker, param

    def _literal(self, e: n.Expr) -> tuple[Type, Any]:
        t = self.checker.infer(e, Scope())
        if t == ANY:
            return ANY, None
        return t, literal_value(e, self.checker.registry)

    visit_Number = visit_Ratio = visit_RangeLit = visit_String = visit_Bool = visit_DateLit = _literal

    def visit_Neg(self, e: n.Neg) -> tuple[Type, Any]:
        t, v = self.visit(e.operand)
        if isinstance(t, Num):
            return t, -v
        return self.generic_visit(e)

    def visit_SetLit(self, e: n.SetLit) -> tuple[Type, Any]:
        values, elem = [], None
        for item in e.items:
            if isinstance(item, n.Name):  # a bare word in a set is text
                t, v = STR, item.id
            else:
                t, v = self.visit(item)
            if t == ANY:
                return ANY, None
            if elem is not None and not same_kind(elem, t):
                self.checker.error("E301", item.span, detail=f"集合中混有{elem}与{t}")
                return ANY, None
            elem = elem or t
            values.append(v)
        self.checker.types[e] = SetOf(elem or ANY)
        return SetOf(elem or ANY), frozenset(values)

    def generic_visit(self, e: n.Expr) -> tuple[Type, Any]:
        self.checker.error("E306", e.span, name=self.param)
        return ANY, None


class _LiteralValue(NodeVisitor):
    """See :func:`literal_value`; other nodes are an internal error."""

    @staticmethod
    def _factor(unit: Optional[str], registry: Registry) -> Fraction:
        if unit is None:
            return Fraction(1)
        return (PERCENT if unit == "%" else registry.units.get(unit)).factor

    def visit_Number(self, e: n.Number, registry: Registry):
        if e.unit is None:
            return e.value
        return e.value * self._factor(e.unit, registry)

    def visit_Ratio(self, e: n.Ratio, registry: Registry):
        return ((e.numerator * self._factor(e.numerator_unit, registry))
                / (e.denominator * self._factor(e.denominator_unit, registry)))

    def visit_RangeLit(self, e: n.RangeLit, registry: Registry):
        factor = self._factor(e.unit, registry)
        return (e.low * factor, e.high * factor)

    def _plain(self, e, registry: Registry):
        return e.value

    visit_String = visit_DateLit = visit_Bool = _plain


_LITERAL_VALUE = _LiteralValue()


def literal_value(e: n.Expr, registry: Registry):
    """The exact value of a literal, in base units (Fractions for numbers)."""
    return _LITERAL_VALUE.visit(e, registry)


def _violates(policy: str, old, new) -> Optional[str]:
    if policy == "floor" and new < old:
        return "E401"
    if policy == "ceiling" and new > old:
        return "E402"
    if policy == "narrow":
        if isinstance(old, tuple) and not (old[0] <= new[0] and new[1] <= old[1]):
            return "E403"
        if isinstance(old, frozenset) and not new <= old:
            return "E403"
    if policy == "fixed" and new != old:
        return "E404"
    return None


class _ChildrenDepth(NodeVisitor):
    """See :func:`children_depth`. ``depth_of``: quantifier variable -> how far
    below ``unit`` the unit it names is."""

    @staticmethod
    def _children_of(e: n.Expr, depth_of: dict) -> Optional[int]:
        """The depth ``X.children`` reaches, when ``e`` is that of a unit variable."""
        if isinstance(e, n.Attr) and e.name == "children" and isinstance(e.obj, n.Name):
            return (0 if e.obj.id == "unit" else depth_of.get(e.obj.id, 0)) + 1
        return None

    def visit_Quantifier(self, e: n.Quantifier, depth_of: dict) -> int:
        inner = self._children_of(e.iterable, depth_of) or 0
        return max(inner, self.visit(e.iterable, depth_of),
                   self.visit(e.body, {**depth_of, e.var: inner}) if e.body is not None else 0)

    def visit_Attr(self, e: n.Attr, depth_of: dict) -> int:
        reach = self._children_of(e, depth_of)
        return reach if reach is not None else self.generic_visit(e, depth_of)

    def generic_visit(self, e: n.Expr, depth_of: dict) -> int:
        return max((self.visit(x, depth_of) for x in iter_child_nodes(e)), default=0)


_CHILDREN_DEPTH = _ChildrenDepth()


def children_depth(e: n.Expr) -> int:
    """How many levels below ``unit`` an expression walks through ``.children``."""
    return _CHILDREN_DEPTH.visit(e, {})


# ------------------------------------------------------------------ never fires
def never_fires(e: n.Expr, checker: Checker) -> Optional[str]:
    """Why a rule's condition can never hold, if it provably cannot."""
    conjuncts = list(e.operands) if isinstance(e, n.BoolOp) and e.op == "and" else [e]
    for c in conjuncts:
        if isinstance(c, n.Bool) and not c.value:
            return "条件为 false"
        if isinstance(c, n.Compare) and c.op == "in" and isinstance(c.right, n.SetLit) and not c.right.items:
            return "判断属于空集合 []"
        if isinstance(c, n.Compare) and c.op in ("<", "<=", ">", ">=", "==", "!=") \
                and _const(c.left, checker) is not None and _const(c.right, checker) is not None:
            a, b = _const(c.left, checker), _const(c.right, checker)
            try:
                holds = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[c.op]
            except TypeError:
                continue
            if not holds:
                return "常量比较恒不成立"
    # per field: allowed values from == and in; numeric bounds from comparisons
    allowed: dict[str, set] = {}
    low: dict[str, tuple] = {}
    high: dict[str, tuple] = {}
    for c in conjuncts:
        if not isinstance(c, n.Compare):
            continue
        path = _path(c.left)
        if path is None:
            continue
        if c.op == "==":
            v = _const(c.right, checker)
            if v is not None:
                allowed[path] = allowed.get(path, {v}) & {v}
        elif c.op == "in" and isinstance(c.right, n.SetLit):
            vs = {_const(i, checker) for i in c.right.items}
            if None not in vs:
                allowed[path] = allowed.get(path, vs) & vs
        elif c.op in (">", ">="):
            v = _const(c.right, checker)
            if isinstance(v, (Fraction, int)) and (path not in low or v > low[path][0]):
                low[path] = (v, c.op == ">")
        elif c.op in ("<", "<="):
            v = _const(c.right, checker)
            if isinstance(v, (Fraction, int)) and (path not in high or v < high[path][0]):
                high[path] = (v, c.op == "<")
    for path, values in allowed.items():
        if not values:
            return f"{path} 不可能同时取多个不同的值"
    for path in low.keys() & high.keys():
        (lo, lo_strict), (hi, hi_strict) = low[path], high[path]
        if lo > hi or (lo == hi and (lo_strict or hi_strict)):
            return f"{path} 的上下限互相矛盾"
    return None


def _path(e: n.Expr) -> Optional[str]:
    parts = []
    while isinstance(e, n.Attr):
        parts.append(e.name)
        e = e.obj
    if isinstance(e, n.Name) and e.id in ("task", "target", "source", "history") and parts:
        return ".".join([e.id, *reversed(parts)])
    return None


def _const(e: n.Expr, checker: Checker):
    if isinstance(e, (n.Number, n.String, n.Bool, n.DateLit)):
        return literal_value(e, checker.registry)
    if isinstance(e, n.Name):
        b = checker.bindings.get(e)
        if b and b[0] == "symbol":
            return b[1]
        if b and b[0] == "param" and not isinstance(checker.params[b[1]].value, (tuple, frozenset)):
            return checker.params[b[1]].value
    return None


# ------------------------------------------------------------------ list items
#: the fields every list item has, besides its attributes (``i.code``, ``i.example`` …)
ITEM_FIELDS: dict[str, Type] = {"code": STR, "name": STR, "kind": Enum("kind", tuple(LIST_KINDS)),
                                "requires": SetOf(STR), "aliases": SetOf(STR), "levels": SetOf(STR),
                                "example": BOOL, "list": STR}


def items_record(checker, names) -> Record:
    """The record of an item of any of the lists ``names``: the common fields and
    every attribute (typed ``ANY`` where two lists disagree on its type)."""
    fields: dict[str, Type] = dict(ITEM_FIELDS)
    for name in names:
        info = checker.lists.get(name)
        if info is None:
            continue
        for key, t in info.item_type.fields.items():
            if key in fields and fields[key] != t:
                fields[key] = ANY
            else:
                fields.setdefault(key, t)
    label = " + ".join(names) or "(无清单)"
    return Record(f"{label} 的事项", fields, owner_label=f"清单 {label} 的事项")


class _Expand(NodeVisitor):
    """A rule's condition with each named condition (``define``) replaced by its
    checked expression: every backend then sees plain expressions. The nodes
    rebuilt on the way carry the types and bindings of those they replace."""

    def __init__(self, checker: Checker):
        self.checker = checker
        self.expanded: dict[str, n.Expr] = {}  # define -> its expression, expanded itself

    def visit_Name(self, e: n.Name) -> n.Expr:
        binding = self.checker.bindings.get(e)
        if binding is None or binding[0] != "define":
            return e
        name = binding[1]
        decl, t = self.checker.defines[name]
        if name in self.checker.cyclic:  # reported (E240): the pack does not compile
            return e
        if name not in self.expanded:
            self.expanded[name] = self.visit(decl.value)
        return self.expanded[name]

    def generic_visit(self, e: n.Expr) -> n.Expr:
        changes = {}
        for name in e.__dataclass_fields__:
            if name == "span":
                continue
            value = getattr(e, name)
            if isinstance(value, n.Expr):
                new = self.visit(value)
                if new is not value:
                    changes[name] = new
            elif isinstance(value, tuple) and any(isinstance(x, n.Expr) for x in value):
                new_items = tuple(self.visit(x) if isinstance(x, n.Expr) else x for x in value)
                if any(a is not b for a, b in zip(new_items, value)):
                    changes[name] = new_items
        if not changes:
            return e
        new = replace(e, **changes)
        table = self.checker.types
        if e in table:
            table[new] = table[e]
        if e in self.checker.bindings:
            self.checker.bindings[new] = self.checker.bindings[e]
        return new
