"""CLI commands for 清单 spreadsheets and the import templates: ``lists export``, ``lists import``,
``templates``.

They use the database named by ``JICENG_DATABASE_URL`` like the other runtime commands and act
as the tenant's admin; exit 0 on success, 2 on unusable input (a table with a bad row makes no
draft). ``templates`` needs no database: it writes the blank spreadsheets docs/onboarding.md
points to (``docs/templates/*.xlsx``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from jiceng.platform.cli import service
from jiceng.platform.cli.tenants import admin_of
from jiceng.platform.cli.units import report_import_problems


@click.group("lists")
def lists() -> None:
    """清单表格:导出生效的清单,从 Excel 或 CSV 清单表建规则包草稿。"""


@lists.command("export")
@click.option("--tenant", required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--version", "number", type=click.IntRange(min=1), default=None,
              help="导出本租户规则包的某一版(如草稿);默认:今天生效的清单")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入的文件(默认:按租户和版本命名,写在当前目录)")
def lists_export(tenant: str, fmt: str, number: Optional[int], output: Optional[Path]) -> None:
    """导出清单表格:每个事项一行,带依据;继承的事项在“来源规则包”列标明来自哪个规则包。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.lists.exchange import export_lists
    from jiceng.platform.runtime import Runtime
    try:
        data, name, _type = export_lists(Runtime(service._database()), tenant, fmt, number)
    except ServiceError as e:
        service._fail(e)
    target = output or Path(name)
    target.write_bytes(data)
    click.echo(f"已导出到 {target}", err=True)


@lists.command("import")
@click.option("--tenant", required=True, help="为哪个租户建草稿")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--base", type=click.IntRange(min=1), default=None, help="在哪一版之上建草稿(默认:最新的一版)")
@click.option("--dry-run", is_flag=True, help="只检查并列出会有的变化,不建草稿")
@click.option("--json", "as_json", is_flag=True)
def lists_import(tenant: str, file: Path, base: Optional[int], dry_run: bool, as_json: bool) -> None:
    """从清单表格(.xlsx 或 .csv)建规则包草稿:逐行检查,有一处不合格就不建。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.lists.exchange import import_lists
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.units.importer import ImportProblems
    try:
        result = import_lists(Runtime(service._database()), admin_of(tenant), tenant,
                              file.read_bytes(), file.name, dry_run=dry_run, base=base)
    except ImportProblems as e:
        report_import_problems(e, as_json)
    except ServiceError as e:
        service._fail(e)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        sys.exit(0)
    for c in result["lists"]:
        click.echo(f"{c['list']}:新增 {len(c['added'])},删去 {len(c['removed'])},改动 {len(c['changed'])},"
                   f"未变 {c['unchanged']},继承 {c['inherited']}")
    if dry_run:
        click.echo(f"检查通过(未建草稿):{result['rows']} 行,基于第 {result['base_number']} 版;"
                   f"会改动的文件:{'、'.join(result['files']) or '无'}")
    else:
        v = result["version"]
        click.echo(f"已建草稿:规则包 {tenant} 第 {v['number']} 版(基于第 {result['base_number']} 版);"
                   f"检查差异后发布:POST /api/v1/tenants/{tenant}/packs/{v['number']}/publish")
    if result["ignored_columns"]:
        click.echo(f"已忽略不认识的列:{'、'.join(result['ignored_columns'])}", err=True)
    sys.exit(0)


@click.command("templates")
@click.option("--output", "-o", "folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs/templates"), show_default=True, help="写入的目录")
def templates(folder: Path) -> None:
    """生成导入用的空白表格模板(清单、职能部门名录、组织单位),各带一行示例。"""
    from jiceng.platform.lists.templates import write_templates
    for path in write_templates(folder):
        click.echo(f"已生成 {path}")


COMMANDS = [lists, templates]
