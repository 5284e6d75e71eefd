"""The ``jiceng`` command line: one group, commands contributed by each part.

The rule-language commands (lint, fmt, test, check) live in
:mod:`jiceng.dsl.commands`; the runtime adds its own (serve, init, token, …,
:mod:`.service`; standards, units, grids, :mod:`.units`). ``jiceng check`` is
built here with the service's own input checks (:mod:`.check_gate`): the task is
validated against the tenant's form and ``task.target_unit`` is looked up in
``tenants/``, so the trial tool refuses what the API refuses.
"""
from __future__ import annotations


import click

from jiceng.dsl import commands as dsl_commands
from jiceng.platform.cli import service as service_commands
from jiceng.platform.cli import units as unit_commands
from jiceng.platform.cli import departments as department_commands
from jiceng.platform.cli.check_gate import check_gate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """基层治理规则平台 jiceng。"""


for _command in (dsl_commands.make_commands(gate=check_gate)
                 + service_commands.COMMANDS + unit_commands.COMMANDS + department_commands.COMMANDS):
    main.add_command(_command)


if __name__ == "__main__":
    main()
