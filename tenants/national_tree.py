"""A synthetic national org-unit tree, for benchmarks and scale tests (deterministic).

About 31 provinces, 330 cities, 2,800 counties, 38,000 townships and streets, 600,000
communities and villages and 3,000,000 grids — the size of China's tree — with numbers
drawn so that every standard of the shipped packs finds something: grids outside 300–500
households (about one in eight), grids without a full-time grid worker (3 %), communities
whose grids do not add up to their households (2 %), understaffed communities (about one
in four), small facilities and street centres. Codes follow the 12-digit statistical
division codes (grids: the community's code plus 3 digits); names are placeholders.

Everything is synthetic and says nothing about real places. ``scale`` keeps that share of
the counties (0.05 gives a tree of about 1/20 the size).

Usage::

    python tenants/national_tree.py --scale 0.05 -o /tmp/national.csv     # a CSV (tenants/ format)

or from Python: ``for rows in provinces(scale): ...`` — one list of tuples per province, in
the column order of the ``org_units`` table (code, tenant, parent, level, name, population,
urban_population, households, workers, grid_workers, facility_area_m2).
"""
from __future__ import annotations

import argparse
import csv
import sys
from typing import Iterator

import numpy as np

PROVINCES = [(11, "北京"), (12, "天津"), (13, "河北"), (14, "山西"), (15, "内蒙古"), (21, "辽宁"), (22, "吉林"),
             (23, "黑龙江"), (31, "上海"), (32, "江苏"), (33, "浙江"), (34, "安徽"), (35, "福建"), (36, "江西"),
             (37, "山东"), (41, "河南"), (42, "湖北"), (43, "湖南"), (44, "广东"), (45, "广西"), (46, "海南"),
             (50, "重庆"), (51, "四川"), (52, "贵州"), (53, "云南"), (54, "西藏"), (61, "陕西"), (62, "甘肃"),
             (63, "青海"), (64, "宁夏"), (65, "新疆")]
#: mean number of children per unit, level by level (gives the national totals above)
CITIES_PER_PROVINCE = 10.7
COUNTIES_PER_CITY = 8.4
TOWNSHIPS_PER_COUNTY = 13.6
COMMUNITIES_PER_TOWNSHIP = 15.8
GRIDS_PER_COMMUNITY = 5.0
STREET_SHARE = 0.4          # of townships and streets, the streets (urban)
COMMUNITY_IN_TOWNSHIP = 0.1  # of a township's units, the communities (the rest are villages)
WORKERS_PER_10000 = 18
TENANT = "bench"
HEADER = ["code", "parent", "level", "name", "population", "urban_population", "households", "workers",
          "grid_workers", "facility_area_m2"]


def _children(rng: np.random.Generator, parents: int, mean: float, cap: int = 999) -> np.ndarray:
    """How many children each of ``parents`` units has (at least one)."""
    return np.minimum(1 + rng.poisson(mean - 1, parents), cap)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(parent position, 1-based sequence number within the parent) for each child."""
    owner = np.repeat(np.arange(len(counts)), counts)
    seq = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    return owner, seq


def _sum(owner: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(owner, weights=values, minlength=size).astype(np.int64)


def provinces(scale: float = 1.0, seed: int = 2024, tenant: str = TENANT) -> Iterator[list[tuple]]:
    """The tree, one province at a time (parents before children within each)."""
    for index, (pcode, pname) in enumerate(PROVINCES):
        rng = np.random.default_rng([seed, index])
        rows = _province(rng, pcode, pname, scale, tenant)
        if rows:
            yield rows


def _province(rng, pcode: int, pname: str, scale: float, tenant: str) -> list[tuple]:
    cities = _children(rng, 1, CITIES_PER_PROVINCE, 70)
    city_owner, city_seq = _expand(cities)
    counties = _children(rng, len(city_seq), COUNTIES_PER_CITY, 99)
    county_city, county_seq = _expand(counties)
    keep = rng.random(len(county_seq)) < scale
    if not keep.any():
        return []
    county_city, county_seq = county_city[keep], county_seq[keep]
    city_codes = pcode * 10**10 + city_seq * 10**8
    county_codes = city_codes[county_city] + county_seq * 10**6
    # townships and streets
    towns = _children(rng, len(county_codes), TOWNSHIPS_PER_COUNTY)
    town_county, town_seq = _expand(towns)
    street = rng.random(len(town_seq)) < STREET_SHARE
    town_codes = county_codes[town_county] + np.where(street, town_seq, 100 + town_seq) * 1000
    # communities and villages
    units = _children(rng, len(town_codes), COMMUNITIES_PER_TOWNSHIP, 199)
    unit_town, unit_seq = _expand(units)
    community = street[unit_town] | (rng.random(len(unit_seq)) < COMMUNITY_IN_TOWNSHIP)
    unit_codes = town_codes[unit_town] + np.where(community, unit_seq, 200 + unit_seq)
    # grids
    grids = _children(rng, len(unit_codes), GRIDS_PER_COMMUNITY, 99)
    grid_unit, grid_seq = _expand(grids)
    grid_codes = unit_codes[grid_unit] * 1000 + grid_seq
    n_grids, n_units = len(grid_codes), len(unit_codes)
    g_households = np.clip(np.rint(rng.normal(395, 75, n_grids)), 60, 900).astype(np.int64)
    g_population = np.rint(g_households * rng.uniform(2.3, 3.0, n_grids)).astype(np.int64)
    g_urban = np.where(community[grid_unit], g_population, np.rint(g_population * 0.2)).astype(np.int64)
    g_workers = np.where(rng.random(n_grids) < 0.03, 0, 1)
    # communities and villages: their grids' sums, with deliberate gaps
    households = _sum(grid_unit, g_households, n_units)
    mismatch = rng.random(n_units) < 0.02
    delta = rng.integers(1, 200, n_units) * np.where(rng.random(n_units) < 0.5, -1, 1)
    households = np.where(mismatch, np.maximum(households + delta, 1), households)
    population, urban = _sum(grid_unit, g_population, n_units), _sum(grid_unit, g_urban, n_units)
    required = -(-urban * WORKERS_PER_10000 // 10000)  # ceil
    workers = np.maximum(required + rng.integers(-2, 5, n_units), 0)
    grid_workers = _sum(grid_unit, g_workers, n_units)
    facility = np.rint(households * 0.3 * rng.uniform(0.85, 1.6, n_units)).astype(np.int64)
    # townships and streets: sums, and their own centre
    n_towns = len(town_codes)
    t_sum = {k: _sum(unit_town, v, n_towns) for k, v in
             (("p", population), ("u", urban), ("h", households), ("w", workers), ("g", grid_workers))}
    t_facility = np.rint(rng.uniform(600, 3000, n_towns)).astype(np.int64)
    n_counties = len(county_codes)
    c_sum = {k: _sum(town_county, v, n_counties) for k, v in t_sum.items()}
    city_kept = np.unique(county_city)
    ci_sum = {k: _sum(county_city, v, len(city_codes)) for k, v in c_sum.items()}
    pr_sum = {k: int(v.sum()) for k, v in c_sum.items()}

    province_code = str(pcode * 10**10)
    rows: list[tuple] = [(province_code, tenant, None, "province", f"{pname}(合成)", pr_sum["p"], pr_sum["u"],
                          pr_sum["h"], pr_sum["w"], pr_sum["g"], 0.0)]
    for i in city_kept.tolist():
        rows.append((str(city_codes[i]), tenant, province_code, "city", f"{pname}第{city_seq[i]}市",
                     *(int(ci_sum[k][i]) for k in "puhwg"), 0.0))
    rows += zip(county_codes.astype(str).tolist(), [tenant] * n_counties,
                city_codes[county_city].astype(str).tolist(), ["county"] * n_counties,
                [f"第{s}县" for s in county_seq.tolist()], *(c_sum[k].tolist() for k in "puhwg"), [0.0] * n_counties)
    rows += zip(town_codes.astype(str).tolist(), [tenant] * n_towns, county_codes[town_county].astype(str).tolist(),
                np.where(street, "street", "township").tolist(),
                [f"第{s}{'街道' if st else '镇'}" for s, st in zip(town_seq.tolist(), street.tolist())],
                *(t_sum[k].tolist() for k in "puhwg"), t_facility.astype(float).tolist())
    rows += zip(unit_codes.astype(str).tolist(), [tenant] * n_units, town_codes[unit_town].astype(str).tolist(),
                np.where(community, "community", "village").tolist(),
                [f"第{s}{'社区' if c else '村'}" for s, c in zip(unit_seq.tolist(), community.tolist())],
                population.tolist(), urban.tolist(), households.tolist(), workers.tolist(), grid_workers.tolist(),
                facility.astype(float).tolist())
    rows += zip(grid_codes.astype(str).tolist(), [tenant] * n_grids, unit_codes[grid_unit].astype(str).tolist(),
                ["grid"] * n_grids, [f"第{s}网格" for s in grid_seq.tolist()], g_population.tolist(),
                g_urban.tolist(), g_households.tolist(), [None] * n_grids, g_workers.tolist(), [0.0] * n_grids)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="生成合成的全国组织单位树(CSV,tenants/ 的格式)")
    ap.add_argument("--scale", type=float, default=1.0, help="保留的县(区)比例,0.05 约为全国的 1/20")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("-o", "--output", default="-", help="输出文件(默认标准输出)")
    args = ap.parse_args(argv)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8", newline="")
    try:
        out.write("# 合成数据,仅供基准测试:结构与规模仿照全国,数字均为随机生成,不代表真实情况。\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        total = 0
        for rows in provinces(args.scale, args.seed):
            writer.writerows((r[0], r[2] or "", *r[3:]) for r in rows)
            total += len(rows)
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{total} 个单位", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
