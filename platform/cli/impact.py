"""``jiceng impact``: a pack version's impact over the decision log, run here with a progress bar.

The same job as ``POST .../packs/<n>/impact`` (:mod:`jiceng.platform.impact.jobs`), kept with the
version like the API's; exit 0 when it is done, 2 on unusable input, 1 when it failed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import click

from jiceng.platform.cli import service
from jiceng.platform.cli.units import _Bar
from jiceng.platform.errors import ServiceError
from jiceng.platform.impact import batch, jobs
from jiceng.platform.impact.window import window
from jiceng.platform.runtime import Runtime


@dataclass(frozen=True)
class _Operator:
    """Whoever runs the command: the database's operator, who may do what an admin may."""

    actor: str = "jiceng impact(命令行)"

    def require(self, permission: str) -> None:
        return None


@click.command("impact")
@click.argument("tenant")
@click.argument("number", type=int)
@click.option("--from", "date_from", help="只重放这一天(YYYY-MM-DD)及以后判定的决定")
@click.option("--to", "date_to", help="只重放这一天及以前判定的决定")
@click.option("--unit", "units", multiple=True, help="只重放接收单位是此单位或其下级的决定(可重复)")
@click.option("--rule", "rules", multiple=True, help="只统计此规则在重放前或后触发的决定(可重复)")
@click.option("--examples", default=10, show_default=True, help="每种变化给几个例子")
@click.option("--workers", type=int, help="进程数(默认:CPU 核数,或 $JICENG_IMPACT_WORKERS)")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), help="把全部变化写入此 CSV 文件")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出汇总")
def impact(tenant: str, number: int, date_from: Optional[str], date_to: Optional[str], units: tuple, rules: tuple,
           examples: int, workers: Optional[int], csv_file: Optional[Path], as_json: bool) -> None:
    """用规则包 TENANT 的第 NUMBER 版重放决定记录,报告结论会怎样变化(影响评估)。"""
    rt = Runtime(service._database())
    operator = _Operator()
    try:
        w = window(date_from, date_to, list(units) or None, list(rules) or None, examples)
        job, spec = jobs.create(rt, operator, tenant, number, w)
    except ServiceError as e:
        service._fail(e)
    bar = _Bar()
    try:
        jobs.execute(rt.db, job["id"], spec, workers or batch.default_workers(),
                     progress=lambda done, total: bar(done, total, "重放决定记录"))
    finally:
        bar.close()
    result = jobs.read(rt, operator, tenant, number, job["id"])
    if result["status"] != "done":
        click.echo(f"错误 {result['error']['code']}:{result['error']['message']}", err=True)
        raise SystemExit(1)
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as out:
            for line in jobs.csv_lines(rt, operator, tenant, number, job["id"]):
                out.write(line)
    s = result["summary"]
    if as_json:
        click.echo(json.dumps({"job": job["id"], **s}, ensure_ascii=False, indent=2))
        return
    click.echo(f"影响评估任务 {job['id']}:规则包 {tenant} 第 {number} 版")
    click.echo(f"  范围内 {s['considered']} 条,重放 {s['replayed']} 条;结论改变 {s['changed']} 条,"
               f"仅触发规则改变 {s['rules_changed']} 条;不涉及本规则包 {s['unaffected']} 条;无法重放 {s['errors']} 条")
    for change, count in s["by_change"].items():
        click.echo(f"  {change}: {count}")
    for r in s["by_rule"]:
        click.echo(f"  规则 {r['rule']}:新触发 {r['fires_newly']},不再触发 {r['no_longer_fires']}")
    for m in s["by_month"]:
        if m["changed"]:
            click.echo(f"  {m['month']}:重放 {m['replayed']},结论改变 {m['changed']}")
    for e in s["error_codes"]:
        click.echo(f"  无法重放 {e['code']}:{e['count']} 条(如 {e['examples'][0]['message'] if e['examples'] else ''})")
    if csv_file is not None:
        click.echo(f"  全部变化已写入 {csv_file}")


COMMANDS = [impact]
