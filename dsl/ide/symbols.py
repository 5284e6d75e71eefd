"""The names an editor can offer and explain: :func:`symbols` of a pack's chain.

Read the way the compiler reads the chain — :func:`~jiceng.dsl.resolver.load_chain` and
:func:`~jiceng.dsl.resolver.link` over the edited text in place of its file — but tolerant:
the parser recovers declaration by declaration and linking keeps what it can, so a half-typed
rule still leaves every list, param, rule and source of the chain (inherited ones included)
available. Fields come from the task form the pack is checked against and from the facts of
SPEC §5 (:mod:`jiceng.dsl.types`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .. import nodes as n
from ..api import resolve_task_form
from ..formatter import expr as format_expr
from ..functions import Registry, default_registry
from ..resolver import LIST_KINDS, PackNotFound, link, load_chain
from ..taskform import FormError, canonical_task_form
from ..types import ANY, STR, ArrayOf, Enum, Record, SetOf, Type, source_fields, target_fields, unit_fields
from ..vocabulary import bind_task_form
from .context import EditorContext, Overlay


@dataclass(frozen=True)
class ListSymbol:
    name: str
    kind: str
    title: Optional[str]
    pack: str
    items: int
    cites: tuple[n.Cite, ...]
    attrs: tuple[str, ...] = ()  # the attribute names its items carry

    @property
    def detail(self) -> str:
        label = LIST_KINDS.get(self.kind, self.kind)
        return f"清单({label},{self.items} 项)" + (f" {self.title}" if self.title else "") + f" — {self.pack}"


@dataclass(frozen=True)
class ParamSymbol:
    name: str
    title: Optional[str]
    value: str  # as written in the nearest declaration
    policy: Optional[str]
    pack: str

    @property
    def detail(self) -> str:
        policy = f" {self.policy}" if self.policy else ""
        return f"参数 = {self.value}{policy}" + (f" {self.title}" if self.title else "") + f" — {self.pack}"


@dataclass(frozen=True)
class RuleSymbol:
    id: str
    title: Optional[str]
    pack: str
    cites: tuple[n.Cite, ...]
    overridable: bool
    effect: Optional[str]
    disabled: bool = False

    @property
    def detail(self) -> str:
        return f"规则({self.effect or '?'})" + (f" {self.title}" if self.title else "") + f" — {self.pack}"


@dataclass(frozen=True)
class DefineSymbol:
    name: str
    title: Optional[str]
    value: str  # the expression as written
    pack: str

    @property
    def detail(self) -> str:
        return f"命名条件 = {self.value}" + (f" {self.title}" if self.title else "") + f" — {self.pack}"


@dataclass
class Symbols:
    """Everything nameable in a pack's chain, as far as the text could be read."""

    tenant: str
    chain: list[str] = field(default_factory=list)  # root first
    lists: dict[str, ListSymbol] = field(default_factory=dict)
    params: dict[str, ParamSymbol] = field(default_factory=dict)
    defines: dict[str, DefineSymbol] = field(default_factory=dict)  # named conditions (`define`)
    rules: dict[str, RuleSymbol] = field(default_factory=dict)
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (title, pack)
    requirements: dict[str, str] = field(default_factory=dict)  # code -> label
    standards: dict[str, n.Standard] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)  # task target source history unit
    registry: Registry = field(default_factory=default_registry)
    parent: Optional[str] = None  # the tenant registry's parent of ``tenant``

    def list_item(self, name: str) -> Optional[Record]:
        """The record of one item of list ``name`` (``清单["X"].name``)."""
        if name not in self.lists:
            return None
        fields: dict[str, Type] = {"code": STR, "name": STR, "kind": Enum("kind", tuple(LIST_KINDS)),
                                   "requires": SetOf(STR)}
        fields.update({key: ANY for key in self.lists[name].attrs})
        return Record(f"{name} 的事项", fields, owner_label=f"清单 {name} 的事项")


def symbols(source: str, context: Optional[EditorContext] = None) -> Symbols:
    """The symbols of the context's pack with ``source`` as its file. Never raises for bad text."""
    context = (context or EditorContext()).with_tenant(source)
    registry = context.registry or default_registry()
    out = Symbols(context.tenant, registry=registry)
    try:
        units, _ = load_chain(context.tenant, Overlay(context.loader, context.tenant, context.file, source),
                              context.parent_of)
    except PackNotFound:  # not for the edited pack (the overlay always has it): kept for safety of callers
        units = []
    if context.parent_of is not None:
        try:
            out.parent = context.parent_of(context.tenant)
        except LookupError:
            out.parent = None
    merged_lists: dict = {}
    if units:
        linked, _ = link(units)
        merged_lists = linked.lists
        out.chain = [u.tenant for u in units]
        for name, merged in linked.lists.items():
            attrs = tuple(dict.fromkeys(key for item, _ in merged.items.values() for key, _ in item.attrs))
            out.lists[name] = ListSymbol(name, merged.kind, merged.title, merged.pack, len(merged.items),
                                         merged.cites, attrs)
        for name, decls in linked.param_decls.items():
            decl, pack = decls[-1]
            policy = next((d.policy for d, _ in decls if d.policy), None)
            title = next((d.title for d, _ in reversed(decls) if d.title), None)
            out.params[name] = ParamSymbol(name, title, format_expr(decl.value), policy, pack)
        for name, (decl, pack) in linked.defines.items():
            out.defines[name] = DefineSymbol(name, decl.title, format_expr(decl.value), pack)
        for entry in linked.rules:
            out.rules[entry.rule.id] = _rule_symbol(entry.rule, entry.pack)
        for rule_id, (_disable, _pack) in linked.disabled.items():
            out.rules.setdefault(rule_id, RuleSymbol(rule_id, None, "", (), True, None, True))
        for unit in units:  # disabled rules keep their declaration for hover
            for d in unit.decls():
                if isinstance(d, n.Rule) and d.id in linked.disabled:
                    out.rules[d.id] = _rule_symbol(d, unit.tenant, disabled=True)
        out.sources = {sid: (decl.title, pack) for sid, (decl, pack) in linked.sources.items()}
        out.requirements = dict(linked.requirements)
        out.standards = {s.name: s for s, _ in linked.standards}
    out.records = _records(out, context, merged_lists)
    return out


def _rule_symbol(r: n.Rule, pack: str, disabled: bool = False) -> RuleSymbol:
    effect = r.effects[0].kind if r.effects else None
    return RuleSymbol(r.id, r.title, pack, r.cites, r.overridable, effect, disabled)


def _records(out: Symbols, context: EditorContext, lists: dict) -> dict[str, Record]:
    registry = out.registry
    try:
        form = resolve_task_form(out.chain or [out.tenant], context.forms, None, registry)
    except FormError:
        form = canonical_task_form(registry.units)
    form, _ = bind_task_form(form, lists)  # a vocabulary field's values are its list's spellings
    exports: dict[str, Type] = {x.alias or x.measure: ANY for s in out.standards.values() for x in s.exports}
    unit = Record("unit", fields_fn=lambda r: {**unit_fields(), "children": ArrayOf(r)},
                  owner_label="unit(被评价单位)")
    return {"task": form.record,
            "target": Record("target", target_fields(exports), owner_label="target(接收单位)"),
            "source": Record("source", source_fields(), owner_label="source(下派单位)"),
            "history": Record("history", {k: f.type for k, f in registry.history.items()},
                              owner_label="history(历史事实)"),
            "unit": unit}
