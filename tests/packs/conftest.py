"""Fixtures for the shipped tenants and rule packs (tenants/, rule_packs/, form_schemas/)."""
from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Optional

import pytest

from jiceng.dsl import load_pack
from jiceng.platform.admission.facts import place
from jiceng.platform.departments.facts import as_a_whole_facts

REPO = Path(__file__).resolve().parents[2]
NUMERIC = ("population", "urban_population", "households", "workers", "grid_workers", "facility_area_m2")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pack():
    """``pack("changsha")``: the shipped pack with its ancestors, compiled once per session."""
    cache: dict = {}

    def get(tenant: str):
        if tenant not in cache:
            cache[tenant] = load_pack(tenant, root=REPO / "rule_packs")
        return cache[tenant]
    return get


#: ``source.*`` of a task that names no department: the 党委和政府 send it as a whole (what the
#: service supplies then, :func:`jiceng.platform.departments.facts.as_a_whole_facts`)
AS_A_WHOLE = {"department": as_a_whole_facts()}


@pytest.fixture(scope="session")
def decide():
    """``decide(pack, task, target, source=AS_A_WHOLE)``: ``pack.decide`` as the service calls it,
    for a unit with no history — every history fact the pack reads is 0 (the runtime always
    supplies them; ``Pack.decide`` refuses a call without them) — and with the target's place
    in the tree the service derives from its level (a community is its own ``community``) unless
    the target states it."""
    def run(pack, task: dict, target: dict, source: Optional[dict] = None):
        target = {**place(target, None), **target}
        return pack.decide(task, target, {name: 0 for name in pack.history_needed},
                           source=AS_A_WHOLE if source is None else source)
    return run


@pytest.fixture(scope="session")
def tenants() -> dict[str, dict]:
    """Every tenants/*.toml, parsed, by file stem."""
    return {p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
            for p in sorted((REPO / "tenants").glob("*.toml"))}


def read_units(path: Path) -> tuple[list[str], list[str], list[dict]]:
    """(comment lines, header, rows with numeric columns as int) of a units CSV."""
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    body = lines[len(comments):]
    reader = csv.DictReader(body)
    rows = []
    for row in reader:
        rows.append({k: (int(v) if k in NUMERIC else v) for k, v in row.items()})
    return comments, list(reader.fieldnames or []), rows


@pytest.fixture(scope="session")
def units(tenants) -> dict[str, tuple[list[str], list[str], list[dict]]]:
    """Each tenant's org-unit CSV (for tenants that name one)."""
    return {code: read_units(REPO / "tenants" / t["units"]) for code, t in tenants.items() if "units" in t}


@pytest.fixture(scope="session")
def unit_trees(units) -> dict[str, dict[str, dict]]:
    """Each tenant's units by code, every unit with its ``children`` (as the standards read them)."""
    trees = {}
    for tenant, (_comments, _header, rows) in units.items():
        by_code = {r["code"]: {**r, "children": []} for r in rows}
        for unit in by_code.values():
            if unit["parent"]:
                by_code[unit["parent"]]["children"].append(unit)
        trees[tenant] = by_code
    return trees
