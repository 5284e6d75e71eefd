"""OpenAPI 3 generated from the views' declared schemas (apispec + its marshmallow plugin).

Each view states what it takes and returns with :func:`operation`; the spec
walks the URL map, so a route without a declaration is a visible omission
(``tests/platform/test_openapi.py`` checks that none exists). Whether an
operation needs a bearer token, and may answer 403, follows from the
permission the view declares (:mod:`.auth`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from jiceng.platform.api.auth import access_of
from jiceng.platform.api.errors import BODY_METHODS, is_page_path
from jiceng.platform.api.schemas import ErrorSchema
from jiceng.platform.auth.tokens import PERMISSIONS, ROLES

API_VERSION = "1.0.0"
ERROR_STATUSES = {400: "请求体不是有效的 JSON", 401: "缺少或无效的令牌", 403: "角色无此权限",
                  404: "资源不存在或不在令牌可及范围内", 405: "不支持的请求方法", 409: "状态冲突",
                  413: "请求体过大", 414: "请求地址过长", 415: "请求体不是 JSON(或该接口接受的文件格式)",
                  422: "请求内容、查询参数或任务不符合要求", 429: "同一地址认证失败过多,请稍后再试",
                  431: "请求头过大"}


#: how an HTML page (``jiceng.platform.pages.access.page``) refuses: a zh-CN page (see ``PROGRAMS_READ_JSON``)
PAGE_REFUSALS = {"303": {"description": "未登录或令牌已失效:转到登录页"},
                 "403": {"description": "角色无此权限,或表单已过期(CSRF)", "content": {"text/html": {}}},
                 "404": {"description": "租户或资源不存在,或不在可及范围内", "content": {"text/html": {}}},
                 "422": {"description": "无法处理该请求", "content": {"text/html": {}}}}
#: on a page's path, what a program gets as JSON whatever the page says (``errors.error_answer``): a 404
#: for an address that names nothing, a 422 for a POST that is not a form
PROGRAMS_READ_JSON = ("404", "422")
#: every operation can answer these (the app's own limits, :mod:`.limits`)
ALWAYS = (414, 431)
#: path converters whose values are integers (``<int:…>``, and ``<id:…>`` of app.py)
INTEGER_CONVERTERS = ("int", "id")


@dataclass
class Operation:
    summary: str
    tags: list[str]
    response: Optional[type[Schema]] = None
    body: Optional[type[Schema]] = None
    query: Optional[type[Schema]] = None
    status: int = 200
    description: str = ""
    errors: tuple[int, ...] = (401, 404)
    extra: dict = field(default_factory=dict)


def operation(summary: str, tags: list[str], **kw):
    """Declare what a view takes and returns (for the generated OpenAPI)."""
    def attach(view):
        view.openapi = Operation(summary, tags, **kw)
        return view
    return attach


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def build_spec(app: Flask) -> dict:
    """The OpenAPI document of every declared route of ``app``."""
    spec = APISpec(title="jiceng 基层治理规则平台 API", version=API_VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "社区工作事项准入检查、规则包管理、任务下派与决定记录。所有 4xx 响应体为 "
                                        "{\"error\": {\"code\", \"message\", \"details\"}}。"})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Optional[Operation] = getattr(view, "openapi", None)
        if op is None:
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer" if conv in INTEGER_CONVERTERS else "string"}}
                  for conv, name in _PARAM.findall(rule.rule)]
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        doc = {"summary": op.summary, "tags": op.tags, "parameters": params, "responses": {
            str(op.status): {"description": "成功", **({"content": {"application/json": {"schema": op.response}}}
                                                    if op.response else {})}}}
        if op.description:
            doc["description"] = op.description
        if op.body is not None:
            # an empty body reads as {}: required only when the schema has a required field
            required = any(f.required for f in op.body().fields.values())
            doc["requestBody"] = {"required": required, "content": {"application/json": {"schema": op.body}}}
        access = access_of(app, rule.endpoint)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            permission = access.permission_for(method)
            errors = set(op.errors) | set(ALWAYS)
            if op.body is not None or "requestBody" in op.extra:
                errors |= {400, 413, 422}
            if method in BODY_METHODS and rule.rule.startswith("/api/"):  # any body but JSON (.limits)
                errors.add(415)
            if op.query is not None:  # a query parameter that is not of its type, or unknown
                errors.add(422)
            # pages' own refusals are HTML (PAGE_REFUSALS, below)
            if permission is not None and not access.token_in_page and PERMISSIONS[permission] != set(ROLES):
                errors.add(403)
            if permission is not None or access.token_in_page:  # routes with a login (auth.needs_no_login):
                errors.add(429)  # an address with too many failed logins is refused there
            d = {**doc, "responses": dict(doc["responses"])}
            # on a page's path a browser reads the error as a page, a program as JSON (errors.error_answer)
            page = is_page_path(rule.rule)
            for status in sorted(errors):
                content = {"application/json": {"schema": "Error"}} | ({"text/html": {}} if page else {})
                d["responses"][str(status)] = {"description": ERROR_STATUSES.get(status, "错误"), "content": content}
            if permission is not None:
                d["x-permission"] = {"permission": permission, "roles": sorted(PERMISSIONS[permission])}
                if not access.token_in_page:
                    d["security"] = [{"bearer": []}]
            if getattr(view, "refusals", None) is not None:  # a page (pages.access.page) refuses as a page
                d["responses"].update(PAGE_REFUSALS)
            d.update({k: v for k, v in op.extra.items() if k != "responses"})
            d["responses"].update(op.extra.get("responses", {}))  # e.g. a page's HTML, next to the errors
            for status in PROGRAMS_READ_JSON if page else ():
                answer = d["responses"].get(status)
                if answer is not None and "content" in answer:
                    d["responses"][status] = {**answer, "content": {**answer["content"],
                                                                    "application/json": {"schema": "Error"}}}
            operations[method.lower()] = d
        spec.path(path=path, operations=operations)
    return spec.to_dict()
