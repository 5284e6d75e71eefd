"""What a new form version or a newly published pack would break, checked before either is stored.

Forms and packs are checked against each other both ways, so nothing a rule
or a form needs is discovered missing while deciding or validating:

* a new version of a form is tried, in place of the current one, by every
  tenant whose forms reach it (the nearest form of that name along the
  tenant's chain, or a form that ``$ref``s it): a *task* form must still let
  every pack in force — today and at every later published effective date —
  compile (the rules' ``task.<field>`` types come from it), and every
  ``x-param`` must still find a fitting param in the tenant's pack;
* a pack about to be published must compile for every tenant whose pack
  chain includes it, and the params the tenants' forms bind must fit it.

A failing compile is reported with the declarations it breaks — ``规则 X``,
``标准 Y``, ``测试 Z`` — found by parsing the pack files the diagnostics
point into.
"""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.dsl import nodes
from jiceng.dsl.parser import parse

from jiceng.platform.db.models import PackVersion, Publication
from jiceng.platform.forms import store
from jiceng.platform.decisions.chain import canonical
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.forms.model import closure
from jiceng.platform.forms.params import bindings, resolve
from jiceng.platform.packs.versions import InForce, ResolvedPack, deciding_pack_name, in_force
from jiceng.platform.runtime import Runtime

DECLARATION_LABEL = {nodes.Rule: "规则", nodes.Standard: "标准", nodes.Test: "测试", nodes.Param: "参数",
                     nodes.ListDecl: "清单", nodes.Disable: "关闭规则"}


def form_chain(rt: Runtime, session: Session, tenant: str, force: Optional[InForce] = None) -> list[str]:
    """Where ``tenant``'s forms are looked up, nearest first: its tenant ancestors, then its pack chain."""
    chain = list(reversed(rt.directory(session).ancestors(tenant)))
    try:
        if force is None:
            pack = rt.pack_for(session, tenant, clock.today()).pack
        else:
            leaf = deciding_pack_name(force, rt.directory(session).ancestors(tenant) or [tenant])
            pack = rt.compiler.resolve(session, leaf, force, rt.forms(session)).pack
    except (Conflict, Invalid, NotFound):  # no pack in force (or none that compiles): tenant ancestors only
        return chain
    return chain + [c["tenant"] for c in reversed(pack.chain) if c["tenant"] not in chain]


def checked_dates(session: Session) -> list[date]:
    """Today and every later date on which a published pack takes effect."""
    today = clock.today()
    later = session.execute(select(Publication.effective_from).where(Publication.effective_from > today)
                            .distinct()).scalars()
    return [today] + sorted(set(later))


# ---------------------------------------------------------------------- a new form version
def check_form_change(session: Session, rt: Runtime, tenant: str, name: str, schema: dict) -> None:
    """Raise :class:`Invalid` ``form_breaks_pack`` when storing ``schema`` as ``tenant``'s form ``name``
    would break a published pack (task forms) or a binding to a pack param (any form)."""
    current = rt.forms(session)
    trial_forms = dict(current.forms)
    trial_forms[(tenant, name)] = store.StoredForm(None, tenant, name, 0, schema)
    digest = hashlib.sha256(canonical(schema).encode("utf-8")).hexdigest()
    trial = store.FormSnapshot(f"trial:{tenant}:{name}:{current.key}:{digest}", trial_forms)  # compile cache key
    changed = store.form_uri(tenant, name)
    directory = rt.directory(session)
    broken: list[dict] = []
    for on in checked_dates(session):
        force = in_force(session, on)
        compiled_leaves: set[str] = set()
        for t in sorted(directory.by_code):
            try:
                leaf = deciding_pack_name(force, directory.ancestors(t) or [t])
            except Conflict:
                continue
            if name == "task" and leaf not in compiled_leaves:
                compiled_leaves.add(leaf)
                broken += _task_form_breaks(session, rt, leaf, force, trial, changed, on)
            broken += _binding_breaks(session, rt, t, leaf, force, trial, changed, on)
    if broken:
        raise Invalid("form_breaks_pack", _summary("新表单会使", broken), _unique(broken))


def _reaches(snapshot: store.FormSnapshot, form: store.StoredForm, uri: str) -> bool:
    return uri in closure(form.uri, form.schema, snapshot.resolve)


def _task_form_breaks(session: Session, rt: Runtime, leaf: str, force: InForce, trial: store.FormSnapshot,
                      changed: str, on: date) -> list[dict]:
    try:
        pack = rt.compiler.resolve(session, leaf, force, rt.forms(session)).pack
    except (Invalid, NotFound):
        return []  # does not compile today either: not this form's doing
    chain = [c["tenant"] for c in reversed(pack.chain)]
    before = rt.forms(session).nearest(chain)
    after = trial.nearest(chain)
    if not (_reaches(trial, after, changed) or _reaches(rt.forms(session), before, changed)):
        return []
    try:
        rt.compiler.resolve(session, leaf, force, trial)
    except Invalid as e:
        return declarations(session, force, leaf, e.details or [], on)
    return []


def _binding_breaks(session: Session, rt: Runtime, tenant: str, leaf: str, force: InForce,
                    trial: store.FormSnapshot, changed: str, on: date) -> list[dict]:
    chain = form_chain(rt, session, tenant, force)
    names = {n for (t, n) in trial.forms if t in chain}
    out = []
    for name in sorted(names):
        form = trial.nearest(chain, name)
        docs = closure(form.uri, form.schema, trial.resolve)
        if changed not in docs:
            continue
        found = bindings(docs)
        if not found:
            continue
        try:
            pack = rt.compiler.resolve(session, leaf, force, rt.forms(session)).pack
        except (Invalid, NotFound):
            continue
        _bounds, unfit = resolve(found, pack)
        out += [_binding_problem(tenant, leaf, name, p, on) for p in unfit]
    return out


def _binding_problem(tenant: str, leaf: str, form: str, p: dict, on: date) -> dict:
    where = p["uri"].removeprefix(store.FORM_BASE)
    return {"tenant": tenant, "pack": leaf, "on": on.isoformat(), "form": form, "code": "param_unbound",
            "declaration": f"表单 {form} 绑定的参数 {p['param']}", "path": f"{where}#{p['pointer']}",
            "message": p["message"]}


# ---------------------------------------------------------------------- a pack about to be published
def check_publication(session: Session, rt: Runtime, tenant: str, force: InForce) -> None:
    """Raise :class:`Invalid` ``pack_breaks_form`` when, with ``force`` (the publication in place),
    a pack chain through ``tenant`` that compiles today would no longer compile, or a form's
    ``x-param`` that fits today would no longer fit. What was already broken is not this publication's doing
    (``jiceng init`` publishes parents before the children that declare the params)."""
    before = in_force(session, force.on)
    broken = [p for key, p in _publication_state(session, rt, tenant, force).items()
              if key not in _publication_state(session, rt, tenant, before)]
    if broken:
        raise Invalid("pack_breaks_form", _summary("发布该规则包会使", broken), _unique(broken))


def _publication_state(session: Session, rt: Runtime, tenant: str, force: InForce) -> dict[tuple, dict]:
    """What does not work under ``force`` for the tenants below ``tenant``, keyed for comparison."""
    directory = rt.directory(session)
    forms = rt.forms(session)
    problems: dict[tuple, dict] = {}
    compiled: dict[str, Optional[ResolvedPack]] = {}
    for t in sorted(directory.descendants(tenant)):
        try:
            leaf = deciding_pack_name(force, directory.ancestors(t) or [t])
        except Conflict:
            leaf = None
        if leaf is not None and leaf not in compiled:
            try:
                compiled[leaf] = rt.compiler.resolve(session, leaf, force, forms)
            except (Invalid, NotFound) as e:
                compiled[leaf] = None
                for d in declarations(session, force, leaf, getattr(e, "details", None) or [], force.on):
                    problems[("compile", leaf, d.get("file"), d.get("line"), d.get("code"))] = d
        resolved = compiled.get(leaf)
        chain = form_chain(rt, session, t, force)
        for name in sorted({n for (owner, n) in forms.forms if owner in chain}):
            form = forms.nearest(chain, name)
            found = bindings(closure(form.uri, form.schema, forms.resolve))
            if resolved is None:  # no pack to bind to: nothing of it works
                unfit = [{"uri": b.uri, "pointer": b.pointer, "param": b.name, "message": "没有可用的规则包"}
                         for b in found]
            else:
                unfit = resolve(found, resolved.pack)[1]
            for p in unfit:
                problems[("param", t, p["uri"], p["pointer"])] = _binding_problem(t, leaf, name, p, force.on)
    return problems


# ---------------------------------------------------------------------- naming what breaks
def declarations(session: Session, force: InForce, leaf: str, diagnostics: Iterable[dict], on: date) -> list[dict]:
    """Compile diagnostics of ``leaf`` with the declaration each falls in (``规则 X`` …)."""
    diagnostics = [d for d in diagnostics if d.get("severity", "error") == "error"]
    index = _declaration_index(session, force, {d.get("file", "").split("/")[0] for d in diagnostics})
    out = []
    for d in diagnostics:
        label = next((lbl for (start, end, lbl) in index.get(d.get("file"), ())
                      if start <= d.get("line", 0) <= end), None)
        out.append({"tenant": leaf, "pack": leaf, "on": on.isoformat(), "declaration": label or "规则包",
                    **{k: d[k] for k in ("file", "line", "column", "code", "message") if k in d}})
    return out


def _declaration_index(session: Session, force: InForce, tenants: set[str]) -> dict[str, list]:
    ids = [force.versions[t][0] for t in tenants if t in force.versions]
    index: dict[str, list] = {}
    if not ids:
        return index
    for row in session.execute(select(PackVersion).where(PackVersion.id.in_(ids))).scalars():
        for fname, text in row.files.items():
            path = f"{row.tenant_code}/{fname}"
            module, _diags = parse(text, path)
            index[path] = [(d.span.line, d.span.end_line, f"{DECLARATION_LABEL[type(d)]} {_name(d)}")
                           for d in module.decls if type(d) in DECLARATION_LABEL]
    return index


def _name(decl) -> str:
    return getattr(decl, "id", None) or getattr(decl, "name", None) or getattr(decl, "rule", "")


_KIND_ORDER = ("规则", "标准", "参数", "清单", "关闭规则", "表单", "测试", "规则包")
SHOWN_IN_MESSAGE = 12


def _summary(lead: str, broken: list[dict]) -> str:
    """One line: per pack, what breaks — rules first, tests last, at most a dozen names."""
    by_pack: dict[str, list[str]] = {}
    for b in broken:
        names = by_pack.setdefault(b["pack"], [])
        if b["declaration"] not in names:
            names.append(b["declaration"])
    parts = []
    for pack, names in by_pack.items():
        names.sort(key=lambda n: next((i for i, k in enumerate(_KIND_ORDER) if n.startswith(k)), len(_KIND_ORDER)))
        more = f" 等 {len(names)} 项" if len(names) > SHOWN_IN_MESSAGE else ""
        parts.append(f"{pack}({'、'.join(names[:SHOWN_IN_MESSAGE])}{more})")
    return f"{lead}生效中的规则包出错:{';'.join(parts)}"


def _unique(broken: list[dict]) -> list[dict]:
    seen, out = set(), []
    for b in broken:
        key = tuple(sorted((k, str(v)) for k, v in b.items() if k not in ("tenant", "on")))
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out
