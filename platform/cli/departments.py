"""CLI commands for the department registry: ``departments import``.

They use the database named by ``JICENG_DATABASE_URL`` like the other runtime commands
(:mod:`.service`'s database and error report); exit 0 on success, 2 on unusable input
(a file with bad rows imports nothing).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jiceng.platform.cli import service
from jiceng.platform.cli.units import report_import_problems


@click.group("departments")
def departments() -> None:
    """职能部门名录。"""


@departments.command("import")
@click.option("--tenant", required=True, help="导入到哪个租户的名录")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查,不写入")
@click.option("--json", "as_json", is_flag=True)
def departments_import(tenant: str, file: Path, dry_run: bool, as_json: bool) -> None:
    """从 CSV 或 Excel(.xlsx)导入职能部门名录:逐行检查,有一行不合格就不导入任何部门。"""
    from jiceng.platform.departments.importer import import_departments
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.units.importer import ImportProblems
    try:
        result = import_departments(Runtime(service._database()), tenant, file.read_bytes(), file.name,
                                    dry_run=dry_run)
    except ImportProblems as e:
        report_import_problems(e, as_json)
    except ServiceError as e:
        service._fail(e)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        verb = "检查通过(未写入)" if dry_run else "已导入"
        click.echo(f"{verb}:{result['rows']} 行,新增 {result['created']},更新 {result['updated']},"
                   f"未变 {result['unchanged']};租户 {tenant} 的名录现有 {result['departments']} 个部门")
        checked = result["items_checked_against"]
        click.echo(f"清单事项代码已按规则包 {checked['pack']} {checked['version'] or ''} 的清单核对" if checked
                   else "没有生效的规则包,清单事项代码未核对", err=True)
        if result["ignored_columns"]:
            click.echo(f"已忽略不认识的列:{'、'.join(result['ignored_columns'])}", err=True)
    sys.exit(0)


COMMANDS = [departments]
