"""Resolve a tenant's pack chain and merge it (national → province → city).

Reads each pack of the chain through a :class:`~.loader.Loader`, parses it,
checks headers and the ``extends`` chain, then merges declarations. Given the
tenant registry (``parent_of``), the chain is the registry's: each pack must
``extends`` exactly its tenant's parent, and a pack that names another is
refused before that other pack is read.

Merging:

* lists with the same name merge (items added, replaced or ``remove``-d; the
  kind is fixed by the first declaration); vocabularies (``category``,
  ``task_kind``) keep an inherited entry's parent and aliases when it is
  re-declared, and are checked once merged (:mod:`.vocabulary`);
* rules accumulate in chain order; an id may be declared once in the chain;
  ``disable`` switches off an inherited rule only if it was marked
  ``overridable``;
* params are collected per pack; the checker types them and applies the
  override policies (it needs their values);
* sources, requirement codes and standards accumulate; tests stay with the
  pack that declares them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import nodes as n
from .diagnostics import Diagnostic, Note, did_you_mean, make
from .effects import INFORMATION, INFORMATION_LABEL
from .loader import Loader, PackSource, ParentOf, ReadError
from .parser import MAX_PACK_TOKENS, MAX_TOKENS, parse, tokens_past
from .vocabulary import VOCABULARY_KINDS, check as check_vocabulary, merge_entry

MAX_CHAIN = 16
MAX_PACK_BYTES = 8 << 20  # all files of one pack
MAX_RULES = 20_000        # along the whole chain: bounds compile time and memory
RESERVED = ("task", "target", "source", "history", "today", "unit", "true", "false", "null")
LIST_KINDS = {
    "self_governance": "依法自治事项",
    "assist": "依法协助政府工作事项",
    "reduced": "减负事项",
    "forbidden": "不应由社区承担的事项",
    "certificate_excluded": "不应由社区出具的证明",
    "permitted": "允许事项(白名单)",
    **VOCABULARY_KINDS,
}
# Lists that protect communities: a descendant may only add to them (removing
# 城市管理 from the national forbidden list would quietly weaken a national rule).
# Vocabularies too: removing 综合行政执法 would let it slip past rules written for 行政执法.
PROTECTIVE_KINDS = ("forbidden", "reduced", "certificate_excluded", *VOCABULARY_KINDS)
REQUIREMENT_CODES = {
    "funding": "经费保障",
    "work_conditions": "工作条件",
    "approval": "审批",
    "filing": "备案",
    "staffing": "增配人员",
    INFORMATION: INFORMATION_LABEL,  # what an unknown waits for: the missing facts (SPEC §4.5)
}


class PackNotFound(LookupError):
    def __init__(self, tenant: str):
        super().__init__(tenant)
        self.tenant = tenant


@dataclass
class PackUnit:
    """One tenant's pack as parsed."""

    tenant: str
    source: PackSource
    modules: list[n.Module]
    header: Optional[n.PackHeader] = None
    title: Optional[str] = None

    def decls(self):
        for m in self.modules:
            yield from m.decls


@dataclass
class MergedList:
    name: str
    kind: str
    title: Optional[str]
    span: n.Span  # the first declaration
    pack: str  # the declaring pack
    cites: tuple[n.Cite, ...]  # the latest declaration's, when it gives any
    items: dict[str, tuple[n.Item, str]] = field(default_factory=dict)


@dataclass
class RuleEntry:
    rule: n.Rule
    pack: str


@dataclass
class Linked:
    """The merged chain, ready for the checker."""

    units: list[PackUnit]  # root first
    sources: dict[str, tuple[n.Source, str]]
    requirements: dict[str, str]
    param_decls: dict[str, list[tuple[n.Param, str]]]
    lists: dict[str, MergedList]
    rules: list[RuleEntry]
    disabled: dict[str, tuple[n.Disable, str]]
    standards: list[tuple[n.Standard, str]]
    tests: list[tuple[n.Test, str]]
    defines: dict[str, tuple[n.Define, str]] = field(default_factory=dict)

    @property
    def leaf(self) -> PackUnit:
        return self.units[-1]

    @property
    def tenant(self) -> str:
        return self.leaf.tenant


def load_chain(tenant: str, loader: Loader, parent_of: Optional[ParentOf] = None
               ) -> tuple[list[PackUnit], list[Diagnostic]]:
    """Parse ``tenant``'s pack and its ancestors (root first).

    With ``parent_of`` (the tenant registry) every pack's ``extends`` must be its
    tenant's registered parent (E412) and every tenant must be registered (E413);
    without it, ``extends`` is followed as written (packs outside any registry,
    such as the language's own tests).
    """
    chain: list[PackUnit] = []
    diags: list[Diagnostic] = []
    seen: list[str] = []
    name: Optional[str] = tenant
    via: Optional[n.PackHeader] = None
    while name is not None:
        if name in seen:
            diags.append(make("E214", via.span if via else n.NOWHERE, cycle=" → ".join(seen + [name])))
            break
        if len(seen) >= MAX_CHAIN:
            diags.append(make("E108", via.span if via else n.NOWHERE, what="继承层级", limit=MAX_CHAIN))
            break
        try:
            source = loader.load(name)
        except ReadError as e:
            diags.append(make("E100", n.Span(e.path, 1, 1, 1, 1), reason=e.reason))
            break
        if source is None:
            if via is None:
                raise PackNotFound(name)
            diags.append(make("E213", via.span, name=name))
            break
        seen.append(name)
        size = sum(len(f.text.encode("utf-8", "surrogatepass")) for f in source.files)
        if size > MAX_PACK_BYTES:
            first = source.files[0].path if source.files else name
            diags.append(make("E108", n.Span(first, 1, 1, 1, 1), what=f"规则包 {name} 的文件总大小({size} 字节)",
                              limit=f"{MAX_PACK_BYTES} 字节"))
            break
        over = _tokens_past_budget(source.files) if size > MAX_PACK_TOKENS else None
        if over is not None:  # (fewer bytes than the budget cannot hold more tokens)
            diags.append(make("E108", over, what=f"规则包 {name} 的词法单元总数", limit=MAX_PACK_TOKENS))
            break
        unit = PackUnit(name, source, [])
        for f in source.files:
            module, syntax = parse(f.text, f.path)
            unit.modules.append(module)
            diags += syntax
        headers = [d for d in unit.decls() if isinstance(d, n.PackHeader)]
        if not headers and not any(d.code.startswith("E1") for d in diags):
            first = source.files[0].path if source.files else name
            diags.append(make("E211", n.Span(first, 1, 1, 1, 1),
                              problem=f"规则包 {name} 缺少 pack 声明(如 pack {name} version \"2024.01\")"))
        for extra in headers[1:]:
            diags.append(make("E211", extra.span, problem="一个规则包只能有一个 pack 声明",
                              notes=[Note(headers[0].span, "第一个 pack 声明在此")]))
        if headers:
            unit.header = headers[0]
            if unit.header.name != name:
                diags.append(make("E212", unit.header.span, name=unit.header.name, folder=name))
        titles = [d for d in unit.decls() if isinstance(d, n.Title)]
        unit.title = titles[0].text if titles else None
        for extra in titles[1:]:
            diags.append(make("E202", extra.span, what="标题", name=repr(extra.text),
                              notes=[Note(titles[0].span, "第一个 title 在此")]))
        chain.append(unit)
        via = unit.header
        name = unit.header.extends if unit.header else None
        if parent_of is not None and unit.header is not None:
            problem = _registry_mismatch(unit.tenant, unit.header, parent_of)
            if problem is not None:
                diags.append(problem)
                break  # never read the pack a wrong extends names: it may be outside the uploader's reach
    chain.reverse()
    return chain, diags


def _registry_mismatch(tenant: str, header: n.PackHeader, parent_of: ParentOf) -> Optional[Diagnostic]:
    """E412 when ``header.extends`` is not the registry's parent of ``tenant``, E413 when the
    registry does not know ``tenant``, E100 when the registry cannot be read."""
    try:
        registered = parent_of(tenant)
    except ReadError as e:
        return make("E100", n.Span(e.path, 1, 1, 1, 1), reason=e.reason)
    except LookupError:
        return make("E413", header.span, name=tenant)
    if header.extends == registered:
        return None
    declared = f"写的是 extends {header.extends}" if header.extends else "没有写 extends"
    if registered is None:
        return make("E412", header.span, name=tenant, declared=declared,
                    registered=f"{tenant} 没有上级(是根租户)", hint="请删去 extends")
    return make("E412", header.span, name=tenant, declared=declared,
                registered=f"{tenant} 的上级是 {registered}", hint=f"请写 extends {registered}")


def link(units: list[PackUnit]) -> tuple[Linked, list[Diagnostic]]:
    """Merge the chain's declarations; report conflicts."""
    diags: list[Diagnostic] = []
    sources: dict[str, tuple[n.Source, str]] = {}
    requirements = dict(REQUIREMENT_CODES)
    requirement_spans: dict[str, n.Span] = {}
    param_decls: dict[str, list[tuple[n.Param, str]]] = {}
    lists: dict[str, MergedList] = {}
    rules: list[RuleEntry] = []
    rule_by_id: dict[str, RuleEntry] = {}
    disabled: dict[str, tuple[n.Disable, str]] = {}
    standards: list[tuple[n.Standard, str]] = []
    standard_by_name: dict[str, n.Standard] = {}
    defines: dict[str, tuple[n.Define, str]] = {}
    # expression-level names (params and lists) share one namespace
    value_names: dict[str, tuple[str, n.Span, str]] = {}

    def claim_value_name(name: str, what: str, span: n.Span, pack: str) -> bool:
        if name in RESERVED:
            diags.append(make("E216", span, name=name, what=what))
            return False
        prior = value_names.get(name)
        if prior and prior[0] != what:
            diags.append(make("E202", span, what="名称", name=name,
                              notes=[Note(prior[1], f"{name} 已作为{prior[0]}在规则包 {prior[2]} 中声明")]))
            return False
        value_names.setdefault(name, (what, span, pack))
        return True

    for unit in units:
        pack = unit.tenant
        own_params: dict[str, n.Param] = {}
        own_lists: dict[str, n.ListDecl] = {}
        own_sources: dict[str, n.Source] = {}
        for d in unit.decls():
            if isinstance(d, n.Source):
                if d.id in own_sources:
                    diags.append(make("E202", d.span, what="依据来源", name=d.id,
                                      notes=[Note(own_sources[d.id].span, "第一次声明在此")]))
                own_sources[d.id] = d
                sources[d.id] = (d, pack)  # a descendant may re-declare an inherited source id
            elif isinstance(d, n.RequirementDecl):
                if d.code in requirement_spans or d.code in REQUIREMENT_CODES:
                    notes = [Note(requirement_spans[d.code], "第一次声明在此")] if d.code in requirement_spans else []
                    diags.append(make("E202", d.span, what="要求代码", name=d.code, notes=notes))
                requirements[d.code] = d.label
                requirement_spans[d.code] = d.span
            elif isinstance(d, n.Param):
                if d.name in own_params:
                    diags.append(make("E202", d.span, what="参数", name=d.name,
                                      notes=[Note(own_params[d.name].span, "第一次声明在此")]))
                    continue
                if claim_value_name(d.name, "参数", d.span, pack):
                    own_params[d.name] = d
                    param_decls.setdefault(d.name, []).append((d, pack))
            elif isinstance(d, n.ListDecl):
                if d.name in own_lists:
                    diags.append(make("E202", d.span, what="清单", name=d.name,
                                      notes=[Note(own_lists[d.name].span, "第一次声明在此")]))
                    continue
                own_lists[d.name] = d
                if claim_value_name(d.name, "清单", d.span, pack):
                    _merge_list(lists, d, pack, diags)
            elif isinstance(d, n.Define):
                if d.name in defines:
                    diags.append(make("E202", d.span, what="命名条件", name=d.name,
                                      notes=[Note(defines[d.name][0].span, f"已在规则包 {defines[d.name][1]} 中定义")]))
                    continue
                if claim_value_name(d.name, "命名条件", d.span, pack):
                    defines[d.name] = (d, pack)
            elif isinstance(d, n.Rule):
                prior = rule_by_id.get(d.id)
                if prior:
                    diags.append(make("E202", d.span, what="规则", name=d.id,
                                      notes=[Note(prior.rule.span, f"已在规则包 {prior.pack} 中声明")]))
                    continue
                entry = RuleEntry(d, pack)
                rule_by_id[d.id] = entry
                rules.append(entry)
            elif isinstance(d, n.Disable):
                target = rule_by_id.get(d.rule)
                if target is None or target.pack == pack:
                    hint = (did_you_mean(d.rule, rule_by_id) if target is None
                            else "只能关闭上级规则包中的规则;本包的规则直接删除即可")
                    diags.append(make("E210", d.span, rule=d.rule, hint=hint))
                elif not target.rule.overridable:
                    diags.append(make("E406", d.span, rule=d.rule,
                                      notes=[Note(target.rule.span, f"规则 {d.rule} 在规则包 {target.pack} 中声明")]))
                else:
                    disabled[d.rule] = (d, pack)
            elif isinstance(d, n.Standard):
                if d.name in standard_by_name:
                    diags.append(make("E202", d.span, what="标准", name=d.name,
                                      notes=[Note(standard_by_name[d.name].span, "第一次声明在此")]))
                    continue
                standard_by_name[d.name] = d
                standards.append((d, pack))

    for merged in lists.values():
        if merged.kind in VOCABULARY_KINDS:
            diags += check_vocabulary(merged)
    if len(rules) > MAX_RULES:
        diags.append(make("E108", rules[MAX_RULES].rule.span, what=f"规则数({len(rules)} 条)", limit=MAX_RULES))
    active = [r for r in rules if r.rule.id not in disabled]
    leaf = units[-1].tenant if units else ""
    tests = [(d, leaf) for d in units[-1].decls() if isinstance(d, n.Test)] if units else []
    linked = Linked(units, sources, requirements, param_decls, lists, active, disabled, standards, tests, defines)
    return linked, diags


def _merge_list(lists: dict[str, MergedList], d: n.ListDecl, pack: str, diags: list[Diagnostic]) -> None:
    merged = lists.get(d.name)
    if d.kind is not None and d.kind not in LIST_KINDS:
        diags.append(make("E207", d.kind_span or d.span, kind=d.kind, allowed="、".join(LIST_KINDS)))
        return
    if merged is None:
        if d.kind is None:
            diags.append(make("E220", d.span, name=d.name))
            return
        merged = MergedList(d.name, d.kind, d.title, d.span, pack, d.cites)
        lists[d.name] = merged
    else:
        if d.kind is not None and d.kind != merged.kind:
            diags.append(make("E407", d.kind_span or d.span, name=d.name, inherited=merged.kind, kind=d.kind,
                              notes=[Note(merged.span, f"清单 {d.name} 在规则包 {merged.pack} 中声明为 {merged.kind}")]))
            return
        if d.title:
            merged.title = d.title
        if d.cites:
            merged.cites = d.cites
    seen: dict[str, n.Span] = {}
    for entry in d.entries:
        if entry.code in seen:
            diags.append(make("E202", entry.span, what="事项", name=entry.code,
                              notes=[Note(seen[entry.code], "第一次出现在此")]))
            continue
        seen[entry.code] = entry.span
        if isinstance(entry, n.Remove):
            if merged.kind in PROTECTIVE_KINDS and merged.items.get(entry.code, (None, pack))[1] != pack:
                diags.append(make("E411", entry.span, name=d.name, kind_label=LIST_KINDS[merged.kind],
                                  code=entry.code,
                                  notes=[Note(merged.items[entry.code][0].span,
                                              f"事项 {entry.code} 由规则包 {merged.items[entry.code][1]} 列入")]))
            elif entry.code not in merged.items:
                diags.append(make("E408", entry.span, name=d.name, code=entry.code))
            else:
                del merged.items[entry.code]
        elif merged.kind in VOCABULARY_KINDS and entry.code in merged.items:
            inherited, owner = merged.items[entry.code]
            item, problem = merge_entry(d.name, inherited, owner, entry)
            if problem is not None:
                diags.append(problem)
            merged.items[entry.code] = (item, pack)
        else:
            merged.items[entry.code] = (entry, pack)


def _tokens_past_budget(files) -> Optional[n.Span]:
    """Where the pack's files (in order) pass :data:`~.parser.MAX_PACK_TOKENS` tokens together, or
    None: the per-file limit alone let a draft of many files cost seconds to parse."""
    left = MAX_PACK_TOKENS
    for f in files:
        count, excess = tokens_past(f.text, min(left, MAX_TOKENS))
        if excess is not None:
            if left > MAX_TOKENS:  # this file alone is over its own limit: parse() says so, at that token
                return None
            line, column = excess
            return n.Span(f.path, line, column, line, column + 1)
        left -= count
    return None
