"""`jiceng init`: migrations agree with the models, loading is idempotent, changes become versions."""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from jiceng.dsl import clock
from jiceng.platform.db.migrate import alembic_config, current_revision, upgrade
from jiceng.platform.db.models import Base, OrgUnit, PackVersion, Publication, Tenant
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.errors import Invalid
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.files import read_tenants

FIXTURES = Path(__file__).parent / "fixtures"


def counts(db) -> dict:
    with db.read() as s:
        return {m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Tenant, OrgUnit, PackVersion, Publication)}


def test_migrations_match_the_models(fresh_database):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and current_revision(fresh_database) == head
    upgrade(fresh_database)  # a second upgrade is a no-op
    with fresh_database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_init_twice_changes_nothing(fresh_database):
    before = counts(fresh_database)
    assert before == {"Tenant": 5, "OrgUnit": 17, "PackVersion": 4, "Publication": 4}
    report = run_init(fresh_database, FIXTURES)
    assert report.tenants_changed == 0 and report.forms_added == 0
    assert {p["status"] for p in report.packs} == {"unchanged"}
    assert counts(fresh_database) == before


def test_a_changed_pack_becomes_a_new_version_in_force_from_today(fresh_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    pack = root / "rule_packs" / "changsha" / "pack.jc"
    pack.write_text(pack.read_text(encoding="utf-8").replace('version "2024.03"', 'version "2024.04"'),
                    encoding="utf-8")
    report = run_init(fresh_database, root)
    by_tenant = {p["tenant"]: p for p in report.packs}
    assert by_tenant["changsha"] == {"tenant": "changsha", "number": 2, "status": "published",
                                     "effective_from": clock.today().isoformat()}
    assert by_tenant["hunan"]["status"] == "unchanged"
    rt = Runtime(fresh_database)
    with fresh_database.read() as s:
        assert rt.pack_for(s, "changsha", clock.today()).pack.version == "2024.04"
        assert rt.pack_for(s, "changsha", clock.today() - timedelta(days=1)).pack.version == "2024.03"
    assert {p["status"] for p in run_init(fresh_database, root).packs} == {"unchanged"}


def test_a_pack_that_does_not_compile_is_reported_not_published(fresh_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    (root / "rule_packs" / "changsha" / "pack.jc").write_text("pack changsha extends hunan\nrule x when then\n",
                                                              encoding="utf-8")
    report = run_init(fresh_database, root)
    [bad] = [p for p in report.packs if p["tenant"] == "changsha"]
    assert bad["status"] == "error" and bad["diagnostics"][0]["line"] == 2
    assert report.ok is False
    assert counts(fresh_database)["PackVersion"] == 4


def test_units_csv_problems_name_file_and_line(tmp_path):
    shutil.copytree(FIXTURES / "tenants", tmp_path / "tenants")
    csv = tmp_path / "tenants" / "zhuzhou_units.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",30000,30000,10000,", ",30000,三万,10000,"),
                   encoding="utf-8")
    with pytest.raises(Invalid) as e:
        read_tenants(tmp_path / "tenants")
    assert "zhuzhou_units.csv:第 4 行:urban_population 应为整数" in e.value.message


def test_tenant_parent_must_exist(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.toml").write_text('code = "a"\nname = "甲"\nlevel = "city"\nparent = "nowhere"\n',
                                           encoding="utf-8")
    with pytest.raises(Invalid) as e:
        read_tenants(tmp_path / "t")
    assert e.value.code == "tenant_parent_unknown"
