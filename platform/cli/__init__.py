"""The ``jiceng`` command line: one group, commands contributed by each part.

The rule-language commands (lint, fmt, test, check) live in
:mod:`jiceng.dsl.commands`; the runtime adds its own (serve, init, token, …).
"""
from __future__ import annotations


import click

from jiceng.dsl import commands as dsl_commands
from jiceng.platform.cli import service as service_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """基层治理规则平台 jiceng。"""


for _command in dsl_commands.COMMANDS + service_commands.COMMANDS:
    main.add_command(_command)

# `jiceng check TASK.json` with only task.target_unit: the unit's facts come from tenants/
dsl_commands.unit_lookup = service_commands.unit_from_tenants


if __name__ == "__main__":
    main()
