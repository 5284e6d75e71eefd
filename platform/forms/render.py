"""The HTML form: which inputs a form has, what a submission means as JSON, where each error goes.

Every input is named by the JSON pointer of the value it edits (``/households``,
``/workers/0/name``), so a submission turns back into data by the form's
field types, and a validation error (a JSON pointer too) lands beside the
input it is about. Arrays of objects get one row per item plus an empty row to
add one; arrays of plain values are edited one per line in a text area.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from jsonpointer import escape

from jiceng.platform.forms.model import Field, FormModel

EXTRA_ROWS = 1


@dataclass
class Input:
    """One rendered field (or group): its pointer, the field, the value shown, its errors."""

    pointer: str
    field: Field
    value: Any = None
    errors: list[str] = field(default_factory=list)
    children: list["Input"] = field(default_factory=list)   # an object's fields
    rows: list[list["Input"]] = field(default_factory=list)  # an array of objects: one list per item

    @property
    def shown(self) -> str:
        """The value as the input shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return "\n".join("" if v is None else str(v) for v in self.value)
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


def inputs(model: FormModel, data: Any) -> list[Input]:
    """The inputs of ``model`` filled with ``data``."""
    return _inputs("", model.fields, data if isinstance(data, dict) else {})


def _inputs(prefix: str, fields: list[Field], data: Mapping) -> list[Input]:
    out = []
    for f in fields:
        pointer = f"{prefix}/{escape(f.name)}"
        value = data.get(f.name)
        node = Input(pointer, f, value)
        if f.children:
            node.children = _inputs(pointer, f.children, value if isinstance(value, dict) else {})
        elif f.item is not None and f.item.children:
            items = value if isinstance(value, list) else []
            count = max(len(items), int(f.schema.get("minItems") or 0)) + EXTRA_ROWS
            node.rows = [_inputs(f"{pointer}/{i}", f.item.children,
                                 items[i] if i < len(items) and isinstance(items[i], dict) else {})
                         for i in range(count)]
        out.append(node)
    return out


def place_errors(nodes: list[Input], errors: list[dict]) -> list[dict]:
    """Attach each error to the input it is about (the deepest whose pointer starts it); the rest are returned."""
    flat = list(_flatten(nodes))
    rest = []
    for e in errors:
        path = e["path"]
        owner: Optional[Input] = None
        for node in flat:
            if (path == node.pointer or path.startswith(node.pointer + "/")) and \
                    (owner is None or len(node.pointer) > len(owner.pointer)):
                owner = node
        if owner is None:
            rest.append(e)
        else:
            owner.errors.append(e["message"] if path == owner.pointer else f"{path[len(owner.pointer) + 1:]}:{e['message']}")
    return rest


def _flatten(nodes: list[Input]):
    for n in nodes:
        yield n
        yield from _flatten(n.children)
        for row in n.rows:
            yield from _flatten(row)


# ---------------------------------------------------------------------- a submission back to data
def parse_submission(model: FormModel, form: Mapping[str, str]) -> dict:
    """The JSON data a submitted HTML form stands for (empty inputs are left out)."""
    return _parse("", model.fields, form)


def _parse(prefix: str, fields: list[Field], form: Mapping[str, str]) -> dict:
    out: dict = {}
    for f in fields:
        pointer = f"{prefix}/{escape(f.name)}"
        if f.children:
            sub = _parse(pointer, f.children, form)
            if sub:
                out[f.name] = sub
        elif f.item is not None and f.item.children:
            rows = []
            for i in range(_row_count(pointer, form)):
                row = _parse(f"{pointer}/{i}", f.item.children, form)
                if any(v not in (None, False) for v in row.values()):
                    rows.append(row)
            if rows:
                out[f.name] = rows
        elif f.kind == "array":
            lines = [line.strip() for line in form.get(pointer, "").splitlines() if line.strip()]
            if lines:
                item = f.item.kind if f.item is not None else "string"
                out[f.name] = [_scalar(item, line) for line in lines]
        elif f.widget == "checkbox":
            out[f.name] = form.get(pointer) in ("true", "on", "1")
        else:
            text = form.get(pointer, "").strip()
            if text:
                out[f.name] = _scalar(f.kind, text)
    return out


def _row_count(pointer: str, form: Mapping[str, str]) -> int:
    indexes = [int(k[len(pointer) + 1:].split("/")[0]) for k in form
               if k.startswith(pointer + "/") and k[len(pointer) + 1:].split("/")[0].isdigit()]
    return min(max(indexes, default=-1) + 1, 1000)


def _scalar(kind: str, text: str) -> Any:
    """Text typed into an input, as the field's type (left as text when it is not one: the form says so)."""
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        if not math.isfinite(number):
            return text
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "null":
        return None
    return text
