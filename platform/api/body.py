"""Reading request bodies and query strings strictly.

JSON is parsed with limits (depth, no NaN/Infinity, no lone surrogates or NUL
characters — they cannot be stored) and then loaded through a marshmallow
schema; every problem becomes a 400/422 with JSON-pointer paths, never a 500.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from jiceng.platform.api.errors import ApiError

MAX_DEPTH = 64
_INTEGER = re.compile(r"-?[0-9]{1,12}")


def _no_constant(name: str):
    raise ValueError(f"不支持 {name}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"数值 {text} 超出范围")
    return value


def parse_json(raw: bytes) -> Any:
    """Strictly parsed JSON; :class:`ApiError` 400 ``invalid_json`` otherwise."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "请求体不是 UTF-8 编码的 JSON") from None
    except json.JSONDecodeError as e:
        raise ApiError(400, "invalid_json", f"请求体不是有效的 JSON:第 {e.lineno} 行第 {e.colno} 列",
                       {"line": e.lineno, "column": e.colno}) from None
    except (ValueError, RecursionError) as e:
        raise ApiError(400, "invalid_json", f"请求体不是有效的 JSON:{e if isinstance(e, ValueError) else '嵌套过深'}") from None
    _check_value(value)
    return value


def _check_value(value: Any) -> None:
    """Depth and text limits, iteratively (no recursion on hostile input)."""
    stack = [(value, 1, "")]
    while stack:
        v, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "invalid_json", f"JSON 嵌套超过 {MAX_DEPTH} 层", {"path": path})
        if isinstance(v, str):
            _check_text(v, path)
        elif isinstance(v, dict):
            for k, x in v.items():
                _check_text(k, path)
                stack.append((x, depth + 1, f"{path}/{k}"))
        elif isinstance(v, list):
            stack.extend((x, depth + 1, f"{path}/{i}") for i, x in enumerate(v))


def _check_text(s: str, path: str) -> None:
    if "\x00" in s:
        raise ApiError(400, "invalid_json", "文本中不能含有 NUL 字符(\\u0000)", {"path": path})
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "invalid_json", "文本中含有不成对的 UTF-16 代理字符", {"path": path}) from None


def any_json_body() -> Any:
    """The request's JSON body, whatever it holds (an empty body is ``{}``): malformed JSON and
    oversized bodies are refused as on every route, for a route that reads nothing of its body."""
    raw = request.get_data(cache=True)
    return parse_json(raw) if raw.strip() else {}


def json_body(schema: Schema) -> dict:
    """The request's JSON body loaded through ``schema`` (an empty body is ``{}``)."""
    raw = request.get_data(cache=True)
    data = parse_json(raw) if raw.strip() else {}
    return load(schema, data, prefix="")


def query_args(schema: Schema) -> dict:
    """The query string loaded through ``schema`` (numbers and booleans converted first)."""
    data: dict[str, Any] = {}
    for key, value in request.args.items():
        field = schema.fields.get(key)
        data[key] = _convert_query(field, value)
    return load(schema, data, prefix="?")


def _convert_query(field, value: str):
    from jiceng.platform.api.fields import Bool, Int
    if isinstance(field, Int):
        # ASCII digits only: int() also reads "１０" and "1_0", which no client means as a number
        return int(value) if _INTEGER.fullmatch(value) else value
    if isinstance(field, Bool):
        return {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
    return value


def load(schema: Schema, data: Any, prefix: str = "") -> dict:
    """``schema.load(data)``; 422 ``invalid_request`` lists every problem with its path.

    ``prefix`` is ``"?"`` for query strings (paths read ``?limit``), else ``""`` (JSON pointers).
    """
    try:
        return schema.load(data)
    except ValidationError as e:
        details = flatten(e.messages)
        if prefix == "?":
            details = [{"path": "?" + d["path"].lstrip("/"), "message": d["message"]} for d in details]
        raise ApiError(422, "invalid_request", f"请求内容不符合要求(共 {len(details)} 处问题)", details) from None


def flatten(messages: Any, path: str = "") -> list[dict]:
    """marshmallow's nested messages -> ``[{"path": JSON pointer, "message"}]``."""
    if isinstance(messages, dict):
        out = []
        for key, sub in messages.items():
            out += flatten(sub, path if key == "_schema" else f"{path}/{key}")
        return out
    if isinstance(messages, list):
        out = []
        for m in messages:
            out += flatten(m, path) if isinstance(m, (dict, list)) else [{"path": path, "message": str(m)}]
        return out
    return [{"path": path, "message": str(messages)}]
