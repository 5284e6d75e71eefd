"""The rule-language commands of the ``jiceng`` CLI: lint, fmt, test, check.

They take files or folders the way an admin thinks of them: ``rule_packs``
(every pack), ``rule_packs/changsha`` (one pack) or a single ``.jc`` file (the
pack it belongs to). Exit codes: 0 ok, 1 findings (errors, failing tests,
a non-admit decision), 2 unusable input.
"""
from __future__ import annotations

import difflib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import click

from .api import load_pack
from .diagnostics import CompileError, render, render_all
from .ide import context as editing
from .loader import EXTENSION, FileLoader
from .pack import DecisionInputError
from .resolver import PackNotFound


def _has_header(folder: Path) -> Optional[str]:
    for p in sorted(folder.glob(f"*{EXTENSION}")):
        try:
            m = editing.HEADER.search(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if m:
            return m.group(1)
    return None


def packs_at(path: Path) -> list[tuple[Path, str]]:
    """(root, tenant) for every pack a path designates."""
    path = path.resolve()
    if path.is_file():
        folder = path.parent
        while folder != folder.parent:
            if _has_header(folder):
                return [(folder.parent, folder.name)]
            folder = folder.parent
        if editing.HEADER.search(path.read_text(encoding="utf-8", errors="replace")):
            return [(path.parent, path.stem)]
        return []
    if _has_header(path):
        return [(path.parent, path.name)]
    return [(path, t) for t in FileLoader(path).tenants()]


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


# ----------------------------------------------------------------------- lint
FORMS_OPTION = click.option("--forms", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
                            help="表单目录(每个租户一个子目录);默认:规则包目录旁或更上层的 form_schemas/")


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部诊断")
@click.option("--documents", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="依据文件所在目录(默认:规则包自己写的 documents、租户文件的 documents,再是仓库的 documents/)")
@FORMS_OPTION
def lint(paths: tuple[Path, ...], as_json: bool, documents: Optional[Path], forms: Optional[Path]) -> None:
    """检查规则文件:语法、名称、类型、单位、继承与覆盖策略,并在依据文件中核对每段引文。"""
    found, errors, packs, formless = [], 0, 0, None
    for path in paths:
        for root, tenant in packs_at(path):
            packs += 1
            folder = forms or editing.forms_near(root)
            context = replace(editing.EditorContext.for_pack(root, tenant), forms=folder, documents=documents)
            result = editing.check(context)  # as every editor checks, with the quotes proved
            if folder is None and any(d.code == "E204" for d in result.diagnostics):
                formless = root
            errors += sum(d.is_error for d in result.diagnostics)
            found += [d.to_dict() for d in result.diagnostics]
            if not as_json:
                for d in result.diagnostics:
                    click.echo(render(d, result.sources))
    if as_json:
        click.echo(json.dumps({"packs": packs, "errors": errors, "diagnostics": found}, ensure_ascii=False, indent=2))
    else:
        warnings = len(found) - errors
        click.echo(f"检查了 {packs} 个规则包:{errors} 个错误,{warnings} 个警告")
    if formless is not None and not as_json:
        _no_forms_note(formless)
    if packs == 0:
        _echo_err("没有找到规则包(需要含 pack 声明的 .jc 文件)")
        sys.exit(2)
    sys.exit(1 if errors else 0)


def _no_forms_note(root: Path) -> None:
    _echo_err(f"没有找到表单目录 form_schemas/(在 {root} 旁或上层),已按标准任务表单(SPEC §5)检查;"
              "若上面的 E204 是本地表单的字段,请用 --forms 指定表单目录")


# ----------------------------------------------------------------------- fmt
@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="只检查是否已是规范格式,列出需要格式化的文件,不改写文件")
@click.option("--diff", "show_diff", is_flag=True, help="显示将要做的改动,不改写文件")
def fmt(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """把规则文件改写为规范格式(不改变含义,重复执行结果不变)。

    --check 与 --diff 都只报告、不改写文件;有文件需要格式化时退出码为 1。
    """
    from .formatter import format_source
    files = list(_jc_files(paths or (Path("rule_packs"),)))
    changed, failed = 0, 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        try:
            new = format_source(text, str(f))
        except CompileError as e:
            failed += 1
            _echo_err(render_all(e.errors, {str(f): text}))
            continue
        if new == text:
            continue
        changed += 1
        if show_diff:
            click.echo("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                    str(f), str(f) + " (格式化后)")))
        elif check:
            click.echo(f"需要格式化:{f}")
        if not check and not show_diff:
            f.write_text(new, encoding="utf-8")
    report_only = check or show_diff
    verb = "需要格式化" if report_only else "已格式化"
    click.echo(f"{len(files)} 个文件,{changed} 个{verb}" + (f",{failed} 个有语法错误" if failed else ""))
    sys.exit(2 if failed else (1 if report_only and changed else 0))


def _jc_files(paths: Iterable[Path]):
    for p in paths:
        if p.is_dir():
            yield from sorted(p.rglob(f"*{EXTENSION}"))
        elif p.suffix == EXTENSION:
            yield p


# ----------------------------------------------------------------------- test
@click.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", is_flag=True,
              help="列出测试没有触发过的规则、没有测试证明的所引条款;有未覆盖规则时退出码为 1")
@click.option("--json", "as_json", is_flag=True)
@FORMS_OPTION
def test(path: Optional[Path], coverage: bool, as_json: bool, forms: Optional[Path]) -> None:
    """运行规则包中的 test 块。"""
    path = path or Path("rule_packs")
    reports, broken = [], 0
    for root, tenant in packs_at(path):
        try:
            pack = load_pack(tenant, root, forms=forms or editing.forms_near(root))
        except CompileError as e:
            broken += 1
            _echo_err(str(e))
            continue
        reports.append(pack.run_tests())
    failed = sum(1 for r in reports for t in r.results if not t.passed)
    uncovered = [(r.tenant, x) for r in reports for x in r.uncovered + r.untested_standards]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for r in reports:
            for t in r.results:
                mark = "通过" if t.passed else "失败"
                click.echo(f"[{mark}] {r.tenant}: {t.name}  ({t.file}:{t.line})")
                for msg in t.failures:
                    click.echo(f"        {msg}")
            if coverage:
                total = len(r.own_rules)
                click.echo(f"覆盖率 {r.tenant}: {total - len(r.uncovered)}/{total} 条规则被测试触发"
                           + (f";未覆盖:{'、'.join(r.uncovered)}" if r.uncovered else ""))
                if r.own_standards:
                    n_std = len(r.own_standards)
                    click.echo(f"         {n_std - len(r.untested_standards)}/{n_std} 项标准有测试"
                               + (f";未测试:{'、'.join(r.untested_standards)}" if r.untested_standards else ""))
                if r.clauses:
                    n_cl, unproved = len(r.clauses), r.unproved
                    click.echo(f"         {n_cl - len(unproved)}/{n_cl} 条所引条款有测试证明"
                               + (";未证明:" if unproved else ""))
                    for c in unproved:
                        click.echo(f"           - {c.label()}({c.where})")
        total = sum(len(r.results) for r in reports)
        click.echo(f"{len(reports)} 个规则包,{total} 个测试,{failed} 个失败"
                   + (f",{broken} 个规则包无法编译" if broken else ""))
    if not reports and not broken:
        _echo_err("没有找到规则包")
        sys.exit(2)
    sys.exit(1 if failed or broken or (coverage and uncovered) else 0)


# ----------------------------------------------------------------------- check
class InputRefused(Exception):
    """The input of ``jiceng check`` that the service would refuse too (exit 2)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


#: (rule_packs root, tenant, task, compiled pack, explicit target or None) -> the target facts.
#: Raises :class:`InputRefused` for input the service refuses (a task that fails the tenant's
#: form, an unknown ``target_unit``), so the trial tool never answers differently from the API.
CheckGate = Callable[[Path, str, dict, Any, Optional[dict]], dict]


def make_check_command(gate: Optional[CheckGate] = None) -> click.Command:
    """The ``check`` command. ``gate`` validates the task and supplies the target facts: the
    language knows nothing of forms as the service checks them or of where org units live, so
    whoever assembles the command line and owns that data (the platform) passes it in. Without
    it the target facts come from TASK.json alone."""

    @click.command("check")
    @click.option("--tenant", required=True, help="租户(规则包名),如 changsha")
    @click.argument("task_file", type=click.File("r", encoding="utf-8"))
    @click.option("--root", default="rule_packs", show_default=True, type=click.Path(path_type=Path),
                  help="规则包目录")
    @click.option("--explain", is_flag=True, help="逐条列出规则是否触发及条件看到的值")
    @click.option("--json", "as_json", is_flag=True, help="输出与 API 相同的 JSON")
    @click.option("--today", default=None, help="决定日期 YYYY-MM-DD(默认今天)")
    def check(tenant: str, task_file, root: Path, explain: bool, as_json: bool, today: Optional[str]) -> None:
        """判断一个任务能否下派:退出码 0 准入,1 有条件准入或不予准入,2 输入错误。

        TASK.json 是任务本身,或 {"task": {...}, "target": {...}, "history": {...}};
        没有给出的历史事实视为未知。
        """
        _check(tenant, task_file, root, explain, as_json, today, gate)

    return check


def _check(tenant: str, task_file, root: Path, explain: bool, as_json: bool, today: Optional[str],
           gate: Optional[CheckGate]) -> None:
    try:
        body = json.load(task_file)
    except ValueError as e:
        _echo_err(f"{task_file.name}: 错误 E002: 不是有效的 JSON:{e}")
        sys.exit(2)
    if not isinstance(body, dict):
        _echo_err(f"{task_file.name}: 错误 E002: 应为 JSON 对象")
        sys.exit(2)
    task = body.get("task", body) if "task" in body else body
    target, history = body.get("target"), body.get("history") or {}
    try:
        pack = load_pack(tenant, root)
        if gate is not None:
            target = gate(root, tenant, task, pack, target)
        # like the service's what-if check: a history fact not given is unknown
        history = {**{name: None for name in pack.history_needed}, **history} if isinstance(history, dict) else history
        d = pack.decide(task, target or {}, history, today=today, explain=explain)
    except PackNotFound:
        _echo_err(f"错误 E213: 找不到租户 {tenant} 的规则包(在 {root} 下)")
        sys.exit(2)
    except CompileError as e:
        _echo_err(str(e))
        sys.exit(2)
    except InputRefused as e:
        _echo_err(f"{task_file.name}: 错误 {e.code}: {e.message}")
        sys.exit(2)
    except DecisionInputError as e:
        _echo_err(f"{task_file.name}: 错误 {e.code}: {e.message}")
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(d.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_decision(d))
    sys.exit(0 if d.decision == "admit" else 1)


LABEL = {"admit": "准入", "conditional": "有条件准入", "reject": "不予准入"}
EFFECT = {"reject": "不予准入", "require": "须满足条件", "warn": "提示"}


def render_decision(d) -> str:
    """A decision as an operator reads it."""
    info = d.to_dict()
    lines = [f"结论:{LABEL[info['decision']]}({info['decision']})",
             f"规则包:{info['pack']['tenant']} {info['pack']['version'] or ''} ({info['pack']['digest'][:12]})"]
    for r in info["reasons"]:
        lines.append(f"  - [{EFFECT[r['effect']]}] {r['rule']}({r['pack']}):{r['message']}")
        if r["citation"]:
            lines.append(f"      依据:{r['citation']}")
        for item in r.get("items", ()):
            lines.append(f"      事项:{item['name']}({item['code']},清单 {item['list']})"
                         + (" —— 示例事项,不是正式公布的清单内容" if item["example"] else ""))
    for q in info["requirements"]:
        lines.append(f"  待满足:{q['code']} — {q['message']}")
    for u in info["unknown"]:
        lines.append(f"  ? {u['rule']}({u['pack']}) 无法判断,缺少:{'、'.join(u['missing']) or '(无输入事实缺失)'}")
    for t in info.get("trace") or []:
        mark = "无法判断" if t["fired"] is None else "触发" if t["fired"] else "未触发"
        values = ",".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in t["values"].items())
        missing = ",".join(f"{m['path']}(来源:{m['source_label']})" for m in t.get("missing", ()))
        lines.append(f"  · {t['rule']}({t['pack']}) {mark}" + (f";{values}" if values else "")
                     + (f";缺少 {missing}" if missing else ""))
    return "\n".join(lines)


#: the language's check: target facts from TASK.json only
check = make_check_command()


def make_commands(gate: Optional[CheckGate] = None) -> list[click.Command]:
    """lint, fmt, test and a ``check`` whose input passes ``gate`` first."""
    return [lint, fmt, test, make_check_command(gate)]


COMMANDS = [lint, fmt, test, check]
