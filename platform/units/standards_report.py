"""The printable HTML report of standards (zh-CN, one file, no external assets).

Per standard: what it requires and who set it (the params as written), the counts, then per
street (乡镇) and per district (县区) a bar chart of the shortfall beside its table, and the
failing units. The shortfall is the standard's first exported number (缺员、面积缺口、未覆盖户数);
a standard that exports none is charted by its failing units.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from jiceng.dsl import clock
from jiceng.dsl.types import Num
from jiceng.dsl.units import format_dims

from jiceng.platform.runtime import Runtime
from jiceng.platform.units.standards import STATUS_LABEL, TIER_LABEL, StandardRun
from jiceng.platform.units.columns import unit_names
from jiceng.platform.units.standards_output import FACT_LABEL, POLICY_LABEL, quantity_text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CHART_TIERS = ("street", "county")
TOP = 30
FAILING_ROWS = 200
_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def shortfall(run: StandardRun) -> Optional[tuple[str, str, str]]:
    """(measure, its title, its unit) the report charts, or None to chart failing units."""
    titles = {m: t for m, t, _v, _ty in run.info.measures}
    types = {m: ty for m, _t, _v, ty in run.info.measures}
    for _fact, (measure, typ) in run.info.exports.items():
        if isinstance(typ, Num) and measure in titles:
            return measure, titles[measure] or measure, format_dims(types[measure].dims)
    return None


def section(rt: Runtime, run: StandardRun, scope: np.ndarray, top: int = TOP,
            failing_rows: int = FAILING_ROWS) -> dict:
    """Everything the template shows for one standard."""
    measure = shortfall(run)
    key = measure[0] if measure else None
    tiers, codes = [], []
    for tier in CHART_TIERS:
        groups = run.totals(tier, scope)
        if not groups:
            continue
        for g in groups:
            g["value"] = g["sums"].get(key, 0) if key else g["failing"]
        ranked = sorted(groups, key=lambda g: (-g["value"], g["code"]))
        shown = [g for g in ranked[:top] if g["value"] > 0]
        rest = ranked[len(shown):]
        codes += [g["code"] for g in shown]
        tiers.append({"tier": tier, "label": TIER_LABEL[tier], "groups": len(groups), "shown": shown,
                      "rest": {"groups": len(rest), "value": sum(g["value"] for g in rest),
                               "units": sum(g["units"] for g in rest), "failing": sum(g["failing"] for g in rest)},
                      "with_shortfall": sum(1 for g in groups if g["value"] > 0)})
    failing = scope[run.status[scope] == 1]
    failing = run.ordered(failing, f"-{key}" if key else None)
    listed = failing[:failing_rows]
    codes += run.units.code_list(run.rows[listed])
    with rt.db.read() as session:
        names = unit_names(session, codes)
    for t in tiers:
        for g in t["shown"]:
            g["name"] = names.get(g["code"]) or g["code"]
        t["chart"] = _bars(t["shown"])
    header = run.header()
    header["params"] = [{**p, "value_text": quantity_text(p["value"]),
                         "policy_label": POLICY_LABEL.get(p["policy"], p["policy"])} for p in header["params"]]
    return {"header": header, "counts": run.counts(scope), "sums": run.sums(scope), "measure": measure,
            "tiers": tiers, "failing": run.row_dicts(listed.tolist(), names), "failing_total": int(len(failing)),
            "columns": _columns(run, header), "packs": run.pack_refs()}


def _columns(run: StandardRun, header: dict) -> list[tuple[str, str]]:
    """(key, heading) of the failing-units table: facts, ratio, measures, actual."""
    out = [(f, FACT_LABEL.get(f, f)) for f in run.facts]
    if header["ratio"]:
        out.append(("ratio", "配比"))
    out += [(m["name"], m["title"] or m["name"]) for m in header["measures"]]
    return out


def _bars(groups: list[dict]) -> dict:
    """Geometry of a horizontal bar chart (the template draws it as SVG)."""
    label_w, bar_w, row_h = 150, 300, 20
    peak = max((g["value"] for g in groups), default=0) or 1
    bars = [{"y": 8 + i * row_h, "w": max(1.0, g["value"] / peak * bar_w), "label": g.get("name") or g["code"],
             "value": g["value"]} for i, g in enumerate(groups)]
    return {"width": label_w + bar_w + 70, "height": 16 + len(bars) * row_h, "label_w": label_w, "bars": bars}


def render(rt: Runtime, runs: Sequence[StandardRun], tenant_name: str, *, under: Optional[str] = None,
           top: int = TOP, failing_rows: int = FAILING_ROWS) -> str:
    """The report of ``runs`` (one tenant, one date) as one HTML document."""
    sections = [section(rt, run, run.scope(under=under), top, failing_rows) for run in runs]
    return _ENV.get_template("standards_report.html").render(
        tenant=runs[0].tenant if runs else "", tenant_name=tenant_name, under=under, sections=sections,
        generated=clock.now().strftime("%Y-%m-%d %H:%M"), status_label=STATUS_LABEL, fmt=_fmt)


def _fmt(value) -> str:
    """Numbers with thousands separators, at most two decimals."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)
