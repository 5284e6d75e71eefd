"""Which list items a decision relied on: its ``items`` section.

A rule's condition reads lists through a task fact (``task.item_code in kind assist``,
``task.category in 不应由社区承担的事项``, ``协助事项[task.item_code]``). Whether the rule fired
or not, the items the task's facts matched there are what the decision rests on: a task
admitted because its item is on the self-governance list relied on that item, and when it is
an ``example`` item (no published list gives it) the decision must say so.

Everything that depends only on the pack is worked out once, when the pack is loaded: the
fact paths the rules test lists by, and per path one table from each spelling (code, name,
alias; for a vocabulary field each term, as the nearest term above it that names items) to
the items it names, each with the target levels where it counts — those at which a rule
testing its list can apply at all (a rule limited to ``target.level in [community, …]`` does
not make a township's decision rely on a list), within the item's own ``levels``. Per
decision this is one dict lookup per fact path (three in the shipped packs).
"""
from __future__ import annotations

from collections.abc import Mapping  # isinstance() on typing.Mapping is several times slower
from typing import Callable, Optional

from . import nodes as n
from .checker import Checked
from .compiler import NOT_STATIC, static_value
from .types import ListRef
from .visitor import NodeVisitor, iter_child_nodes
from .vocabulary import Vocabulary


def list_probes(when, checked: Checked, *, negated: bool = True) -> tuple:
    """Where a condition tests a task fact for membership in lists (``task.item_code in
    减负事项``, ``task.category not in kind forbidden``) or looks an item up by it
    (``协助事项[task.item_code]``): ((fact path, list names), …), in the order written.

    ``negated=False`` leaves out the tests a rule can only fire *without* a match (``not in``,
    under ``not``): the items a fired rule fired because of."""
    probes = _ListProbes(checked, negated)
    probes.visit(when)
    return tuple(probes.found)


class _ListProbes(NodeVisitor):
    """See :func:`list_probes`: every node is walked, these add what they test."""

    def __init__(self, checked: Checked, negated: bool):
        self.checked, self.negated = checked, negated
        self.found: dict[tuple, None] = {}  # (fact path, list names), once each, in the order written

    def _probe(self, fact: n.Expr, lists: n.Expr) -> None:
        t = self.checked.types.get(lists)
        path = _fact_path(fact, self.checked)
        if isinstance(t, ListRef) and path is not None:
            self.found[(path, t.names)] = None

    def visit_Compare(self, e: n.Compare) -> None:
        if e.op == "in" or (self.negated and e.op == "not in"):
            self._probe(e.left, e.right)
        self.generic_visit(e)

    def visit_Index(self, e: n.Index) -> None:  # 协助事项[task.item_code].requires
        self._probe(e.key, e.obj)
        self.generic_visit(e)

    def visit_Not(self, e: n.Not) -> None:
        if self.negated:  # else left out: `not (x in L)` fires because x is not on it
            self.generic_visit(e)

    def generic_visit(self, e: n.Expr) -> None:
        for child in iter_child_nodes(e):
            self.visit(child)


def rule_levels(when, checked: Checked) -> Optional[frozenset]:
    """The target levels at which a condition can hold, when one of its top-level ``and``
    operands says so with constants (``target.level in [community, village, grid]``,
    ``target.level == street``); None when it can hold at any level as far as this can tell."""
    operands = [when]
    while any(isinstance(e, n.BoolOp) and e.op == "and" for e in operands):  # a define's `and` nests
        operands = [x for e in operands for x in (e.operands if isinstance(e, n.BoolOp) and e.op == "and" else (e,))]
    for e in operands:
        if not (isinstance(e, n.Compare) and e.op in ("in", "==")):
            continue
        if _fact_path(e.left, checked) != ("target", "level"):
            continue
        value = static_value(e.right, checked)
        if value is NOT_STATIC:
            continue
        if isinstance(value, str):
            return frozenset((value,))
        if isinstance(value, frozenset) and all(isinstance(v, str) for v in value):
            return value
    return None


class UsedItems:
    """The pack's list tests, prepared for finding the items one decision relied on."""

    def __init__(self, checked: Checked, vocabularies: Mapping[str, Vocabulary], show: Callable[[dict], dict]):
        """``vocabularies``: the task fields bound to a vocabulary (a value counts by its
        canonical code and the codes above it, as the compiled ``in`` does); ``show``: an
        item as the decision shows it (made once per item here)."""
        # (path, list) -> the levels at which a rule testing it can apply (None: any)
        scopes: dict[tuple, Optional[frozenset]] = {}
        for rule in checked.rules:
            if rule.when is None:
                continue
            levels = rule_levels(rule.when, checked)
            for path, names in list_probes(rule.when, checked):
                for name in names:
                    key = (path, name)
                    if key not in scopes:
                        scopes[key] = levels
                    elif scopes[key] is not None:
                        scopes[key] = None if levels is None else scopes[key] | levels
        # path -> {spelling: {item key: (levels where it counts, or None), shown item}}: one lookup per path
        tables: dict[tuple, dict] = {}
        shown: dict[tuple, dict] = {}
        for (path, name), levels in scopes.items():
            info = checked.lists.get(name)
            if info is None:
                continue
            table = tables.setdefault(path, {})
            for item in info.items:
                key = (name, item["code"])
                if key not in shown:
                    shown[key] = show(item)
                where = _meet(levels, frozenset(item["levels"]) or None)
                for spelling in (item["code"], item["name"], *item["aliases"]):
                    found = table.setdefault(spelling, {})
                    before = found.get(key)
                    found[key] = (where if before is None else _join(before[0], where), shown[key])
        probes = []
        for path, table in tables.items():
            voc = vocabularies.get(path[1]) if path[0] == "task" and len(path) == 2 else None
            if voc is not None:  # a term counts as the nearest term above it that names items (`within`)
                for code in voc.terms:
                    if code not in table:
                        near = next((a for a in voc.ancestors(code) if a in table), None)
                        if near is not None:
                            table[code] = table[near]
            probes.append((path[0], path[1], path[2:], {k: tuple(v.values()) for k, v in table.items()}, voc))
        self._probes = tuple(probes)

    def __bool__(self) -> bool:
        return bool(self._probes)

    def found(self, inputs: Mapping) -> tuple[dict, ...]:
        """The items (as ``show`` made them) the task's facts match in the tests of the rules
        that can apply at the target's level (every rule when the level is unknown), each
        once, in the order of the rules' tests. An item limited to levels counts only there."""
        out: Optional[list] = None
        level = None
        for root, field, rest, table, voc in self._probes:
            facts = inputs[root]
            if facts.__class__ is not dict and not isinstance(facts, Mapping):  # dict: the common case, fast
                continue
            value = facts.get(field)
            for key in rest:  # a path below a field (task.x.y): rare
                value = value.get(key) if isinstance(value, Mapping) else None
            if not isinstance(value, str):
                continue
            matches = table.get(value)
            if matches is None and voc is not None:
                matches = table.get(voc.resolve(value))
            if not matches:
                continue
            if out is None:
                out = []
                target = inputs.get("target")
                level = target.get("level") if target.__class__ is dict or isinstance(target, Mapping) else None
                if not isinstance(level, str):  # not a level (the rules treat it as unknown or refuse it)
                    level = None
            for where, item in matches:
                if (where is None or level is None or level in where) and item not in out:
                    out.append(item)
        return () if out is None else tuple(out)


def _meet(a: Optional[frozenset], b: Optional[frozenset]) -> Optional[frozenset]:
    """Levels in both (None: every level)."""
    return b if a is None else a if b is None else a & b


def _join(a: Optional[frozenset], b: Optional[frozenset]) -> Optional[frozenset]:
    """Levels in either (None: every level)."""
    return None if a is None or b is None else a | b


def _fact_path(e, checked) -> Optional[tuple]:
    names = []
    while isinstance(e, n.Attr):
        names.append(e.name)
        e = e.obj
    if isinstance(e, n.Name) and checked.bindings.get(e, ("", ""))[0] == "root" and names:
        return (e.id, *reversed(names))
    return None
