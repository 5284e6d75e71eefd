"""`jiceng tenant new|list|show`, `jiceng lists export|import` and `jiceng templates`: the same
services as the API, zh-CN output, exit 2 with the problems listed when the input is unusable."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.departments.importer import LAYOUT as DEPARTMENTS
from jiceng.platform.lists.table import LAYOUT as LISTS
from jiceng.platform.units.importer import UNITS, ImportProblems, read_file

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(shipped_database, monkeypatch) -> CliRunner:
    monkeypatch.setattr(commands, "_database", lambda: shipped_database)
    return CliRunner()


def test_tenant_new_list_show(cli):
    made = cli.invoke(main, ["tenant", "new", "--parent", "hunan", "--code", "xiangtan", "--name", "湘潭市",
                             "--division-code", "430300000000"])
    assert made.exit_code == 0, made.output
    assert "已建立租户 xiangtan(湘潭市,市级,上级 hunan" in made.output and "规则包草稿:第 1 版" in made.output
    listed = cli.invoke(main, ["tenant", "list", "--under", "hunan", "--json"])
    rows = json.loads(listed.output)
    assert [r["code"] for r in rows][0] == "hunan" and "xiangtan" in [r["code"] for r in rows]
    assert "national" not in [r["code"] for r in rows]
    shown = cli.invoke(main, ["tenant", "show", "xiangtan"])
    assert shown.exit_code == 0 and "上级:hunan" in shown.output and "接口建立" in shown.output
    again = cli.invoke(main, ["tenant", "new", "--parent", "hunan", "--code", "xiangtan", "--name", "湘潭市",
                              "--division-code", "430300000000"])
    assert again.exit_code == 2 and "tenant_exists" in again.output
    below_city = cli.invoke(main, ["tenant", "new", "--parent", "changsha", "--code", "furong", "--name", "芙蓉区",
                                   "--division-code", "430102000000"])
    assert below_city.exit_code == 2 and "tenant_level_invalid" in below_city.output


def test_lists_export_then_import_dry_run(cli, tmp_path):
    target = tmp_path / "清单.xlsx"
    exported = cli.invoke(main, ["lists", "export", "--tenant", "changsha", "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    back = cli.invoke(main, ["lists", "import", "--tenant", "changsha", str(target), "--dry-run"])
    assert back.exit_code == 0, back.output
    assert "检查通过(未建草稿)" in back.output and "新增 0,删去 0,改动 0" in back.output
    bad = tmp_path / "bad.csv"
    bad.write_text("事项名称,事项类别\n某事项,自知\n", encoding="utf-8")
    refused = cli.invoke(main, ["lists", "import", "--tenant", "changsha", str(bad)])
    assert refused.exit_code == 2
    assert "第 2 行,列“事项类别”:list_category_unknown" in refused.output


def test_templates_are_generated_by_the_command_and_read_by_the_importers(tmp_path):
    made = CliRunner().invoke(main, ["templates", "-o", str(tmp_path)])
    assert made.exit_code == 0, made.output
    layouts = {"清单模板.xlsx": LISTS, "职能部门名录模板.xlsx": DEPARTMENTS, "组织单位模板.xlsx": UNITS}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(layouts)
    for name, layout in layouts.items():
        fresh, shipped = (load_workbook(folder / name) for folder in (tmp_path, REPO / "docs" / "templates"))
        for a, b in zip(fresh.worksheets, shipped.worksheets, strict=True):  # docs/templates is this command's output
            assert [list(r) for r in a.iter_rows(values_only=True)] == [list(r) for r in b.iter_rows(values_only=True)]
        # every header is one the importer reads; the example row (#…) is skipped
        with pytest.raises(ImportProblems) as e:
            read_file((tmp_path / name).read_bytes(), name, layout)
        assert [d["code"] for d in e.value.details] == [f"{layout.prefix}_file_empty"]
        header = [c.value for c in fresh.worksheets[0][1]]
        assert all(layout.headers.get(h) for h in header), (name, header)


def _all_commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        yield path + (name,), command
        if hasattr(command, "commands"):
            yield from _all_commands(command, path + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _all_commands(main)], ids=" ".join)
def test_every_command_s_help_is_in_chinese(path):
    """Click's own words (Usage, Options, Show this message and exit) are zh-CN on every command."""
    r = CliRunner().invoke(main, [*path, "--help"], prog_name="jiceng")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("用法:jiceng " + " ".join(path)) and "选项:" in r.output
    for english in ("Usage", "Options", "Show this message", "[OPTIONS]", "[default:", "TEXT", "INTEGER"):
        assert english not in r.output, (path, english)


@pytest.mark.parametrize("args, said", [
    (["lint"], "错误:缺少参数 'PATHS...'"),
    (["units", "import", "--tenant", "x"], "错误:缺少参数 'FILE'"),
    (["tenant", "new", "--parent", "hunan"], "错误:缺少选项 '--code'"),
    (["lint", "--bogus", "x"], "错误:没有选项 --bogus"),
    (["grids", "plan", "--tenant", "x", "--households", "abc"], "错误:'--households' 的值无效:'abc' 不是整数"),
    (["lists", "export", "--tenant", "x", "--format", "pdf"], "'pdf' 不是 'xlsx', 'csv' 之一"),
    (["nope"], "错误:没有命令 nope"),
])
def test_usage_errors_are_in_chinese(args, said):
    r = CliRunner().invoke(main, args, prog_name="jiceng")
    assert r.exit_code == 2
    assert said in r.output and r.output.startswith("用法:jiceng ")
    assert "Error" not in r.output and "Try '" not in r.output and "--help”查看帮助" in r.output
