"""Standards over a tenant's org units (SPEC §6): results per unit, totals up the tree, pages.

A standard is evaluated over every unit of its levels at once (:mod:`jiceng.dsl.columnar`)
on columns read set-based (:mod:`.unit_columns`); a standard using a construct the
columnar backend lacks is evaluated per unit by the pack's compiled Python instead, with
the same results. With ``descendants`` each tenant's units are judged by that tenant's own
pack in force (a city may have raised a ratio).

The units read and the runs over them are kept in memory (a *snapshot* per set of tenants and
columns), so that paging through a national tree does not evaluate it again for every page.
Every run first reads the unit change log (:class:`~jiceng.platform.db.models.UnitChange`, written
by each import in its transaction, in whichever process): units changed since the snapshot are
re-read with the rest of their county, and only those counties' units (and the units above them)
are evaluated again (:func:`_refresh`). An import that adds units or moves one, a change above
the counties or a change too large to list reads everything again; so does a snapshot older than
:data:`SNAPSHOT_SECONDS` (units written other than by an import, `jiceng init`).
"""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any, Callable, Optional, Sequence

import numpy as np
from sqlalchemy import bindparam, func, select

from jiceng.dsl import clock
from jiceng.dsl.collector import collector_paused
from jiceng.dsl import nodes as n
from jiceng.dsl import formatter
from jiceng.dsl.columnar import StandardColumns, Unsupported, Val, compile_standard
from jiceng.dsl.pack import Pack
from jiceng.dsl.types import LEVEL_LABELS, LEVELS

from jiceng.platform.db.models import OrgUnit, UnitChange
from jiceng.platform.errors import Invalid, NotFound
from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.runtime import Runtime
from jiceng.platform.units.columns import NUMBER_COLUMNS, TEXT_COLUMNS, UnitColumns, load_units, unit_names

STATUSES = ("compliant", "failing", "error", "not_applicable")
STATUS_LABEL = {"compliant": "达标", "failing": "不达标", "error": "无法计算", "not_applicable": "不适用"}
#: levels of the tree totals are given for; streets and townships are one tier
TIERS = {"province": ("province",), "city": ("city",), "county": ("county",), "street": ("street", "township"),
         "community": ("community", "village")}
TIER_LABEL = {"province": "省", "city": "市", "county": "县(区)", "street": "街道(乡镇)", "community": "社区(村)"}
#: a snapshot is read again whole after this long (units written other than by an import)
SNAPSHOT_SECONDS = 300.0
#: snapshots kept per runtime (a national tree's is a few hundred MB)
SNAPSHOTS = 2
MAX_LIMIT = 10_000
Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what was done)


# ---------------------------------------------------------------------- one run
@dataclass
class StandardRun:
    """One standard over the units of one or more tenants, each judged by its own pack."""

    tenant: str
    pack: Pack                       # the requested tenant's pack
    info: Any                        # its StandardInfo
    units: UnitColumns
    rows: np.ndarray                 # table rows of the standard's levels, in code order
    status: np.ndarray               # index into STATUSES, per entry of ``rows``
    measures: dict[str, Val]
    failed: list[np.ndarray]         # per expect: where it does not hold
    packs: list[Pack]                # per tenant of ``units.tenants``: its pack
    backend: str                     # "columnar" | "per-unit"
    params: list[dict] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    actual: Optional[str] = None     # the unit field the expectation compares (社区工作者 in post …)
    #: units evaluated to bring this run up to date: all of them, or those of the counties
    #: an import changed (``refreshed``: their codes) since the run before
    evaluated: int = 0
    refreshed: tuple[str, ...] = ()
    _ratios: Optional[dict] = field(default=None, repr=False)
    _numeric: Optional[dict] = field(default=None, repr=False)
    _weights: Optional[tuple] = field(default=None, repr=False)

    # -- selections
    def scope(self, *, level: Optional[str] = None, under: Optional[str] = None,
              tenant: Optional[str] = None) -> np.ndarray:
        """Positions in ``rows`` of the units in scope (a level, a subtree, a tenant)."""
        keep = np.ones(len(self.rows), dtype=bool)
        if level is not None:
            keep &= self.units.levels()[self.rows] == LEVELS.index(level)
        if tenant is not None:
            index = self.units.tenants.index(tenant) if tenant in self.units.tenants else -2
            keep &= self.units.tenant_of[self.rows] == index
        if under is not None:
            top = self.units.row_of(under)
            inside = np.zeros(len(self.rows), dtype=bool)
            if top is not None:
                cur = self.rows.copy()
                for _ in range(len(LEVELS) + 8):  # deep enough for any tree of the known levels
                    inside |= cur == top
                    cur = np.where(cur >= 0, self.units.table.parent[np.maximum(cur, 0)], -1)
                    if not (cur >= 0).any():
                        break
            keep &= inside
        return np.flatnonzero(keep)

    def listing(self, scope: np.ndarray, status: Optional[Sequence[str]] = None,
                order: Optional[str] = None) -> np.ndarray:
        """Positions of ``scope`` with one of the ``status`` (default: every judged unit), ordered."""
        wanted = [STATUSES.index(s) for s in (status or STATUSES[:3])]
        return self.ordered(scope[np.isin(self.status[scope], wanted)], order)

    def counts(self, positions: np.ndarray) -> dict:
        found = np.bincount(self.status[positions], minlength=len(STATUSES))
        return {"units": int(found[0] + found[1] + found[2]), "compliant": int(found[0]),
                "failing": int(found[1]), "errors": int(found[2]), "not_applicable": int(found[3])}

    def numeric(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Facts and measures that are numbers, by column name: (values, present)."""
        if self._numeric is not None:
            return self._numeric
        out = {}
        for f in self.facts:
            data, valid = self.units.table.numbers[f]
            out[f] = (data[self.rows], np.ones(len(self.rows), bool) if valid is None else valid[self.rows])
        for name, v in self.measures.items():
            if v.kind == "num":
                out[name] = (v.data, np.asarray(v.valid, dtype=bool))
        self._numeric = out
        return out

    def sums(self, positions: np.ndarray) -> dict:
        """Sums of the numeric facts and measures over the evaluated units (compliant or failing)."""
        _rows, _status, weights = self._scope_weights(positions)
        return {name: _sum(w.sum()) for name, w in zip(self.numeric(), weights)}

    def totals(self, tier: str, positions: np.ndarray) -> list[dict]:
        """Per unit of ``tier`` above the evaluated units: counts and sums (names not filled)."""
        group_rows, group_of = self.units.groups_at(TIERS[tier])
        rows, status, weights = self._scope_weights(positions)
        index = group_of[rows].astype(np.int64)  # each unit's group; len(group_rows): none (dropped below)
        size = len(group_rows)
        tally = np.bincount(index * 4 + status, minlength=(size + 1) * 4)[:size * 4].reshape(size, 4)
        present = np.flatnonzero(tally.sum(axis=1))  # the groups with a unit in scope
        tally = tally[present]
        sums = [_readable(np.bincount(index, weights=w, minlength=size + 1)[present]) for w in weights]
        names = list(self.numeric())
        groups = group_rows[present]
        codes, level_of = self.units.code_list(groups), self.units.levels()[groups].tolist()
        with collector_paused():
            return [{"code": code, "name": None, "level": LEVELS[level], "units": c + f + e,
                     "compliant": c, "failing": f, "errors": e, "sums": dict(zip(names, values))}
                    for code, level, (c, f, e, _n), values in zip(codes, level_of, tally.tolist(), zip(*sums) if sums
                                                                 else [()] * len(present))]

    def _scope_weights(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """What :meth:`sums` and :meth:`totals` need of ``positions`` whatever the tier: their table
        rows, their status, and per numeric column the value of each evaluated unit (0 when not
        evaluated or missing). Kept for the last ``positions`` (an answer asks for the sums and
        three tiers of one scope)."""
        cached = self._weights
        if cached is not None and cached[0] is positions:
            return cached[1]
        status = self.status[positions]
        judged = status <= 1
        weights = [np.where(valid[positions] & judged, data[positions], 0.0) for data, valid in self.numeric().values()]
        found = (self.rows[positions], status, weights)
        self._weights = (positions, found)
        return found

    def ordered(self, positions: np.ndarray, order: Optional[str]) -> np.ndarray:
        """``positions`` sorted by code (the default) or by a measure or fact (``-gap``: largest first)."""
        if not order or order == "code":
            return positions
        key = order.lstrip("-")
        column = self.numeric().get(key)
        if column is None:
            raise Invalid("order_invalid", f"不能按 {key} 排序;可用:code、{'、'.join(self.numeric())}",
                          [{"path": "?order", "message": f"没有数值列 {key}"}])
        data, valid = column
        values = np.where(valid[positions], data[positions], -np.inf)
        if order.startswith("-"):
            values = -values
        return positions[np.lexsort((positions, values))]

    # -- rows
    def row_dicts(self, positions: Sequence[int], names: dict[str, str]) -> list[dict]:
        """One dict per position: flat columns (code, level, facts, ratio, measures, actual) and,
        for clients of the first version, ``unit``/``measures``/``failed_expectations``."""
        positions = list(positions)
        rows = self.rows[positions] if positions else np.zeros(0, np.int64)
        codes = self.units.code_list(rows)
        parents = self.units.table.parent[rows]
        parent_codes = [c if p >= 0 else None for c, p in
                        zip(self.units.code_list(np.maximum(parents, 0)), parents.tolist())]
        levels = [LEVELS[x] for x in self.units.levels()[rows].tolist()]
        tenants = [self.units.tenants[x] for x in self.units.tenant_of[rows].tolist()]
        statuses = [STATUSES[x] for x in self.status[positions].tolist()] if positions else []
        measure_values = {k: _values(v, positions) for k, v in self.measures.items()}
        fact_values = {f: _values(_fact(self.units, f, rows), list(range(len(positions)))) for f in self.facts}
        messages = [self.expect_message(k) for k in range(len(self.failed))]
        failed = list(zip(*(f[positions].tolist() for f in self.failed))) if positions and self.failed \
            else [()] * len(positions)
        out = []
        for i, code in enumerate(codes):
            tenant, status = tenants[i], statuses[i]
            unit = {"code": code, "name": names.get(code), "level": levels[i], "tenant": tenant}
            flat: dict[str, Any] = {**unit, "parent": parent_codes[i], "status": status}
            entry = {"unit": unit, "status": status}
            if status == "error":
                entry["message"] = "单位数据不完整或不可用,无法计算(如除数为零)"
            elif status != "not_applicable":
                measures = {k: v[i] for k, v in measure_values.items()}
                for f, v in fact_values.items():
                    flat[f] = v[i]
                ratio = self.ratio_text(tenant)
                if ratio is not None:
                    flat["ratio"] = ratio
                flat.update(measures)
                if self.actual is not None:
                    flat["actual"] = fact_values[self.actual][i] if self.actual in fact_values else None
                entry["measures"] = measures
                entry["failed_expectations"] = [m for m, bad in zip(messages, failed[i]) if bad]
            out.append({**flat, **entry})
        return out

    def ratio_text(self, tenant: str) -> Optional[str]:
        """The ratio param as written in the pack that judges ``tenant``'s units."""
        if self._ratios is None:
            ratios = [p["name"] for p in self.params if p["ratio"]]
            self._ratios = {t: (pack.checked.params[ratios[0]].text if len(ratios) == 1 else None)
                            for t, pack in zip(self.units.tenants, self.packs)}
        return self._ratios[tenant]

    def expect_message(self, index: int) -> str:
        x = self.info.expects[index]
        return getattr(x, "message", None) or self.info.title or self.info.name

    def header(self) -> dict:
        """What the standard is, where it is declared, and the params it uses, as written."""
        info, pack = self.info, self.pack
        versions = {c["tenant"]: c["version"] for c in pack.chain}
        cites = []
        for c in info.cites:
            src, _p = pack.checked.linked.sources[c.source]
            cites.append({"source": c.source, "title": src.title, "clause": c.clause})
        ratio = next((p["value"] for p in self.params if p["ratio"]), None) \
            if sum(p["ratio"] for p in self.params) == 1 else None
        return {"name": info.name, "title": info.title, "level": info.level, "levels": list(info.levels),
                "level_labels": [LEVEL_LABELS[x] for x in info.levels],
                "declared_in": info.pack, "declared_version": versions.get(info.pack),
                "cites": cites, "params": self.params, "ratio": ratio,
                "measures": [{"name": m, "title": t} for m, t, _v, _t in info.measures],
                "expects": [getattr(x, "message", None) or info.title for x in info.expects],
                # the conditions as written (the report's 达标条件), and the measures they use
                "conditions": [formatter.expr(x.condition) for x in info.expects],
                "formulas": [{"name": m, "formula": formatter.expr(v)} for m, _t, v, _ty in info.measures],
                "exports": {fact: measure for fact, (measure, _t) in info.exports.items()},
                "facts": self.facts, "actual": self.actual, "backend": self.backend}

    def pack_refs(self) -> list[dict]:
        seen, out = set(), []
        for pack in self.packs:
            if pack.digest not in seen:
                seen.add(pack.digest)
                out.append({"tenant": pack.tenant, "version": pack.version, "digest": pack.digest,
                            "judges": [t for t, p in zip(self.units.tenants, self.packs) if p.digest == pack.digest]})
        return out


# ---------------------------------------------------------------------- evaluating
def run_standards(rt: Runtime, tenant: str, names: Optional[Sequence[str]] = None, *, descendants: bool = False,
                  on: Optional[date] = None, progress: Optional[Progress] = None) -> list[StandardRun]:
    """Standards ``names`` (all of the tenant's pack when None) over the tenant's units."""
    on = on or clock.today()
    note = progress or (lambda _done, _total, _label: None)
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, on).pack
        available = [s.name for s in pack.checked.standards]
        names = list(names) if names is not None else available
        for name in names:
            if name not in available:
                raise NotFound("standard_not_found", f"规则包 {pack.tenant} 中没有标准 {name}",
                               {"available": sorted(available)})
        tenants = tuple(sorted(rt.directory(session).descendants(tenant))) if descendants else (tenant,)
        packs = {t: rt.pack_for(session, t, on).pack for t in tenants}
        distinct = {p.digest: p for p in packs.values()}.values()
        compiled = dict(_compiled(p, name) for p in distinct for name in names)
        texts = set()  # every number column: one snapshot serves every standard (a few MB per column)
        for c in compiled.values():
            texts |= {"name"} if c is None else c.fields & set(TEXT_COLUMNS)  # per-unit: every fact
        snap = _snapshot(rt, session, tenants, frozenset(NUMBER_COLUMNS), frozenset(texts))
    units = snap.units
    note(1, len(names) + 1, f"已读取 {units.size} 个单位")
    runs = []
    for name in names:
        key = (tenant, on, name, tuple(p.digest for p in packs.values()))
        runs.append(snap.run(key, partial(_run, tenant, pack, name, units, packs, compiled)))
        note(len(runs) + 1, len(names) + 1, f"已评价标准 {name}")
    return runs


def _run(tenant: str, pack: Pack, name: str, units: UnitColumns, packs: dict[str, Pack],
         compiled: dict) -> StandardRun:
    info = pack.standards[name]
    merged, backend = _evaluate(name, units, packs, compiled)
    status = _status(merged)
    failed = [~x & merged.applies & ~merged.error for x in merged.expects]
    params = _params_used(pack, info)
    facts = [f for f in NUMBER_COLUMNS if f in _fields_read(info)]
    return StandardRun(tenant, pack, info, units, merged.rows, status, merged.measures, failed,
                       [packs[t] for t in units.tenants], backend, params, facts, _actual_field(info, facts),
                       evaluated=len(merged.rows))


def _status(merged: StandardColumns) -> np.ndarray:
    return np.where(merged.error, 2, np.where(~merged.applies, 3, np.where(merged.compliant, 0, 1))).astype(np.int8)


def _evaluate(name: str, units: UnitColumns, packs: dict[str, Pack], compiled: dict,
              rows: Optional[np.ndarray] = None) -> tuple[StandardColumns, str]:
    """The standard over the units (those among ``rows``), each tenant's by its own pack."""
    by_digest: dict[str, list[int]] = {}
    for i, t in enumerate(units.tenants):
        by_digest.setdefault(packs[t].digest, []).append(i)
    parts, backend = [], "columnar"
    for digest, tenant_indexes in by_digest.items():
        judge = packs[units.tenants[tenant_indexes[0]]]
        within = np.flatnonzero(np.isin(units.tenant_of, tenant_indexes))
        if rows is not None:
            within = within[np.isin(within, rows)]
        standard = compiled[(digest, name)]
        if standard is None:
            backend = "per-unit"
            parts.append(_per_unit(judge, name, units, within))
        else:
            parts.append(standard.evaluate(units.table, within))
    return _merge(parts), backend


def _compiled(pack: Pack, name: str):
    key = (pack.digest, name)
    with _LOCK:
        if key in _COMPILED:
            return key, _COMPILED[key]
    try:
        standard = compile_standard(pack.checked, name)
    except Unsupported:
        standard = None
    with _LOCK:
        _COMPILED[key] = standard
    return key, standard


def _merge(parts: list[StandardColumns]) -> StandardColumns:
    if len(parts) == 1:
        return parts[0]
    rows = np.concatenate([p.rows for p in parts])
    order = np.argsort(rows, kind="stable")
    cat = lambda arrays: np.concatenate(arrays)[order]  # noqa: E731

    def merge_val(vals: list[Val]) -> Val:
        if vals[0].kind == "str":
            cats = tuple(sorted({c for v in vals for c in v.cats}))
            codes = [np.array([cats.index(c) for c in v.cats] + [-1], dtype=np.int32)[v.data] for v in vals]
            return Val("str", cat(codes), cat([np.asarray(v.valid) for v in vals]), cats)
        return Val(vals[0].kind, cat([v.data for v in vals]), cat([np.asarray(v.valid) for v in vals]))
    return StandardColumns(parts[0].name, rows[order], cat([p.error for p in parts]), cat([p.applies for p in parts]),
                           cat([p.compliant for p in parts]),
                           [cat([p.expects[k] for p in parts]) for k in range(len(parts[0].expects))],
                           {m: merge_val([p.measures[m] for p in parts]) for m in parts[0].measures})


def _per_unit(pack: Pack, name: str, units: UnitColumns, within: np.ndarray) -> StandardColumns:
    """The pack's compiled Python, unit by unit, for a standard the columnar backend cannot take."""
    table = units.table
    codes = units.code_list(np.arange(units.size))
    subjects = []
    for row in range(units.size):
        facts = {"code": codes[row], "level": LEVELS[table.texts["level"][0][row]]
                 if table.texts["level"][0][row] >= 0 else None}
        for f, (data, valid) in table.numbers.items():
            facts[f] = None if valid is not None and not valid[row] else _number(float(data[row]))
        for f, (values, cats) in table.texts.items():
            if f != "level":
                facts[f] = cats[values[row]] if values[row] >= 0 else None
        facts["children"] = []
        subjects.append(facts)
    for row, parent in enumerate(table.parent.tolist()):
        if parent >= 0:
            subjects[parent]["children"].append(subjects[row])
        subjects[row].setdefault("parent", codes[parent] if parent >= 0 else None)
    info = pack.standards[name]
    rows = table.level_rows(info.levels)
    rows = rows[np.isin(rows, within)]
    size = len(rows)
    error, applies, compliant = np.zeros(size, bool), np.zeros(size, bool), np.zeros(size, bool)
    expects = [np.zeros(size, bool) for _ in info.expects]
    values: dict[str, list] = {m: [None] * size for m, _t, _v, _ty in info.measures}
    for i, row in enumerate(rows.tolist()):
        try:
            result = pack.evaluate_standard(name, subjects[row])
        except Exception:  # noqa: BLE001 - data the measures cannot use: the unit is reported as an error
            error[i] = True
            continue
        if result is None:
            continue
        applies[i], compliant[i] = True, bool(result["compliant"])
        for k in range(len(expects)):
            expects[k][i] = k not in result["failed"]
        for m in values:
            values[m][i] = result.get(m)
    return StandardColumns(name, rows, error, applies, compliant, expects,
                           {m: _as_val(v) for m, v in values.items()})


def _as_val(values: list) -> Val:
    present = [v for v in values if v is not None]
    valid = np.array([v is not None for v in values], dtype=bool)
    if present and all(isinstance(v, bool) for v in present):
        return Val("bool", np.array([bool(v) for v in values], dtype=bool), valid)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return Val("num", np.array([float(v) if v is not None else 0.0 for v in values]), valid)
    cats = tuple(sorted({str(v) for v in present}))
    return Val("str", np.array([cats.index(str(v)) if v is not None else -1 for v in values], dtype=np.int32),
               valid, cats)


# ---------------------------------------------------------------------- what a standard reads
def _walk(e):
    """Every node below ``e`` (expressions are small frozen dataclasses)."""
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, n.Expr):
            yield x
            for name in x.__dataclass_fields__:
                stack.append(getattr(x, name))
        elif isinstance(x, tuple):
            stack.extend(x)


def _expressions(info) -> list:
    out = [info.where] if info.where is not None else []
    out += [value for _n, _t, value, _ty in info.measures]
    out += [x.condition for x in info.expects]
    return out


def _fields_read(info) -> set[str]:
    return {x.name for e in _expressions(info) for x in _walk(e) if isinstance(x, n.Attr)}


def _params_used(pack: Pack, info) -> list[dict]:
    """Each param the standard reads: its value as written and the pack (version) that set it."""
    checked = pack.checked
    names = []
    for e in _expressions(info):
        for x in _walk(e):
            if isinstance(x, n.Name) and checked.bindings.get(x, ("",))[0] == "param" and x.id not in names:
                names.append(x.id)
    versions = {c["tenant"]: c["version"] for c in pack.chain}
    out = []
    for name in names:
        p = checked.params[name]
        decl = checked.linked.param_decls[name][-1][0]
        out.append({"name": name, "title": p.title, "value": p.text, "policy": p.policy, "set_by": p.pack,
                    "set_by_version": versions.get(p.pack), "ratio": isinstance(decl.value, n.Ratio)})
    return out


def _actual_field(info, facts: list[str]) -> Optional[str]:
    """The unit's own figure the first expectation compares (``unit.workers >= required`` → workers)."""
    for x in info.expects:
        c = x.condition
        if isinstance(c, n.Compare):
            for side in (c.left, c.right):
                if isinstance(side, n.Attr) and isinstance(side.obj, n.Name) and side.obj.id == "unit" \
                        and side.name in facts:
                    return side.name
    return None


# ---------------------------------------------------------------------- helpers
def _number(x: float):
    return int(x) if float(x).is_integer() else x


def _sum(x: float):
    """A sum for people to read: float noise of many additions rounded off (2575957.5999999996)."""
    return _number(round(float(x), 6))


def _readable(sums: np.ndarray) -> list:
    """:func:`_sum` of each element, vectorised (most sums are whole numbers: ints at once)."""
    rounded = np.round(sums, 6)
    whole = np.isfinite(rounded) & (rounded == np.floor(rounded)) & (np.abs(rounded) < 2.0 ** 63)
    ints = np.where(whole, rounded, 0).astype(np.int64).tolist()
    if whole.all():
        return ints
    return [i if w else (int(x) if x.is_integer() else x) for i, x, w in zip(ints, rounded.tolist(), whole.tolist())]


def _values(v: Val, positions: list[int]) -> list:
    valid = np.broadcast_to(np.asarray(v.valid, dtype=bool), np.shape(v.data))[positions].tolist() \
        if np.ndim(v.data) else [bool(v.valid)] * len(positions)
    if v.kind == "str":
        codes = np.asarray(v.data)[positions].tolist()
        return [v.cats[c] if ok and c >= 0 else None for c, ok in zip(codes, valid)]
    data = np.asarray(v.data)[positions].tolist()
    if v.kind == "num":
        data = [_number(x) for x in data]
    return [x if ok else None for x, ok in zip(data, valid)]


def _fact(units: UnitColumns, name: str, rows: np.ndarray) -> Val:
    data, valid = units.table.numbers[name]
    return Val("num", data[rows], np.ones(len(rows), bool) if valid is None else valid[rows])


_LOCK = threading.Lock()
_COMPILED: dict = {}


class _Snapshot:
    """Units of some tenants as read after change ``seen`` of the log, and the runs over them."""

    def __init__(self, units: UnitColumns, seen: int):
        self.units, self.seen, self.loaded = units, seen, time.monotonic()
        self.runs: dict = {}

    def run(self, key, evaluate: Callable[[], StandardRun]) -> StandardRun:
        with _LOCK:
            hit = self.runs.get(key)
        if hit is not None:
            return hit
        found = evaluate()
        with _LOCK:
            return self.runs.setdefault(key, found)


_SNAPSHOTS: "weakref.WeakKeyDictionary[Runtime, dict]" = weakref.WeakKeyDictionary()


def _snapshot(rt: Runtime, session, tenants: tuple, numbers: frozenset, texts: frozenset) -> _Snapshot:
    """The units of ``tenants`` as they are now: the snapshot kept, brought up to date, or read anew."""
    key = (tenants, numbers, texts)
    latest = session.execute(select(func.max(UnitChange.id))).scalar() or 0
    with _LOCK:
        kept = _SNAPSHOTS.setdefault(rt, {})
        snap = kept.get(key)
    if snap is not None and time.monotonic() - snap.loaded < SNAPSHOT_SECONDS:
        if latest == snap.seen:
            return snap
        changes = session.execute(select(UnitChange.codes).where(
            UnitChange.id > snap.seen, UnitChange.id <= latest,
            UnitChange.tenant_code.in_(list(tenants))).order_by(UnitChange.id)).scalars().all()
        refreshed = _refresh(session, snap, changes, latest)
        if refreshed is not None:
            return _keep(rt, key, refreshed)
    return _keep(rt, key, _Snapshot(load_units(rt.db, tenants, numbers, texts), latest))


def _keep(rt: Runtime, key, snap: _Snapshot) -> _Snapshot:
    with _LOCK:
        kept = _SNAPSHOTS.setdefault(rt, {})
        kept.pop(key, None)
        while len(kept) >= SNAPSHOTS:
            kept.pop(next(iter(kept)))
        kept[key] = snap
    return snap



# ---------------------------------------------------------------------- incremental
def _refresh(session, snap: _Snapshot, changes: list, latest: int) -> Optional[_Snapshot]:
    """``snap`` after the ``changes`` (lists of unit codes): the changed counties re-read and their
    units evaluated again, every other result kept. None when only reading everything will do."""
    units = snap.units
    codes = set()
    for listed in changes:
        if listed is None:
            return None
        codes.update(listed)
    if not codes:  # nothing of these tenants changed
        return _carry(snap, units, latest, None, ())
    if _texts_beyond_level(units):
        return None
    rows = _rows_of(units, sorted(codes))
    if rows is None:  # a new unit: the tree's shape changed
        return None
    level = units.levels()
    county_level = LEVELS.index("county")
    county = np.where(level == county_level, np.arange(units.size), units.ancestors_at(("county",)))
    tops = np.unique(county[rows])
    if (tops < 0).any():  # a change above the counties
        return None
    inside = np.flatnonzero(np.isin(county, tops))
    fresh = _reread(session, units, inside)
    if fresh is None:
        return None
    above = _ancestors(units, tops)  # their results read the counties' figures
    return _carry(snap, fresh, latest, np.union1d(inside, above), tuple(units.code_list(tops)))


def _texts_beyond_level(units: UnitColumns) -> bool:
    """Whether the table holds texts other than the level (read for the per-unit path): not patched."""
    return any(name != "level" for name in units.table.texts)


def _rows_of(units: UnitColumns, codes: list[str]) -> Optional[np.ndarray]:
    found = [units.row_of(c) for c in codes] if units.codes.dtype == object else None
    if found is None:
        wanted = np.array([int(c) if c.isascii() and c.isdigit() and len(c) <= 18 else -1 for c in codes],
                          dtype=np.int64)
        order = np.argsort(units.codes, kind="stable")
        pos = np.minimum(np.searchsorted(units.codes[order], wanted), max(units.size - 1, 0))
        hit = units.size > 0
        found = [int(order[p]) if hit and units.codes[order[p]] == w else None for p, w in zip(pos.tolist(), wanted)]
    if any(r is None for r in found):
        return None
    return np.array(found, dtype=np.int64)


def _ancestors(units: UnitColumns, rows: np.ndarray) -> np.ndarray:
    out, cur = [], units.table.parent[rows]
    while len(cur):
        cur = cur[cur >= 0]
        out.append(cur)
        cur = units.table.parent[cur]
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


def _reread(session, units: UnitColumns, rows: np.ndarray) -> Optional[UnitColumns]:
    """``units`` with the figures of ``rows`` read again; None when a row's parent, level or tenant changed."""
    codes = units.code_list(rows)
    numbers = list(units.table.numbers)
    columns = [OrgUnit.code, OrgUnit.parent_code, OrgUnit.level, OrgUnit.tenant_code] + \
        [getattr(OrgUnit, c) for c in numbers]
    stmt = select(*columns).where(OrgUnit.code.in_(bindparam("codes", expanding=True)))
    found = {}
    for start in range(0, len(codes), 5000):
        found.update((r[0], r) for r in session.execute(stmt, {"codes": codes[start:start + 5000]}))
    if len(found) != len(codes):
        return None
    parents = units.table.parent[rows]
    parent_codes = units.code_list(np.maximum(parents, 0))
    for i, code in enumerate(codes):
        r = found[code]
        if (r[1] if parents[i] >= 0 else None) != (parent_codes[i] if parents[i] >= 0 else None) \
                or r[2] != LEVELS[units.levels()[rows[i]]] or r[3] != units.tenants[units.tenant_of[rows[i]]]:
            return None
    table = replace(units.table, numbers=dict(units.table.numbers), texts=dict(units.table.texts))
    for k, c in enumerate(numbers):
        values = [found[code][4 + k] for code in codes]
        data, valid = units.table.numbers[c]
        data, valid = data.copy(), (np.ones(units.size, bool) if valid is None else valid.copy())
        valid[rows] = [v is not None for v in values]
        data[rows] = [0.0 if v is None else float(v) for v in values]
        table.numbers[c] = (data, None if valid.all() else valid)
    return replace(units, table=table)


def _carry(snap: _Snapshot, units: UnitColumns, latest: int, rows: Optional[np.ndarray],
           counties: tuple[str, ...]) -> _Snapshot:
    """A snapshot of ``units`` whose runs are ``snap``'s with ``rows`` evaluated again."""
    out = _Snapshot(units, latest)
    out.loaded = snap.loaded  # the age that bounds untracked writes stays that of the whole read
    if rows is None:
        out.runs = dict(snap.runs)
        return out
    for key, run in snap.runs.items():
        packs = dict(zip(units.tenants, run.packs))
        compiled = dict(_compiled(p, run.info.name) for p in {p.digest: p for p in run.packs}.values())
        part, _backend = _evaluate(run.info.name, units, packs, compiled, rows)
        out.runs[key] = _splice(run, units, part, counties)
    return out


def _splice(run: StandardRun, units: UnitColumns, part: StandardColumns, counties: tuple[str, ...]) -> StandardRun:
    """``run`` with the results of ``part`` (a subset of its rows) put in their places."""
    pos = np.searchsorted(run.rows, part.rows)
    status = run.status.copy()
    status[pos] = _status(part)
    failed = []
    for k, old in enumerate(run.failed):
        new = old.copy()
        new[pos] = ~part.expects[k] & part.applies & ~part.error
        failed.append(new)
    measures = {}
    for m, v in run.measures.items():
        p = part.measures[m]
        data, valid = np.array(v.data, copy=True), np.array(v.valid, dtype=bool, copy=True)
        new_data = p.data
        if v.kind == "str":  # categories of the part onto the run's, new ones appended
            cats = v.cats + tuple(c for c in p.cats if c not in v.cats)
            index = np.array([cats.index(c) for c in p.cats] + [-1], dtype=np.int32)
            new_data = index[p.data]
            v = Val("str", data, valid, cats)
        data[pos], valid[pos] = new_data, p.valid
        measures[m] = Val(v.kind, data, valid, v.cats)
    return replace(run, units=units, status=status, failed=failed, measures=measures,
                   evaluated=len(part.rows), refreshed=counties, _numeric=None, _weights=None)


# ---------------------------------------------------------------------- the API's answer
def evaluate(rt: Runtime, tenant: str, name: str, *, descendants: bool = False, on: Optional[date] = None,
             status: Optional[Sequence[str]] = None, level: Optional[str] = None, under: Optional[str] = None,
             unit_tenant: Optional[str] = None, order: Optional[str] = None, offset: int = 0,
             limit: Optional[int] = None, totals: Sequence[str] = ()) -> dict:
    """A standard's results: summary, sums and totals over the scope, and one page of units."""
    run = run_standards(rt, tenant, [name], descendants=descendants, on=on)[0]
    return answer(rt, run, status=status, level=level, under=under, unit_tenant=unit_tenant, order=order,
                  offset=offset, limit=limit, totals=totals)


def answer(rt: Runtime, run: StandardRun, *, status=None, level=None, under=None, unit_tenant=None, order=None,
           offset: int = 0, limit: Optional[int] = None, totals: Sequence[str] = ()) -> dict:
    """The JSON answer for a run (see :func:`evaluate`)."""
    check_filters(run, status, level, totals)
    scope = run.scope(level=level, under=under, tenant=unit_tenant)
    listed = run.listing(scope, status, order)
    page = listed[offset: offset + limit] if limit is not None else listed[offset:]
    groups = {tier: run.totals(tier, scope) for tier in totals}
    codes = run.units.code_list(run.rows[page]) + [g["code"] for gs in groups.values() for g in gs]
    with rt.db.read() as session:
        names = unit_names(session, codes)
    for gs in groups.values():
        for g in gs:
            g["name"] = names.get(g["code"])
    end = offset + len(page)
    return jsonable({
        "tenant": run.tenant, "pack": {"tenant": run.pack.tenant, "version": run.pack.version,
                                       "digest": run.pack.digest},
        "packs": run.pack_refs(), "standard": run.header(), "summary": run.counts(scope),
        "sums": run.sums(scope), "totals": groups,
        "page": {"offset": offset, "limit": limit, "total": int(len(listed)),
                 "next_offset": end if end < len(listed) else None},
        "results": run.row_dicts(page.tolist(), names)})


def check_filters(run: StandardRun, status, level, totals) -> None:
    """422 ``invalid_request`` for a status, level or totals tier the run does not have."""
    problems = []
    for s in status or ():
        if s not in STATUSES:
            problems.append({"path": "?status", "message": f"{s} 不是 {'、'.join(STATUSES)} 之一"})
    if level is not None and level not in run.info.levels:
        problems.append({"path": "?level", "message": f"标准 {run.info.name} 评价 {'、'.join(run.info.levels)} 级单位"})
    for t in totals:
        if t not in TIERS:
            problems.append({"path": "?totals", "message": f"{t} 不是 {'、'.join(TIERS)} 之一"})
    if problems:
        raise Invalid("invalid_request", f"查询参数不符合要求(共 {len(problems)} 处问题)", problems)
