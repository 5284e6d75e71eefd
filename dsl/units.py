"""Units of measure: 人 户 平方米 次 元 天 and friends.

A unit has a *base* (its dimension) and a *factor* into that base, so ``5 万元``
is 50000 of base ``元``. Quantities are checked statically and compiled to plain
numbers in base units: units cost nothing at decision time.

Developers add units with :func:`register_unit` (or from a ``jiceng.functions``
entry point); see docs/extending.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Optional

#: dimension: sorted tuple of (base unit, power); () is a plain number
Dims = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class UnitDef:
    name: str
    base: str
    factor: Fraction
    label: str


class UnitTable:
    """Name -> :class:`UnitDef`."""

    def __init__(self):
        self._units: dict[str, UnitDef] = {}

    def register(self, name: str, *, base: Optional[str] = None, factor: Fraction | int | str = 1,
                 label: str = "", aliases: Iterable[str] = ()) -> UnitDef:
        """Add a unit; ``base`` defaults to the unit itself (a new dimension)."""
        base = base or name
        if base != name and base not in self._units:
            raise ValueError(f"unknown base unit {base!r}")
        if base != name:
            inner = self._units[base]
            base, factor = inner.base, inner.factor * Fraction(factor)
        unit = UnitDef(name, base, Fraction(factor), label or name)
        for key in (name, *aliases):
            self._units[key] = unit
        return unit

    def get(self, name: str) -> Optional[UnitDef]:
        return self._units.get(name)

    def names(self) -> list[str]:
        return sorted(self._units)

    def copy(self) -> "UnitTable":
        other = UnitTable()
        other._units = dict(self._units)
        return other


PERCENT = UnitDef("%", "", Fraction(1, 100), "百分比")


def default_units() -> UnitTable:
    table = UnitTable()
    table.register("人", label="人", aliases=("名",))
    table.register("户", label="户")
    table.register("平方米", label="平方米", aliases=("㎡", "m2"))
    table.register("次", label="次")
    table.register("元", label="元")
    table.register("万元", base="元", factor=10000)
    table.register("天", label="天", aliases=("日",))
    table.register("个", label="个", aliases=("块", "项", "件"))
    table.register("岁", label="岁", aliases=("周岁",))
    table.register("小时", label="小时")
    return table


def dims_of(unit: Optional[UnitDef]) -> Dims:
    if unit is None or not unit.base:
        return ()
    return ((unit.base, 1),)


def mul_dims(a: Dims, b: Dims, sign: int = 1) -> Dims:
    acc: dict[str, int] = dict(a)
    for base, power in b:
        acc[base] = acc.get(base, 0) + sign * power
    return tuple(sorted((k, v) for k, v in acc.items() if v))


def format_dims(dims: Dims) -> str:
    """``人``, ``平方米/户``, ``人·户``; '' for a plain number."""
    num = [b if p == 1 else f"{b}^{p}" for b, p in dims if p > 0]
    den = [b if p == -1 else f"{b}^{-p}" for b, p in dims if p < 0]
    text = "·".join(num) or ("1" if den else "")
    return text + ("/" + "·".join(den) if den else "")
