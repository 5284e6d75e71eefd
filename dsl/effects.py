"""What the effects of the evaluated rules add up to (SPEC §4.3, §4.5): the one
place the decision rule is written.

Every rule is evaluated. A rule whose condition holds fires its effect; a
``reject`` or ``require`` rule whose condition is *unknown* (it read a fact that
was missing) neither fires nor stays silent: it counts as ``unknown``. (An
unknown ``warn`` rule counts for nothing, and only explain shows it: its firing
could not change the decision, so neither can its being unknown.) The decision
depends only on which of these occurred, never on their order or count.
"""
from __future__ import annotations

from typing import Iterable

EFFECTS = ("reject", "require", "warn")
#: what an evaluated rule can contribute: its effect, or ``unknown`` (a reject or require rule)
OUTCOMES = (*EFFECTS, "unknown")
DECISIONS = ("admit", "conditional", "reject")
#: the requirement an unknown adds to a conditional decision: the missing facts
INFORMATION = "information"
INFORMATION_LABEL = "补充信息"
#: the requirements a task fact establishes (``funding`` ↔ ``task.funding_provided = true``, the fact
#: its evidence sets): a rule requiring several things at once (``require funding, work_conditions``,
#: one clause, one rule) waits only for those the task does not already meet — as the separate rules
#: it replaces would have — and for all of them if it meets every one (the rule fired regardless)
MET_BY = {"funding": "funding_provided", "work_conditions": "work_conditions_provided"}


def holds_decision(effect: str) -> bool:
    """Does a rule with this effect count as ``unknown`` when its condition is unknown?"""
    return effect != "warn"


def combine(outcomes: Iterable[str]) -> str:
    """The decision for the outcomes of the evaluated rules.

    Any ``reject`` ⇒ ``reject``; else any ``require`` or any ``unknown`` ⇒
    ``conditional``; else ``admit`` (``warn`` never changes a decision). A
    rejection overrides every requirement as a forbid overrides any permit in
    Cedar's authorizer: no rule can admit what another rejects. An unknown
    never admits: a rule that could not be decided for want of a fact holds
    the task until the fact is supplied (the ``information`` requirement),
    like Cedar reporting an evaluation error instead of skipping the policy.
    """
    seen = set(outcomes)
    if "reject" in seen:
        return "reject"
    if "require" in seen or "unknown" in seen:
        return "conditional"
    return "admit"


# The compiled engine keeps the set of outcomes as bits, one ``effects |=
# REJECT`` per fired rule (``UNKNOWN`` per unknown one), and reads the decision
# from this table, which ``combine`` fills: the hot path costs one table index
# per decision and the rule itself stays written once, above.
EFFECT_BIT = {kind: 1 << i for i, kind in enumerate(OUTCOMES)}
DECISION_OF = tuple(combine(kind for kind, bit in EFFECT_BIT.items() if seen & bit)
                    for seen in range(1 << len(OUTCOMES)))
