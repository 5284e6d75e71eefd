"""The columnar backend (dsl/columnar.py) against the per-unit path (``Pack.evaluate_standard``).

Differential: on random org-unit trees (missing values, zeros, children in any order), every
standard of the shipped packs, and random well-typed standards (arithmetic with division by
zero, quantifiers over children and grandchildren, nested walks of an outer unit's children,
and/or/not, ranges, sets, functions, missing values), give the same answer for every unit:
the same measures, verdict and failed expectations, the same "does not apply", and an error
exactly where the per-unit code raises.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.dsl import load_pack
from jiceng.dsl.api import compile_pack
from jiceng.dsl.columnar import ColumnarError, Unsupported, UnitTable, compile_standard
from jiceng.dsl.loader import MemoryLoader

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ["street", "community", "village", "grid"]
NAMES = ["甲", "乙", ""]


# ---------------------------------------------------------------------- random trees
@st.composite
def trees(draw, max_units: int = 24) -> list[dict]:
    """Units as fact dicts; parents come from the same list, rows in a random order."""
    size = draw(st.integers(1, max_units))
    small = st.one_of(st.none(), st.integers(0, 12))
    units = []
    for i in range(size):
        parent = None if i == 0 or draw(st.integers(0, 9)) == 0 else f"u{draw(st.integers(0, i - 1))}"
        units.append({
            "code": f"u{i}", "parent": parent, "level": draw(st.sampled_from(LEVELS + [None])),
            "name": draw(st.one_of(st.none(), st.sampled_from(NAMES))),
            "population": draw(small), "urban_population": draw(small), "households": draw(small),
            "workers": draw(small), "grid_workers": draw(small),
            "facility_area_m2": draw(st.one_of(st.none(), st.sampled_from([0.0, 0.5, 2.0, 7.25, 30.0]))),
        })
    return draw(st.permutations(units))


def nested(units: list[dict]) -> dict[str, dict]:
    """Each unit as the per-unit path sees it: its facts and ``children`` (in row order), recursively."""
    by_code = {u["code"]: dict(u, children=[]) for u in units}
    for u in units:
        if u["parent"] in by_code:
            by_code[u["parent"]]["children"].append(by_code[u["code"]])
    return by_code


def assert_same(pack, name: str, units: list[dict]) -> None:
    columns = compile_standard(pack.checked, name).evaluate(UnitTable.from_units(units))
    subjects = nested(units)
    info = pack.standards[name]
    assert [units[r]["code"] for r in columns.rows] == [u["code"] for u in units if info.applies_to(u["level"])]
    for i, row in enumerate(columns.rows):
        subject = subjects[units[row]["code"]]
        try:
            want, want_error = pack.evaluate_standard(name, subject), None
        except Exception as e:  # noqa: BLE001 - the per-unit code raising is an outcome to match
            want, want_error = None, e
        try:
            got, got_error = columns.unit_result(i), None
        except ColumnarError as e:
            got, got_error = None, e
        assert (want_error is None) == (got_error is None), (name, subject["code"], want_error, got)
        assert want == got, (name, subject["code"])


# ---------------------------------------------------------------------- the shipped standards
SHIPPED = [load_pack(tenant, root=ROOT / "rule_packs") for tenant in ("changsha", "heilongjiang", "chengdu")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=trees())
def test_every_shipped_standard_agrees_with_the_per_unit_path(units):
    for pack in SHIPPED:
        for info in pack.checked.standards:
            assert_same(pack, info.name, units)


# ---------------------------------------------------------------------- random standards
HEADER = """pack gen version "1"
source S "生成的规则包"
param P比 = 18 人 per 10000 人 floor
param P面积 = 30 平方米 per 100 户 floor
param P范围 = 3..8 户 narrow
param P人 = 1 人 floor
"""
#: fields by unit of measure
FIELDS = {"人": ["workers", "grid_workers", "urban_population", "population"], "户": ["households"],
          "平方米": ["facility_area_m2"]}
CONSTANTS = {"人": ["P人", "2 人", "0 人"], "户": ["P范围.min", "P范围.max", "5 户"],
             "平方米": ["12.5 平方米", "0 平方米"]}


class Gen:
    """Well-typed expressions over unit fields; ``units`` are the unit variables in scope."""

    def __init__(self, draw, measures: dict[str, str]):
        self.draw = draw
        self.measures = measures  # name -> dimension
        self.fresh = iter(f"q{i}" for i in range(100))

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def num(self, dim: str, units: list[str], depth: int = 0) -> str:
        choice = self.draw(st.integers(0, 10 if depth < 2 else 3))
        var = self.pick(units)
        if choice <= 1:
            return f"{var}.{self.pick(FIELDS[dim])}"
        if choice == 2:
            return self.pick(CONSTANTS[dim])
        if choice == 3:
            own = [m for m, d in self.measures.items() if d == dim]
            return self.pick(own) if own else f"{var}.{self.pick(FIELDS[dim])}"
        if choice == 4:
            q = next(self.fresh)
            owner = self.pick(units)
            return f"sum({q} in {owner}.children: {self.num(dim, units + [q], depth + 1)})"
        if choice == 5:
            op = self.pick(["+", "-"])
            return f"({self.num(dim, units, depth + 1)} {op} {self.num(dim, units, depth + 1)})"
        if choice == 6:
            k = self.pick(["2", "0.5", "3"])
            return f"({self.num(dim, units, depth + 1)} {self.pick(['*', '/'])} {k})"
        if choice == 7:
            fn = self.pick(["max", "min"])
            return f"{fn}({self.num(dim, units, depth + 1)}, {self.num(dim, units, depth + 1)})"
        if choice == 8:
            return f"{self.pick(['ceil', 'floor', 'round', 'abs'])}({self.num(dim, units, depth + 1)})"
        if choice == 9:
            if dim == "人":
                return f"ceil({var}.urban_population * P比)"
            if dim == "平方米":
                return f"{var}.households * P面积"
            return f"-{self.num(dim, units, depth + 1)}"
        # a ratio of two quantities of one unit (may divide by zero), brought back to this unit
        other = self.pick(list(FIELDS))
        divisor = f"{self.pick(units)}.{self.pick(FIELDS[other])}"
        return f"({self.num(other, units, depth + 1)} / {divisor} * {CONSTANTS[dim][0]})"

    def cond(self, units: list[str], depth: int = 0) -> str:
        choice = self.draw(st.integers(0, 11 if depth < 2 else 5))
        var = self.pick(units)
        dim = self.pick(list(FIELDS))
        if choice <= 1:
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"{self.num(dim, units, depth + 1)} {op} {self.num(dim, units, depth + 1)}"
        if choice == 2:
            return f"{var}.households {self.pick(['in', 'not in'])} {self.pick(['P范围', '0..4 户'])}"
        if choice == 3:
            levels = self.draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=2))
            return self.pick([f"{var}.level == {levels[0]}", f"{var}.level != {levels[0]}",
                              f"{var}.level in [{', '.join(levels)}]"])
        if choice == 4:
            return self.pick([f"present({var}.name)", f"missing({var}.workers)", f'{var}.name == "甲"',
                              f"{var}.name != {self.pick(units)}.name", f'{var}.name in ["乙", ""]'])
        if choice == 5:
            return self.pick(["true", "false", f"{var}.level == {self.pick(units)}.level"])
        if choice in (6, 7):
            q = next(self.fresh)
            kind = self.pick(["any", "all", "count"])
            body = self.cond(units + [q], depth + 1)
            owner = self.pick(units)
            if kind == "count":
                return f"count({q} in {owner}.children: {body}) {self.pick(['>', '=='])} {self.pick(['0', '1'])}"
            return f"{kind}({q} in {owner}.children: {body})"
        if choice == 8:
            return f"count({next(self.fresh)} in {self.pick(units)}.children) > 1"
        if choice == 9:
            return f"not ({self.cond(units, depth + 1)})"
        parts = [self.cond(units, depth + 1) for _ in range(self.draw(st.integers(2, 3)))]
        return "(" + f" {self.pick(['and', 'or'])} ".join(parts) + ")"


@st.composite
def standard_source(draw) -> str:
    measures: dict[str, str] = {}
    gen = Gen(draw, measures)
    lines = []
    levels = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=3, unique=True))
    where = f" where {gen.cond(['unit'])}" if draw(st.booleans()) else ""
    lines.append(f'standard 生成 "随机标准"\n  over {", ".join(levels)}{where}')
    for i in range(draw(st.integers(0, 3))):
        dim = draw(st.sampled_from(list(FIELDS)))
        value = gen.num(dim, ["unit"])
        measures[f"m{i}"] = dim
        lines.append(f"  measure m{i} = {value}")
    for _ in range(draw(st.integers(1, 2))):
        lines.append(f'  expect {gen.cond(["unit"])} "不达标"')
    return HEADER + "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=standard_source(), units=trees(max_units=16))
def test_random_standards_agree_with_the_per_unit_path(source, units):
    pack = compile_pack("gen", MemoryLoader({"gen": {"pack.jc": source}}))
    assert_same(pack, "生成", units)


# ---------------------------------------------------------------------- particular semantics
def _pack(body: str):
    return compile_pack("gen", MemoryLoader({"gen": {"pack.jc": HEADER + body}}))


def _units(*rows):
    return [dict(code=f"u{i}", parent=p, level=lvl, **facts) for i, (p, lvl, facts) in enumerate(rows)]


def test_division_by_zero_is_an_error_only_where_python_divides():
    pack = _pack('standard 比例 over community\n'
                 '  expect unit.grid_workers > 0 人 and unit.workers / unit.grid_workers > 2 "比例"\n')
    units = _units((None, "community", {"workers": 6, "grid_workers": 0}),
                   (None, "community", {"workers": 6, "grid_workers": 2}),
                   (None, "community", {"workers": None, "grid_workers": 0}))
    result = compile_standard(pack.checked, "比例").evaluate(UnitTable.from_units(units))
    assert result.error.tolist() == [False, False, False]
    assert result.compliant.tolist() == [False, True, False]
    pack = _pack('standard 比例 over community\n  expect unit.workers / unit.grid_workers > 2 "比例"\n')
    result = compile_standard(pack.checked, "比例").evaluate(UnitTable.from_units(units))
    assert result.error.tolist() == [True, False, False]  # missing / 0 is missing, not an error
    assert_same(pack, "比例", units)


def test_any_stops_at_the_first_child_that_settles_it():
    pack = _pack('standard 网格 over community\n'
                 '  expect any(g in unit.children: g.households > 1 户 or g.workers / g.grid_workers > 1) "x"\n')
    units = _units((None, "community", {}),
                   ("u0", "grid", {"households": 5, "workers": 1, "grid_workers": 0}),   # settles any()
                   ("u0", "grid", {"households": 0, "workers": 1, "grid_workers": 0}),   # never evaluated
                   (None, "community", {}),
                   ("u3", "grid", {"households": 0, "workers": 1, "grid_workers": 0}))   # raises
    result = compile_standard(pack.checked, "网格").evaluate(UnitTable.from_units(units))
    assert result.error.tolist() == [False, True]
    assert_same(pack, "网格", units)


def test_grandchildren_and_an_outer_units_children_inside_a_walk():
    pack = _pack('standard 层级 over street\n'
                 '  measure grid_households = sum(c in unit.children: sum(g in c.children: g.households))\n'
                 '  measure pairs = sum(c in unit.children:'
                 ' count(d in unit.children: d.households > c.households) * 1 户)\n'
                 '  expect grid_households >= pairs "x"\n')
    units = _units((None, "street", {}), ("u0", "community", {"households": 3}),
                   ("u0", "community", {"households": 5}), ("u1", "grid", {"households": 2}),
                   ("u1", "grid", {"households": 4}), ("u2", "grid", {"households": 7}))
    result = compile_standard(pack.checked, "层级").evaluate(UnitTable.from_units(units))
    assert result.unit_result(0) == {"grid_households": 13, "pairs": 1, "compliant": True, "failed": []}
    assert_same(pack, "层级", units)


def test_fields_and_children_are_reported_for_loaders():
    hunan = load_pack("hunan", root=ROOT / "rule_packs")
    staffing = compile_standard(hunan.checked, "社区工作者配备")
    assert staffing.fields == {"urban_population", "workers"} and not staffing.uses_children
    coverage = compile_standard(SHIPPED[1].checked, "网格无缝覆盖")
    assert coverage.fields == {"households", "level"} and coverage.uses_children


def test_constructs_without_a_vectorised_form_are_refused_when_compiled():
    for expect in ('length(unit.name) > 1', 'unit.name contains "社区"', 'starts_with(unit.name, "长")'):
        pack = _pack(f'standard 文字 over community\n  expect {expect} "x"\n')
        with pytest.raises(Unsupported):
            compile_standard(pack.checked, "文字")
