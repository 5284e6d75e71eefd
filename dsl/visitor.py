"""One way to walk the AST, and one way to keep facts about its nodes.

:class:`NodeVisitor` is Jinja2's ``jinja2.visitor.NodeVisitor`` made strict:
``visit(node, *args, **kw)`` calls the subclass's ``visit_<NodeClassName>``
with the same arguments, and falls back to ``generic_visit``. The checker, the
compiler, the formatter, the columnar backend and the tests' reference
evaluator are all such subclasses, so each says what it does per node type in
one method and none repeats an ``isinstance`` ladder.

``generic_visit`` raises :class:`UnhandledNode`: most walkers must handle every
expression, and a node type added to :mod:`.nodes` but forgotten in one of them
then fails loudly, naming both. A walker with a meaningful default (the
columnar backend's "no vectorised form", ``static_value``'s "not a constant")
overrides ``generic_visit``.

:class:`NodeTable` holds what the checker learns about nodes (types,
bindings) for the backends to read.
"""
from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, Optional, TypeVar

from . import nodes as n

V = TypeVar("V")


class UnhandledNode(TypeError):
    """Internal error: a visitor met a node type it has no ``visit_`` method for (a walker that
    must cover every node was not extended with a new node type; a test checks they all are)."""


class NodeVisitor:
    """Dispatch on the node's class: ``visit_Number``, ``visit_Compare`` …"""

    # node class -> function, per visitor class (filled on first use): the
    # checker and the reference evaluator visit every node of every condition
    _methods: dict[type, Callable] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._methods = {}

    def visit(self, node, *args, **kw):
        """``visit_<type(node).__name__>(node, *args, **kw)``, else ``generic_visit``."""
        method = self._methods.get(type(node))
        if method is None:
            cls = type(self)
            method = getattr(cls, "visit_" + type(node).__name__, cls.generic_visit)
            self._methods[type(node)] = method
        return method(self, node, *args, **kw)

    def generic_visit(self, node, *args, **kw):
        """Called for a node type without a ``visit_`` method: an internal error."""
        raise UnhandledNode(f"internal error: {type(self).__name__} has no visit_{type(node).__name__}")


# node class -> names of its fields that hold expressions (one or a tuple of them)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def iter_child_nodes(node) -> Iterator[n.Expr]:
    """The expressions directly inside ``node``, in field order."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = _CHILD_FIELDS[type(node)] = tuple(f for f in node.__dataclass_fields__ if f != "span")
    for name in names:
        value = getattr(node, name)
        if isinstance(value, n.Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (x for x in value if isinstance(x, n.Expr))


class NodeTable(Generic[V]):
    """A fact per AST node, keyed by the node's identity.

    Not a dict keyed by the node: nodes compare by value (two ``task.level`` in
    different rules are equal, yet a bound variable ``x`` may have a different
    type in each quantifier). Not a dict keyed by ``id(node)`` alone either:
    once a node is freed its id can be reused by a new node, which would then
    inherit the old node's fact. The table keeps every node it has a fact for
    alive, so an id in it always belongs to that node.
    """

    __slots__ = ("_facts",)

    def __init__(self) -> None:
        self._facts: dict[int, tuple[n.Expr, V]] = {}

    def __setitem__(self, node: n.Expr, fact: V) -> None:
        self._facts[_key(node)] = (node, fact)

    def __getitem__(self, node: n.Expr) -> V:
        return self._facts[_key(node)][1]

    def get(self, node: n.Expr, default: Optional[Any] = None):
        """The fact about ``node``, or ``default`` when there is none."""
        entry = self._facts.get(_key(node))
        return default if entry is None else entry[1]

    def __contains__(self, node: n.Expr) -> bool:
        return _key(node) in self._facts

    def __len__(self) -> int:
        return len(self._facts)


def _key(node) -> int:
    # anything else (an int from id(node), say) would silently find nothing
    if not isinstance(node, n.Expr):
        raise TypeError(f"a NodeTable is keyed by expression nodes, not by {type(node).__name__}")
    return id(node)
