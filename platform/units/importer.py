"""Import a tenant's org units from the CSV or XLSX file a 民政 office keeps.

The file is read whole and every row checked before anything is written: each problem is
reported with its row number, column (as headed in the file), a stable code and a zh-CN
message, and one bad row imports nothing. Checked per row: the code (12-digit division
code; a grid is its community's code plus 3 digits), the level, a name, the numbers
(non-negative integers, a number for the facility area, urban population not above
population); over the tree: codes unique in the file and not held by another tenant, the
parent present (in the file, or already loaded for this tenant or an ancestor tenant), the
level below the parent's, and a unit whose level changes still above its existing children.

Headers may be English (as in ``tenants/*.units.csv``) or Chinese (代码、上级代码、层级、名称、
常住人口 …); levels too (社区、网格 …). Title and ``#`` comment rows above the header are
skipped; columns the platform does not know are ignored and listed in the answer.

Valid rows are inserted or updated (units already loaded and not in the file stay) in one
transaction, with the tenant's row locked so that two imports of one tenant queue.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import re
import zipfile
from dataclasses import dataclass, field
from functools import partial
from typing import Optional

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from jiceng.dsl.types import LEVEL_RANK
from jiceng.platform.db.models import OrgUnit, Tenant
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.files import FLOAT_COLUMNS, INT_COLUMNS, UNIT_LEVELS
from jiceng.platform.tenants.directory import TenantDirectory
from jiceng.platform.units.store import COLUMNS, insert_units, update_units
from jiceng.platform.cells import read_cell

# What one import may cost. A province's largest tree (~60,000 villages and communities, a few
# hundred thousand grids at most) is a fraction of these; above them the file is refused
# before it is read (``<prefix>_file_too_large``), since reading and checking cost ~2 s a MB.
MAX_ROWS = 500_000
MAX_FILE_BYTES = 32 * 1024 * 1024          # the file as sent
MAX_XLSX_UNPACKED = 256 * 1024 * 1024      # an .xlsx is a zip: its members' declared sizes, unpacked
MAX_XLSX_COLUMNS = 64                      # columns read per row (the layout has 10)
MAX_ERRORS = 1000
INT_LIMIT = 2**31 - 1
REQUIRED = ("code", "parent", "level", "name")
#: header (normalised: no spaces, no unit in brackets, lower case) -> column
HEADERS = {
    "code": "code", "代码": "code", "单位代码": "code", "区划代码": "code", "统计用区划代码": "code",
    "parent": "parent", "上级": "parent", "上级代码": "parent", "上级单位代码": "parent", "上级区划代码": "parent",
    "level": "level", "层级": "level", "级别": "level", "类别": "level",
    "name": "name", "名称": "name", "单位名称": "name",
    "population": "population", "常住人口": "population", "人口": "population",
    "urban_population": "urban_population", "城镇常住人口": "urban_population",
    "households": "households", "户数": "households", "常住户数": "households", "住户": "households",
    "workers": "workers", "社区工作者": "workers", "社区工作者人数": "workers",
    "grid_workers": "grid_workers", "专职网格员": "grid_workers", "专职网格员人数": "grid_workers",
    "facility_area_m2": "facility_area_m2", "设施面积": "facility_area_m2", "党群服务中心面积": "facility_area_m2",
    "综合服务设施面积": "facility_area_m2",
}
COLUMN_LABEL = {"code": "代码", "parent": "上级代码", "level": "层级", "name": "名称", "population": "常住人口",
                "urban_population": "城镇常住人口", "households": "户数", "workers": "社区工作者",
                "grid_workers": "专职网格员", "facility_area_m2": "设施面积"}
LEVEL_WORDS = {"省": "province", "市": "city", "县": "county", "区": "county", "县(区)": "county", "县区": "county",
               "县级": "county", "乡": "township", "镇": "township", "乡镇": "township", "街道": "street",
               "社区": "community", "居委会": "community", "村": "village", "村委会": "village", "网格": "grid"}
LEVEL_LABEL = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇", "street": "街道",
               "community": "社区", "village": "村", "grid": "网格"}
ROOT_LEVELS = ("province", "city", "county")
DIVISION_CODE = re.compile(r"[1-9]\d{11}|0{12}")
GRID_CODE = re.compile(r"[1-9]\d{14}")


@dataclass(frozen=True)
class Layout:
    """What one kind of import file looks like, so that other registries (departments) read
    their files with this module's reader: the headers it knows, the columns it requires (the
    first one finds the header row), their labels, the prefix of its error codes, the noun its
    messages count (单位), and its row limit."""

    headers: dict[str, str]
    required: tuple[str, ...]
    labels: dict[str, str]
    prefix: str
    noun: str
    max_rows: int


UNITS = Layout(HEADERS, REQUIRED, COLUMN_LABEL, "units", "单位", MAX_ROWS)


@dataclass
class Cell:
    header: str          # as written in the file
    value: object        # str from a CSV; str, int, float or None from a spreadsheet
    ref: Optional[str]   # spreadsheet cell (C5), None for CSV


@dataclass
class Row:
    number: int                       # 1-based row (CSV line) in the file
    cells: dict[str, Cell]


@dataclass
class ParsedFile:
    format: str
    rows: list[Row]
    ignored: list[str] = field(default_factory=list)


@dataclass
class Problem:
    row: Optional[int]
    column: Optional[str]
    code: str
    message: str
    cell: Optional[str] = None

    @classmethod
    def in_cell(cls, row: int, cells: dict, column: str, label: str, code: str, message: str) -> "Problem":
        """A problem of ``row`` in ``column``, located by the file's own header and cell when the
        file has that column (``label``: the column's name when it has not)."""
        cell = cells.get(column)
        return cls(row, cell.header if cell else label, code, message, cell.ref if cell else None)

    def to_dict(self) -> dict:
        out = {"row": self.row, "column": self.column, "code": self.code, "message": self.message}
        if self.cell:
            out["cell"] = self.cell
        return out


class ImportProblems(Invalid):
    """The file cannot be imported; ``details`` lists every problem found."""

    def __init__(self, problems: list[Problem], total: Optional[int] = None, layout: Layout = UNITS):
        total = total if total is not None else len(problems)
        shown = problems[:MAX_ERRORS]
        more = f"(只列出前 {len(shown)} 处)" if total > len(shown) else ""
        super().__init__(f"{layout.prefix}_import_invalid", f"导入文件有 {total} 处问题{more},未导入任何{layout.noun}",
                         [p.to_dict() for p in shown])
        self.total = total

    def lines(self) -> list[str]:
        """One zh-CN line per problem listed, for a terminal: 第 5 行,列“户数”(G5):code:message."""
        out = []
        for d in self.details:
            where = f"第 {d['row']} 行" if d["row"] else "文件"
            column = f",列“{d['column']}”" if d["column"] else ""
            cell = f"({d['cell']})" if d.get("cell") else ""
            out.append(f"{where}{column}{cell}:{d['code']}:{d['message']}")
        return out


# ---------------------------------------------------------------------- reading the file
def read_file(data: bytes, filename: str = "", layout: Layout = UNITS) -> ParsedFile:
    """The file's rows under their recognised headers. Raises :class:`ImportProblems` for an unreadable file,
    or one over :data:`MAX_FILE_BYTES`."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(layout, f"文件有 {len(data)} 字节,超过上限 {MAX_FILE_BYTES // (1024 * 1024)} MiB,请分批导入")
    if not data.strip():
        raise ImportProblems([Problem(None, None, f"{layout.prefix}_file_empty", "文件是空的")], layout=layout)
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, layout)
    return _read_csv(data, layout)


def _read_csv(data: bytes, layout: Layout) -> ParsedFile:
    unreadable = partial(_unreadable, layout)
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in a Chinese locale saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise unreadable("文件不是 UTF-8 或 GBK 编码的 CSV")
    if "\x00" in text:
        raise unreadable("文件中含有 NUL 字符,不是文本文件")
    lines = text.splitlines()
    try:  # read from the text itself, not its lines: a quoted cell may hold a line break (Excel's Alt+Enter)
        records = [[read_cell(v) for v in record]
                   for record in csv.reader(io.StringIO(text, newline=""), delimiter="\t" if _tabbed(lines) else ",")]
    except csv.Error as e:  # e.g. a field longer than the csv module allows: not a units file
        raise unreadable(f"无法按 CSV 读取:{e}") from None
    return _rows(records, "csv", None, layout)


def _unreadable(layout: Layout, message: str) -> ImportProblems:
    return ImportProblems([Problem(None, None, f"{layout.prefix}_file_unreadable", message)], layout=layout)


def _tabbed(lines: list[str]) -> bool:
    first = next((x for x in lines if x.strip() and not x.startswith("#")), "")
    return "\t" in first and "," not in first


def _too_large(layout: Layout, message: str) -> ImportProblems:
    return ImportProblems([Problem(None, None, f"{layout.prefix}_file_too_large", message)], layout=layout)


def _read_xlsx(data: bytes, layout: Layout) -> ParsedFile:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    try:
        # A small zip can unpack to gigabytes: refuse by the sizes its members declare (zipfile
        # never reads a member past its declared size).
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise _unreadable(layout, f"无法读取 Excel 文件(.xlsx):{type(e).__name__}") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise _too_large(layout, f"Excel 文件解压后有 {unpacked} 字节,超过上限 "
                                 f"{MAX_XLSX_UNPACKED // (1024 * 1024)} MiB,请分批导入")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise _unreadable(layout, f"无法读取 Excel 文件(.xlsx):{type(e).__name__}") from None
    try:
        sheet = book.worksheets[0]
        # A sheet longer than _rows could accept (header up to 50 rows down, then max_rows) is
        # refused without being read whole.
        most = layout.max_rows + 51
        rows = sheet.iter_rows(values_only=True, max_col=MAX_XLSX_COLUMNS)
        records = [list(r) for r in itertools.islice(rows, most + 1)]
    finally:
        book.close()
    if len(records) > most:
        raise _too_large(layout, f"工作表超过 {most} 行,请分批导入")
    return _rows(records, "xlsx", get_column_letter, layout)


def _rows(records: list[list], fmt: str, letter, layout: Layout) -> ParsedFile:
    headers, labels, prefix = layout.headers, layout.labels, layout.prefix
    header_at = None
    for i, record in enumerate(records[:50]):
        names = [_normalise(v) for v in record]
        if layout.required[0] in {headers.get(x) for x in names}:
            header_at = i
            break
    if header_at is None:
        wanted = "".join(f"“{labels[c]}({c})”" for c in layout.required)
        raise ImportProblems([Problem(None, None, f"{prefix}_header_missing", f"找不到表头:应有{wanted}等列")],
                             layout=layout)
    header = records[header_at]
    columns: dict[int, str] = {}
    ignored, problems = [], []
    for j, raw in enumerate(header):
        name = headers.get(_normalise(raw))
        if name is None:
            if raw not in (None, ""):
                ignored.append(str(raw))
        elif name in columns.values():
            problems.append(Problem(header_at + 1, str(raw), f"{prefix}_header_duplicate", f"列“{raw}”与前面的列重复"))
        else:
            columns[j] = name
    missing = [labels[c] + f"({c})" for c in layout.required if c not in columns.values()]
    if missing:
        problems.append(Problem(header_at + 1, None, f"{prefix}_header_missing", f"表头缺少列:{'、'.join(missing)}"))
    if problems:
        raise ImportProblems(problems, layout=layout)
    rows = []
    for i, record in enumerate(records[header_at + 1:], start=header_at + 2):
        if not any(v not in (None, "") and str(v).strip() for v in record):
            continue  # blank line
        if isinstance(record[0] if record else None, str) and record[0].startswith("#"):
            continue
        cells = {name: Cell(str(header[j]), record[j] if j < len(record) else None,
                            f"{letter(j + 1)}{i}" if letter else None) for j, name in columns.items()}
        rows.append(Row(i, cells))
        if len(rows) > layout.max_rows:
            raise ImportProblems([Problem(i, None, f"{prefix}_file_too_large",
                                          f"文件超过 {layout.max_rows} 行,请分批导入")], layout=layout)
    if not rows:
        raise ImportProblems([Problem(None, None, f"{prefix}_file_empty", f"表头之下没有{layout.noun}")],
                             layout=layout)
    return ParsedFile(fmt, rows, ignored)


def _normalise(value) -> str:
    text = str(value or "").strip().lower().replace(" ", "").replace("\u3000", "")
    return re.sub(r"[((][^))]*[))]$", "", text)  # 户数(户)、设施面积(平方米)


# ---------------------------------------------------------------------- checking rows
@dataclass
class UnitRecord:
    row: int
    values: dict  # column -> value (code, parent, level, name, numbers)
    cells: dict[str, Cell]

    def as_tuple(self, tenant: str) -> tuple:
        v = self.values
        return (v["code"], tenant, v["parent"], v["level"], v["name"], *(v[c] for c in INT_COLUMNS + FLOAT_COLUMNS))


def check_rows(parsed: ParsedFile) -> tuple[list[UnitRecord], list[Problem]]:
    """Each row on its own: values present, well-formed, in range; and its code not an earlier
    row's (said even of a row that has other problems too, so one pass over the file finds both)."""
    records, problems = [], []
    first_row: dict[str, int] = {}
    for row in parsed.rows:
        found: list[Problem] = []
        bad = partial(_report, row, found)
        code_text = cell_text(row.cells.get("code"))
        if code_text in first_row:
            bad("code", "unit_code_duplicate", f"单位代码 {code_text} 与第 {first_row[code_text]} 行重复")
        elif code_text:
            first_row[code_text] = row.number
        values = {c: cell_text(row.cells.get(c)) for c in ("code", "parent", "level", "name")}
        level = values["level"]
        if not level:
            bad("level", "unit_level_missing", "缺少层级")
        else:
            level = LEVEL_WORDS.get(level, level.lower())
            if level not in UNIT_LEVELS:
                bad("level", "unit_level_invalid", f"层级“{values['level']}”无效,应为 省 市 县(区) 乡镇 街道 社区 "
                                                   f"村 网格(或 {' '.join(UNIT_LEVELS)})之一")
                level = None
        values["level"] = level
        code = values["code"]
        if not code:
            bad("code", "unit_code_missing", "缺少单位代码")
        elif level == "grid":
            if not GRID_CODE.fullmatch(code):
                bad("code", "unit_code_invalid", f"网格代码“{code}”应为 15 位数字(所在社区代码加 3 位序号)")
            elif values["parent"] and code[:12] != values["parent"]:
                bad("code", "grid_code_mismatch", f"网格代码 {code} 的前 12 位应为所在社区代码 {values['parent']}")
        elif level is not None and not DIVISION_CODE.fullmatch(code):
            bad("code", "unit_code_invalid", f"单位代码“{code}”应为 12 位统计用区划代码")
        if not values["name"]:
            bad("name", "unit_name_missing", "缺少名称")
        elif len(values["name"]) > 200:
            bad("name", "unit_name_too_long", "名称超过 200 字")
        if not values["parent"]:
            values["parent"] = None
            if level is not None and level not in ROOT_LEVELS:
                bad("parent", "unit_parent_missing", f"缺少上级代码:{LEVEL_LABEL[level]}必须有上级单位")
        elif values["parent"] == code:
            bad("parent", "unit_parent_self", "上级代码不能是本单位自己的代码")
        for column in INT_COLUMNS + FLOAT_COLUMNS:
            values[column] = _number(row.cells.get(column), column, bad)
        pop, urban = values["population"], values["urban_population"]
        if pop is not None and urban is not None and urban > pop:
            bad("urban_population", "urban_population_exceeds_population",
                f"城镇常住人口 {urban} 大于常住人口 {pop}")
        if found:
            problems += found
        else:
            records.append(UnitRecord(row.number, values, row.cells))
    return records, problems


def _report(row: Row, found: list[Problem], column: str, code: str, message: str) -> None:
    """Note a problem of ``row`` in ``column`` (located by the file's own header and cell)."""
    found.append(Problem.in_cell(row.number, row.cells, column, COLUMN_LABEL[column], code, message))


def cell_text(cell: Optional[Cell]) -> str:
    """A cell's value as stripped text ("" when empty)."""
    if cell is None or cell.value is None:
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a number cell
    return str(value).strip()


def _number(cell: Optional[Cell], column: str, bad):
    if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
        return None
    value = cell.value
    label = COLUMN_LABEL[column]
    if isinstance(value, bool):
        bad(column, "unit_value_not_number", f"{label}应为数字,实际为 {value}")
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            value = float(text) if column in FLOAT_COLUMNS or "." in text else int(text)
        except ValueError:
            kind = "数字" if column in FLOAT_COLUMNS else "整数"
            bad(column, f"unit_value_not_{'number' if column in FLOAT_COLUMNS else 'integer'}",
                f"{label}应为{kind},实际为“{cell.value}”")
            return None
    if isinstance(value, float) and not math.isfinite(value):
        bad(column, "unit_value_not_number", f"{label}应为有限的数字")
        return None
    if column in INT_COLUMNS:
        if isinstance(value, float):
            if not value.is_integer():
                bad(column, "unit_value_not_integer", f"{label}应为整数,实际为 {cell.value}")
                return None
            value = int(value)
        if value > INT_LIMIT:
            bad(column, "unit_value_too_large", f"{label} {value} 过大")
            return None
    if value < 0:
        bad(column, "unit_value_negative", f"{label}不能为负数,实际为 {value}")
        return None
    return float(value) if column in FLOAT_COLUMNS else value


def check_tree(session: Session, directory: TenantDirectory, tenant: str, records: list[UnitRecord],
               rejected: frozenset[str] = frozenset()
               ) -> tuple[list[UnitRecord], list[UnitRecord], int, list[Problem]]:
    """The rows against each other and the units already loaded: (to insert, to update, unchanged, problems).

    ``rejected``: codes of rows that already failed on their own; their children are not
    reported again for them."""
    problems: list[Problem] = []
    first_row = {r.values["code"]: r.row for r in records}  # codes are unique here (check_rows)
    unique = records
    codes = list(first_row) + [r.values["parent"] for r in unique if r.values["parent"]]
    existing = _existing(session, codes)
    allowed_parents = set(directory.ancestors(tenant))
    level_in_file = {r.values["code"]: r.values["level"] for r in unique}
    inserts, updates, unchanged = [], [], 0
    changed_level = []
    for r in unique:
        code, parent, level = r.values["code"], r.values["parent"], r.values["level"]
        old = existing.get(code)
        if old is not None and old.tenant_code != tenant:
            problems.append(_at(r, "code", "unit_code_taken", f"单位代码 {code} 已属于租户 {old.tenant_code}"))
            continue
        if parent is not None and parent not in rejected:
            parent_level = level_in_file.get(parent)
            if parent_level is None:
                held = existing.get(parent)
                if held is None:
                    problems.append(_at(r, "parent", "unit_parent_unknown",
                                        f"上级代码 {parent} 不存在(文件中没有,也不是已有的单位)"))
                    continue
                if held.tenant_code not in allowed_parents:
                    problems.append(_at(r, "parent", "unit_parent_out_of_reach",
                                        f"上级单位 {parent} 属于租户 {held.tenant_code},不在本租户及其上级之内"))
                    continue
                parent_level = held.level
            if parent_level in LEVEL_RANK and LEVEL_RANK[level] <= LEVEL_RANK[parent_level]:
                problems.append(_at(r, "level", "unit_level_not_below_parent",
                                    f"{LEVEL_LABEL[level]}不能隶属于{LEVEL_LABEL[parent_level]} {parent}:"
                                    "层级应低于上级单位"))
                continue
        row = r.as_tuple(tenant)
        if old is None:
            inserts.append(r)
        elif tuple(getattr(old, c) for c in COLUMNS[2:]) == row[2:]:
            unchanged += 1
        else:
            updates.append(r)
            if old.level != level:
                changed_level.append(r)
    problems += _children_still_below(session, changed_level, level_in_file, first_row)
    return inserts, updates, unchanged, problems


def _at(r: UnitRecord, column: str, code: str, message: str) -> Problem:
    return Problem.in_cell(r.row, r.cells, column, COLUMN_LABEL[column], code, message)


def _existing(session: Session, codes: list[str]) -> dict:
    stmt = select(OrgUnit).where(OrgUnit.code.in_(bindparam("codes", expanding=True)))
    out = {}
    codes = list(dict.fromkeys(codes))
    for start in range(0, len(codes), 5000):
        for u in session.execute(stmt, {"codes": codes[start:start + 5000]}).scalars():
            out[u.code] = u
    return out


def _children_still_below(session: Session, changed: list[UnitRecord], level_in_file: dict,
                          first_row: dict) -> list[Problem]:
    """A unit whose level changes must stay above the children it already has."""
    problems = []
    stmt = select(OrgUnit.code, OrgUnit.level).where(OrgUnit.parent_code == bindparam("code"))
    for r in changed:
        for child, child_level in session.execute(stmt, {"code": r.values["code"]}).all():
            level = level_in_file.get(child, child_level)
            if LEVEL_RANK.get(level, 9) <= LEVEL_RANK[r.values["level"]]:
                where = f"(第 {first_row[child]} 行)" if child in first_row else ""
                problems.append(_at(r, "level", "unit_level_above_children",
                                    f"层级改为{LEVEL_LABEL[r.values['level']]}后,不再高于已有下级 {child}"
                                    f"{where}({LEVEL_LABEL.get(level, level)})"))
                break
    return problems


# ---------------------------------------------------------------------- importing
def import_units(rt: Runtime, tenant: str, data: bytes, filename: str = "", *, dry_run: bool = False) -> dict:
    """Check the file and, when every row is good and not ``dry_run``, write it (one transaction)."""
    parsed = read_file(data, filename)
    records, problems = check_rows(parsed)
    good = {r.values["code"] for r in records}
    rejected = frozenset(cell_text(row.cells.get("code")) for row in parsed.rows) - good
    with rt.db.write() as session:
        if session.get(Tenant, tenant) is None:
            raise NotFound("tenant_not_found", f"找不到租户 {tenant}")
        rt.db.lock(session, Tenant.code, [tenant])
        directory = TenantDirectory.load(session)
        inserts, updates, unchanged, tree_problems = check_tree(session, directory, tenant, records, rejected)
        problems = sorted(problems + tree_problems, key=lambda p: (p.row or 0, p.column or ""))
        if problems:
            raise ImportProblems(problems)
        if not dry_run:
            insert_units(session, (r.as_tuple(tenant) for r in inserts))
            update_units(session, [r.as_tuple(tenant) for r in updates])
        total = session.execute(select(func.count()).select_from(OrgUnit).where(OrgUnit.tenant_code == tenant)
                                ).scalar_one()
    return {"tenant": tenant, "format": parsed.format, "rows": len(parsed.rows), "created": len(inserts),
            "updated": len(updates), "unchanged": unchanged, "units": total + (len(inserts) if dry_run else 0),
            "dry_run": dry_run, "ignored_columns": parsed.ignored}
