"""How many grids a community of H households needs, and of what sizes (网格规划).

The range comes from the tenant's pack in force: the param its grid standard tests
``unit.households in …`` against (湖南 ``网格户数 = 300..500 户``; a city may have narrowed it).
The plan uses the fewest grids whose sizes all lie in the range — each grid needs a
full-time grid worker (S003 “每个网格应配备1名专职网格员”) — split as evenly as possible.
When no split fits (fewer households than one grid's minimum, or between n full grids and
n+1 minimal ones, e.g. 501–599 under 300..500) the plan says so and gives the nearest
splits below and above the range; S003 allows dividing a grid into 微网格 where the work
is heavy, which is offered for the small community.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Optional

from jiceng.dsl import clock
from jiceng.dsl import nodes as n
from jiceng.dsl.pack import Pack

from jiceng.platform.errors import Invalid
from jiceng.platform.runtime import Runtime

MAX_ALTERNATIVES = 3


def grid_range(pack: Pack) -> Optional[dict]:
    """The households range of the pack's grid standard: the param (as written, who set it) and its bounds."""
    checked = pack.checked
    versions = {c["tenant"]: c["version"] for c in pack.chain}
    for info in checked.standards:
        if "grid" not in info.levels:
            continue
        for x in info.expects:
            c = x.condition
            if isinstance(c, n.Compare) and c.op == "in" and isinstance(c.left, n.Attr) \
                    and c.left.name == "households" and isinstance(c.right, n.Name) \
                    and checked.bindings.get(c.right, ("",))[0] == "param":
                p = checked.params[c.right.id]
                return {"min": math.ceil(p.value[0]), "max": math.floor(p.value[1]), "param": p.name, "value": p.text,
                        "set_by": p.pack, "set_by_version": versions.get(p.pack), "standard": info.name}
    return None


def split(households: int, grids: int) -> list[dict]:
    """``households`` in ``grids`` grids as evenly as possible: [{households, count}], larger first."""
    if grids <= 0:
        return []
    size, extra = divmod(households, grids)
    out = [{"households": size + 1, "count": extra}] if extra else []
    if grids - extra:
        out.append({"households": size, "count": grids - extra})
    return out


def plan_grids(households: int, low: int, high: int) -> dict:
    """The plan for ``households`` under the range ``low..high`` (both included)."""
    if households == 0:
        return {"fits": True, "grids": 0, "sizes": [], "alternatives": [],
                "message": "社区没有住户,无需划分网格"}
    fewest, most = math.ceil(households / high), households // low
    if fewest <= most:
        alternatives = [_option(households, k, True, "网格更多、每格户数更少,便于精细管理")
                        for k in range(fewest + 1, min(most, fewest + MAX_ALTERNATIVES) + 1)]
        sizes = split(households, fewest)
        text = "、".join(f"{s['count']} 个 {s['households']} 户" for s in sizes)
        return {"fits": True, "grids": fewest, "sizes": sizes, "alternatives": alternatives,
                "message": f"{households} 户可划为 {fewest} 个网格({text}),每个网格都在 {low}–{high} 户之内"}
    below = fewest  # enough grids to stay under the maximum: each is below the minimum
    under_by = low - households // below
    options = [_option(households, below, False, f"每个网格低于下限 {low} 户,最多少 {under_by} 户")]
    if most >= 1:  # fewer grids, each above the maximum
        over_by = math.ceil(households / most) - high
        options.append(_option(households, most, False, f"每个网格超过上限 {high} 户,最多多 {over_by} 户"))
        chosen = options[0] if under_by <= over_by else options[1]
        message = (f"{households} 户无法划分为 {low}–{high} 户的网格:{below} 个网格则每格不足 {low} 户,"
                   f"{most} 个网格则每格超过 {high} 户;建议 {chosen['grids']} 个网格({chosen['note']}),"
                   "并报批或调整社区边界")
    else:  # fewer households than one grid's minimum
        chosen = options[0]
        chosen["note"] += ";网格内可按楼栋、单元细分若干微网格(S003:网格管理任务较重的,可细分若干微网格)"
        options.append({"grids": 0, "sizes": [], "fits": False, "note": "与相邻社区联合划设一个网格"})
        message = (f"社区只有 {households} 户,不足一个网格的下限 {low} 户:可设为一个网格(低于下限 "
                   f"{low - households} 户),网格内可细分微网格;也可与相邻社区联合划设网格")
    return {"fits": False, "grids": chosen["grids"], "sizes": chosen["sizes"],
            "alternatives": [o for o in options if o is not chosen], "message": message}


def _option(households: int, grids: int, fits: bool, note: str) -> dict:
    return {"grids": grids, "sizes": split(households, grids), "fits": fits, "note": note}


def plan(rt: Runtime, tenant: str, *, households: Optional[int] = None, unit: Optional[str] = None,
         low: Optional[int] = None, high: Optional[int] = None, on: Optional[date] = None) -> dict:
    """A plan for ``households`` (or the community ``unit``'s) under the tenant's range (or ``low..high``)."""
    on = on or clock.today()
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, on).pack
        found = None
        if unit is not None:
            u = rt.unit_in_reach(session, tenant, unit)
            if u.level not in ("community", "village"):
                raise Invalid("unit_not_community", f"单位 {unit} 是{u.level},只能为社区或村规划网格",
                              [{"path": "/unit", "message": "应为社区或村"}])
            households = u.facts.get("households")
            if households is None:
                raise Invalid("unit_households_missing", f"单位 {unit} 没有户数,无法规划网格",
                              [{"path": "/unit", "message": "户数为空"}])
            found = {"code": u.code, "name": u.facts.get("name"), "level": u.level, "tenant": u.tenant}
    if low is None:
        bounds = grid_range(pack)
        if bounds is None:
            raise Invalid("grid_range_unknown", f"规则包 {pack.tenant} 中没有规定网格户数范围的标准,请给出 min 和 max",
                          [{"path": "/min", "message": "须给出网格户数下限"}])
    else:
        bounds = {"min": low, "max": high, "param": None, "value": f"{low}..{high} 户", "set_by": None,
                  "set_by_version": None, "standard": None}
    if bounds["min"] > bounds["max"] or bounds["min"] < 1:
        raise Invalid("grid_range_invalid", f"网格户数范围 {bounds['min']}..{bounds['max']} 无效",
                      [{"path": "/min", "message": "下限应不小于 1 且不大于上限"}])
    result = plan_grids(int(households), bounds["min"], bounds["max"])
    return {"tenant": tenant, "households": int(households), "unit": found, "range": bounds, **result}
