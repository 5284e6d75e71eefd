"""A form schema read as fields: what the renderer shows and what messages name.

A form is a JSON Schema whose object properties may be spread over ``allOf``
branches and ``$ref``'d forms of a parent tenant (``{"allOf": [{"$ref":
"../hunan/grid.schema.json"}, {...}]}``). :func:`read_model` follows them and
merges every declaration of one property, later ones tightening earlier ones,
as the validator applies them all. Presentation comes from the ``x-``
keywords (``x-label`` / ``title``, ``x-help`` / ``description``,
``x-widget``, ``x-order``, ``x-unit``, ``x-enum-labels``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional
from urllib.parse import urljoin

from jsonpointer import escape

from jiceng.dsl.taskform import FormError, follow_ref

Resolver = Callable[[str], Optional[dict]]  # absolute URI without fragment -> schema document
MAX_DEPTH = 32  # nesting of objects and arrays a form may have, and of $ref chains


class FormReadError(Exception):
    """A ``$ref`` that cannot be followed (unknown document, missing location, cycle)."""


@dataclass
class Field:
    """One property of a form, its declarations merged."""

    name: str
    schema: dict                       # merged keywords (later declarations win)
    required: bool = False
    children: list["Field"] = field(default_factory=list)   # for objects
    item: Optional["Field"] = None                           # for arrays
    order_index: int = 0

    @property
    def label(self) -> str:
        return self.schema.get("x-label") or self.schema.get("title") or self.name

    @property
    def help(self) -> Optional[str]:
        return self.schema.get("x-help") or self.schema.get("description")

    @property
    def types(self) -> list[str]:
        t = self.schema.get("type")
        if isinstance(t, str):
            return [t]
        if isinstance(t, list):
            return [x for x in t if isinstance(x, str)]
        if "enum" in self.schema or "const" in self.schema:
            return ["string"]
        if self.children:
            return ["object"]
        return []

    @property
    def kind(self) -> str:
        """The one type a widget edits: the first non-null type (``string`` when undeclared)."""
        return next((t for t in self.types if t != "null"), "string")

    @property
    def widget(self) -> str:
        explicit = self.schema.get("x-widget")
        if explicit:
            return explicit
        if "enum" in self.schema:
            return "select"
        if self.kind == "boolean":
            return "checkbox"
        if self.kind in ("integer", "number"):
            return "number"
        if self.kind == "string" and self.schema.get("format") == "date":
            return "date"
        return "text"

    @property
    def enum_labels(self) -> dict:
        labels = self.schema.get("x-enum-labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def unit(self) -> Optional[str]:
        return self.schema.get("x-unit")


@dataclass
class FormModel:
    """The fields of a form (ordered by ``x-order``, then declaration) and its root annotations."""

    title: Optional[str]
    description: Optional[str]
    fields: list[Field]

    def walk(self) -> Iterator[tuple[str, Field]]:
        """Every field with its JSON pointer (array items as ``/name/*``)."""
        def visit(prefix: str, fields: list[Field]):
            for f in fields:
                here = f"{prefix}/{escape(f.name)}"
                yield here, f
                yield from visit(here, f.children)
                if f.item is not None:
                    yield f"{here}/*", f.item
                    yield from visit(f"{here}/*", f.item.children)
        yield from visit("", self.fields)


class _Reader:
    def __init__(self, resolve: Resolver):
        self.resolve = resolve

    def follow(self, ref: str, base: str, root: dict, depth: int) -> tuple[dict, str, dict]:
        """The schema ``ref`` points to: (schema, its document's URI, its document)."""
        if depth > MAX_DEPTH:
            raise FormReadError(f"表单引用层次过深或出现循环:{ref}")
        try:
            return follow_ref(ref, base, root, self.resolve)
        except FormError as e:
            raise FormReadError(str(e)) from None

    def flatten(self, schema: dict, base: str, root: dict, depth: int = 0) -> tuple[dict, dict, set]:
        """(own keywords merged, {property: [(schema, base, root)]}, required) through $ref and allOf."""
        if depth > MAX_DEPTH:
            raise FormReadError("表单嵌套过深或引用出现循环")
        merged: dict = {}
        props: dict[str, list] = {}
        required: set = set()

        def absorb(other_merged, other_props, other_required):
            merged.update(other_merged)
            for name, decls in other_props.items():
                props.setdefault(name, []).extend(decls)
            required.update(other_required)

        if isinstance(schema.get("$ref"), str):
            target, b, r = self.follow(schema["$ref"], base, root, depth + 1)
            absorb(*self.flatten(target, b, r, depth + 1))
        for sub in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
            if isinstance(sub, dict):
                absorb(*self.flatten(sub, base, root, depth + 1))
        merged.update({k: v for k, v in schema.items()
                       if k not in ("$ref", "allOf", "properties", "required", "$defs", "$id", "$schema")})
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict):
                props.setdefault(name, []).append((sub, base, root))
        if isinstance(schema.get("required"), list):
            required.update(r for r in schema["required"] if isinstance(r, str))
        return merged, props, required

    def fields(self, props: dict, required: set, depth: int) -> list[Field]:
        out = []
        for i, (name, decls) in enumerate(props.items()):
            f = self.field(name, decls, depth)
            f.required = name in required
            f.order_index = i
            out.append(f)
        out.sort(key=lambda f: (_order(f.schema), f.order_index))
        return out

    def field(self, name: str, decls: list, depth: int) -> Field:
        if depth > MAX_DEPTH:
            raise FormReadError("表单嵌套过深")
        merged: dict = {}
        sub_props: dict[str, list] = {}
        sub_required: set = set()
        items: list = []
        for schema, base, root in decls:
            m, p, q = self.flatten(schema, base, root, depth)
            merged.update(m)
            for n, d in p.items():
                sub_props.setdefault(n, []).extend(d)
            sub_required |= q
            item_schema = schema.get("items")
            if isinstance(item_schema, dict):
                items.append((item_schema, base, root))
        f = Field(name, merged)
        if sub_props:
            f.children = self.fields(sub_props, sub_required, depth + 1)
        if items:
            f.item = self.field("*", items, depth + 1)
        return f


def _order(schema: dict) -> float:
    order = schema.get("x-order")
    return order if isinstance(order, (int, float)) and not isinstance(order, bool) else float("inf")


def read_model(schema: dict, base: str, resolve: Resolver) -> FormModel:
    """The fields of ``schema`` (whose URI is ``base``), following ``$ref`` through ``resolve``."""
    reader = _Reader(resolve)
    merged, props, required = reader.flatten(schema, base, schema)
    return FormModel(merged.get("x-label") or merged.get("title"),
                     merged.get("x-help") or merged.get("description"),
                     reader.fields(props, required, 0))


def follow(ref: str, base: str, root: dict, resolve: Resolver) -> dict:
    """The schema ``ref`` (in document ``root`` at ``base``) points to; :class:`FormReadError` when none."""
    return _Reader(resolve).follow(ref, base, root, 0)[0]


def visible_properties(schema: dict, base: str, resolve: Resolver) -> set[str]:
    """Names of the properties an object schema declares, through ``allOf`` and ``$ref``."""
    return set(_Reader(resolve).flatten(schema, base, schema)[1])


def references(doc: Any) -> Iterator[str]:
    """Every ``$ref`` value anywhere in a schema document."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(v for k, v in node.items() if k not in ("enum", "const", "x-enum-labels", "default",
                                                                    "examples"))
        elif isinstance(node, list):
            stack.extend(node)


def closure(uri: str, doc: dict, resolve: Resolver) -> dict[str, dict]:
    """``{uri: document}`` of ``doc`` and every document it reaches by ``$ref`` (unresolvable ones left out)."""
    seen = {uri: doc}
    todo = [(uri, doc)]
    while todo:
        base, current = todo.pop()
        for ref in references(current):
            target = ref.partition("#")[0]
            if not target:
                continue
            absolute = urljoin(base, target)
            if absolute in seen:
                continue
            found = resolve(absolute)
            if isinstance(found, dict):
                seen[absolute] = found
                todo.append((absolute, found))
    return seen
