"""The 清单 table: its columns, how a file's rows are read and checked, and how lists are written
back out as XLSX or CSV.

Columns, as lists are published: 序号, 事项名称, 事项类别 (which list: 依法自治事项 or 自治,
协助 …), 依据 (document and clause), 责任部门, 适用层级 (社区/村), 备注; and, for the platform,
事项代码 (made from the tenant and the list when blank), 须具备的条件 (requirement codes), 其他属性
(any other item attributes, as a JSON object) and 来源规则包 (the pack an exported item comes from).
Headers are matched in Chinese with common variants (事项名称/名称/事项 …), by the org-unit
importer's reader (:func:`jiceng.platform.units.importer.read_file`): XLSX or CSV, UTF-8 or
GBK/GB18030, title and ``#`` rows above the header skipped, unknown columns ignored and listed.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Optional

from jiceng.dsl.checker import LEVEL_SPELLINGS
from jiceng.dsl.diagnostics import did_you_mean
from jiceng.dsl.resolver import LIST_KINDS
from jiceng.dsl.types import LEVEL_LABELS

from jiceng.platform.lists.declarations import FIXED_ATTRS, Citation, ListItem
from jiceng.platform.units.importer import Cell, Layout, ParsedFile, Problem, Row, cell_text
from jiceng.platform.cells import text_cell

MAX_ROWS = 20_000
NAME_LENGTH = 200
TEXT_LENGTH = 500
CODE = re.compile(r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]{0,63}")
SEPARATORS = re.compile(r"[、,,;;/|\s]+")
#: a character the rule language cannot hold in a string (it reads only \n and \t escapes)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

#: column -> label written on export (and shown in problems)
LABELS = {"seq": "序号", "code": "事项代码", "name": "事项名称", "category": "事项类别", "citation": "依据",
          "department": "责任部门", "levels": "适用层级", "requires": "须具备的条件", "note": "备注",
          "aliases": "别名", "example": "示例", "other": "其他属性", "pack": "来源规则包"}
EXPORT_COLUMNS = tuple(LABELS)
HEADERS = {
    **{label: column for column, label in LABELS.items()},
    "编号": "seq", "序": "seq", "no": "seq",
    "代码": "code", "编码": "code", "事项编码": "code", "code": "code",
    "名称": "name", "事项": "name", "事项内容": "name", "工作事项": "name", "name": "name",
    "类别": "category", "清单类别": "category", "清单": "category", "清单名称": "category", "所属清单": "category",
    "事项类型": "category", "kind": "category",
    "政策依据": "citation", "法律依据": "citation", "设定依据": "citation", "依据文件": "citation",
    "文件依据": "citation", "依据及条款": "citation",
    "部门": "department", "主管部门": "department", "对口部门": "department", "牵头部门": "department",
    "责任单位": "department",
    "层级": "levels", "适用范围": "levels", "适用对象": "levels",
    "条件": "requires", "保障条件": "requires", "须满足条件": "requires",
    "说明": "note",
    "又称": "aliases", "其他名称": "aliases", "示例事项": "example",
    "来源": "pack", "规则包": "pack",
}
LAYOUT = Layout(HEADERS, ("name", "category"), LABELS, "lists", "清单事项", MAX_ROWS)

#: list kinds a 清单 table holds (the vocabularies 事项类别/任务类型 are not 清单 and stay out)
TABLE_KINDS = ("self_governance", "assist", "reduced", "forbidden", "certificate_excluded", "permitted")
#: short names a published table uses for each kind (the standard list of that kind is meant)
KIND_WORDS = {
    "self_governance": ("自治", "自治事项", "依法自治", "依法自治事项", "社区依法自治事项", "居民自治事项"),
    "assist": ("协助", "协助事项", "协助政府", "协助政府工作事项", "依法协助", "依法协助政府工作事项",
               "社区依法协助政府工作事项"),
    "reduced": ("减负", "减负事项", "减负工作事项", "社区减负事项"),
    "forbidden": ("不应由社区承担", "不应由社区承担的事项", "负面清单", "不得转嫁", "禁止事项"),
    "certificate_excluded": ("证明", "证明事项", "不再出具的证明", "不应由社区出具的证明", "社区不再出具的证明"),
    "permitted": ("允许", "允许事项", "白名单"),
}
#: 适用层级 words -> the levels an item is declared with (any level's code or label is read too)
LEVEL_WORDS = {"城市社区": ("community",), "居委会": ("community",), "行政村": ("village",),
               "农村社区": ("village",), "村委会": ("village",), "城乡社区": ("community", "village"),
               "社区和村": ("community", "village"), "全部": ("community", "village"),
               **{word: (code,) for word, code in LEVEL_SPELLINGS.items()}}
LEVEL_ORDER = tuple(LEVEL_LABELS)
EXAMPLE_WORDS = {"是": True, "示例": True, "true": True, "1": True, "y": True, "yes": True,
                 "否": False, "": False, "false": False, "0": False, "n": False, "no": False}
#: a citation in a 依据 cell: a declared source, its clause, the quote in 「」 after it
_CITE = re.compile(r"^(?P<source>\S+)\s+(?P<clause>[^「」]+?)\s*(?:「(?P<quote>[^」]*)」)?$")
#: the kind's part of a made code: <TENANT>-ZZ-01
CODE_PART = {"self_governance": "ZZ", "assist": "XZ", "reduced": "JF", "forbidden": "JZ",
             "certificate_excluded": "ZM", "permitted": "YX"}


@dataclass(frozen=True)
class ListRef:
    """A 清单 of the chain a row can go to."""

    name: str
    kind: str
    title: Optional[str]


@dataclass
class TableRow:
    """A row that passed its own checks."""

    row: int
    list_name: str
    item: ListItem
    code_given: bool
    pack: str               # "" when the row names no pack
    cells: dict[str, Cell]


@dataclass
class Catalogue:
    """What a row is checked against: the chain's 清单 (by name), its requirement codes and labels,
    the packs of the chain, and the items it holds (list -> code -> (item, pack))."""

    lists: dict[str, ListRef]
    requirements: dict[str, str]          # code -> label
    packs: tuple[str, ...]
    items: dict[str, dict[str, tuple[ListItem, str]]]
    sources: frozenset[str]
    #: the 事项类别 vocabulary's codes (None: the chain has none): a forbidden list holds categories
    categories: Optional[frozenset[str]] = None

    def list_for(self, text: str) -> Optional[ListRef]:
        """The list a 事项类别 cell means: a list's name or title, a kind's short name or code."""
        word = re.sub(r"清单$", "", text.strip()) if text.strip() not in self.lists else text.strip()
        for ref in self.lists.values():
            if text.strip() in (ref.name, ref.title) or word in (ref.name, re.sub(r"清单$", "", ref.title or "")):
                return ref
        for kind, words in KIND_WORDS.items():
            if word in words or text.strip() == kind:
                return self.standard_list(kind)
        return None

    def standard_list(self, kind: str) -> Optional[ListRef]:
        """The chain's list of ``kind``: the one named as the platform names it, else the first."""
        same = [ref for ref in self.lists.values() if ref.kind == kind]
        return next((ref for ref in same if ref.name in _STANDARD_NAMES), same[0] if same else None)

    def requirement(self, text: str) -> Optional[str]:
        for code, label in self.requirements.items():
            if text in (code, label) or (len(text) >= 2 and label.startswith(text)):
                return code
        return None


_STANDARD_NAMES = set(LIST_KINDS.values())


# ---------------------------------------------------------------------- checking rows
def check_rows(parsed: ParsedFile, catalogue: Catalogue, tenant: str) -> tuple[list[TableRow], list[Problem]]:
    """Each row on its own, then codes across the file: (rows, problems)."""
    rows, problems = [], []
    defaults_requires = "requires" not in _columns(parsed)
    for row in parsed.rows:
        found: list[Problem] = []
        bad = partial(_report, row, found)
        name = _text(row, "name", NAME_LENGTH, "list_item_name_too_long", bad)
        if not name:
            bad("name", "list_item_name_missing", "缺少事项名称")
        category = cell_text(row.cells.get("category"))
        ref = catalogue.list_for(category) if category else None
        if not category:
            bad("category", "list_category_missing", "缺少事项类别(应为清单名,如 依法自治事项、依法协助政府工作事项)")
        elif ref is None:
            choices = sorted(catalogue.lists) + [w for words in KIND_WORDS.values() for w in words[:1]]
            hint = did_you_mean(category[:40], choices)
            bad("category", "list_category_unknown",
                f"事项类别“{_cut(category)}”不是本租户规则包链中的清单;应为 {'、'.join(sorted(catalogue.lists))} "
                f"之一,或简称 自治、协助、减负、不应由社区承担、证明" + (f";{hint}" if hint else ""))
        code = cell_text(row.cells.get("code"))
        if code and not CODE.fullmatch(code):
            bad("code", "list_item_code_invalid",
                f"事项代码“{_cut(code)}”只能由字母、数字、汉字和 - _ . 组成,不超过 64 个字符")
        citation = _text(row, "citation", TEXT_LENGTH, "list_text_too_long", bad)
        cites = citations(citation, catalogue.sources)
        if cites:
            citation = ""
        department = _text(row, "department", TEXT_LENGTH, "list_text_too_long", bad)
        note = _text(row, "note", TEXT_LENGTH, "list_text_too_long", bad)
        levels = _levels(row, bad)
        requires = _requires(row, catalogue, bad)
        if defaults_requires and ref is not None and ref.kind == "assist":
            requires = ("funding", "work_conditions")  # S002 四(四): every 协助事项 comes with funding and conditions
        other = _other(row, bad)
        aliases = tuple(dict.fromkeys(x for x in re.split(r"[、;;\n]+", _text(row, "aliases", TEXT_LENGTH,
                                                                            "list_text_too_long", bad)) if x.strip()))
        example = EXAMPLE_WORDS.get(cell_text(row.cells.get("example")).lower())
        if example is None:
            bad("example", "list_example_invalid", "示例一列写“是”(只是示例、不是公布的事项)或留空")
        pack = cell_text(row.cells.get("pack"))
        if pack and pack not in catalogue.packs:
            bad("pack", "list_pack_unknown",
                f"来源规则包 {_cut(pack)} 不在本租户的规则包链({' → '.join(catalogue.packs)})中")
        if found:
            problems += found
            continue
        item = ListItem(code, name, citation, department, levels, note, requires, other, cites,
                        tuple(a.strip() for a in aliases), bool(example))
        rows.append(TableRow(row.number, ref.name, item, bool(code), "" if pack == tenant else pack, row.cells))
    problems += _check_codes(rows, catalogue, tenant)
    return rows, problems


def _columns(parsed: ParsedFile) -> set[str]:
    return set(parsed.rows[0].cells) if parsed.rows else set()


def _text(row: Row, column: str, most: int, too_long: str, bad) -> str:
    text = cell_text(row.cells.get(column))
    if CONTROL.search(text):
        bad(column, "list_text_invalid", f"{LABELS[column]}含有控制字符")
        return ""
    if len(text) > most:
        bad(column, too_long, f"{LABELS[column]}超过 {most} 字")
        return ""
    return text


def _levels(row: Row, bad) -> tuple[str, ...]:
    text = cell_text(row.cells.get("levels"))
    out: list[str] = []
    for word in filter(None, SEPARATORS.split(text)):
        levels = LEVEL_WORDS.get(word) or LEVEL_WORDS.get(word.lower())
        if levels is None:
            bad("levels", "list_level_invalid", f"适用层级“{_cut(word)}”无效,应为 社区、村(或 城乡社区 表示两者)")
            return ()
        out += [x for x in levels if x not in out]
    return tuple(x for x in LEVEL_ORDER if x in out)


def normalized(item: ListItem, sources: frozenset[str]) -> ListItem:
    """``item`` as a table row reads back: a 依据 attribute that names declared sources and their
    clauses is the same citation as those cites (the import writes it so)."""
    cites = citations(item.citation, sources) if item.citation and not item.cites else ()
    return replace(item, citation="", cites=cites) if cites else item


def citations(text: str, sources: frozenset[str]) -> tuple[Citation, ...]:
    """The cites a 依据 cell names (one per line, or separated by ;): each a declared source and
    its clause, with an optional quote in 「」; () when any part is not (the text stays a 依据)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "「":
            depth += 1
        elif ch == "」":
            depth = max(0, depth - 1)
        if depth == 0 and ch in "\n;;":
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        m = _CITE.match(part)
        if m is None or m["source"] not in sources:
            return ()
        out.append(Citation(m["source"], m["clause"].strip(), m["quote"] or ""))
    return tuple(out)


def _requires(row: Row, catalogue: Catalogue, bad) -> tuple[str, ...]:
    out: list[str] = []
    for word in filter(None, SEPARATORS.split(cell_text(row.cells.get("requires")))):
        code = catalogue.requirement(word)
        if code is None:
            known = "、".join(f"{label}({code})" for code, label in catalogue.requirements.items())
            bad("requires", "list_requirement_unknown", f"条件“{_cut(word)}”不是规则包链中的要求代码;可用:{known}")
            return ()
        if code not in out:
            out.append(code)
    return tuple(out)


def _other(row: Row, bad) -> tuple[tuple[str, object], ...]:
    text = cell_text(row.cells.get("other"))
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(_simple(v) for v in value.values()) or len(text) > TEXT_LENGTH:
        bad("other", "list_other_invalid",
            '其他属性应为 JSON 对象,值为文字、数字、真假或文字的列表,如 {"出具单位": "公安机关"}'
            f"(不超过 {TEXT_LENGTH} 字)")
        return ()
    clash = [k for k in value if k in FIXED_ATTRS]
    if clash:
        bad("other", "list_other_invalid", f"其他属性中的“{clash[0]}”有自己的列,请写在那一列")
        return ()
    if any(CONTROL.search(k) or not k.strip() for k in value):
        bad("other", "list_other_invalid", "其他属性的键应为非空文字")
        return ()
    return tuple(value.items())


def _simple(value) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str) and not CONTROL.search(v) for v in value)
    if isinstance(value, str):
        return not CONTROL.search(value)
    return isinstance(value, (bool, int, float)) and value == value and value not in (float("inf"), float("-inf"))


def _check_codes(rows: list[TableRow], catalogue: Catalogue, tenant: str) -> list[Problem]:
    """Codes unique in the file; rows marked with another pack hold an item that pack listed;
    blank codes made from the tenant and the list (a forbidden list's code is its category)."""
    problems: list[Problem] = []
    first: dict[tuple[str, str], int] = {}   # a code is unique within its list (招商引资 may be on two)
    for r in rows:
        if not r.code_given:
            continue
        key = (r.list_name, r.item.code)
        if key in first:
            problems.append(_at(r, "code", "list_item_code_duplicate",
                                f"清单 {r.list_name} 中的事项代码 {r.item.code} 与第 {first[key]} 行重复"))
        first.setdefault(key, r.row)
        if r.pack:
            held = catalogue.items.get(r.list_name, {}).get(r.item.code)
            if held is None or held[1] != r.pack:
                problems.append(_at(r, "pack", "list_item_not_inherited",
                                    f"规则包 {r.pack} 的清单 {r.list_name} 中没有事项 {r.item.code};本租户新增的事项,"
                                    "“来源规则包”请留空或写本租户"))
    for r in rows:
        if r.pack and not r.code_given:
            problems.append(_at(r, "code", "list_item_not_inherited",
                                f"标明来自规则包 {r.pack} 的事项须写事项代码"))
    used = {code for _list, code in first} | {code for items in catalogue.items.values() for code in items}
    counters: dict[str, int] = {}
    kinds = {name: ref.kind for name, ref in catalogue.lists.items()}
    for r in rows:
        if r.code_given:
            continue
        kind = kinds[r.list_name]
        if kind == "forbidden":
            code = r.item.name  # a forbidden list is keyed by the task's 事项类别
        else:
            n = counters.get(r.list_name, 0)
            while True:
                n += 1
                code = f"{tenant.upper()}-{CODE_PART.get(kind, 'QD')}-{n:02d}"
                if code not in used:
                    break
            counters[r.list_name] = n
        if kind == "forbidden" and ((r.list_name, code) in first or code in catalogue.items.get(r.list_name, {})):
            problems.append(_at(r, "name", "list_item_code_duplicate", f"事项 {code} 已在清单 {r.list_name} 中"))
        first.setdefault((r.list_name, code), r.row)
        used.add(code)
        r.item = ListItem(code, *_rest(r.item))
    for r in rows:
        # a forbidden list is matched against the task's 事项类别: an item outside the vocabulary
        # would never match a task, and the 清单 would look stricter than it is
        if kinds[r.list_name] == "forbidden" and catalogue.categories is not None \
                and r.item.code not in catalogue.categories:
            hint = did_you_mean(r.item.code[:40], catalogue.categories)
            column = "code" if r.code_given else "name"
            problems.append(_at(r, column, "list_category_not_in_vocabulary",
                                f"“{_cut(r.item.code)}”不是事项类别词表中的类别;不应由社区承担的事项按任务的事项类别判断,"
                                "请写词表中的类别,或先在词表中增加它(list 事项类别)" + (f";{hint}" if hint else "")))
    return problems


def _rest(item: ListItem) -> tuple:
    return (item.name, item.citation, item.department, item.levels, item.note, item.requires, item.other,
            item.cites, item.aliases, item.example)


def _report(row: Row, found: list[Problem], column: str, code: str, message: str) -> None:
    found.append(Problem.in_cell(row.number, row.cells, column, LABELS[column], code, message))


def _at(r: TableRow, column: str, code: str, message: str) -> Problem:
    return Problem.in_cell(r.row, r.cells, column, LABELS[column], code, message)


def _cut(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[:most] + "…"


# ---------------------------------------------------------------------- writing
def row_values(seq: int, list_name: str, item: ListItem, pack: str, requirement_labels: dict[str, str]) -> list:
    """One exported row, in :data:`EXPORT_COLUMNS` order."""
    other = json.dumps(dict(item.other), ensure_ascii=False) if item.other else ""
    return [seq, item.code, item.name, list_name, item.citation_text(), item.department,
            "、".join(LEVEL_LABELS.get(x, x) for x in item.levels),
            "、".join(requirement_labels.get(c, c) for c in item.requires), item.note, "、".join(item.aliases),
            "是" if item.example else "", other, pack]


def write_csv(rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens it as UTF-8; text that looks like a
    formula is written as text (:mod:`jiceng.platform.cells`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([LABELS[c] for c in EXPORT_COLUMNS])
    writer.writerows([text_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")


def write_xlsx(rows: list[list], title: str) -> bytes:
    """One sheet: a header row in bold, frozen, columns wide enough to read."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([LABELS[c] for c in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([str(v) if not isinstance(v, int) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that starts with "=" stays text, never a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLM", (6, 16, 40, 22, 30, 16, 10, 16, 24, 16, 6, 20, 14)):
        sheet.column_dimensions[letter].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
