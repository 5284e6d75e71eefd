"""zh-CN messages for JSON Schema errors, built from the keyword and its parameters.

Never the validator library's English text: every message here is made from
the keyword that failed, the keyword's value in the schema (the limit, the
allowed values …) and, where it helps, the field's label. The same table
serves data errors (``validate``) and errors of a schema against the
metaschema (``PUT``), so both read alike.
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional

TYPE_LABEL = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "真假值", "object": "对象",
              "array": "数组", "null": "空值"}
FORMAT_LABEL = {"date": "日期(YYYY-MM-DD)", "date-time": "日期时间(如 2024-06-01T09:00:00+08:00)",
                "time": "时间(如 09:00:00+08:00)", "email": "电子邮箱", "uri": "网址(URI)",
                "uri-reference": "网址引用", "ipv4": "IPv4 地址", "ipv6": "IPv6 地址", "uuid": "UUID",
                "hostname": "主机名", "regex": "正则表达式", "duration": "时长(如 P3D)",
                "json-pointer": "JSON 指针"}
MAX_SHOWN = 20
MAX_VALUE = 50  # characters of a refused value quoted back


def shown(value: Any) -> str:
    """A value as a user reads it: text without JSON quotes, everything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def choices(values, labels: Optional[dict] = None) -> str:
    """``a(甲)、b(乙)…`` for enum values, with their labels when the form gives them."""
    labels = labels or {}
    out = [f"{shown(v)}({labels[v]})" if isinstance(v, str) and v in labels else shown(v)
           for v in list(values)[:MAX_SHOWN]]
    more = "…" if len(values) > MAX_SHOWN else ""
    return "、".join(out) + more


def message(keyword: str, value: Any, instance: Any = None, *, bound: Optional[str] = None,
            enum_labels: Optional[dict] = None, label: Optional[str] = None, hint: Optional[str] = None) -> str:
    """The zh-CN message for ``keyword`` failing with schema value ``value``.

    ``bound`` names where a limit came from (a pack param bound with ``x-param``); for
    ``pattern``, ``hint`` is the field's ``x-pattern-hint`` and ``label`` its ``x-label``.
    """
    suffix = f"({bound})" if bound else ""
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return "类型不符,应为" + "或".join(TYPE_LABEL.get(t, str(t)) for t in types)
    if keyword == "required":
        return f"缺少必填字段 {value}"
    if keyword == "enum":
        return f"取值无效,应为以下之一:{choices(value, enum_labels)}"
    if keyword == "const":
        return f"取值应为 {shown(value)}{suffix}"
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return f"表单中没有字段 {value}"
    if keyword == "format":
        return f"格式不符,应为{FORMAT_LABEL.get(value, value)}"
    if keyword == "pattern":  # never the regular expression itself: clerks do not read them
        if hint:
            return f"格式不符:{hint}"
        described = pattern_hint(value)
        return f"格式不符,{described}" if described else f"{label or ''}格式不正确"
    if keyword == "uniqueItems":
        return "各项不能重复"
    if keyword == "falseSchema":
        return "此处不允许填写"
    if keyword in _TEMPLATES:
        return _TEMPLATES[keyword].format(v=shown(value), i=shown(instance)) + suffix
    return f"不符合表单约束 {keyword}"


def vocabulary(value: str, name: str, options: list[tuple[str, Optional[str]]]) -> str:
    """An ``x-vocabulary`` value the tenant's vocabulary ``name`` does not know, with the
    spellings it might have meant: ``(spelling, what it means or None)``."""
    written = value if len(value) <= MAX_VALUE else value[:MAX_VALUE] + "…"
    text = f"取值 {written} 不在词表 {name} 中"
    if not options:
        return f"{text}(可用的取值见本租户清单中的词表 {name})"
    shown_options = "、".join(f"{s}({meaning})" if meaning else s for s, meaning in options)
    return f"{text};您是不是要写 {shown_options}?"


#: one character of a pattern made only of digits: a digit, ``[0-9]``, ``\\d`` or a range like ``[3-9]``,
#: with an optional ``{n}`` count; groups and alternatives are not read
_DIGIT_STEP = re.compile(r"(?P<literal>[0-9])|(?P<any>\[0-9\]|\\d)(?:\{(?P<n>[0-9]{1,3})\})?|\[(?P<lo>[0-9])-(?P<hi>[0-9])\]")


def pattern_hint(pattern: Any) -> Optional[str]:
    """What a value matching ``pattern`` looks like, in zh-CN, for the patterns a form uses for
    codes and numbers (``^[0-9]{15}$`` → 应为 15 位数字; ``^1[3-9][0-9]{9}$`` → 应为以 1 开头的
    11 位数字; ``^[0-9]{12}([0-9]{3})?$`` → 应为 12 位或 15 位数字; ``^[0-9]+$`` → 应只由数字组成);
    None for any other pattern (a form states those with ``x-pattern-hint``)."""
    if not isinstance(pattern, str):
        return None
    if pattern in ("^[0-9]+$", r"^\d+$"):
        return "应只由数字组成"
    m = re.fullmatch(r"\^(.*?)(?:\((.*)\)\?)?\$", pattern)
    if m is None:
        return None
    first = _digits(m.group(1))
    if first is None:
        return None
    length, prefix = first
    lead = f"应为以 {prefix} 开头的" if prefix else "应为"
    if m.group(2) is None:
        return f"{lead} {length} 位数字"
    optional = _digits(m.group(2))
    if optional is None:
        return None
    return f"{lead} {length} 位或 {length + optional[0]} 位数字"


def _digits(text: str) -> Optional[tuple[int, str]]:
    """(how many digits, the literal digits it starts with) when ``text`` is digits only."""
    length, prefix, pos, leading = 0, "", 0, True
    while pos < len(text):
        m = _DIGIT_STEP.match(text, pos)
        if m is None:
            return None
        if m.group("literal") and leading:
            prefix += m.group("literal")
        else:
            leading = False
        length += int(m.group("n") or 1)
        pos = m.end()
    return (length, prefix) if length else None


_TEMPLATES = {
    "minimum": "不能小于 {v}", "maximum": "不能大于 {v}",
    "exclusiveMinimum": "必须大于 {v}", "exclusiveMaximum": "必须小于 {v}",
    "multipleOf": "应为 {v} 的倍数",
    "minLength": "长度不能少于 {v} 个字", "maxLength": "长度不能超过 {v} 个字",
    "minItems": "至少需要 {v} 项", "maxItems": "最多 {v} 项",
    "minProperties": "至少需要填写 {v} 个字段", "maxProperties": "最多填写 {v} 个字段",
    "contains": "至少应有一项符合要求", "minContains": "符合要求的项至少 {v} 个",
    "maxContains": "符合要求的项最多 {v} 个",
    "not": "取值不允许", "anyOf": "不符合任何一种允许的写法", "oneOf": "应恰好符合一种允许的写法",
    "propertyNames": "字段名不符合要求", "dependentRequired": "缺少相关联的必填字段",
    "contentEncoding": "编码不符", "contentMediaType": "内容格式不符",
}

