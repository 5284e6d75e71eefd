"""Validate data against a form's JSON Schema, with zh-CN messages and JSON-pointer paths.

The one place the service checks data against forms (tasks on admission
checks and task creation, ``forms/<name>/validate``): replace this module to
change how forms are enforced.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import Invalid
from .forms import FormSnapshot, StoredForm

TYPE_LABEL = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "真假值", "object": "对象",
              "array": "数组", "null": "空值"}
FORMAT_LABEL = {"date": "日期(YYYY-MM-DD)", "date-time": "日期时间", "email": "电子邮箱", "uri": "URI"}
MAX_ERRORS = 50

_validators: "OrderedDict[tuple, Draft202012Validator]" = OrderedDict()
_lock = threading.Lock()


def check_schema(schema: Any) -> list[dict]:
    """Problems that make ``schema`` unusable as a form (empty when it is a valid JSON Schema)."""
    if not isinstance(schema, dict):
        return [{"path": "", "message": "表单应为 JSON 对象(JSON Schema)"}]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        return [{"path": where if where != "/" else "", "message": f"不是有效的 JSON Schema:{where} 处的 {e.validator} 约束无效"}]
    return []


def validator_for(form: StoredForm, snapshot: FormSnapshot) -> Draft202012Validator:
    """A compiled validator, cached per form version and snapshot (its $refs may change)."""
    key = (form.id, form.tenant, form.name, form.version, snapshot.key)
    with _lock:
        v = _validators.get(key)
        if v is not None:
            _validators.move_to_end(key)
            return v
    registry = Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
        for uri, doc in snapshot.resources().items())
    schema = dict(form.schema)
    schema.setdefault("$id", form.uri)
    v = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    with _lock:
        _validators[key] = v
        while len(_validators) > 128:
            _validators.popitem(last=False)
    return v


def problems(form: StoredForm, snapshot: FormSnapshot, data: Any, prefix: str = "") -> list[dict]:
    """Every way ``data`` fails ``form``: ``[{"path": JSON pointer, "message": zh-CN}]``."""
    v = validator_for(form, snapshot)
    out = []
    try:
        errors = sorted(v.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    except Exception as e:  # an unresolvable $ref inside a stored form: the form is broken, not the data
        raise Invalid("form_broken", f"表单 {form.tenant}/{form.name} 无法使用:{type(e).__name__}") from None
    for e in errors[:MAX_ERRORS]:
        out.append(_describe(e, prefix))
    return out


def require_valid(form: StoredForm, snapshot: FormSnapshot, data: Any, prefix: str = "") -> None:
    """Raise :class:`Invalid` (``form_invalid``) listing every problem."""
    found = problems(form, snapshot, data, prefix)
    if found:
        raise Invalid("form_invalid", f"数据不符合表单 {form.name}(共 {len(found)} 处问题)", found)


def _pointer(parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _describe(e, prefix: str) -> dict:
    path = prefix + _pointer(e.absolute_path)
    kw = e.validator
    val = e.validator_value
    if kw == "required":
        missing = [r for r in val if isinstance(e.instance, dict) and r not in e.instance]
        name = missing[0] if missing else "?"
        return {"path": f"{path}/{name}", "message": f"缺少必填字段 {name}"}
    if kw == "type":
        types = val if isinstance(val, list) else [val]
        return {"path": path, "message": "类型不符,应为" + "或".join(TYPE_LABEL.get(t, t) for t in types)}
    if kw == "enum":
        shown = "、".join(str(x) for x in val[:20])
        return {"path": path, "message": f"取值无效,应为以下之一:{shown}"}
    if kw == "const":
        return {"path": path, "message": f"取值应为 {val}"}
    if kw == "format":
        return {"path": path, "message": f"格式不符,应为{FORMAT_LABEL.get(val, val)}"}
    if kw == "additionalProperties":
        extra = sorted(set(e.instance) - set(e.schema.get("properties", {}))) if isinstance(e.instance, dict) else []
        return {"path": path, "message": f"表单中没有字段 {'、'.join(map(str, extra))}"}
    messages = {
        "minLength": f"长度不能少于 {val} 个字符", "maxLength": f"长度不能超过 {val} 个字符",
        "minimum": f"不能小于 {val}", "maximum": f"不能大于 {val}",
        "exclusiveMinimum": f"必须大于 {val}", "exclusiveMaximum": f"必须小于 {val}",
        "minItems": f"至少需要 {val} 项", "maxItems": f"最多 {val} 项", "uniqueItems": "各项不能重复",
        "pattern": f"格式不符(应匹配 {val})", "multipleOf": f"应为 {val} 的倍数",
    }
    return {"path": path, "message": messages.get(kw, f"不符合表单约束 {kw}")}
