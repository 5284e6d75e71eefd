"""Read the tenant's task form (a JSON Schema) as the type of ``task``.

The checker resolves ``task.<field>`` against it: an unknown field or a type
mismatch is a compile error, so nothing a rule needs is discovered missing at
decision time. Supported: ``properties``, ``required``, ``type`` (also with
``null``), ``enum``, ``const``, ``format: date``/``date-time``, ``items``,
``allOf`` (fields merge, later constraints tighten), ``anyOf``/``oneOf`` (one
type when all branches agree), ``$ref`` to ``#/$defs/...``, to another file by
relative path, or to a schema by its ``$id``; ``x-unit`` gives a number its unit;
``x-vocabulary`` on one of the task's own fields names the vocabulary list its
values come from (:func:`jiceng.dsl.vocabulary.bind_task_form` types it once
the pack's lists are merged).

``default`` on one of the task's own fields says what its absence means: a
missing (or null) value reads as the default, where any other missing fact is
unknown to the rules (docs/language.md, “缺失的事实”).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Mapping, Optional
from urllib.parse import urljoin

from .types import ANY, BOOL, DATE, NUMBER, STR, ArrayOf, Enum, Num, Record, Type
from .units import UnitTable

#: The canonical task of SPEC §5, used when no form schema is found.
CANONICAL_TASK_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string"},
        "item_code": {"type": "string"},
        "category": {"type": "string"},
        "kind": {"type": "string", "enum": ["work", "assessment", "inspection", "ledger", "report",
                                             "certificate", "demonstration", "plaque", "pledge"]},
        "role": {"type": "string", "enum": ["responsible", "assist"]},
        "source_unit": {"type": "string"},
        "source_department": {"type": "string"},
        "target_unit": {"type": "string"},
        "funding_provided": {"type": "boolean"},
        "work_conditions_provided": {"type": "boolean"},
        "one_vote_veto": {"type": "boolean"},
        "unified_deployment": {"type": "boolean"},
        "approval": {"type": ["string", "null"]},
        "deadline": {"type": "string", "format": "date"},
    },
}

Resolver = Callable[[str], Optional[dict]]  # absolute reference (no fragment) -> schema


@dataclass
class TaskForm:
    """The ``task`` record type plus where it came from."""

    record: Record
    required: frozenset[str]
    origin: str  # file path, form id, or "<canonical>"
    vocabularies: Mapping[str, str] = field(default_factory=dict)  # field -> vocabulary list (x-vocabulary)
    defaults: Mapping[str, object] = field(default_factory=dict)  # field -> what its absence means (default)


class FormError(Exception):
    """A form schema the checker cannot read (bad $ref, cycle)."""


def follow_ref(ref: str, base: str, root: dict, resolve: Resolver) -> tuple[dict, str, dict]:
    """Follow a ``$ref`` (another document by URI, relative to ``base``, and/or a JSON
    pointer): (the schema it points to, that document's URI, that document).

    Raises :class:`FormError` when the document is unknown or the pointer leads nowhere
    or to something that is not a schema object.
    """
    doc_ref, _, fragment = ref.partition("#")
    if doc_ref:
        uri = urljoin(base, doc_ref)
        doc = resolve(uri)
        if doc is None:
            raise FormError(f"无法解析表单引用 {ref}(相对于 {base})")
        base, root = uri, doc
    node: object = root
    for part in filter(None, fragment.split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise FormError(f"表单引用 {ref} 指向不存在的位置")
    if not isinstance(node, dict):
        raise FormError(f"表单引用 {ref} 指向的不是对象")
    return node, base, root


class _Reader:
    def __init__(self, units: UnitTable, resolve: Resolver):
        self.units = units
        self.resolve = resolve
        self._active: set[str] = set()
        self._nested = 0  # objects inside the task: only the task's own fields bind vocabularies
        self.vocabularies: dict[str, str] = {}
        self.defaults: dict[str, object] = {}

    def load_ref(self, ref: str, base: str, root: dict) -> tuple[dict, str, dict]:
        return follow_ref(ref, base, root, self.resolve)

    def fields(self, schema: dict, base: str, root: dict) -> tuple[dict[str, Type], set[str]]:
        """Properties and required names of an object schema, through refs."""
        key = f"{base}#{id(schema)}"
        if key in self._active:
            raise FormError(f"表单引用出现循环:{base}")
        self._active.add(key)
        try:
            props: dict[str, Type] = {}
            required: set[str] = set(schema.get("required", []))
            if "$ref" in schema:
                target, b, r = self.load_ref(schema["$ref"], base, root)
                p, q = self.fields(target, b, r)
                props.update(p)
                required |= q
            for sub in schema.get("allOf", []):
                p, q = self.fields(sub, base, root)
                for name, t in p.items():
                    props[name] = _tighter(props.get(name), t)
                required |= q
            for name, sub in schema.get("properties", {}).items():
                props[name] = _tighter(props.get(name), self.type_of(name, sub, base, root))
                vocabulary = self.vocabulary_of(sub, base, root) if self._nested == 0 else None
                if vocabulary is not None:
                    self.vocabularies[name] = vocabulary
                found, default = self.default_of(sub, base, root) if self._nested == 0 else (False, None)
                if found and default is not None:  # a null default says nothing: absent stays unknown
                    self.defaults[name] = default
            return props, required
        finally:
            self._active.discard(key)

    def type_of(self, name: str, schema, base: str, root: dict) -> Type:
        if not isinstance(schema, dict):
            return ANY
        if "$ref" in schema:
            target, b, r = self.load_ref(schema["$ref"], base, root)
            return self.type_of(name, target, b, r)
        if "allOf" in schema:
            t: Optional[Type] = None
            for sub in schema["allOf"]:
                t = _tighter(t, self.type_of(name, sub, base, root))
            own = {k: v for k, v in schema.items() if k != "allOf"}
            return _tighter(t, self.type_of(name, own, base, root)) if own else (t or ANY)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                types = {repr(self.type_of(name, s, base, root)): self.type_of(name, s, base, root)
                         for s in schema[key]}
                return next(iter(types.values())) if len(types) == 1 else ANY
        if "const" in schema and isinstance(schema["const"], str):
            return Enum(name, (schema["const"],))
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            if values and all(isinstance(v, str) for v in values):
                return Enum(name, tuple(values))
        types = schema.get("type")
        if isinstance(types, list):
            types = [t for t in types if t != "null"]
            types = types[0] if len(types) == 1 else None
        if types == "string":
            return DATE if schema.get("format") in ("date", "date-time") else STR
        if types == "boolean":
            return BOOL
        if types in ("integer", "number"):
            unit = schema.get("x-unit")
            if unit:
                u = self.units.get(unit)
                if u is None:
                    raise FormError(f"字段 {name} 的单位 {unit} 未注册")
                return Num(((u.base, 1),)) if u.base else NUMBER
            return NUMBER
        if types == "array":
            return ArrayOf(self.type_of(name, schema.get("items", {}), base, root))
        if types == "object" or "properties" in schema:
            self._nested += 1
            try:
                props, _ = self.fields(schema, base, root)
            finally:
                self._nested -= 1
            return Record(name, props, owner_label=name)
        return ANY

    def vocabulary_of(self, schema, base: str, root: dict) -> Optional[str]:
        """The ``x-vocabulary`` of a property, through its ``$ref`` and ``allOf``
        (``type_of`` has already followed them, so they resolve and do not loop)."""
        if not isinstance(schema, dict):
            return None
        found = None
        if "$ref" in schema:
            target, b, r = self.load_ref(schema["$ref"], base, root)
            found = self.vocabulary_of(target, b, r)
        for sub in schema.get("allOf", []):
            found = self.vocabulary_of(sub, base, root) or found
        own = schema.get("x-vocabulary")
        return own if isinstance(own, str) else found


    def default_of(self, schema, base: str, root: dict) -> tuple[bool, object]:
        """(declared?, value) of a property's ``default``, through ``$ref`` and
        ``allOf`` like :meth:`vocabulary_of`; its own wins over a referenced one."""
        if not isinstance(schema, dict):
            return False, None
        found: tuple[bool, object] = (False, None)
        if "$ref" in schema:
            target, b, r = self.load_ref(schema["$ref"], base, root)
            found = self.default_of(target, b, r)
        for sub in schema.get("allOf", []):
            inner = self.default_of(sub, base, root)
            found = inner if inner[0] else found
        return (True, schema["default"]) if "default" in schema else found


def _default_fits(t: Type, value) -> bool:
    """Can the rules read ``value`` as a ``t``? (What a form ``default`` must be.)"""
    if t == ANY:
        return True
    if t == BOOL:
        return isinstance(value, bool)
    if isinstance(t, Enum):
        return isinstance(value, str) and value in t.values
    if t == STR:
        return isinstance(value, str)
    if t == DATE:
        try:
            date.fromisoformat(value[:10])
        except (TypeError, ValueError):
            return False
        return True
    if isinstance(t, Num):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(t, ArrayOf):
        return isinstance(value, list)
    if isinstance(t, Record):
        return isinstance(value, dict)
    return False


def _tighter(old: Optional[Type], new: Type) -> Type:
    """Merge two declarations of one field (allOf): the more specific wins."""
    if old is None or old == ANY:
        return new
    if new == ANY:
        return old
    if isinstance(old, Enum) and isinstance(new, Enum):
        both = tuple(v for v in old.values if v in new.values)
        return Enum(old.name, both)
    if isinstance(new, Enum) and old == STR:
        return new
    if isinstance(old, Enum) and new == STR:
        return old
    return new


def read_task_form(schema: dict, units: UnitTable, *, base: str = "memory:///task.schema.json",
                   resolve: Optional[Resolver] = None, origin: str = "") -> TaskForm:
    """The ``task`` record described by ``schema``."""
    reader = _Reader(units, resolve or (lambda uri: None))
    own_id = schema.get("$id")
    if isinstance(own_id, str) and "://" in own_id:
        base = own_id
    props, required = reader.fields(schema, base, schema)
    for name, value in reader.defaults.items():
        if not _default_fits(props[name], value):
            raise FormError(f"字段 {name} 的 default {json.dumps(value, ensure_ascii=False)} 不是{props[name]}")
    return TaskForm(Record("task", props, owner_label="任务表单"), frozenset(required), origin or base,
                    reader.vocabularies, reader.defaults)


class FileForms:
    """Form schemas under a folder: ``<root>/<tenant>/<name>.schema.json``.

    References resolve by relative path or by any schema's ``$id``.
    """

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        self._by_id: Optional[dict[str, dict]] = None

    def path(self, tenant: str, name: str = "task") -> Path:
        return self.root / tenant / f"{name}.schema.json"

    def _ids(self) -> dict[str, dict]:
        if self._by_id is None:
            self._by_id = {}
            for p in sorted(self.root.rglob("*.schema.json")):
                try:
                    doc = json.loads(p.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
                    self._by_id[doc["$id"].split("#")[0]] = doc
        return self._by_id

    def resolve(self, uri: str) -> Optional[dict]:
        if uri in self._ids():
            return self._ids()[uri]
        if uri.startswith("file://"):
            p = Path(uri[len("file://"):])
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
        return None

    def task_form(self, chain: list[str], units: UnitTable) -> Optional[TaskForm]:
        """The nearest tenant's task form along ``chain`` (leaf first)."""
        for tenant in chain:
            p = self.path(tenant)
            if p.is_file():
                try:
                    schema = json.loads(p.read_text(encoding="utf-8"))
                except ValueError as e:
                    raise FormError(f"表单 {p} 不是有效的 JSON:{e}") from e
                return read_task_form(schema, units, base=p.as_uri(), resolve=self.resolve,
                                      origin=str(p))
        return None


def canonical_task_form(units: UnitTable) -> TaskForm:
    return read_task_form(CANONICAL_TASK_SCHEMA, units, origin="<canonical>")
