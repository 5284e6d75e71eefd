"""One decision: the facts a pack needs, looked up, and the call to ``Pack.decide``."""
from __future__ import annotations

from datetime import date
from typing import Mapping, Optional, Protocol, Sequence

from jiceng.dsl.functions import default_registry
from jiceng.dsl.pack import Decision, DecisionInputError, Pack

from jiceng.platform.errors import Invalid


class UnitView(Protocol):
    """What :func:`target_facts` reads of a unit (the runtime's ``UnitInfo``, which caches the result;
    a protocol here so that this module does not depend back on the runtime)."""

    @property
    def level(self) -> str: ...

    @property
    def facts(self) -> Mapping: ...

    @property
    def children(self) -> Sequence[Mapping]: ...


def default_history() -> dict:
    """History facts at their registered defaults (what-if checks, units without records)."""
    return {name: fact.default for name, fact in default_registry().history.items()}


def target_facts(unit: UnitView, pack: Pack) -> dict:
    """The unit's facts plus those its pack's standards export (``target.staffing_gap`` …)."""
    facts = dict(unit.facts)
    standards = [s for s in pack.checked.standards if s.applies_to(unit.level) and s.exports]
    if not standards:
        return facts
    subject = dict(facts, children=[dict(c) for c in unit.children])
    for s in standards:
        try:
            measures = pack.evaluate_standard(s.name, subject)
        except Exception:  # noqa: BLE001 - incomplete unit data: the exported facts stay missing
            continue
        if measures is None:
            continue
        for fact, (measure, _type) in s.exports.items():
            facts[fact] = measures.get(measure)
    return facts


def decide(pack: Pack, task: dict, target: dict, history: dict, source: Optional[dict], on: date,
           explain: bool = False) -> Decision:
    """``pack.decide`` with input errors turned into :class:`Invalid` (JSON-pointer paths)."""
    try:
        return pack.decide(task, target, history, source=source or {}, today=on, explain=explain)
    except DecisionInputError as e:
        path = "/" + e.path.replace(".", "/") if e.path else ""
        raise Invalid("decision_input_invalid", e.message, [{"path": path, "message": e.message}]) from None
