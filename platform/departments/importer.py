"""Import a tenant's department registry from a CSV or XLSX file, like org units.

The file is read by the org-unit importer's reader (:func:`jiceng.platform.units.importer.read_file`
with :data:`LAYOUT`): Chinese or English headers, title and ``#`` rows above the header, GBK
CSV, unknown columns ignored and listed. Every row is checked before anything is written and
each problem reported with row, column, a stable code and a zh-CN message; one bad row imports
nothing. Per row: a code, a name, the unit (a 12-digit division code), the kind, and the
权责清单 (item codes and 事项类别, several to a cell). Against the database: the unit is one of
the tenant's own units at a level that has departments (not a community, village or grid),
codes and (unit, name) pairs are unique, and each item code is on a 清单 of the pack in force
for the tenant (when one is; the answer says which pack the codes were checked against).

Rows are inserted or updated by code, in one transaction with the tenant's row locked; an import
that changes anything also writes a :class:`~jiceng.platform.db.models.DepartmentChange`, so
every process sees the new registry on its next request (:meth:`Runtime.see`).
An import through the API or CLI leaves departments not in the file alone; `jiceng init`'s
seed file (:func:`seed_departments`) is the whole registry, so departments it no longer lists go.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from typing import Iterable, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.dsl.diagnostics import did_you_mean

from jiceng.platform.db.models import Department, DepartmentChange, DepartmentSource, OrgUnit, Tenant
from jiceng.platform.departments.registry import KINDS, NAME_LENGTH
from jiceng.platform.errors import Invalid, NotFound, ServiceError
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.files import TenantFile
from jiceng.platform.units.importer import (DIVISION_CODE, LEVEL_LABEL, Cell, ImportProblems, Layout, ParsedFile,
                                            Problem, Row, cell_text, read_file)

#: a province's departments at every county and street, many times over
MAX_ROWS = 50_000
MAX_ITEMS = 500
MAX_CATEGORIES = 100
ITEM_LENGTH = 64
CATEGORY_LENGTH = 50
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
#: several item codes or categories to a cell: 、 , ; | or spaces between them
SEPARATORS = re.compile(r"[、,,;;|\s]+")
#: 社区、村 and 网格 receive tasks; they have no departments
NO_DEPARTMENTS = ("community", "village", "grid")
HEADERS = {
    "code": "code", "代码": "code", "部门代码": "code", "编码": "code", "部门编码": "code",
    "name": "name", "名称": "name", "部门名称": "name", "部门": "name",
    "unit": "unit", "所属单位": "unit", "所属单位代码": "unit", "单位代码": "unit", "区划代码": "unit",
    "所属区划代码": "unit",
    "kind": "kind", "类别": "kind", "部门类别": "kind", "类型": "kind", "性质": "kind",
    "items": "items", "清单事项": "items", "清单事项代码": "items", "事项代码": "items", "权责清单事项": "items",
    "权责事项": "items",
    "categories": "categories", "事项类别": "categories", "权责类别": "categories", "权责事项类别": "categories",
}
LABELS = {"code": "部门代码", "name": "部门名称", "unit": "所属单位代码", "kind": "类别", "items": "清单事项",
          "categories": "事项类别"}
KIND_WORDS = {"职能部门": "functional", "部门": "functional", "党委政府": "government", "党委和政府": "government",
              "党委、政府": "government", "党政": "government", "党委": "government", "政府": "government"}
LAYOUT = Layout(HEADERS, ("code", "name", "unit", "kind"), LABELS, "departments", "部门", MAX_ROWS)


@dataclass
class DepartmentRecord:
    """A row that passed the per-row checks."""

    row: int
    code: str
    name: str
    unit: str
    kind: str
    items: list[str]
    categories: list[str]
    cells: dict[str, Cell]

    def values(self) -> tuple:
        return self.name, self.unit, self.kind, self.items, self.categories


# ---------------------------------------------------------------------- checking rows
def check_rows(parsed: ParsedFile) -> tuple[list[DepartmentRecord], list[Problem]]:
    """Each row on its own: values present, well-formed, within limits."""
    records, problems = [], []
    for row in parsed.rows:
        found: list[Problem] = []
        bad = partial(_report, row, found)
        code, name, unit, kind = (cell_text(row.cells.get(c)) for c in ("code", "name", "unit", "kind"))
        if not code:
            bad("code", "department_code_missing", "缺少部门代码")
        elif not CODE.fullmatch(code):
            bad("code", "department_code_invalid",
                f"部门代码“{_cut(code)}”只能由字母、数字和 - _ . 组成,以字母或数字开头,不超过 64 个字符")
        if not name:
            bad("name", "department_name_missing", "缺少部门名称")
        elif len(name) > NAME_LENGTH:
            bad("name", "department_name_too_long", f"部门名称超过 {NAME_LENGTH} 字")
        if not unit:
            bad("unit", "department_unit_missing", "缺少所属单位代码")
        elif not DIVISION_CODE.fullmatch(unit):
            bad("unit", "department_unit_invalid", f"所属单位代码“{_cut(unit)}”应为 12 位统计用区划代码")
        if not kind:
            bad("kind", "department_kind_missing", "缺少类别:职能部门(functional)或党委政府(government)")
        else:
            kind = KIND_WORDS.get(kind, kind.lower())
            if kind not in KINDS:
                bad("kind", "department_kind_invalid",
                    f"类别“{_cut(cell_text(row.cells['kind']))}”无效,应为 职能部门(functional)或 党委政府(government)")
        items = _entries(row, "items", ITEM_LENGTH, MAX_ITEMS, bad)
        categories = _entries(row, "categories", CATEGORY_LENGTH, MAX_CATEGORIES, bad)
        if found:
            problems += found
        else:
            records.append(DepartmentRecord(row.number, code, name, unit, kind, items, categories, row.cells))
    return records, problems


#: per list column: the codes of an entry too long and of too many entries
ENTRY_PROBLEMS = {"items": ("department_item_too_long", "department_items_too_many"),
                  "categories": ("department_category_too_long", "department_categories_too_many")}


def _entries(row: Row, column: str, length: int, most: int, bad) -> list[str]:
    """The cell's entries, duplicates dropped, in the order written."""
    text = cell_text(row.cells.get(column))
    entries = list(dict.fromkeys(x for x in SEPARATORS.split(text) if x))
    label = LABELS[column]
    too_long, too_many = ENTRY_PROBLEMS[column]
    long = next((x for x in entries if len(x) > length), None)
    if long is not None:
        bad(column, too_long, f"{label}“{_cut(long)}”超过 {length} 个字符")
    if len(entries) > most:
        bad(column, too_many, f"{label}有 {len(entries)} 项,最多 {most} 项")
    return entries


def _cut(text: str, most: int = 40) -> str:
    """``text`` as quoted in a message: a cell may hold anything, a message stays short."""
    return text if len(text) <= most else text[:most] + "…"


def _report(row: Row, found: list[Problem], column: str, code: str, message: str) -> None:
    """Note a problem of ``row`` in ``column`` (located by the file's own header and cell)."""
    found.append(Problem.in_cell(row.number, row.cells, column, LABELS[column], code, message))


def _at(r: DepartmentRecord, column: str, code: str, message: str) -> Problem:
    return Problem.in_cell(r.row, r.cells, column, LABELS[column], code, message)


# ---------------------------------------------------------------------- checking against the database
def check_against(session: Session, tenant: str, records: list[DepartmentRecord], item_codes: Optional[set[str]],
                  existing: dict[str, Department]) -> tuple[list[DepartmentRecord], list[DepartmentRecord], int,
                                                             list[Problem]]:
    """The rows against each other, the tenant's units, the 清单 in force (``item_codes``, None:
    not checked) and the ``existing`` registry (code -> row): (to insert, to update, unchanged, problems)."""
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    named: dict[tuple[str, str], int] = {}
    unique: list[DepartmentRecord] = []
    for r in records:
        if r.code in first_row:
            problems.append(_at(r, "code", "department_code_duplicate", f"部门代码 {r.code} 与第 {first_row[r.code]} 行重复"))
            continue
        first_row[r.code] = r.row
        if (r.unit, r.name) in named:
            problems.append(_at(r, "name", "department_name_duplicate",
                                f"单位 {r.unit} 下的部门“{r.name}”与第 {named[r.unit, r.name]} 行重复"))
            continue
        named[r.unit, r.name] = r.row
        unique.append(r)
    units = _units(session, {r.unit for r in unique})
    #: (unit, name) -> code once the file is written: an existing department keeps its pair unless the file moves it
    holder = {(d.unit_code, d.name): code for code, d in existing.items() if code not in first_row}
    inserts, updates, unchanged = [], [], 0
    for r in unique:
        unit = units.get(r.unit)
        if unit is None:
            problems.append(_at(r, "unit", "department_unit_unknown", f"单位 {r.unit} 不存在"))
            continue
        if unit.tenant_code != tenant:
            problems.append(_at(r, "unit", "department_unit_out_of_tenant",
                                f"单位 {r.unit}({unit.name})属于租户 {unit.tenant_code},部门只能隶属于本租户的单位"))
            continue
        if unit.level in NO_DEPARTMENTS:
            problems.append(_at(r, "unit", "department_unit_level",
                                f"{unit.name}({r.unit})是{LEVEL_LABEL[unit.level]}:社区、村和网格是任务的接收方,"
                                "不设职能部门;部门应隶属于省、市、县(区)、乡镇或街道"))
            continue
        other = holder.get((r.unit, r.name))
        if other is not None:
            problems.append(_at(r, "name", "department_name_taken",
                                f"{unit.name}({r.unit})已有部门“{r.name}”(代码 {other}),同一单位的部门不能重名"))
            continue
        if item_codes is not None:
            unknown = [x for x in r.items if x not in item_codes]
            if unknown:
                problems.append(_at(r, "items", "department_item_unknown", _unknown_items(unknown, item_codes)))
                continue
        old = existing.get(r.code)
        if old is None:
            inserts.append(r)
        elif (old.name, old.unit_code, old.kind, list(old.items), list(old.categories)) == r.values():
            unchanged += 1
        else:
            updates.append(r)
    return inserts, updates, unchanged, problems


def _units(session: Session, codes: Iterable[str]) -> dict[str, OrgUnit]:
    codes = sorted(codes)
    out = {}
    for start in range(0, len(codes), 5000):
        rows = session.execute(select(OrgUnit).where(OrgUnit.code.in_(codes[start:start + 5000]))).scalars()
        out.update((u.code, u) for u in rows)
    return out


def _unknown_items(unknown: list[str], item_codes: set[str]) -> str:
    first = unknown[0]
    hint = did_you_mean(first, item_codes) if len(first) <= ITEM_LENGTH else None
    more = f"等 {len(unknown)} 项" if len(unknown) > 1 else ""
    return f"清单中没有事项 {first}{more}" + (f";{hint}" if hint else "")


# ---------------------------------------------------------------------- importing
def import_departments(rt: Runtime, tenant: str, data: bytes, filename: str = "", *, dry_run: bool = False) -> dict:
    """Check the file and, when every row is good and not ``dry_run``, write it (one transaction).
    Departments of the tenant not in the file stay."""
    parsed = read_file(data, filename, LAYOUT)
    with rt.db.write() as session:
        return _apply(rt, session, tenant, parsed, dry_run=dry_run, whole=False)


def _apply(rt: Runtime, session: Session, tenant: str, parsed: ParsedFile, *, dry_run: bool, whole: bool) -> dict:
    """Check ``parsed`` and write it unless ``dry_run``; ``whole``: the file is the whole registry."""
    records, problems = check_rows(parsed)
    if session.get(Tenant, tenant) is None:
        raise NotFound("tenant_not_found", f"找不到租户 {tenant}")
    rt.db.lock(session, Tenant.code, [tenant])
    existing = {d.code: d for d in session.execute(select(Department).where(Department.tenant_code == tenant))
                .scalars()}
    lists = _lists_in_force(rt, session, tenant)
    if whole:  # departments the file drops give up their names to the rows that take them
        listed = {r.code for r in records}
        kept = {code: d for code, d in existing.items() if code in listed}
    else:
        kept = existing
    inserts, updates, unchanged, tree_problems = check_against(
        session, tenant, records, lists["codes"] if lists else None, kept)
    problems = sorted(problems + tree_problems, key=lambda p: (p.row or 0, p.column or ""))
    if problems:
        raise ImportProblems(problems, layout=LAYOUT)
    dropped = sorted(set(existing) - set(kept))
    if not dry_run:
        # a changed department is replaced, not updated: two departments swapping names in one
        # file would otherwise break the (unit, name) uniqueness between the two updates
        gone = dropped + [r.code for r in updates]
        for start in range(0, len(gone), 5000):
            session.execute(delete(Department).where(Department.tenant_code == tenant,
                                                     Department.code.in_(gone[start:start + 5000])))
        session.add_all(Department(tenant_code=tenant, code=r.code, name=r.name, unit_code=r.unit, kind=r.kind,
                                   items=r.items, categories=r.categories) for r in inserts + updates)
        if gone or inserts:  # a new department generation: every process drops the departments it keeps
            session.add(DepartmentChange(tenant_code=tenant))
        session.flush()
    total = session.execute(select(func.count()).select_from(Department)
                            .where(Department.tenant_code == tenant)).scalar_one()
    if dry_run:
        total += len(inserts) - len(dropped)
    return {"tenant": tenant, "format": parsed.format, "rows": len(parsed.rows), "created": len(inserts),
            "updated": len(updates), "unchanged": unchanged, "removed": len(dropped), "departments": total,
            "dry_run": dry_run, "ignored_columns": parsed.ignored,
            "items_checked_against": {k: lists[k] for k in ("pack", "version")} if lists else None}


def _lists_in_force(rt: Runtime, session: Session, tenant: str) -> Optional[dict]:
    """The item codes of every 清单 in the pack in force for ``tenant`` today, with the pack;
    None when no pack is in force or it cannot be compiled (the codes are then not checked)."""
    try:
        pack = rt.pack_for(session, tenant, clock.today()).pack
    except ServiceError:
        return None
    codes = {item["code"] for items in pack.lists.values() for item in items}
    return {"pack": pack.tenant, "version": pack.version, "codes": codes}


# ---------------------------------------------------------------------- seed files (`jiceng init`)
def seed_departments(rt: Runtime, tenants: list[TenantFile]) -> int:
    """Load each tenant's departments file (``departments = "…"`` in its TOML) when it changed
    since the last `jiceng init`; returns how many registries were loaded. Run after the packs
    are loaded: item codes are checked against the 清单 in force. Raises :class:`Invalid`
    naming the file for a file with bad rows (nothing of it is loaded)."""
    loaded = 0
    for tf in tenants:
        if not tf.departments_file:
            continue
        digest = hashlib.sha256(tf.departments).hexdigest()
        with rt.db.write() as session:
            source = session.get(DepartmentSource, tf.code)
            if source is not None and source.digest == digest:
                continue
            try:
                _apply(rt, session, tf.code, read_file(tf.departments, tf.departments_file, LAYOUT),
                       dry_run=False, whole=True)
            except ImportProblems as e:
                first = e.details[0]
                where = f"第 {first['row']} 行," if first["row"] else ""
                raise Invalid("departments_file_invalid",
                              f"{tf.departments_file}:部门文件有 {e.total} 处问题,未载入;{where}{first['message']}",
                              e.details) from None
            if source is None:
                session.add(DepartmentSource(tenant_code=tf.code, digest=digest))
            else:
                source.digest = digest
        loaded += 1
    return loaded

