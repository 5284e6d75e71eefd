"""Click's own words in zh-CN: help (用法、选项、命令) and usage errors (缺少参数 …).

Click writes its help through the context's formatter and reports usage errors as exceptions;
both are public extension points. :func:`localise` gives every command of the ``jiceng`` tree
(the rule-language commands too) a context whose formatter writes zh-CN headings and usage;
:func:`run` runs the group so that a usage error is printed in zh-CN (exit 2) instead of
Click's English. What the type conversions say (``'x' is not a valid integer``) is rewritten
for the common cases and otherwise kept as Click wrote it.
"""
from __future__ import annotations

import re
import sys
from typing import Optional

import click

HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
#: Click's phrases inside help rows, and the metavars of its types
ROW_WORDS = ((re.compile(r"Show this message and exit\."), "显示本帮助并退出。"),
             (re.compile(r"\[default: ([^\]]*)\]"), r"[默认:\1]"), (re.compile(r"\[required\]"), "[必填]"),
             (re.compile(r"\bINTEGER RANGE\b"), "整数"), (re.compile(r"\bFLOAT RANGE\b"), "数字"),
             (re.compile(r"\bINTEGER\b"), "整数"), (re.compile(r"\bFLOAT\b"), "数字"),
             (re.compile(r"\bDIRECTORY\b"), "目录"), (re.compile(r"\bFILENAME\b"), "文件"),
             (re.compile(r"\bFILE\b"), "文件"), (re.compile(r"\bPATH\b"), "路径"), (re.compile(r"\bTEXT\b"), "文本"),
             (re.compile(r"\bBOOLEAN\b"), "真假"), (re.compile(r"\[%Y-%m-%d[^\]]*\]"), "日期"))
USAGE_WORDS = (("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."))
#: what a parameter's conversion failed with, as Click says it -> zh-CN
CONVERSIONS = ((re.compile(r"^(.*) is not a valid integer( range)?\.$"), "{0} 不是整数"),
               (re.compile(r"^(.*) is not a valid float( range)?\.$"), "{0} 不是数字"),
               (re.compile(r"^(.*) is not a valid boolean\.$"), "{0} 不是真假值"),
               (re.compile(r"^(.*) is not one of (.*)\.$"), "{0} 不是 {1} 之一"),
               (re.compile(r"^(.*) is not in the range (.*)\.$"), "{0} 不在范围 {1} 内"),
               (re.compile(r"^(.*) is (?:smaller|larger) than the (?:minimum|maximum) valid value (.*)\.$"),
                "{0} 超出范围(界限 {1})"),
               (re.compile(r"^(?:Path|File|Directory) (.*) does not exist\.$"), "{0} 不存在"),
               (re.compile(r"^(?:Path|File) (.*) is a directory\.$"), "{0} 是目录,不是文件"),
               (re.compile(r"^(?:Path|Directory) (.*) is a file\.$"), "{0} 是文件,不是目录"),
               (re.compile(r"^(.*) does not match the formats? (.*)\.$"), "{0} 不符合格式 {1}"))
USAGE_ERRORS = ((re.compile(r"^No such command '(.*)'\.$"), "没有命令 {0}"),
                (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), "多余的参数:{0}"),
                (re.compile(r"^Option '(.*)' requires an argument\.$"), "选项 {0} 需要一个值"),
                (re.compile(r"^Option '(.*)' does not take a value\.$"), "选项 {0} 不带值"),
                (re.compile(r"^Missing command\.$"), "缺少命令"))


class ZhFormatter(click.HelpFormatter):
    """Writes Click's help with zh-CN headings, usage prefix and type names."""

    def write_usage(self, prog: str, args: str = "", prefix: Optional[str] = None) -> None:
        for english, chinese in USAGE_WORDS:
            args = args.replace(english, chinese)
        super().write_usage(prog, args, "用法:")

    def write_heading(self, heading: str) -> None:
        super().write_heading(HEADINGS.get(heading, heading))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(_words(a), _words(b)) for a, b in rows], col_max, col_spacing)


def _words(text: str) -> str:
    for pattern, replacement in ROW_WORDS:
        text = pattern.sub(replacement, text)
    return text


class ZhContext(click.Context):
    formatter_class = ZhFormatter


def localise(command: click.Command) -> None:
    """Give ``command`` and every command below it the zh-CN context."""
    command.context_class = ZhContext
    for sub in getattr(command, "commands", {}).values():
        localise(sub)


def message(e: click.ClickException) -> str:
    """A usage error in zh-CN."""
    if isinstance(e, click.NoSuchOption):
        hint = f";您是不是要写 {'、'.join(e.possibilities)}?" if e.possibilities else ""
        return f"没有选项 {e.option_name}{hint}"
    if isinstance(e, click.MissingParameter) and e.param is not None:
        kind = "选项" if isinstance(e.param, click.Option) else "参数"
        return f"缺少{kind} {e.param.get_error_hint(e.ctx)}" if e.ctx else f"缺少{kind}"
    if isinstance(e, click.BadParameter):
        where = f"{e.param.get_error_hint(e.ctx)} " if e.param is not None and e.ctx is not None else ""
        return f"{where}的值无效:{_rewrite(e.message, CONVERSIONS)}"
    return _rewrite(e.message, USAGE_ERRORS + CONVERSIONS)


def _rewrite(text: str, table) -> str:
    for pattern, template in table:
        m = pattern.match(text.strip())
        if m:
            return template.format(*m.groups())
    return text


def show(e: click.ClickException) -> None:
    """Print a Click error as Click would, in zh-CN (usage and a pointer to the help first)."""
    ctx = getattr(e, "ctx", None)
    if isinstance(e, click.UsageError) and ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            click.echo(f"运行“{ctx.command_path} --help”查看帮助。", err=True)
        click.echo("", err=True)
    click.echo(f"错误:{message(e)}", err=True)


def run(group: click.Group, main_of_super, args, prog_name, complete_var, standalone_mode, **extra):
    """``group.main`` with Click's errors in zh-CN: ``main_of_super`` is Click's own ``main``."""
    if not standalone_mode:
        return main_of_super(args, prog_name, complete_var, standalone_mode, **extra)
    try:
        rv = main_of_super(args, prog_name, complete_var, False, **extra)
    except click.ClickException as e:
        show(e)
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("已中止。", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
