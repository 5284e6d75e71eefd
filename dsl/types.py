"""The static types of rule expressions.

Values at decision time are plain Python data (str, int/float, bool, date,
list, dict, None); types exist only in the checker, which uses them to refuse
``人 + 户``, ``task.funding_provided > 3`` and unknown fields before a pack runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from .units import Dims, format_dims

LEVELS = ("province", "city", "county", "township", "street", "community", "village", "grid")
#: each level's tier from the top (a street and a township are one tier, a community and a village
#: another): a unit ranks strictly below its parent (the units importer checks it)
LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3, "street": 3, "community": 4, "village": 4,
              "grid": 5}
LEVEL_LABELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇",
                "street": "街道", "community": "社区", "village": "村", "grid": "网格"}


class Type:
    label = "值"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Prim(Type):
    name: str
    label: str = field(compare=False, default="")


BOOL = Prim("bool", "真假值")
STR = Prim("str", "文字")
DATE = Prim("date", "日期")
ANY = Prim("any", "任意值")
NULL = Prim("null", "空值")


@dataclass(frozen=True)
class Num(Type):
    dims: Dims = ()

    @property
    def label(self) -> str:  # type: ignore[override]
        unit = format_dims(self.dims)
        return f"数量({unit})" if unit else "数字"


NUMBER = Num()


@dataclass(frozen=True)
class Enum(Type):
    """A string with a closed set of values, e.g. ``target.level``."""

    name: str
    values: tuple[str, ...]

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"{self.name} 取值({'/'.join(self.values)})"


@dataclass(frozen=True)
class Vocab(Enum):
    """A task field bound to a controlled vocabulary (``x-vocabulary``): its
    values are the vocabulary's spellings (codes and aliases, as for an enum),
    and rules read it as the canonical code it names — ``==`` compares
    canonical codes, ``in`` holds for an entry or any entry below it."""

    vocabulary: str = ""  # the list that is the vocabulary


@dataclass(frozen=True)
class SetOf(Type):
    elem: Type

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"{self.elem}的集合"


@dataclass(frozen=True)
class ArrayOf(Type):
    elem: Type

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"{self.elem}的数组"


@dataclass(frozen=True)
class RangeOf(Type):
    num: Num

    @property
    def label(self) -> str:  # type: ignore[override]
        unit = format_dims(self.num.dims)
        return f"范围({unit})" if unit else "范围"


@dataclass(frozen=True)
class ListRef(Type):
    """One or more declared 清单 (``自治事项 + 协助事项``): ``in`` tests codes."""

    names: tuple[str, ...]

    @property
    def label(self) -> str:  # type: ignore[override]
        return "清单 " + " + ".join(self.names)


class Record(Type):
    """An object with named fields: ``task``, ``target``, a list item, a unit.

    Fields may be given lazily (``fields_fn``) so a record can contain itself
    (a unit's ``children`` are units).
    """

    def __init__(self, name: str, fields: Optional[Mapping[str, Type]] = None, *,
                 fields_fn: Optional[Callable[["Record"], Mapping[str, Type]]] = None,
                 owner_label: str = ""):
        self.name = name
        self._fields = dict(fields) if fields is not None else None
        self._fields_fn = fields_fn
        self.owner_label = owner_label or name

    @property
    def fields(self) -> Mapping[str, Type]:
        if self._fields is None:
            self._fields = dict(self._fields_fn(self)) if self._fields_fn else {}
        return self._fields

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"对象 {self.owner_label}"


def is_stringy(t: Type) -> bool:
    return t == STR or isinstance(t, Enum)


def same_kind(a: Type, b: Type) -> bool:
    """Can ``a == b`` be true for some values?"""
    if a == ANY or b == ANY or a == NULL or b == NULL:
        return True
    if is_stringy(a) and is_stringy(b):
        return True
    if isinstance(a, Num) and isinstance(b, Num):
        return a.dims == b.dims
    if isinstance(a, (SetOf, ArrayOf)) and isinstance(b, (SetOf, ArrayOf)):
        return same_kind(a.elem, b.elem)
    return a == b


#: Where each root's facts come from (SPEC §4.5): who can supply a missing one.
FACT_SOURCES = {"task": "sender", "target": "units", "source": "units", "history": "runtime"}
#: facts under a root that another source supplies: ``source.department.*`` is the department registry's
FIELD_SOURCES = {("source", "department"): "departments"}
#: the facts standards derive from unit data (``target.staffing_gap``)
DERIVED = "standards"
SOURCE_LABELS = {"sender": "下派方(任务表单)", "units": "单位登记", "departments": "职能部门名录",
                 DERIVED: "标准计算(由单位数据导出)", "runtime": "运行时(历史记录)"}
DEPARTMENT_KINDS = ("functional", "government")


def unit_fields() -> dict[str, Type]:
    """The facts of an org unit as the unit registry holds them (SPEC §5): ``unit.*`` in a
    standard, ``source.*``, and the unit records ``target.parent`` and ``target.community``.
    ``parent`` is the parent's code here."""
    people, households = Num((("人", 1),)), Num((("户", 1),))
    return {
        "level": Enum("level", LEVELS),
        "name": STR,
        "code": STR,
        "parent": STR,
        "population": people,
        "urban_population": people,
        "households": households,
        "workers": people,
        "grid_workers": people,
        "facility_area_m2": Num((("平方米", 1),)),
    }


#: another unit as a target's fact (its parent, its community): the unit registry's facts
UNIT_RECORD = Record("unit", unit_fields(), owner_label="单位(组织单位登记)")
#: ``source.department``: the sending department, as the department registry knows it
DEPARTMENT_RECORD = Record("department", {
    "registered": BOOL, "code": STR, "name": STR, "unit": STR, "kind": Enum("department_kind", DEPARTMENT_KINDS),
    "own_duty": BOOL, "own_assessment": BOOL}, owner_label="source.department(下派部门,职能部门名录)")


def target_fields(extra: Optional[Mapping[str, Type]] = None) -> dict[str, Type]:
    """``target.*`` (SPEC §5): the receiving unit's facts, its place in the tree — ``parent``, and
    ``community``, the community or village it belongs to (itself, or a grid's parent) — as unit
    records, and ``extra``, what the pack's standards export."""
    fields = unit_fields()
    fields.update(parent=UNIT_RECORD, community=UNIT_RECORD)
    fields.update(extra or {})
    return fields


def source_fields() -> dict[str, Type]:
    """``source.*``: the sending unit's facts, and ``department``, the sending department's."""
    return {**unit_fields(), "department": DEPARTMENT_RECORD}
