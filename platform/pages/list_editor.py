"""The 清单 table editor: a pack's own list items as rows, edited and written back into its source.

(The lists as a spreadsheet, out and in, are the platform's 清单 exchange: :mod:`..lists.exchange`.)

:func:`own_lists` reads the lists a version's files declare or extend (``list 名称 { ... }``) with the
items written there; :func:`apply` takes the table a person submitted — each row's code, name and
依据, a row marked 撤销 (retired), new rows — and rewrites only those items' text in the file, at
their positions: other items, comments and the rest of the file stay as written. Inherited items
are not rows: a pack cannot edit its ancestor's items (it can ``remove`` them in source).
"""
from __future__ import annotations

from typing import Mapping

from jiceng.dsl import nodes as n
from jiceng.dsl.formatter import code as code_text, record, string
from jiceng.dsl.parser import parse

from jiceng.platform.errors import Invalid

BASIS = "依据"
#: the most rows one submission may carry
MAX_ROWS = 500
MAX_TEXT = 200


def _lists(files: Mapping[str, str]):
    for file in sorted(files):
        module, _problems = parse(files[file], file)
        for d in module.decls:
            if isinstance(d, n.ListDecl):
                yield file, d


def _attrs(item: n.Item) -> dict:
    return {k: v for k, v in item.attrs}


def own_lists(files: Mapping[str, str]) -> list[dict]:
    """``[{name, title, file, items: [{code, name, basis, requires}]}]`` of the lists in ``files``."""
    out = []
    for file, d in _lists(files):
        items = [{"code": e.code, "name": e.name, "basis": str(_attrs(e).get(BASIS, "")), "requires": list(e.requires)}
                 for e in d.entries if isinstance(e, n.Item)]
        out.append({"name": d.name, "title": d.title, "file": file, "items": items})
    return out


def _item_text(code: str, name: str, requires, attrs: dict) -> str:
    text = f"{code_text(code)} {string(name)}"
    if requires:
        text += " requires " + ", ".join(requires)
    if attrs:
        text += " " + record(tuple(attrs.items()))
    return text


def _offsets(text: str) -> list[int]:
    starts, at = [0], 0
    for line in text.split("\n"):
        at += len(line) + 1
        starts.append(at)
    return starts


def _rows(form) -> list[dict]:
    codes, names, bases, origs = (form.getlist(k) for k in ("code", "name", "basis", "orig"))
    retired = set(form.getlist("retire"))
    if not (len(codes) == len(names) == len(bases) == len(origs)) or len(codes) > MAX_ROWS:
        raise Invalid("list_table_invalid", "清单表格提交不完整,请重新打开页面")
    rows, problems = [], []
    for i, (c, nm, b, o) in enumerate(zip(codes, names, bases, origs)):
        c, nm, b = c.strip(), nm.strip(), b.strip()
        if not o and not c and not nm:
            continue  # an empty new row
        if o in retired:
            rows.append({"orig": o, "retire": True})
            continue
        if not c or not nm:
            problems.append({"path": f"/rows/{i}", "message": f"第 {i + 1} 行:事项代码和名称都要填写"})
        elif max(len(c), len(nm), len(b)) > MAX_TEXT or any(ch in c + nm + b for ch in "\n\r"):
            problems.append({"path": f"/rows/{i}", "message": f"第 {i + 1} 行:每格至多 {MAX_TEXT} 字,且不能换行"})
        rows.append({"orig": o, "code": c, "name": nm, "basis": b, "retire": False})
    seen = [r["code"] for r in rows if not r["retire"]]
    for c in {c for c in seen if seen.count(c) > 1}:
        problems.append({"path": "/rows", "message": f"事项代码 {c} 重复"})
    if problems:
        raise Invalid("list_table_invalid", f"清单表格有 {len(problems)} 处问题", problems)
    return rows


def apply(files: Mapping[str, str], form) -> tuple[str, dict]:
    """The files with list ``form["list"]`` of ``form["file"]`` rewritten from the submitted table;
    returns (the file, the new files). :class:`Invalid` ``list_table_invalid`` for an unusable table."""
    file, name = form.get("file", ""), form.get("list", "")
    found = [d for f, d in _lists(files) if f == file and d.name == name]
    if not found:
        raise Invalid("list_table_invalid", f"文件 {file} 中没有清单 {name}")
    decl, text = found[0], files[file]
    starts = _offsets(text)
    at = lambda line, column: starts[line - 1] + column - 1  # noqa: E731 (a position's offset)
    items = {e.code: e for e in decl.entries if isinstance(e, n.Item)}
    edits, added = [], []
    for row in _rows(form):
        old = items.get(row["orig"])
        if old is None:
            if row["orig"]:
                raise Invalid("list_table_invalid", f"清单 {name} 中没有事项 {row['orig']},请重新打开页面")
            added.append(_item_text(row["code"], row["name"], (), {BASIS: row["basis"]} if row["basis"] else {}))
            continue
        start, end = at(old.span.line, old.span.column), at(old.span.end_line, old.span.end_column)
        if row["retire"]:
            line_start, next_line = starts[old.span.line - 1], starts[old.span.end_line]
            alone = not text[line_start:start].strip() and not text[end:next_line].strip()
            edits.append((line_start, next_line, "") if alone else (start, end, ""))
            continue
        attrs = _attrs(old)
        if row["basis"]:
            attrs[BASIS] = row["basis"]
        else:
            attrs.pop(BASIS, None)
        edits.append((start, end, _item_text(row["code"], row["name"], old.requires, attrs)))
    close = at(decl.span.end_line, decl.span.end_column) - 1  # the list's closing brace
    if added:
        edits.append((close, close, "".join(f"  {t}\n" for t in added) if text[close - 1:close] == "\n"
                      else " " + " ".join(added) + " "))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return file, {**files, file: text}
