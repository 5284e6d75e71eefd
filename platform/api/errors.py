"""The JSON error body of SPEC §7 for every error, and the handlers that produce it.

``{"error": {"code": "...", "message": "<zh-CN>", "details": ...}}`` — for
service errors, malformed requests, unknown routes, wrong methods, oversized
bodies, and (never expected) internal errors.

A person reads the errors of the pages, not a program: on any path but the API's
(``/api/``) and the health check, the same error — its status, code and message — is
answered as a zh-CN page (:func:`error_answer`). A page's own refusals (not found, no
permission, no login) are its blueprint's (:mod:`jiceng.platform.pages.access`); what is
answered here is what comes before or outside a page's view: an address that matches no
page, a wrong method, a request over a limit, too many failed logins, a database that does
not answer, an internal error.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from jiceng.platform.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

log = logging.getLogger("jiceng.platform")

STATUS_OF = {NotFound: 404, Invalid: 422, Conflict: 409, Forbidden: 403}

HTTP_MESSAGES = {
    400: ("bad_request", "请求无效"),
    401: ("unauthorized", "需要身份令牌(Authorization: Bearer <token>)"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "该地址不支持此请求方法"),
    406: ("not_acceptable", "无法提供所要求的响应格式"),
    413: ("payload_too_large", "请求体过大"),
    414: ("uri_too_long", "请求地址过长"),
    415: ("unsupported_media_type", "不支持的请求体格式,请使用 JSON"),
    429: ("too_many_requests", "请求过于频繁"),
    431: ("headers_too_large", "请求头过大"),
}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, body parsing)."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


#: paths whose errors programs read (JSON); every other path is a page or a page's asset
JSON_PREFIX = "/api/"
JSON_PATHS = frozenset({"/healthz"})
#: a page's heading for each status of an error answered here (:func:`error_answer`)
PAGE_TITLES = {404: "页面不存在", 405: "不支持此操作", 413: "提交的内容过大", 414: "地址过长",
               415: "不支持的内容格式", 429: "请求过于频繁", 431: "请求头过大", 500: "服务器内部错误",
               503: "服务暂时不可用"}
#: a page is never cached nor leaks its address to other sites
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def error_response(status: int, code: str, message: str, details=None):
    """The JSON error body of SPEC §7 with ``status``."""
    resp = jsonify({"error": {"code": code, "message": message, "details": details}})
    resp.status_code = status
    return resp


#: what a browser's form sends; a POST, PUT or PATCH of anything else (JSON, no body) comes from a program
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH")  # a body on GET or DELETE means nothing and is not read


def wants_page() -> bool:
    """Whether this request's errors are read by a person: a path of the pages (any but the API's
    and the health check), asked for by a browser — not by a program that sends something other
    than a form or asks for JSON before HTML (the console's editor calls, a script posting JSON
    or nothing to the check page)."""
    if not is_page_path(request.path):
        return False
    if request.method in BODY_METHODS and request.mimetype not in FORM_TYPES:
        return False
    return request.accept_mimetypes.best_match(("text/html", "application/json")) != "application/json"


def is_page_path(path: str) -> bool:
    """Whether ``path`` (or a route's rule) is one of the pages': any but the API's and the health check."""
    return not path.startswith(JSON_PREFIX) and path not in JSON_PATHS


def error_answer(status: int, code: str, message: str, details=None):
    """The error as the request's reader takes it: the JSON body (:func:`error_response`), or on a
    page's path a zh-CN page with the same status, message and code."""
    if not wants_page():
        return error_response(status, code, message, details)
    page = render_template("form_message.html", title=PAGE_TITLES.get(status, "无法处理该请求"),
                           message=message, code=code)
    return current_app.response_class(page, status=status, headers=PAGE_HEADERS, mimetype="text/html")


def _too_large() -> tuple[str, dict]:
    """What was too large: the body (the app's limit, or an upload route's own), else one field
    or the number of parts of an HTML form post."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        return f"请求体过大(上限 {limit} 字节)", {"limit": limit}
    field, parts = request.max_form_memory_size, request.max_form_parts
    return (f"表单内容过大(每个字段上限 {field} 字节,最多 {parts} 个部分)",
            {"limit_field": field, "limit_parts": parts})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(e: ApiError):
        resp = error_answer(e.status, e.code, e.message, e.details)
        if e.status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="jiceng"'
        return resp

    @app.errorhandler(ServiceError)
    def _service(e: ServiceError):
        status = next((s for cls, s in STATUS_OF.items() if isinstance(e, cls)), 400)
        return error_answer(status, e.code, e.message, e.details)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        code, message = HTTP_MESSAGES.get(e.code or 500, ("http_error", "请求无法处理"))
        details = None
        if e.code == 413:
            message, details = _too_large()
        if e.code == 405 and getattr(e, "valid_methods", None):
            details = {"allowed": sorted(e.valid_methods)}
        resp = error_answer(e.code or 500, code, message, details)
        if e.code == 405 and getattr(e, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(sorted(e.valid_methods))
        return resp

    @app.errorhandler(OperationalError)
    def _busy(e: OperationalError):
        log.warning("database unavailable: %s", e)
        return error_answer(503, "database_unavailable", "数据库暂时繁忙或不可用,请稍后重试")

    @app.errorhandler(Exception)
    def _internal(e: Exception):
        log.exception("internal error")
        return error_answer(500, "internal_error", "服务器内部错误,已记录,请联系管理员")
