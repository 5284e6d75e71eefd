"""What replaying a range of the log found, and how ranges add up.

Adding tallies is commutative and associative (counts add; examples are the lowest decision
ids of each kind), so a job's result is the same whatever order its ranges finish in and
however many processes replayed them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: units listed in a summary (those with the most changes); the full list is the job's changes
SUMMARY_UNITS = 50
ERROR_EXAMPLES = 10


@dataclass
class Tally:
    read: int = 0            # log rows read (the progress measure)
    considered: int = 0      # rows in the window
    replayed: int = 0
    unaffected: int = 0      # the version's pack is not in the decision's recorded chain
    changed: int = 0         # the outcome changes
    rules_changed: int = 0   # the outcome stays, the rules that fire change
    by_change: Counter = field(default_factory=Counter)        # "admit->reject": n (rules-only: "admit->admit")
    by_rule: dict = field(default_factory=dict)                 # rule: [fires newly, no longer fires]
    by_month: dict = field(default_factory=dict)                # "2024-07": [replayed, changed]
    by_unit: dict = field(default_factory=dict)                 # unit code: [replayed, changed]
    errors: Counter = field(default_factory=Counter)            # code: n
    error_examples: dict = field(default_factory=dict)          # code: [(decision id, message)]
    examples: dict = field(default_factory=dict)                # "admit->reject": [change dict]
    #: the changes of this range as rows of ``impact_changes`` (drained by the job, never added up)
    changes: list = field(default_factory=list)

    def add(self, other: "Tally", examples: int) -> None:
        """Add ``other`` (without its changes) to this tally, keeping ``examples`` per kind."""
        for name in ("read", "considered", "replayed", "unaffected", "changed", "rules_changed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_change.update(other.by_change)
        self.errors.update(other.errors)
        for mine, theirs in ((self.by_rule, other.by_rule), (self.by_month, other.by_month),
                             (self.by_unit, other.by_unit)):
            for key, (a, b) in theirs.items():
                pair = mine.get(key)
                if pair is None:
                    mine[key] = [a, b]
                else:
                    pair[0] += a
                    pair[1] += b
        for code, found in other.error_examples.items():
            self.error_examples[code] = sorted(self.error_examples.get(code, []) + found)[:ERROR_EXAMPLES]
        for kind, found in other.examples.items():
            merged = self.examples.get(kind, []) + found
            self.examples[kind] = sorted(merged, key=lambda e: e["decision_id"])[:examples]

    def summary(self) -> dict:
        """The job's result as the API shows it (plain JSON)."""
        units = sorted(self.by_unit.items(), key=lambda kv: (-kv[1][1], kv[0]))
        return {
            "considered": self.considered, "replayed": self.replayed, "unaffected": self.unaffected,
            "changed": self.changed, "unchanged": self.replayed - self.changed, "rules_changed": self.rules_changed,
            "errors": sum(self.errors.values()),
            "by_change": dict(sorted(self.by_change.items())),
            "by_rule": [{"rule": r, "fires_newly": a, "no_longer_fires": b}
                        for r, (a, b) in sorted(self.by_rule.items())],
            "by_month": [{"month": m, "replayed": a, "changed": b} for m, (a, b) in sorted(self.by_month.items())],
            "by_unit": [{"unit": u, "replayed": a, "changed": b} for u, (a, b) in units[:SUMMARY_UNITS]],
            "units": len(self.by_unit), "units_changed": sum(1 for _u, (_a, b) in units if b),
            "error_codes": [{"code": c, "count": n,
                             "examples": [{"decision_id": i, "message": m} for i, m in self.error_examples.get(c, [])]}
                            for c, n in sorted(self.errors.items())],
            "examples": {k: v for k, v in sorted(self.examples.items())},
        }
