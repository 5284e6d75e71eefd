"""``x-compare``: checks between two fields of one object, which JSON Schema cannot express.

On an object schema::

    "x-compare": [{"left": "/party_members", "op": ">=", "right": "/members",
                   "factor": {"x-param": "业委会党员比例下限"}}]

reads "party_members ≥ members × factor". ``left`` and ``right`` are JSON
pointers relative to the object; ``op`` is one of ``< <= > >= == !=``;
``factor`` (numbers only) is a number or a pack param; ``message`` replaces
the generated zh-CN message; ``path`` says which field the error is shown
beside (default ``left``). Numbers compare as numbers, text as text (ISO
dates compare correctly as text). A check whose operands are missing or not
comparable is skipped: ``required`` and ``type`` report those.

The validator (:mod:`.validation`) registers :func:`keyword` as the custom
keyword ``x-compare``; each failure is handed back as JSON (``path`` relative
to the object, ``message``) inside the library's error, and becomes a
``{path, message}`` there.
"""
from __future__ import annotations

import json
import operator
from typing import Any, Callable, Optional

from jsonpointer import JsonPointerException, resolve_pointer, unescape

from jiceng.platform.forms.messages import shown

OPS: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                               ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
OP_WORDS = {"<": "应小于", "<=": "应不大于", ">": "应大于", ">=": "应不小于", "==": "应等于", "!=": "应不等于"}
_MISSING = object()


def _at(obj: Any, pointer: str) -> Any:
    """The value at ``pointer`` in ``obj``, or :data:`_MISSING` when there is none there (or
    ``pointer`` is no JSON pointer): the check is then skipped, as for any missing operand."""
    try:
        return resolve_pointer(obj, pointer, _MISSING)
    except JsonPointerException:  # raised for the pointer's own syntax; a missing member gives _MISSING
        return _MISSING


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def failure(check: dict, obj: dict, label: Callable[[str], str]) -> Optional[dict]:
    """``{"path", "message"}`` (path relative to ``obj``) when ``check`` fails on ``obj``, else None."""
    left, right = _at(obj, check["left"]), _at(obj, check["right"])
    factor = check.get("factor")
    if _is_number(left) and _is_number(right):
        bound = right * factor if _is_number(factor) else right
    elif isinstance(left, str) and isinstance(right, str) and factor is None:
        bound = right
    else:
        return None
    if OPS[check["op"]](left, bound):
        return None
    path = check.get("path") or check["left"]
    if check.get("message"):
        text = check["message"]
    else:
        share = f"的 {shown(round(factor * 100, 4))}%(即 {shown(round(bound, 4))})" if _is_number(factor) else ""
        text = (f"{label(check['left'])}({shown(left)}){OP_WORDS[check['op']]} "
                f"{label(check['right'])}({shown(right)}){share}")
    if check.get("factor_citation"):
        text += f"({check['factor_citation']})"
    return {"path": path, "message": text}


def keyword(labels: dict[str, str]):
    """The custom-keyword class for the validator; ``labels`` names fields by property name."""

    def label(pointer: str) -> str:
        name = unescape(pointer.rsplit("/", 1)[-1])
        return labels.get(name, name)

    class XCompare:
        def __init__(self, parent_schema: dict, value: list, schema_path: list):
            self.checks = [c for c in value if isinstance(c, dict) and c.get("op") in OPS]

        def validate(self, instance: Any) -> None:
            for problem in self.iter_errors(instance):
                raise problem

        def iter_errors(self, instance: Any):
            if not isinstance(instance, dict):
                return
            for check in self.checks:
                found = failure(check, instance, label)
                if found is not None:
                    yield ValueError(json.dumps(found, ensure_ascii=False))

    return XCompare
