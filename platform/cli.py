"""The ``jiceng`` command line: one group, commands contributed by each part.

The rule-language commands (lint, fmt, test, check) live in
:mod:`jiceng.dsl.commands`; the runtime adds its own (serve, init, token, …).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from jiceng.dsl import commands as dsl_commands
from jiceng.platform import commands as service_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """基层治理规则平台 jiceng。"""


for _command in dsl_commands.COMMANDS + service_commands.COMMANDS:
    main.add_command(_command)

# `jiceng check TASK.json` with only task.target_unit: the unit's facts come from tenants/
dsl_commands.unit_lookup = service_commands.unit_from_tenants


@main.command("demo")
@click.option("--root", default="rule_packs", show_default=True, type=click.Path(path_type=Path))
def demo(root: Path) -> None:
    """演示:检查并测试规则包,再判断一个示例任务(附 explain)。"""
    me = [sys.executable, "-m", "jiceng.platform.cli"]
    click.echo("== jiceng lint rule_packs")
    subprocess.run([*me, "lint", str(root)], check=False)
    click.echo("\n== jiceng test --coverage rule_packs")
    subprocess.run([*me, "test", "--coverage", str(root)], check=False)
    sample = {"task": {"title": "社区承担城市管理执法巡查", "category": "城市管理", "kind": "work",
                       "role": "responsible", "one_vote_veto": True},
              "target": {"level": "community"}}
    path = Path("instance") / "demo_task.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(sample, ensure_ascii=False, indent=2), encoding="utf-8")
    tenant = "national"
    click.echo(f"\n== jiceng check --tenant {tenant} {path} --explain")
    subprocess.run([*me, "check", "--tenant", tenant, str(path), "--explain", "--root", str(root)], check=False)


if __name__ == "__main__":
    main()
