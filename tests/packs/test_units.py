"""tenants/*.units.csv: synthetic, consistent org-unit trees that give the standards something to find."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

HEADER = ["code", "parent", "level", "name", "population", "urban_population", "households",
          "workers", "grid_workers", "facility_area_m2"]
RANK = {"city": 0, "county": 1, "township": 2, "street": 2, "community": 3, "village": 3, "grid": 4}
CITY_TENANTS = ["changsha", "chengdu", "heilongjiang"]


def test_city_tenants_have_units(units):
    assert sorted(units) == sorted(CITY_TENANTS)


@pytest.mark.parametrize("tenant", CITY_TENANTS)
def test_header_and_synthetic_notice(tenant, units):
    comments, header, rows = units[tenant]
    assert comments and "合成数据,仅供演示与测试" in comments[0]
    assert header == HEADER
    assert 200 <= len(rows) <= 2000


@pytest.mark.parametrize("tenant", CITY_TENANTS)
def test_consistent_tree(tenant, units, tenants):
    _, _, rows = units[tenant]
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "unit codes are unique"
    by_code = {r["code"]: r for r in rows}
    city = rows[0]
    assert city["level"] == "city" and city["parent"] == ""
    if tenants[tenant]["level"] == "city":
        assert city["code"] == tenants[tenant]["division_code"]
    else:
        assert city["code"][:2] == tenants[tenant]["division_code"][:2]
    for r in rows[1:]:
        assert r["parent"] in by_code, f"{r['code']} has an unknown parent"
        parent = by_code[r["parent"]]
        assert RANK[r["level"]] == RANK[parent["level"]] + 1, f"{r['code']} {r['level']} under {parent['level']}"
        if r["level"] == "grid":
            assert re.fullmatch(r"\d{15}", r["code"]) and r["code"][:12] == parent["code"]
        else:
            assert re.fullmatch(r"\d{12}", r["code"])
            prefix = {"county": 4, "township": 6, "street": 6, "community": 9, "village": 9}[r["level"]]
            assert r["code"][:prefix] == parent["code"][:prefix]
        assert all(r[k] >= 0 for k in HEADER[4:])
        assert r["urban_population"] <= r["population"]


@pytest.mark.parametrize("tenant", CITY_TENANTS)
def test_areas_sum_their_parts(tenant, unit_trees):
    for unit in unit_trees[tenant].values():
        kids = unit["children"]
        if unit["level"] in ("city", "county", "street", "township"):
            for k in ("population", "urban_population", "households", "workers", "grid_workers"):
                assert unit[k] == sum(c[k] for c in kids), f"{unit['code']} {k}"
        if unit["level"] == "community":
            assert unit["grid_workers"] == sum(g["grid_workers"] for g in kids)
            assert unit["workers"] >= unit["grid_workers"]


@pytest.mark.parametrize("tenant", CITY_TENANTS)
def test_grids_match_their_community_except_the_documented_cases(tenant, unit_trees, units):
    comments = "\n".join(units[tenant][0])
    mismatched = [u for u in unit_trees[tenant].values() if u["level"] == "community"
                  and u["children"] and u["households"] != sum(g["households"] for g in u["children"])]
    assert 1 <= len(mismatched) <= 2
    for u in mismatched:
        assert u["code"] in comments, "every coverage gap or overlap is named in the header"


def test_generator_reproduces_the_committed_csvs(repo):
    done = subprocess.run([sys.executable, str(repo / "tenants" / "generate_units.py"), "--check"],
                          capture_output=True, text=True, cwd=repo)
    assert done.returncode == 0, done.stderr


def _results(pack, standard: str, tree: dict) -> dict[str, dict]:
    level = pack.standards[standard].level
    out = {}
    for code, unit in tree.items():
        if unit["level"] == level:
            measures = pack.evaluate_standard(standard, unit)
            if measures is not None:
                out[code] = measures
    return out


@pytest.mark.parametrize("tenant", CITY_TENANTS)
def test_every_standard_finds_compliant_and_failing_units(tenant, pack, unit_trees):
    p = pack(tenant)
    for name, std in p.standards.items():
        if std.level == "village" and tenant == "heilongjiang":
            continue  # the Harbin district has no villages
        results = _results(p, name, unit_trees[tenant])
        verdicts = {m["compliant"] for m in results.values()}
        assert verdicts == {True, False}, f"{tenant} {name}: {len(results)} units, verdicts {verdicts}"


def test_changsha_standards_flag_the_planted_units(pack, unit_trees, units):
    p, tree = pack("changsha"), unit_trees["changsha"]
    notes = {line.split(":")[0].strip("# "): line.split(":")[1].split()[0]
             for line in units["changsha"][0] if line.startswith("#   ")}
    big = _results(p, "网格规模", tree)[notes["网格户数 620(超过 500 户)"]]
    assert big == {**big, "compliant": False, "over_households": 120}
    lone = _results(p, "网格员配备", tree)[notes["没有专职网格员的网格"]]
    assert lone["compliant"] is False and lone["gap"] == 1
    small = _results(p, "社区综合服务设施面积", tree)[notes["综合服务设施面积不足每百户 30 平方米的社区"]]
    assert small["compliant"] is False and small["area_gap"] > 0
    centre = _results(p, "街道党群服务中心面积", tree)[notes["党群服务中心不足 1000 平方米的街道"]]
    assert centre["compliant"] is False and centre["area_gap"] == 140
    short = _results(p, "社区工作者配备", tree)[notes["社区工作者缺 6 人的社区(另有若干社区略有缺员)"]]
    assert short["compliant"] is False and short["gap"] == 6


def test_heilongjiang_coverage_finds_the_gap_and_the_overlap(pack, unit_trees):
    results = _results(pack("heilongjiang"), "网格无缝覆盖", unit_trees["heilongjiang"])
    failing = {code: m for code, m in results.items() if not m["compliant"]}
    assert sorted((m["uncovered"], m["overlap"]) for m in failing.values()) == [(0, 150), (160, 0)]
