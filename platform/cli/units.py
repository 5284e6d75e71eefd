"""CLI commands for org units and standards: ``standards``, ``units import``, ``grids plan``.

They use the database named by ``JICENG_DATABASE_URL`` like the other runtime commands;
exit 0 on success, 2 on unusable input (a file with bad rows imports nothing).
The database and the error report are :mod:`.service`'s (this module depends on it, not the reverse).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from jiceng.platform.cli import service


def _database():
    return service._database()  # looked up at call time: tests substitute it


def _fail(e) -> None:
    service._fail(e)


def _levels(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


class _Bar:
    """click's progress bar on stderr, opened on the first report (when the number of steps is known).
    Only on a terminal: piped or captured output stays exactly the data."""

    def __init__(self):
        self.bar = None
        self.shown = sys.stderr.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.shown:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.label = label
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


# ----------------------------------------------------------------------- standards
@click.command("standards")
@click.option("--tenant", required=True)
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True, help="评价规则包中的全部标准")
@click.option("--descendants", is_flag=True, help="包括下级租户的单位(各按本租户生效的规则包评价)")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
              show_default=True, help="输出格式;html 为可打印的报告(含按街道、县区汇总的图表)")
@click.option("--json", "as_json", is_flag=True, help="同 --format json")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="写入文件(默认标准输出)")
@click.option("--status", default=None, help="只列出这些结论的单位,逗号分隔:compliant failing error not_applicable")
@click.option("--under", default=None, help="只看该单位(如某街道)之下的单位")
@click.option("--totals", default="street,county,city", show_default=True,
              help="按这些层级汇总(table、json),逗号分隔:province city county street community")
@click.option("--order", default=None, help="排序:code 或指标名,前加 - 为从大到小,如 -gap")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=0),
              help="table 格式最多列出的单位数")
def standards(tenant: str, name: Optional[str], every: bool, descendants: bool, fmt: str, as_json: bool,
              output: Optional[Path], status: Optional[str], under: Optional[str], totals: str,
              order: Optional[str], limit: int) -> None:
    """用当前生效规则包中的标准 NAME(或 --all 全部标准)评价租户的组织单位。"""
    from jiceng.platform.errors import Invalid, ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.units.standards import run_standards
    if as_json:
        fmt = "json"
    if (name is None) == (not every):
        _fail(Invalid("standard_name_missing", "请给出标准名称 NAME,或用 --all 评价全部标准"))
    rt = Runtime(_database())
    statuses = _levels(status) if status else None
    tiers = _levels(totals)
    try:
        bar = _Bar()
        try:
            runs = run_standards(rt, tenant, None if every else [name], descendants=descendants, progress=bar)
        finally:
            bar.close()
        with rt.db.read() as session:
            tenant_name = rt.directory(session).get(tenant).name
        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            _write(out, rt, runs, fmt, tenant_name, statuses, under, tiers, order, limit)
        finally:
            if output:
                out.close()
    except ServiceError as e:
        _fail(e)
    if output:
        click.echo(f"已写入 {output}", err=True)
    sys.exit(0)


def _write(out, rt, runs, fmt, tenant_name, statuses, under, tiers, order, limit) -> None:
    from jiceng.platform.units import standards_output as output
    from jiceng.platform.units.standards import check_filters
    from jiceng.platform.units.standards_report import render
    if fmt == "html":
        out.write(render(rt, runs, tenant_name, under=under))
        return
    selections = []
    for run in runs:
        check_filters(run, statuses, None, tiers)
        scope = run.scope(under=under)
        selections.append((run, scope, run.listing(scope, statuses, order)))
    total = sum(len(p) for _r, _s, p in selections)
    bar, written = _Bar(), [0]

    def advance(count: int) -> None:
        written[0] += count
        bar(written[0], total, "输出")
    try:
        if fmt == "csv":
            output.write_csv(out, rt, [(run, positions) for run, _s, positions in selections], advance)
        elif fmt == "json":
            if len(selections) > 1:
                out.write("[\n")
            for i, (run, scope, positions) in enumerate(selections):
                output.write_json(out, rt, run, positions, scope, tiers, advance)
                if i < len(selections) - 1:
                    out.write(",\n")
            if len(selections) > 1:
                out.write("]\n")
        else:
            for i, (run, scope, positions) in enumerate(selections):
                if i:
                    out.write("\n")
                output.write_table(out, rt, run, positions, scope, tiers, limit)
    finally:
        bar.close()


# ----------------------------------------------------------------------- units
@click.group("units")
def units() -> None:
    """组织单位。"""


@units.command("import")
@click.option("--tenant", required=True, help="导入到哪个租户")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查,不写入")
@click.option("--json", "as_json", is_flag=True)
def units_import(tenant: str, file: Path, dry_run: bool, as_json: bool) -> None:
    """从 CSV 或 Excel(.xlsx)导入组织单位:逐行检查,有一行不合格就不导入任何单位。"""
    from jiceng.platform.errors import ServiceError
    from jiceng.platform.runtime import Runtime
    from jiceng.platform.units.importer import ImportProblems, import_units
    try:
        result = import_units(Runtime(_database()), tenant, file.read_bytes(), file.name, dry_run=dry_run)
    except ImportProblems as e:
        report_import_problems(e, as_json)
    except ServiceError as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        verb = "检查通过(未写入)" if dry_run else "已导入"
        click.echo(f"{verb}:{result['rows']} 行,新增 {result['created']},更新 {result['updated']},"
                   f"未变 {result['unchanged']};租户 {tenant} 现有 {result['units']} 个单位")
        if result["ignored_columns"]:
            click.echo(f"已忽略不认识的列:{'、'.join(result['ignored_columns'])}", err=True)
    sys.exit(0)


def report_import_problems(e, as_json: bool) -> None:
    """A refused import (:class:`~jiceng.platform.units.importer.ImportProblems`) as the import
    commands print it: the JSON error body, or one line per row and column; exit 2."""
    if as_json:
        click.echo(json.dumps({"error": {"code": e.code, "message": e.message, "details": e.details}},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(f"错误 {e.code}:{e.message}", err=True)
        for line in e.lines():
            click.echo(f"  {line}", err=True)
    sys.exit(2)


# ----------------------------------------------------------------------- grids
@click.group("grids")
def grids() -> None:
    """网格。"""


@grids.command("plan")
@click.option("--tenant", required=True)
@click.option("--households", type=click.IntRange(min=0), default=None, help="社区户数")
@click.option("--unit", default=None, help="或:社区代码(取其户数)")
@click.option("--min", "low", type=click.IntRange(min=1), default=None, help="假设的网格户数下限")
@click.option("--max", "high", type=click.IntRange(min=1), default=None, help="假设的网格户数上限")
@click.option("--json", "as_json", is_flag=True)
def grids_plan(tenant: str, households: Optional[int], unit: Optional[str], low: Optional[int],
               high: Optional[int], as_json: bool) -> None:
    """为一个社区规划网格:网格个数和每个网格的户数,都在租户规定的范围内;放不下时说明原因和办法。"""
    from jiceng.platform.errors import Invalid, ServiceError
    from jiceng.platform.units.grid_planner import plan
    from jiceng.platform.runtime import Runtime
    try:
        if (households is None) == (unit is None):
            raise Invalid("plan_input_invalid", "请给出 --households 或 --unit 之一")
        if (low is None) != (high is None):
            raise Invalid("plan_input_invalid", "--min 与 --max 须同时给出")
        result = plan(Runtime(_database()), tenant, households=households, unit=unit, low=low, high=high)
    except ServiceError as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        sys.exit(0)
    r = result["range"]
    source = f"(规则包 {r['set_by']} {r['set_by_version'] or ''} 的参数 {r['param']})" if r["param"] else "(假设)"
    click.echo(f"网格户数范围:{r['value']}{source}")
    if result["unit"]:
        click.echo(f"社区:{result['unit']['name']}({result['unit']['code']}),{result['households']} 户")
    click.echo(result["message"])
    for alt in result["alternatives"]:
        sizes = "、".join(f"{s['count']} 个 {s['households']} 户" for s in alt["sizes"]) or "—"
        click.echo(f"  另可:{alt['grids']} 个网格({sizes}):{alt['note']}")
    sys.exit(0)


COMMANDS = [standards, units, grids]
