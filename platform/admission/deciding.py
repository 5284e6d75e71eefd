"""One decision: the call to ``Pack.decide`` on facts already gathered (:mod:`.facts`)."""
from __future__ import annotations

from datetime import date
from typing import Optional

from jiceng.dsl.pack import Decision, DecisionInputError, Pack

from jiceng.platform.errors import Invalid


def decide(pack: Pack, task: dict, target: dict, history: dict, source: Optional[dict], on: date,
           explain: bool = False) -> Decision:
    """``pack.decide`` with input errors turned into :class:`Invalid` (JSON-pointer paths)."""
    try:
        return pack.decide(task, target, history, source=source or {}, today=on, explain=explain)
    except DecisionInputError as e:
        path = "/" + e.path.replace(".", "/") if e.path else ""
        raise Invalid("decision_input_invalid", e.message, [{"path": path, "message": e.message}]) from None
