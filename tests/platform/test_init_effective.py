"""`jiceng init` publishes a pack from the date its documents take effect (`pack … effective D`)."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from jiceng.dsl import clock
from jiceng.platform.packs.versions import in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.bootstrap import run_init

FIXTURES = Path(__file__).parent / "fixtures"


def _declare(root: Path, tenant: str, old: str, new: str) -> None:
    pack = root / "rule_packs" / tenant / "pack.jc"
    text = pack.read_text(encoding="utf-8")
    assert old in text
    pack.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_first_load_uses_the_declared_date_never_before_the_parent(empty_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    _declare(root, "national", "effective 2017-06-12", "effective 2021-04-28")
    # changsha says 2020: its parent is in force only from 2022-05-27, so it cannot start earlier
    _declare(root, "changsha", "effective 2022-05-27", "effective 2020-01-01")
    # heilongjiang declares 2017-06-12 (as the fixture has it): its parent is in force only from 2021-04-28
    db = empty_database
    if True:  # noqa: SIM108 - keeps the steps below one block
        report = run_init(db, root)
        by_tenant = {p["tenant"]: p for p in report.packs}
        assert by_tenant["national"]["effective_from"] == "2021-04-28"
        assert by_tenant["hunan"]["effective_from"] == "2022-05-27"
        assert by_tenant["changsha"]["effective_from"] == "2022-05-27"
        assert by_tenant["heilongjiang"]["effective_from"] == "2021-04-28"  # not before its parent
        rt = Runtime(db)
        with db.read() as s:
            assert rt.pack_for(s, "hunan", date(2022, 5, 27)).pack.effective == "2022-05-27"
            assert "hunan" in in_force(s, date(2022, 5, 27)).versions
            assert "hunan" not in in_force(s, date(2022, 5, 26)).versions

        # a changed pack declaring a later date comes into force then; the same date again: today
        _declare(root, "hunan", "effective 2022-05-27", "effective 2030-01-01")
        assert {p["tenant"]: p for p in run_init(db, root).packs}["hunan"]["effective_from"] == "2030-01-01"
        _declare(root, "hunan", 'version "2024.02"', 'version "2024.09"')
        assert {p["tenant"]: p for p in run_init(db, root).packs}["hunan"]["effective_from"] == \
            clock.today().isoformat()


def test_a_pack_without_an_effective_date_is_refused_and_nothing_of_it_stored(empty_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    _declare(root, "hunan", " effective 2022-05-27", "")
    db = empty_database
    report = run_init(db, root)
    by_tenant = {p["tenant"]: p for p in report.packs}
    hunan = by_tenant["hunan"]
    assert hunan["status"] == "error" and not report.ok
    assert "没有写生效日期" in hunan["message"] and "effective" in hunan["message"]
    [d] = hunan["diagnostics"]
    assert d["code"] == "pack_effective_missing" and d["line"] == 1 and d["file"].endswith("pack.jc")
    assert by_tenant["national"]["effective_from"] == "2017-06-12"
    assert by_tenant["changsha"]["status"] == "error"  # its parent could not be loaded
    with db.read() as s:
        assert "hunan" not in in_force(s, clock.today()).versions
    # declared, it loads: from its date
    _declare(root, "hunan", 'version "2024.02"', 'version "2024.02" effective 2022-05-27')
    again = {p["tenant"]: p for p in run_init(db, root).packs}
    assert again["hunan"]["effective_from"] == "2022-05-27" and again["changsha"]["status"] == "published"
