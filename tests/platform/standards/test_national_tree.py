"""The synthetic national tree (tenants/national_tree.py) at a small scale: its CSV passes the
import's row and tree checks unchanged, and the standards find what it plants."""
from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

from jiceng.platform.runtime import Runtime
from jiceng.platform.units.standards import run_standards
from jiceng.platform.units.importer import import_units

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("national_tree", REPO / "tenants" / "national_tree.py")
national_tree = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(national_tree)


def test_a_small_national_tree_imports_and_is_judged(fresh_database, tmp_path):
    path = tmp_path / "national.csv"
    assert national_tree.main(["--scale", "0.002", "-o", str(path)]) == 0
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    levels = {r["level"] for r in rows}
    assert levels == {"province", "city", "county", "township", "street", "community", "village", "grid"}
    with fresh_database.write() as session:  # the fixture units would share codes with the synthetic ones
        session.connection().exec_driver_sql("DELETE FROM org_units")
    rt = Runtime(fresh_database)
    result = import_units(rt, "hunan", path.read_bytes(), path.name)
    assert result["created"] == len(rows) == result["units"]
    run = run_standards(rt, "hunan", ["社区工作者配备"])[0]
    communities = [r for r in rows if r["level"] == "community"]
    counts = run.counts(run.scope())
    assert counts["units"] == len(communities) and 0 < counts["failing"] < len(communities)
    assert run.sums(run.scope())["workers"] == sum(int(r["workers"]) for r in communities)
