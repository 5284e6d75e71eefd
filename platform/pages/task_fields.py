"""Which task fields a task of each kind needs, read from the rules in force.

A rule whose condition says ``task.kind == assessment`` (or ``task.kind in [ledger, report]``) among
its top-level ``and`` operands applies to those kinds only; the task fields it reads are needed for
those kinds. A field read by a rule without such a restriction is needed for every kind. The
department's task page hides the optional fields that only other kinds' rules read; a click shows
them all (nothing is dropped: an answer is part of the task whether or not a rule reads it).
"""
from __future__ import annotations

from typing import Iterator, Optional

from jiceng.dsl import nodes as n

#: a field every kind needs
ALL = None


def _is_task_field(e, name: Optional[str] = None) -> bool:
    return (isinstance(e, n.Attr) and isinstance(e.obj, n.Name) and e.obj.id == "task"
            and (name is None or e.name == name))


def _walk(e) -> Iterator:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, n.Expr):
            yield x
            stack.extend(getattr(x, f) for f in x.__dataclass_fields__)
        elif isinstance(x, tuple):
            stack.extend(x)


def _kinds(when) -> Optional[frozenset]:
    """The kinds a condition is restricted to (None: every kind)."""
    operands = when.operands if isinstance(when, n.BoolOp) and when.op == "and" else (when,)
    for c in operands:
        if isinstance(c, n.Compare) and _is_task_field(c.left, "kind"):
            if c.op == "==" and isinstance(c.right, (n.Name, n.String)):
                return frozenset({getattr(c.right, "id", None) or c.right.value})
            if c.op == "in" and isinstance(c.right, n.SetLit):
                names = [getattr(i, "id", None) or getattr(i, "value", None) for i in c.right.items]
                if all(isinstance(x, str) for x in names):
                    return frozenset(names)
    return None


def kinds_by_field(pack) -> dict[str, Optional[frozenset]]:
    """``{task field: the kinds that need it, or None for every kind}`` over the pack's rules."""
    out: dict[str, Optional[frozenset]] = {}
    for r in pack.checked.rules:
        if r.when is None:
            continue
        kinds = _kinds(r.when)
        for e in _walk(r.when):
            if _is_task_field(e) and e.name != "kind":
                if kinds is ALL or out.get(e.name, frozenset()) is ALL:
                    out[e.name] = ALL
                else:
                    out[e.name] = out.get(e.name, frozenset()) | kinds
    return out
