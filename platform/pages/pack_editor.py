"""What the console's source editor asks while an admin types: diagnostics and completions.

Diagnostics come from the very checker a draft upload runs (:meth:`PackCompiler.resolve` with the
edited files as a draft over the ancestors in force today), so the editor shows exactly what
``POST .../packs`` would answer, error and warning alike. Completions offer the names a rule can
use at the cursor: the chain's lists, params and standards, the task form's fields after
``task.``, the unit facts after ``target.``/``unit.``/``source.``, the functions, unit levels and
the language's keywords.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Mapping

from jiceng.dsl.functions import default_registry
from jiceng.dsl.parser import DECL_KEYWORDS
from jiceng.dsl.types import LEVEL_LABELS, LEVELS, unit_fields

from jiceng.platform.errors import Invalid
from jiceng.platform.packs.versions import in_force
from jiceng.platform.runtime import Runtime

#: the most source an editor request may send (a pack file is a few kB; the API allows 1 MiB)
MAX_SOURCE = 256 * 1024
#: the most completions one answer lists
MAX_COMPLETIONS = 50
KEYWORDS = ("when", "then", "and", "or", "not", "in", "cite", "reject", "require", "warn", "unknown", "requires",
            "extends", "version", "kind", "expect", "given", "by", "with", "true", "false", "null", "any", "all",
            "count", "sum", "floor", "ceiling", "fixed", "free", "narrow", "overridable", "export", "measure",
            "where", "per", "over", "contains")
_WORD = re.compile(r"[\w\u4e00-\u9fff]*$")
_RECORD = re.compile(r"\b(task|target|unit|source|history)\.([\w\u4e00-\u9fff]*)$")


def diagnostics(rt: Runtime, tenant: str, files: Mapping[str, str], file: str) -> list[dict]:
    """Every diagnostic the checker reports for ``file`` when ``files`` are ``tenant``'s pack:
    ``[{line, column, end_line, end_column, code, message, severity}]`` (errors, then warnings)."""
    with rt.db.read() as session:
        try:
            resolved = rt.compiler.resolve(session, tenant, in_force(session, date.today()), rt.forms(session),
                                           draft=files)
        except Invalid as e:
            found = [d for d in e.details if isinstance(d, dict)]
        else:
            found = [dict(w.to_dict(), severity="warning") for w in resolved.pack.warnings]
    own = f"{tenant}/{file}"
    return [{"line": d["line"], "column": d["column"], "end_line": d.get("end_line", d["line"]),
             "end_column": d.get("end_column", d["column"] + 1), "code": d["code"], "message": d["message"],
             "severity": d.get("severity", "error")}
            for d in found if d.get("file") in (file, own) or str(d.get("file", "")).endswith("/" + file)]


def completions(rt: Runtime, tenant: str, source: str, line: int, column: int) -> list[dict]:
    """What may be typed at ``line``:``column`` (1-based) of ``source``: ``[{label, kind, detail}]``
    whose label starts with the word before the cursor."""
    lines = source.split("\n")
    before = lines[line - 1][:column - 1] if 0 < line <= len(lines) else ""
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, date.today()).pack
    record = _RECORD.search(before)
    if record:
        kind, prefix = record.group(1), record.group(2)
        fields = pack.task_form.record.fields if kind == "task" else unit_fields() if kind != "history" else {}
        names = ([(n, "field", f"任务表单字段({t})") for n, t in fields.items()] if kind == "task"
                 else [(n, "field", f"单位事实({t})") for n, t in fields.items()])
        if kind == "history":
            names = [(n, "field", f.doc or "历史事实") for n, f in default_registry().history.items()]
    else:
        prefix = _WORD.search(before).group(0)
        names = [(n, "list", f"清单 {i['title'] or ''}(规则包 {i['pack']},{i['size']} 项)")
                 for n, i in pack.list_info.items()]
        names += [(n, "param", f"参数 {p['title'] or ''} = {p['value']}(规则包 {p['pack']})")
                  for n, p in pack.params.items()]
        names += [(n, "standard", "标准") for n in pack.standards]
        names += [(n, "function", f.doc.split("\n")[0] if f.doc else "函数") for n, f in default_registry().functions.items()]
        names += [(level, "unit", f"单位层级:{LEVEL_LABELS[level]}") for level in LEVELS]
        names += [(k, "keyword", "关键字") for k in sorted(set(KEYWORDS) | set(DECL_KEYWORDS))]
        names += [(r, "record", "记录") for r in ("task", "target", "source", "history", "today")]
    out = [{"label": n, "kind": k, "detail": d} for n, k, d in names if n.startswith(prefix) and n != prefix]
    return out[:MAX_COMPLETIONS]
