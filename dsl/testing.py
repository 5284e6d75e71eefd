"""Run the ``test`` blocks of packs and measure rule coverage.

A test gives a task (and target, history, source, decision date) and states
what must come out: the decision, rules that must or must not fire, the
requirements. Coverage counts, per pack, the rules its own tests fired.

Tests prove clauses, not only rules: a test may name the clause it proves
(``cite S003 "实行社区事务准入制度" quote "未纳入清单的事项原则上不得转嫁给社区"``,
or ``quote "…"`` alone). Coverage then also lists every clause the pack cites
(its rules', lists', items' and standards' citations) that no passing test
proves. A quote is matched as ``jiceng lint`` matches quotes (simplified
characters, no punctuation or whitespace), one containing the other; a test
whose clause the pack does not cite fails.

History is the one input a test need not spell out: a fact the pack reads
that the test's ``given history`` omits takes its registered default (0 for
the counts) — a test describes a unit with no history unless it says
otherwise. Only tests do this: ``Pack.decide`` refuses a call that omits a
needed history fact (E703), and ``null`` in ``given history`` makes it unknown.

The ``pack`` these functions take is a :class:`~.pack.Pack`; this module does
not import :mod:`.pack`, which imports it (``Pack.run_tests``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import nodes as n
from .citations import normalise
from .errors import DecisionInputError

DECISION_LABEL = {"admit": "准入", "conditional": "有条件准入", "reject": "不予准入"}


@dataclass
class TestResult:
    name: str
    pack: str
    file: str
    line: int
    passed: bool
    failures: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    decision: str = ""
    standards: list[str] = field(default_factory=list)
    proves: list[tuple] = field(default_factory=list)  # keys of the cited clauses the test names

    def to_dict(self) -> dict:
        return {"name": self.name, "pack": self.pack, "file": self.file, "line": self.line,
                "passed": self.passed, "failures": self.failures, "fired": self.fired,
                "decision": self.decision}


@dataclass(frozen=True)
class Clause:
    """A clause a pack cites: source, section, the quoted sentence, where it is cited."""

    source: str
    clause: Optional[str]
    quote: Optional[str]
    where: str  # 规则 R / 清单 L / 事项 C / 标准 S

    @property
    def key(self) -> tuple:
        return (self.source, self.clause, normalise(self.quote) if self.quote else None)

    def label(self) -> str:
        text = f"{self.source} {self.clause or ''}".strip()
        return text + (f"“{self.quote}”" if self.quote else "")


@dataclass
class TestReport:
    tenant: str
    results: list[TestResult]
    own_rules: list[str]  # rules declared by this pack (not inherited)
    fired: set[str]
    own_standards: list[str] = field(default_factory=list)
    tested_standards: set[str] = field(default_factory=set)
    clauses: list[Clause] = field(default_factory=list)  # the pack's own cited clauses
    proved: set[tuple] = field(default_factory=set)  # keys of those a passing test proves

    @property
    def unproved(self) -> list[Clause]:
        """The pack's cited clauses no passing test proves (one entry per clause)."""
        return [c for c in self.clauses if c.key not in self.proved]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def uncovered(self) -> list[str]:
        """This pack's rules that none of its tests fired."""
        return [r for r in self.own_rules if r not in self.fired]

    @property
    def untested_standards(self) -> list[str]:
        return [s for s in self.own_standards if s not in self.tested_standards]

    def to_dict(self) -> dict:
        return {"tenant": self.tenant, "passed": self.passed,
                "total": len(self.results), "failed": sum(not r.passed for r in self.results),
                "results": [r.to_dict() for r in self.results],
                "coverage": {"rules": len(self.own_rules), "exercised": len(self.own_rules) - len(self.uncovered),
                             "uncovered": self.uncovered, "standards": len(self.own_standards),
                             "untested_standards": self.untested_standards,
                             "clauses": len(self.clauses),
                             "unproved_clauses": [{"source": c.source, "clause": c.clause, "quote": c.quote,
                                                   "where": c.where} for c in self.unproved]}}


def _plain(value):
    """Test record values (tuples of pairs) -> JSON-like dicts."""
    if isinstance(value, tuple):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def cited_clauses(pack, tenant: Optional[str] = None) -> list[Clause]:
    """The clauses ``tenant``'s own declarations cite (default: the leaf pack's), each once."""
    tenant = tenant or pack.tenant
    unit = next(u for u in pack.checked.linked.units if u.tenant == tenant)
    found: dict[tuple, Clause] = {}

    def add(cites, where):
        for c in cites:
            clause = Clause(c.source, c.clause, c.quote, where)
            found.setdefault(clause.key, clause)
    for d in unit.decls():
        if isinstance(d, n.Rule):
            add(d.cites, f"规则 {d.id}")
        elif isinstance(d, n.ListDecl):
            add(d.cites, f"清单 {d.name}")
            for item in d.entries:
                add(getattr(item, "cites", ()), f"事项 {item.code}")
        elif isinstance(d, n.Standard):
            add(d.cites, f"标准 {d.name}")
    return list(found.values())


def _proves(c: n.Cite, clause: Clause) -> bool:
    """Does the test's ``cite``/``quote`` ``c`` name ``clause``?"""
    if c.source and c.source != clause.source:
        return False
    if c.clause is not None and c.clause != clause.clause:
        return False
    if c.quote is None:
        return True
    if clause.quote is None:
        return False
    mine, theirs = normalise(c.quote), normalise(clause.quote)
    return bool(mine) and (mine in theirs or theirs in mine)


def _clause_keys(pack, test: n.Test, result: "TestResult") -> None:
    """What clauses ``test`` proves; a clause the chain does not cite fails the test."""
    if not test.proves:
        return
    clauses = [c for u in pack.checked.linked.units for c in cited_clauses(pack, u.tenant)]
    for c in test.proves:
        keys = [clause.key for clause in clauses if _proves(c, clause)]
        if not keys:
            named = f"{c.source} {c.clause or ''}".strip() + (f"“{c.quote}”" if c.quote else "")
            result.failures.append(f"第 {c.span.line} 行:测试要证明的条款 {named} 没有被任何规则、清单或标准引用")
        result.proves += keys


def run_test(pack, test: n.Test) -> TestResult:
    """Run one ``test`` block against ``pack``."""
    inputs = {"task": {}, "target": {}, "history": {}, "source": {}, "unit": {}}
    for g in test.givens:
        inputs.setdefault(g.root, {}).update(_plain(g.record))
    result = TestResult(test.name, pack.tenant, test.span.file, test.span.line, True)
    _clause_keys(pack, test, result)
    standard_checks = [x for x in test.expectations if x.kind == "standard"]
    for x in standard_checks:
        _check_standard(pack, x, inputs["unit"], result)
    if len(standard_checks) == len(test.expectations) and standard_checks:
        result.passed = not result.failures
        return result
    registered = pack.checked.registry.history
    history = {name: registered[name].default for name in pack.history_needed if name in registered}
    history.update(inputs["history"])
    try:
        d = pack.decide(inputs["task"], inputs["target"], history, source=inputs["source"], today=test.on)
    except DecisionInputError as e:
        result.passed = False
        result.failures.append(e.message)
        return result
    fired = d.rule_ids
    result.fired, result.decision = fired, d.decision
    codes = [r["code"] for r in d.requirements]
    unknown = "".join(f";无法判断 {u['rule']}(缺少 {'、'.join(u['missing']) or '信息'})" for u in d.unknown)
    for x in test.expectations:
        names = list(x.names)
        if x.kind == "decision":
            if d.decision != x.value:
                result.failures.append(
                    f"第 {x.span.line} 行:期望{DECISION_LABEL.get(x.value, x.value)}({x.value}),"
                    f"实际{DECISION_LABEL[d.decision]}({d.decision}),触发的规则:{'、'.join(fired) or '无'}{unknown}")
            missing = [r for r in names if r not in fired]
            if missing:
                result.failures.append(f"第 {x.span.line} 行:期望由 {'、'.join(missing)} 触发,但未触发;"
                                       f"实际触发:{'、'.join(fired) or '无'}{unknown}")
        elif x.kind == "fires":
            missing = [r for r in names if r not in fired]
            if missing:
                result.failures.append(f"第 {x.span.line} 行:期望触发 {'、'.join(missing)},但未触发{unknown}")
        elif x.kind == "not_fires":
            wrong = [r for r in names if r in fired]
            if wrong:
                result.failures.append(f"第 {x.span.line} 行:期望不触发 {'、'.join(wrong)},但触发了")
        elif x.kind == "standard":
            continue
        elif x.kind == "requires":
            missing = [c for c in names if c not in codes]
            if missing:
                result.failures.append(f"第 {x.span.line} 行:期望要求 {'、'.join(missing)},"
                                       f"实际要求:{'、'.join(codes) or '无'}")
    result.passed = not result.failures
    return result


def _check_standard(pack, x: n.Expectation, unit: dict, result: TestResult) -> None:
    name, verdict = x.names
    result.standards.append(name)
    std = pack.standards[name]
    if not std.applies_to(unit.get("level")):
        result.failures.append(f"第 {x.span.line} 行:标准 {name} 评价 {'、'.join(std.levels)} 级单位,"
                               f"given unit 的 level 是 {unit.get('level')}")
        return
    try:
        measures = pack.evaluate_standard(name, unit)
    except Exception as e:  # a unit record the measures cannot use
        result.failures.append(f"第 {x.span.line} 行:标准 {name} 无法计算:{type(e).__name__}")
        return
    if measures is None:
        result.failures.append(f"第 {x.span.line} 行:该单位不满足标准 {name} 的 where 条件,标准不适用")
        return
    if measures["compliant"] != (verdict == "passes"):
        state = "达标" if measures["compliant"] else "不达标"
        result.failures.append(f"第 {x.span.line} 行:期望标准 {name} {'达标' if verdict == 'passes' else '不达标'},"
                               f"实际{state}")
    for key, want in x.record:
        got = measures.get(key)
        same = got == want if isinstance(want, bool) or not isinstance(want, (int, float)) \
            else got is not None and abs(got - want) < 1e-9
        if not same:
            result.failures.append(f"第 {x.span.line} 行:期望指标 {key} = {want},实际为 {got}")


def run_pack_tests(pack) -> TestReport:
    """Run the ``test`` blocks of ``pack`` (the leaf pack's own) and count the coverage of its rules."""
    results = [run_test(pack, t) for t in pack.tests]
    fired = {rid for r in results for rid in r.fired}
    own = [r.id for r in pack.rules if r.pack == pack.tenant]
    own_standards = [s.name for s in pack.checked.standards if s.pack == pack.tenant]
    tested = {s for r in results for s in r.standards}
    proved = {key for r in results if r.passed for key in r.proves}
    return TestReport(pack.tenant, results, own, fired, own_standards, tested, cited_clauses(pack), proved)
