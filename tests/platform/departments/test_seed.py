"""Seed registries: ``departments = "…"`` in a tenant's TOML, loaded by `jiceng init` after the packs.

The shipped ones (tenants/*.departments.csv) load against the shipped units and packs; a seed
file is loaded again only when it changed, and then it is the whole registry."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import issue
from jiceng.platform.db.models import Department, DepartmentSource
from jiceng.platform.departments.registry import list_departments, resolve
from jiceng.platform.errors import Invalid
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("_platform_test_helpers", Path(__file__).parents[1] / "conftest.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)
FIXTURES = base.FIXTURES
SEEDED = ("changsha", "chengdu", "heilongjiang")


@pytest.fixture(scope="module", params=base.BACKENDS)
def repo_database(request, tmp_path_factory):
    with base.new_database(request.param, tmp_path_factory.mktemp("repo")) as db:
        report = run_init(db, REPO)
        assert report.ok, report.packs
        yield db


def test_the_shipped_registries_load_against_the_shipped_units_and_packs(repo_database):
    with repo_database.read() as s:
        totals = {t: list_departments(s, t)[0] for t in SEEDED}
        assert all(n > 20 for n in totals.values()), totals
        assert set(s.execute(select(DepartmentSource.tenant_code)).scalars()) == set(SEEDED)
        # every department hangs on a unit that is loaded (the import checked unit, level and item codes)
        for t in SEEDED:
            assert all(d.unit_name for d in list_departments(s, t)[1])
        furong = resolve(s, "changsha", "430102001001", "区民政局")           # 兴隆社区 → 芙蓉区民政局
        assert (furong.code, furong.unit_name, furong.kind) == ("430102000000-mzj", "芙蓉区", "functional")
        assert "HN-XZ-01" in furong.items and "社会救助" in furong.categories
        county = resolve(s, "changsha", "430121101000", "县民政局")            # 黄花镇 → 长沙县民政局
        assert county.unit_name == "长沙县"
        assert resolve(s, "changsha", "430102001000", "街道党工委办事处").kind == "government"
        assert "行政执法" in resolve(s, "chengdu", "510104001000", "区综合行政执法局").categories
        assert resolve(s, "heilongjiang", "230103001000", "区委区政府").kind == "government"


def test_an_unchanged_seed_is_not_loaded_again(repo_database):
    with repo_database.read() as s:
        before = sorted(s.execute(select(Department.id, Department.code)).all())
    run_init(repo_database, REPO)
    with repo_database.read() as s:
        assert sorted(s.execute(select(Department.id, Department.code)).all()) == before


def _root(tmp_path: Path, seed: str) -> Path:
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    toml = root / "tenants" / "changsha.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'departments = "changsha.departments.csv"\n', encoding="utf-8")
    (root / "tenants" / "changsha.departments.csv").write_text(seed, encoding="utf-8")
    return root


SEED = """code,name,unit,kind,items,categories
frq-dwzf,区委区政府,430102000000,government,,
frq-mzj,区民政局,430102000000,functional,X01,社会救助
"""


def count(db, tenant="changsha") -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(Department).where(Department.tenant_code == tenant)
                         ).scalar_one()


def test_a_changed_seed_is_the_whole_registry(fresh_database, tmp_path, send):
    root = _root(tmp_path, SEED)
    run_init(fresh_database, root)
    assert count(fresh_database) == 2
    # an admin's import stays while the seed file is unchanged
    with fresh_database.write() as s:
        token = issue(s, TenantDirectory.load(s), "changsha", "admin")[0]
    api = base.Api(create_app({"DATABASE": fresh_database}), {("changsha", "admin"): token})
    r = send(api, "changsha", "code,name,unit,kind\nfrq-jyj,区教育局,430102000000,functional\n")
    assert r.status_code == 200, r.json
    run_init(fresh_database, root)
    assert count(fresh_database) == 3
    # the file changes: it is loaded as the whole registry (区教育局 and 区委区政府 go, names may move)
    (root / "tenants" / "changsha.departments.csv").write_text(
        "code,name,unit,kind,items\nfrq-mzj2,区民政局,430102000000,functional,X01、X02\n", encoding="utf-8")
    run_init(fresh_database, root)
    with fresh_database.read() as s:
        assert [d.code for d in list_departments(s, "changsha")[1]] == ["frq-mzj2"]


def test_a_bad_seed_names_its_file_and_row(fresh_database, tmp_path):
    root = _root(tmp_path, SEED + "frq-x,社区办,430102001001,functional,,\n")
    with pytest.raises(Invalid) as caught:
        run_init(fresh_database, root)
    e = caught.value
    assert e.code == "departments_file_invalid"
    assert "changsha.departments.csv" in e.message and "第 4 行" in e.message
    assert e.details[0]["code"] == "department_unit_level"
    assert count(fresh_database) == 0


def test_a_missing_seed_file_is_a_tenant_file_error(fresh_database, tmp_path):
    root = _root(tmp_path, SEED)
    (root / "tenants" / "changsha.departments.csv").unlink()
    with pytest.raises(Invalid) as caught:
        run_init(fresh_database, root)
    assert caught.value.code == "tenant_file_invalid" and "部门文件" in caught.value.message
