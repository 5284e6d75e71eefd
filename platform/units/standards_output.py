"""Standards results written out: a table to read, JSON and CSV for other programs.

JSON and CSV are written in chunks (:data:`CHUNK` units at a time, names looked up per
chunk), so that 3,000,000 grids stream out without holding every row as a dict.
"""
from __future__ import annotations

import csv
import json
import re
from typing import Callable, Iterator, Optional, Sequence, TextIO

import numpy as np

from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.runtime import Runtime
from jiceng.platform.units.standards import STATUS_LABEL, TIER_LABEL, StandardRun
from jiceng.platform.units.columns import unit_names, unit_names_at

#: a param's policy as an operator reads it
POLICY_LABEL = {"floor": "下限,下级只能提高", "ceiling": "上限,下级只能降低", "narrow": "范围,下级只能收窄",
                "fixed": "固定", "free": "不限"}
#: the facts of a unit as an operator reads them (measures are read by their titles)
FACT_LABEL = {"population": "常住人口", "urban_population": "城镇常住人口", "households": "户数",
              "workers": "社区工作者", "grid_workers": "专职网格员", "facility_area_m2": "设施面积(平方米)"}
#: "18 人 per 10000 人" as it is said: 每万人 18 人
_RATIO = re.compile(r"^\s*(?P<n>[\d.]+)\s*(?P<u>\S+)\s+per\s+(?P<d>[\d.]+)\s*(?P<du>\S+)\s*$")
_PER = {"1": "每", "10": "每十", "100": "每百", "1000": "每千", "10000": "每万", "100000": "每十万"}
SUMS_NOTE = "合计是各单位之和;缺口只计不足的单位,有余的单位不抵别处的缺口,所以合计的缺口可以大于应配与实有之差"

CHUNK = 50_000
#: beyond this many rows, names come from one query by level rather than by code lists
BULK_NAMES = 20_000
Progress = Callable[[int], None]


def rows(rt: Runtime, run: StandardRun, positions: np.ndarray) -> Iterator[list[dict]]:
    """Row dicts of ``positions``, a chunk at a time."""
    bulk = None
    if len(positions) > BULK_NAMES:
        with rt.db.read() as session:
            bulk = unit_names_at(session, run.units.tenants, run.info.levels)
    for start in range(0, len(positions), CHUNK):
        part = positions[start:start + CHUNK]
        if bulk is None:
            with rt.db.read() as session:
                names = unit_names(session, run.units.code_list(run.rows[part]))
        yield run.row_dicts(part.tolist(), bulk if bulk is not None else names)


def with_names(rt: Runtime, groups: dict[str, list[dict]]) -> dict[str, list[dict]]:
    codes = [g["code"] for gs in groups.values() for g in gs]
    with rt.db.read() as session:
        names = unit_names(session, codes)
    for gs in groups.values():
        for g in gs:
            g["name"] = names.get(g["code"])
    return groups


# ---------------------------------------------------------------------- words
def quantity_text(text: str) -> str:
    """A param's value in words: ``18 人 per 10000 人`` → ``每万人 18 人``; others as written."""
    m = _RATIO.match(text or "")
    if not m:
        return text
    per = _PER.get(m["d"])
    base = f"{per}{m['du']}" if per else f"每 {m['d']} {m['du']}"
    return f"{base} {m['n']} {m['u']}"


def labels(run: StandardRun) -> dict[str, str]:
    """What to call each fact and measure of ``run`` (a measure by its title)."""
    out = dict(FACT_LABEL)
    out["ratio"] = "配比"
    out.update({m: t or m for m, t, _v, _ty in run.info.measures})
    return out


def values_text(values: dict, names: dict[str, str]) -> str:
    """``应配社区工作者 12,缺员 6`` rather than ``required=12,gap=6``."""
    return ",".join(f"{names.get(k, k)} {_number(v)}" for k, v in values.items())


def _number(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return "—" if v is None else str(v)


def param_line(p: dict) -> str:
    return (f"{p['title'] or p['name']} {quantity_text(p['value'])}"
            f"({POLICY_LABEL.get(p['policy'], p['policy'])};由 {p['set_by']} {p['set_by_version'] or ''} 规定)")


# ---------------------------------------------------------------------- table
def write_table(out: TextIO, rt: Runtime, run: StandardRun, positions: np.ndarray, scope: np.ndarray,
                totals: Sequence[str], limit: int) -> None:
    """What an operator reads: the standard, the counts, totals per level, the units (up to ``limit``)."""
    h = run.header()
    names = labels(run)
    params = ";".join(param_line(p) for p in h["params"])
    out.write(f"标准:{h['name']}({h['title'] or ''}),评价{'、'.join(h['level_labels'])},"
              f"规则包 {run.pack.tenant} {run.pack.version or ''};规定于 {h['declared_in']} "
              f"{h['declared_version'] or ''}\n")
    if params:
        out.write(f"参数:{params}\n")
    for tier, groups in with_names(rt, {t: run.totals(t, scope) for t in totals}).items():
        out.write(f"\n按{TIER_LABEL[tier]}汇总:\n" + ("" if groups else "  (无)\n"))
        for g in groups:
            sums = values_text(g["sums"], names)
            out.write(f"  {g['code']:<16}{(g['name'] or ''):<12}单位 {g['units']},不达标 {g['failing']}"
                      + (f",无法计算 {g['errors']}" if g["errors"] else "") + (f";合计:{sums}" if sums else "") + "\n")
        if any(g["sums"] for g in groups):
            out.write(f"  ({SUMS_NOTE})\n")
    out.write(f"\n{'代码':<16}{'名称':<14}{'结论':<8}指标\n")
    shown = positions[:limit]
    for chunk in rows(rt, run, shown):
        for r in chunk:
            measures = values_text(r.get("measures") or {}, names)
            note = ";".join(r.get("failed_expectations") or []) or r.get("message", "")
            out.write(f"{r['code']:<16}{(r['name'] or ''):<14}{STATUS_LABEL[r['status']]:<8}{measures}"
                      + (f"  {note}" if note else "") + "\n")
    if len(positions) > len(shown):
        out.write(f"……另有 {len(positions) - len(shown)} 个单位未列出(--limit 调整,或用 --format csv 导出全部)\n")
    c = run.counts(scope)
    out.write(f"共 {c['units']} 个单位:达标 {c['compliant']},不达标 {c['failing']}"
              + (f",无法计算 {c['errors']}" if c["errors"] else "") + "\n")


# ---------------------------------------------------------------------- csv
def csv_columns(run: StandardRun) -> list[str]:
    h = run.header()
    cols = ["standard", "declared_in", "declared_version", "code", "name", "level", "parent", "tenant", "status"]
    cols += run.facts + (["ratio"] if h["ratio"] or any(p["ratio"] for p in h["params"]) else [])
    cols += [m["name"] for m in h["measures"] if m["name"] not in cols]
    cols += (["actual"] if run.actual else []) + ["failed_expectations"]
    return cols


def write_csv(out: TextIO, rt: Runtime, runs: Sequence[tuple[StandardRun, np.ndarray]],
              progress: Optional[Progress] = None) -> None:
    """One CSV; with several standards their columns are united (each row names its standard)."""
    columns: list[str] = []
    for run, _p in runs:
        columns += [c for c in csv_columns(run) if c not in columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for run, positions in runs:
        h = run.header()
        fixed = {"standard": h["name"], "declared_in": h["declared_in"], "declared_version": h["declared_version"]}
        for chunk in rows(rt, run, positions):
            for r in chunk:
                r = {**r, **fixed, "failed_expectations": ";".join(r.get("failed_expectations") or [])}
                writer.writerow(["" if r.get(c) is None else r[c] for c in columns])
            if progress:
                progress(len(chunk))


# ---------------------------------------------------------------------- json
def write_json(out: TextIO, rt: Runtime, run: StandardRun, positions: np.ndarray, scope: np.ndarray,
               totals: Sequence[str], progress: Optional[Progress] = None) -> None:
    """The API's answer for ``run`` with every listed unit, written as it is produced."""
    head = jsonable({"tenant": run.tenant, "pack": {"tenant": run.pack.tenant, "version": run.pack.version,
                                                    "digest": run.pack.digest},
                     "packs": run.pack_refs(), "standard": run.header(), "summary": run.counts(scope),
                     "sums": run.sums(scope), "totals": with_names(rt, {t: run.totals(t, scope) for t in totals}),
                     "page": {"offset": 0, "limit": None, "total": int(len(positions)), "next_offset": None}})
    text = json.dumps(head, ensure_ascii=False, indent=2)
    out.write(text[:-2] + ',\n  "results": [')
    first = True
    for chunk in rows(rt, run, positions):
        for r in chunk:
            out.write(("\n    " if first else ",\n    ") + json.dumps(jsonable(r), ensure_ascii=False))
            first = False
        if progress:
            progress(len(chunk))
    out.write("\n  ]\n}\n")
