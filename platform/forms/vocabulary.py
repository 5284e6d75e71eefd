"""Our ``x-`` keywords and the metaschema a form must satisfy before it is stored.

A form is a JSON Schema 2020-12 document plus these keywords (docs/forms.md):

=================  ==========================================================
``x-label``        the field's name as users read it (zh-CN)
``x-help``         a sentence of help shown under the field
``x-widget``       how the field is edited (``text textarea number select radio checkbox date``)
``x-order``        position among its siblings (smaller first)
``x-unit``         the unit of a number (人 户 平方米 …, the rule language's units)
``x-enum-labels``  ``{value: label}`` for the choices of an ``enum``
``x-param``        bind a constraint to a pack param (:mod:`.form_params`)
``x-compare``      cross-field checks on an object (:mod:`.form_compare`)
``x-vocabulary``   a text field's values come from a vocabulary list of the
                   tenant's pack (事项类别, 任务类型), checked by :mod:`.validation`
``x-pattern-hint`` what a value of a ``pattern`` field looks like (zh-CN), said
                   instead of the regular expression when a value does not match
=================  ==========================================================

:data:`FORM_META` extends the 2020-12 metaschema through its ``$dynamicAnchor``,
so every subschema (properties, items, ``$defs`` …) is checked for them and
an unknown ``x-`` keyword (a typo such as ``x-lable``) is refused.
"""
from __future__ import annotations

import difflib
from typing import Any

from jsonpointer import escape, unescape
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing import Resource
from referencing.jsonschema import DRAFT202012

from jiceng.dsl.functions import default_registry

from jiceng.platform.forms.messages import message
from jiceng.platform.forms.model import FormReadError, visible_properties

FORM_META_URI = "https://jiceng.invalid/meta/form.schema.json"
WIDGETS = ("text", "textarea", "number", "select", "radio", "checkbox", "date")
COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")
BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
KEYWORDS = ("x-label", "x-help", "x-widget", "x-order", "x-unit", "x-enum-labels", "x-param", "x-compare",
            "x-vocabulary", "x-pattern-hint")

_POINTER = {"type": "string", "pattern": "^(/([^~/]|~[01])*)+$"}
_PARAM_REF = {"type": "object", "required": ["x-param"], "additionalProperties": False,
              "properties": {"x-param": {"type": "string", "minLength": 1}}}

FORM_META: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": FORM_META_URI,
    "$dynamicAnchor": "meta",
    "title": "jiceng 表单(JSON Schema 2020-12 加 x- 关键字)",
    "allOf": [{"$ref": "https://json-schema.org/draft/2020-12/schema"}],
    "properties": {
        "x-label": {"type": "string", "minLength": 1, "maxLength": 200},
        "x-help": {"type": "string", "maxLength": 2000},
        "x-widget": {"enum": list(WIDGETS)},
        "x-order": {"type": "number"},
        "x-unit": {"type": "string", "minLength": 1},
        "x-enum-labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "x-param": {"oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "object", "required": ["name"], "additionalProperties": False,
             "properties": {"name": {"type": "string", "minLength": 1},
                            "as": {"enum": ["range", *BOUND_KEYWORDS]}}}]},
        "x-compare": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["left", "op", "right"], "additionalProperties": False,
            "properties": {"left": _POINTER, "op": {"enum": list(COMPARE_OPS)}, "right": _POINTER,
                           "factor": {"oneOf": [{"type": "number", "exclusiveMinimum": 0}, _PARAM_REF]},
                           "message": {"type": "string", "minLength": 1, "maxLength": 500},
                           "path": _POINTER}}},
        "x-vocabulary": {"type": "string", "minLength": 1, "maxLength": 200},
        "x-pattern-hint": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "patternProperties": {"^x-(?!(?:" + "|".join(k[2:] for k in KEYWORDS) + ")$)": False},
}

_REGISTRY = SPECIFICATIONS.with_resource(FORM_META_URI, Resource.from_contents(FORM_META,
                                                                                default_specification=DRAFT202012))
_META = Draft202012Validator(FORM_META, registry=_REGISTRY)


def check_schema(schema: Any, resolve=None, base: str = "memory:///form.schema.json") -> list[dict]:
    """Every problem that makes ``schema`` unusable as a form, as ``[{"path", "message"}]``.

    ``path`` is a JSON pointer into the schema; the message says why, in zh-CN.
    With ``resolve`` (URI -> stored form) the ``x-compare`` pointers are checked
    against the properties the object really has, through ``$ref``.
    """
    if not isinstance(schema, dict):
        return [{"path": "", "message": "表单应为 JSON 对象(JSON Schema 2020-12)"}]
    declared = schema.get("$schema")
    if declared is not None and declared != "https://json-schema.org/draft/2020-12/schema":
        return [{"path": "/$schema", "message": "表单应使用 JSON Schema 2020-12"
                                                 "($schema 写 https://json-schema.org/draft/2020-12/schema 或省略)"}]
    found = [_describe(e, schema) for e in _META.iter_errors(schema)]
    if not found:
        found = _semantic(schema, resolve, base)
    found.sort(key=lambda p: p["path"])
    return found[:50]


def _pointer(parts) -> str:
    return "".join("/" + escape(str(p)) for p in parts)


def _describe(e, schema: dict) -> dict:
    """One metaschema error, at its deepest relevant location, in zh-CN."""
    if e.context:
        e = best_match(e.context) or e
    where = _pointer(e.absolute_path)
    last = e.absolute_path[-1] if e.absolute_path else None
    if e.validator is None:  # the false schema of patternProperties: an unknown x- keyword
        node = schema
        for part in e.absolute_path:
            node = node[part]
        unknown = sorted(k for k in node if k.startswith("x-") and k not in KEYWORDS)
        name = unknown[0] if unknown else "?"
        hint = difflib.get_close_matches(name, KEYWORDS, n=1)
        suggestion = f";您是不是要写 {hint[0]}?" if hint else ""
        return {"path": f"{where}/{escape(name)}",
                "message": f"未定义的关键字 {name}:表单的 x- 关键字只有 {'、'.join(KEYWORDS)}{suggestion}"}
    text = message(e.validator, e.validator_value, e.instance)
    subject = f"{last} " if isinstance(last, str) else ""
    return {"path": where, "message": f"不是有效的表单:{subject}{text}"}


def _semantic(schema: dict, resolve, base: str) -> list[dict]:
    """What the metaschema cannot say: units exist, ``x-enum-labels`` name real values,
    ``x-compare`` points at properties the object has, ``x-param`` sits on numbers,
    ``x-vocabulary`` on text without an ``enum`` (the vocabulary is the list of values),
    ``x-pattern-hint`` beside a ``pattern``."""
    problems = []
    units = default_registry().units
    for path, node in subschemas(schema, ""):
        unit = node.get("x-unit")
        if unit is not None and units.get(unit) is None:
            problems.append({"path": f"{path}/x-unit",
                             "message": f"未知单位 {unit},可用:{'、'.join(units.names())}"})
        labels = node.get("x-enum-labels")
        if isinstance(labels, dict) and isinstance(node.get("enum"), list):
            for value in labels:
                if value not in node["enum"]:
                    problems.append({"path": f"{path}/x-enum-labels/{escape(value)}",
                                     "message": f"{value} 不在 enum 的取值之中"})
        if "x-param" in node:
            types = node.get("type")
            types = types if isinstance(types, list) else [types]
            if not {"integer", "number"} & set(types):
                problems.append({"path": f"{path}/x-param",
                                 "message": "x-param 只能绑定在数字字段上(type 为 integer 或 number)"})
        if "x-vocabulary" in node:
            types = node.get("type", "string")  # a branch of allOf may bind a field typed elsewhere
            types = types if isinstance(types, list) else [types]
            if "string" not in types or "enum" in node or "const" in node:
                problems.append({"path": f"{path}/x-vocabulary",
                                 "message": "x-vocabulary 只能用在文字字段上(type 为 string),且不写 enum、const:"
                                            "取值由规则包的词表决定"})
        if "x-pattern-hint" in node and "pattern" not in node:
            problems.append({"path": f"{path}/x-pattern-hint",
                             "message": "x-pattern-hint 说明 pattern 要求的写法,只能与 pattern 写在同一处"})
        if isinstance(node.get("x-compare"), list):
            problems += _compare_targets(node, path, resolve, base, schema)
    return problems


def _compare_targets(node: dict, path: str, resolve, base: str, root: dict) -> list[dict]:
    try:
        names = visible_properties(node, base, _with_root(resolve, base, root))
    except FormReadError as e:
        return [{"path": path, "message": str(e)}]
    out = []
    for i, check in enumerate(node["x-compare"]):
        for key in ("left", "right", "path"):
            pointer = check.get(key)
            if pointer is None:
                continue
            head = unescape(pointer.split("/")[1])
            if head not in names:
                out.append({"path": f"{path}/x-compare/{i}/{key}",
                            "message": f"{pointer} 指向的字段 {head} 不在该对象的 properties 中"})
    return out


def _with_root(resolve, base: str, root: dict):
    def lookup(uri: str):
        if uri == base:
            return root
        return resolve(uri) if resolve is not None else None
    return lookup


_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
                  "not", "if", "then", "else", "propertyNames")


def subschemas(node: Any, path: str = ""):
    """(pointer, subschema) for the schema and every subschema in it."""
    if not isinstance(node, dict):
        return
    yield path, node
    for key in _SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield from subschemas(sub, f"{path}/{key}/{escape(name)}")
    for key in _SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield from subschemas(sub, f"{path}/{key}/{i}")
    for key in _SUBSCHEMA_ONE:
        yield from subschemas(node.get(key), f"{path}/{key}")
