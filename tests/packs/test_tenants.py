"""tenants/*.toml: the format the service reads, and a consistent tenant tree."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

#: the tenants the platform ships and their place in the tree; a province or city added per
#: docs/tenants.md adds a file without editing this test (every file is checked below)
EXPECTED = {
    "national": (None, "national", "000000000000"),
    "hunan": ("national", "province", "430000000000"),
    "changsha": ("hunan", "city", "430100000000"),
    "heilongjiang": ("national", "province", "230000000000"),
    "sichuan": ("national", "province", "510000000000"),
    "chengdu": ("sichuan", "city", "510100000000"),
}
LEVEL_ORDER = {"national": 0, "province": 1, "city": 2}
REPO = Path(__file__).resolve().parents[2]
ON_DISK = sorted(p.stem for p in (REPO / "tenants").glob("*.toml"))


def test_every_shipped_tenant_is_defined(tenants):
    assert set(EXPECTED) <= set(tenants)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_shipped_tenant_keeps_its_place(code, tenants):
    parent, level, division = EXPECTED[code]
    t = tenants[code]
    assert (t.get("parent"), t["level"], t["division_code"]) == (parent, level, division)


@pytest.mark.parametrize("code", ON_DISK)
def test_tenant_file(code, tenants, repo: Path):
    t = tenants[code]
    assert t["code"] == code
    assert t["name"] and re.search(r"[\u4e00-\u9fff]", t["name"])
    assert t["level"] in LEVEL_ORDER
    assert re.fullmatch(r"\d{12}", t["division_code"])
    assert [c for c, other in tenants.items() if other["division_code"] == t["division_code"]] == [code]
    assert (repo / "rule_packs" / code).is_dir(), "tenant id == pack name == rule_packs/<code>/"
    assert set(t) <= {"code", "name", "parent", "level", "division_code", "units", "departments"}
    for key in ("units", "departments"):
        if key in t:
            assert (repo / "tenants" / t[key]).is_file()


@pytest.mark.parametrize("code", ON_DISK)
def test_parent_exists_one_level_up(code, tenants):
    t = tenants[code]
    if t["level"] == "national":
        assert "parent" not in t
        return
    parent = tenants[t["parent"]]
    assert LEVEL_ORDER[parent["level"]] == LEVEL_ORDER[t["level"]] - 1
    if parent["level"] != "national":
        assert t["division_code"][:2] == parent["division_code"][:2], "a city lies in its province"


@pytest.mark.parametrize("code", ON_DISK)
def test_pack_extends_the_parent_tenant(code, tenants, pack):
    chain = [c["tenant"] for c in pack(code).chain]
    expected, t = [], tenants[code]
    while t is not None:
        expected.insert(0, t["code"])
        t = tenants.get(t.get("parent"))
    assert chain == expected
