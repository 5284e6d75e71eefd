"""A compiled pack and the decisions it makes (the Python API of SPEC §4).

``Pack.decide`` is pure: it reads only its arguments and the compiled pack, so
the same digest and the same input always give the same decision — which is
what lets the service replay any logged decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Mapping, Optional

from .checker import Checked
from .compiler import CompiledPack, Compiler
from .diagnostics import MESSAGES, Diagnostic
from .effects import DECISION_OF
from .errors import DecisionInputError  # raised by Pack.decide; callers import it from here
from .jsonvalue import jsonable
from .testing import TestReport, run_pack_tests
from .types import BOOL, DATE, STR, ArrayOf, Enum, Num, Record, SetOf, Type

_EMPTY: Mapping = {}


@dataclass(frozen=True)
class RuleMeta:
    """What a decision says about a rule."""

    index: int
    id: str
    title: Optional[str]
    pack: str
    effect: str
    requirement: Optional[str]
    message: str
    citation: str
    cites: tuple[dict, ...]
    overridable: bool
    line: int
    file: str


class Decision:
    """The outcome of one admission check."""

    __slots__ = ("_pack", "fired", "_effects", "trace", "today")

    def __init__(self, pack: "Pack", fired: list[int], effects: int, trace=None, today=None):
        self._pack = pack
        self.fired = fired
        self._effects = effects  # the effects of the fired rules, as bits (see .effects)
        self.trace = trace
        self.today = today

    @property
    def decision(self) -> str:
        """``admit`` | ``conditional`` | ``reject``: :func:`.effects.combine` of the fired rules' effects."""
        return DECISION_OF[self._effects]

    @property
    def reasons(self) -> list[dict]:
        """Every fired rule, in declaration order (ancestors first)."""
        templates = self._pack._reason_dicts
        return [dict(templates[i]) for i in self.fired]

    @property
    def requirements(self) -> list[dict]:
        """What a conditional decision waits for: one entry per requirement code."""
        out, seen = [], set()
        req = self._pack._requirement_of
        for i in self.fired:
            r = req[i]
            if r is not None and r[0] not in seen:
                seen.add(r[0])
                out.append({"code": r[0], "message": r[1]})
        return out

    @property
    def rule_ids(self) -> list[str]:
        rules = self._pack.rules
        return [rules[i].id for i in self.fired]

    def to_dict(self) -> dict:
        """Exactly the body of the API's admission-check answer."""
        out = {"decision": self.decision, "reasons": self.reasons, "requirements": self.requirements,
               "pack": dict(self._pack._pack_info)}
        if self.trace is not None:
            out["trace"] = self.trace
        return out

    def __repr__(self) -> str:
        return f"<Decision {self.decision} {self.rule_ids}>"


class Pack:
    """A tenant's pack with its ancestors, checked and compiled."""

    def __init__(self, checked: Checked, compiled: CompiledPack, digest: str,
                 sources: Mapping[str, str]):
        linked = checked.linked
        leaf = linked.leaf
        self.tenant: str = leaf.tenant
        self.version: Optional[str] = leaf.header.version if leaf.header else None
        self.title: Optional[str] = leaf.title
        self.digest = digest
        self.chain = [{"tenant": u.tenant, "version": u.header.version if u.header else None,
                       "title": u.title} for u in linked.units]
        self.sources = dict(sources)  # display path -> text, the whole chain
        self.files = {u.tenant: {f.name: f.text for f in u.source.files} for u in linked.units}
        self.warnings: list[Diagnostic] = list(checked.warnings)
        self.checked = checked
        self.compiled = compiled
        self.task_form = checked.task_form
        self.rules: list[RuleMeta] = [self._rule_meta(r) for r in checked.rules]
        self.disabled = {rid: pack for rid, (_d, pack) in linked.disabled.items()}
        self.tests = checked.tests
        self._pack_info = {"tenant": self.tenant, "version": self.version, "digest": digest}
        self._reason_dicts = [self._reason(m) for m in self.rules]
        self._requirement_of = [(m.requirement, m.message) if m.effect == "require" else None
                                for m in self.rules]
        self._uses_today = "today" in compiled.reads
        self._fn = compiled.decide

    # ---------------------------------------------------------------- metadata
    def _rule_meta(self, r) -> RuleMeta:
        cites = []
        for c in r.cites:
            src, _pack = self.checked.linked.sources[c.source]
            cites.append({"source": c.source, "title": src.title, "clause": c.clause, "file": src.file})
        citation = ";".join(f"{c['title']} {c['clause'] or ''}".strip() for c in cites)
        message = r.effect.message or r.title or r.id
        return RuleMeta(r.index, r.id, r.title, r.pack, r.effect.kind, r.effect.code, message,
                        citation, tuple(cites), r.overridable, r.span.line, r.span.file)

    @staticmethod
    def _reason(m: RuleMeta) -> dict:
        reason = {"rule": m.id, "effect": m.effect, "message": m.message, "citation": m.citation,
                  "pack": m.pack, "title": m.title or m.id, "cites": [dict(c) for c in m.cites]}
        if m.requirement:
            reason["requirement"] = m.requirement
        return reason

    def reason_of(self, index: int) -> Mapping:
        """The reason rule ``index`` gives when it fires (``Decision.fired`` holds indexes);
        read-only: ``Decision.reasons`` hands out copies of these."""
        return MappingProxyType(self._reason_dicts[index])

    @property
    def lists(self) -> dict[str, list[dict]]:
        """``{list name: [{"code", "name", "kind", "requires", ...}]}``, inherited merged."""
        return {name: [{"code": i["code"], "name": i["name"], "kind": i["kind"],
                        "requires": list(i["requires"]), "attrs": dict(i["attrs"]), "pack": i["pack"]}
                       for i in info.items]
                for name, info in self.checked.lists.items()}

    @property
    def list_info(self) -> dict[str, dict]:
        """Each list's kind, title and declaring pack."""
        return {name: {"kind": i.kind, "title": i.title, "pack": i.pack, "size": len(i.items)}
                for name, i in self.checked.lists.items()}

    @property
    def params(self) -> dict[str, dict]:
        """Effective params: value (in base units), policy, where declared."""
        return {name: {"value": p.text, "policy": p.policy, "pack": p.pack,
                       "declared_in": list(p.declared_in), "title": p.title}
                for name, p in self.checked.params.items()}

    def param_value(self, name: str):
        """A param's effective value as a number, (low, high) or set."""
        p = self.checked.params[name]
        if isinstance(p.value, tuple):
            return tuple(Compiler.runtime(v) for v in p.value)
        if isinstance(p.value, frozenset):
            return frozenset(Compiler.runtime(v) for v in p.value)
        return Compiler.runtime(p.value)

    @property
    def standards(self) -> dict[str, Any]:
        return {s.name: s for s in self.checked.standards}

    # ---------------------------------------------------------------- deciding
    def decide(self, task: Mapping, target: Optional[Mapping] = None, history: Optional[Mapping] = None,
               *, source: Optional[Mapping] = None, today: Optional[str | date] = None,
               explain: bool = False) -> Decision:
        """Decide ``task`` for the receiving unit ``target``.

        ``history`` holds facts the runtime looked up (``assessments_this_year``
        …); ``today`` is the decision date (ISO text; defaults to the current
        date, and only matters for rules that read ``today``). Raises
        :class:`DecisionInputError` when the input has types the rules cannot
        use (e.g. a list where a code is expected).
        """
        if today is None and self._uses_today:
            today = date.today().isoformat()
        elif isinstance(today, date):
            today = today.isoformat()
        target = _EMPTY if target is None else target
        history = _EMPTY if history is None else history
        source = _EMPTY if source is None else source
        try:
            if explain:
                fired, effects, raw = self.compiled.explain(task, target, history, today, source, [None])
            else:
                fired, effects = self._fn(task, target, history, today, source)
        except Exception as e:  # the generated code is total on well-typed input
            raise self._input_error(task, target, history, source, e) from None
        trace = None
        if explain:
            rules = self.rules
            trace = [{"rule": rules[i].id, "pack": rules[i].pack, "effect": rules[i].effect,
                      "fired": ok, "values": jsonable(seen)} for i, ok, seen in raw]
        return Decision(self, fired, effects, trace, today)

    def _input_error(self, task, target, history, source, exc: Exception) -> DecisionInputError:
        roots = {"task": (task, self.checked.task_form.record), "target": (target, self.checked.target_record),
                 "history": (history, self.checked.history_record), "source": (source, self.checked.target_record)}
        for root, (value, record) in roots.items():
            if not isinstance(value, Mapping):
                return DecisionInputError("E701", MESSAGES["E701"].format(
                    path=root, expected="对象", actual=_kind(value)), root)
            for fld in sorted(self.compiled.reads.get(root, ())):
                problem = _mismatch(record.fields.get(fld), value.get(fld))
                if problem:
                    path = f"{root}.{fld}"
                    return DecisionInputError("E701", MESSAGES["E701"].format(
                        path=path, expected=problem, actual=_kind(value.get(fld))), path)
        at: list = [None]
        try:
            self.compiled.explain(task, target, history, today_or_none(self), source, at)
        except Exception as again:  # the same failure, now located
            exc = again
        rule = self.rules[at[0]].id if at[0] is not None else "(未知)"
        return DecisionInputError("E702", MESSAGES["E702"].format(rule=rule, detail=f"{type(exc).__name__}: {exc}"),
                                  f"rule:{rule}")

    # ---------------------------------------------------------------- tests, standards
    def run_tests(self) -> TestReport:
        """Run the pack's own ``test`` blocks; see :mod:`.testing`."""
        return run_pack_tests(self)

    def evaluate_standard(self, name: str, unit: Mapping) -> Optional[dict]:
        """One unit's measures for standard ``name`` (None when it does not apply).

        Raises KeyError for a standard the pack does not have."""
        info = self.standards.get(name)
        if info is None:
            raise KeyError(name)
        if not info.applies_to(unit.get("level")):
            return None
        return self.compiled.standards[name](unit)

    def __repr__(self) -> str:
        return f"<Pack {self.tenant} {self.version} {self.digest[:12]} rules={len(self.rules)}>"


def today_or_none(pack: "Pack") -> Optional[str]:
    return date.today().isoformat() if pack._uses_today else None


def _kind(v) -> str:
    if v is None:
        return "空值"
    if isinstance(v, bool):
        return "真假值"
    if isinstance(v, (int, float)):
        return "数字"
    if isinstance(v, str):
        return "文字"
    if isinstance(v, (list, tuple)):
        return "数组"
    if isinstance(v, Mapping):
        return "对象"
    return type(v).__name__


def _mismatch(t: Optional[Type], v) -> Optional[str]:
    """The expected type's name when ``v`` cannot be used as ``t``."""
    if v is None or t is None:
        return None
    if t == BOOL and not isinstance(v, bool):
        return "真假值"
    if (t == STR or isinstance(t, Enum)) and not isinstance(v, str):
        return str(t)
    if t == DATE and not (isinstance(v, str) and _is_date(v)):
        return "日期(YYYY-MM-DD)"
    if isinstance(t, Num) and (not isinstance(v, (int, float)) or isinstance(v, bool)):
        return str(t)
    if isinstance(t, (ArrayOf, SetOf)) and not isinstance(v, list):
        return str(t)
    if isinstance(t, Record) and not isinstance(v, Mapping):
        return "对象"
    return None


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True
