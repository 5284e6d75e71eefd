"""Read ``tenants/``: one ``<code>.toml`` per tenant and its units CSV.

``tenants/changsha.toml``::

    code = "changsha"
    name = "长沙市"
    parent = "hunan"
    level = "city"
    division_code = "430100000000"
    units = "changsha_units.csv"        # relative to tenants/
    departments = "changsha.departments.csv"  # its department registry, loaded by jiceng.platform.departments

The CSV starts with ``# `` comment lines, then the header
``code,parent,level,name,population,urban_population,households,workers,grid_workers,facility_area_m2``;
its first row is the tenant's own unit. Every problem is reported with its
file and line, in zh-CN.
"""
from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from jiceng.platform.errors import Invalid

UNIT_LEVELS = ("province", "city", "county", "township", "street", "community", "village", "grid")
INT_COLUMNS = ("population", "urban_population", "households", "workers", "grid_workers")
FLOAT_COLUMNS = ("facility_area_m2",)
UNIT_COLUMNS = ("code", "parent", "level", "name") + INT_COLUMNS + FLOAT_COLUMNS
TENANT_KEYS = ("code", "name", "parent", "level", "division_code", "units", "departments")


@dataclass
class UnitRow:
    """One org unit as read from a CSV row (SPEC §5 target facts)."""

    code: str
    parent: Optional[str]
    level: str
    name: str
    population: Optional[int] = None
    urban_population: Optional[int] = None
    households: Optional[int] = None
    workers: Optional[int] = None
    grid_workers: Optional[int] = None
    facility_area_m2: Optional[float] = None

    def facts(self) -> dict:
        """The target facts rules read as ``target.*``."""
        return {"code": self.code, "parent": self.parent, "level": self.level, "name": self.name,
                **{c: getattr(self, c) for c in INT_COLUMNS + FLOAT_COLUMNS}}


@dataclass
class TenantFile:
    """A tenant definition with its units, and the digest of the files read."""

    code: str
    name: str
    parent: Optional[str]
    level: str
    division_code: Optional[str]
    units: list[UnitRow] = field(default_factory=list)
    digest: str = ""
    path: str = ""
    departments_file: str = ""   # the departments file named in the TOML ("" when none), and its bytes
    departments: bytes = b""


def read_tenants(folder: Path | str) -> list[TenantFile]:
    """Every tenant under ``folder``, parents before children. Raises :class:`Invalid`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise Invalid("tenants_missing", f"找不到租户目录 {folder}")
    tenants = [read_tenant(p) for p in sorted(folder.glob("*.toml"))]
    return order_parents_first(tenants)


def read_tenant(path: Path) -> TenantFile:
    """One ``<code>.toml`` and the CSV it names."""
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise Invalid("tenant_file_invalid", f"{path}:不是有效的 TOML:{e}") from e
    unknown = sorted(set(doc) - set(TENANT_KEYS))
    if unknown:
        raise Invalid("tenant_file_invalid", f"{path}:未知的键 {'、'.join(unknown)},可用的键:{' '.join(TENANT_KEYS)}")
    for key in ("code", "name", "level"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise Invalid("tenant_file_invalid", f"{path}:缺少键 {key}(应为非空字符串)")
    for key in ("parent", "division_code", "units", "departments"):
        if key in doc and not isinstance(doc[key], str):
            raise Invalid("tenant_file_invalid", f"{path}:键 {key} 应为字符串")
    if doc["code"] != path.stem:
        raise Invalid("tenant_file_invalid", f"{path}:code = {doc['code']!r} 与文件名 {path.stem} 不一致")
    digest = hashlib.sha256(raw)
    units: list[UnitRow] = []
    if doc.get("units"):
        csv_path = path.parent / doc["units"]
        try:
            data = csv_path.read_bytes()
        except OSError as e:
            raise Invalid("tenant_file_invalid", f"{path}:无法读取单位文件 {csv_path}:{e.strerror}") from e
        digest.update(b"\0" + data)
        units = read_units_csv(data, str(csv_path))
    departments_file, departments = "", b""
    if doc.get("departments"):
        departments_file = str(path.parent / doc["departments"])
        try:
            departments = Path(departments_file).read_bytes()
        except OSError as e:
            raise Invalid("tenant_file_invalid", f"{path}:无法读取部门文件 {departments_file}:{e.strerror}") from e
    return TenantFile(doc["code"], doc["name"], doc.get("parent") or None, doc["level"],
                      doc.get("division_code") or None, units, digest.hexdigest(), str(path), departments_file,
                      departments)


def read_units_csv(data: bytes, where: str) -> list[UnitRow]:
    """Rows of a units CSV; comment lines (``#``) before the header are skipped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Invalid("units_file_invalid", f"{where}:不是 UTF-8 编码") from e
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    missing = [c for c in UNIT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid("units_file_invalid", f"{where}:第 {start + 1} 行表头缺少列 {'、'.join(missing)}")
    rows, seen = [], set()
    for i, rec in enumerate(reader):
        line = start + 2 + i
        rows.append(_unit_row(rec, f"{where}:第 {line} 行"))
        if rows[-1].code in seen:
            raise Invalid("units_file_invalid", f"{where}:第 {line} 行:单位代码 {rows[-1].code} 重复")
        seen.add(rows[-1].code)
    return rows


def _unit_row(rec: dict, where: str) -> UnitRow:
    code = (rec.get("code") or "").strip()
    level = (rec.get("level") or "").strip()
    if not code:
        raise Invalid("units_file_invalid", f"{where}:缺少单位代码 code")
    if level not in UNIT_LEVELS:
        raise Invalid("units_file_invalid", f"{where}:层级 {level!r} 无效,应为 {' '.join(UNIT_LEVELS)} 之一")
    values: dict = {}
    for col in INT_COLUMNS + FLOAT_COLUMNS:
        cell = (rec.get(col) or "").strip()
        if not cell:
            values[col] = None
            continue
        try:
            values[col] = int(cell) if col in INT_COLUMNS else float(cell)
        except ValueError:
            kind = "整数" if col in INT_COLUMNS else "数字"
            raise Invalid("units_file_invalid", f"{where}:{col} 应为{kind},实际为 {cell!r}") from None
        if values[col] < 0:
            raise Invalid("units_file_invalid", f"{where}:{col} 不能为负数")
    return UnitRow(code, (rec.get("parent") or "").strip() or None, level,
                   (rec.get("name") or "").strip() or code, **values)


def order_parents_first(tenants: list[TenantFile]) -> list[TenantFile]:
    """Tenants sorted so that each comes after its parent; unknown parents and cycles are errors."""
    by_code = {t.code: t for t in tenants}
    out: list[TenantFile] = []
    state: dict[str, str] = {}

    def visit(t: TenantFile, path: list[str]) -> None:
        if state.get(t.code) == "done":
            return
        if state.get(t.code) == "active":
            raise Invalid("tenant_cycle", f"租户上下级出现循环:{' → '.join(path + [t.code])}")
        state[t.code] = "active"
        if t.parent is not None:
            if t.parent not in by_code:
                raise Invalid("tenant_parent_unknown", f"{t.path}:上级租户 {t.parent} 不存在")
            visit(by_code[t.parent], path + [t.code])
        state[t.code] = "done"
        out.append(t)

    for t in tenants:
        visit(t, [])
    return out


def find_unit(folder: Path | str, code: str) -> Optional[tuple[str, dict]]:
    """(tenant code, facts) of the unit ``code`` in ``tenants/``, a descendant tenant's row winning."""
    found = None
    for t in read_tenants(folder):  # parents first: a later (deeper) tenant's row wins
        for u in t.units:
            if u.code == code:
                found = (t.code, u.facts())
    return found
