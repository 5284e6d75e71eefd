"""The ``jiceng`` command line: one group, commands contributed by each part, Click's own
words in zh-CN (:mod:`.zh`).

The rule-language commands (lint, fmt, test, check) live in
:mod:`jiceng.dsl.commands`; the runtime adds its own (serve, init, token, …,
:mod:`.service`; standards, units, grids, :mod:`.units`). ``jiceng check`` is
built here with the service's own input checks (:mod:`.check_gate`): the task is
validated against the tenant's form and ``task.target_unit`` is looked up in
``tenants/``, so the trial tool refuses what the API refuses.
"""
from __future__ import annotations


import click
from sqlalchemy.exc import SQLAlchemyError

from jiceng.dsl import commands as dsl_commands
from jiceng.platform.cli import service as service_commands
from jiceng.platform.cli.database_errors import explain
from jiceng.platform.cli import units as unit_commands
from jiceng.platform.cli import departments as department_commands
from jiceng.platform.cli import tenants as tenant_commands
from jiceng.platform.cli import lists as list_commands
from jiceng.platform.cli import lsp as lsp_commands
from jiceng.platform.cli import impact as impact_commands
from jiceng.platform.cli.check_gate import check_gate
from jiceng.platform.cli import zh


class _Main(click.Group):
    """The ``jiceng`` group: a command the database cannot serve (not initialised, unreachable)
    says what to do instead of printing a traceback (:mod:`.database_errors`)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        return zh.run(self, super().main, args, prog_name, complete_var, standalone_mode, **extra)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as e:
            service_commands._fail(explain(e, service_commands._database))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """基层治理规则平台 jiceng。"""


for _command in (dsl_commands.make_commands(gate=check_gate)
                 + service_commands.COMMANDS + unit_commands.COMMANDS + department_commands.COMMANDS
                 + tenant_commands.COMMANDS + list_commands.COMMANDS + lsp_commands.COMMANDS
                 + impact_commands.COMMANDS):
    main.add_command(_command)
zh.localise(main)  # help and usage errors in zh-CN, for the rule-language commands too


if __name__ == "__main__":
    main()
