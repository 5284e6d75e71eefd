"""The app's own limits on a request, answered with the JSON error body before any view runs.

* the URL (path and query string, as sent) is at most :data:`MAX_URL_BYTES` → 414 ``uri_too_long``;
* the header fields are at most :data:`MAX_HEADER_FIELDS` and :data:`MAX_HEADER_BYTES`
  (names plus values) → 431 ``headers_too_large``;
* a POST, PUT or PATCH body under ``/api/`` is JSON (``Content-Type: application/json``) unless the view
  declares other types with :func:`accepts` (the CSV/XLSX imports) → 415 ``unsupported_media_type``;
* bodies: ``MAX_CONTENT_LENGTH`` (config, 413), and for multipart form posts ``MAX_FORM_MEMORY_SIZE``
  per field and ``MAX_FORM_PARTS`` (set here; the pages' forms are far smaller) → 413.

The HTTP server in front answers some over-long requests itself, before the app sees them,
and not as JSON. The bounds here are below the server's so that the app's JSON answer comes
first: gunicorn's ``limit_request_line`` and ``limit_request_field_size`` are set above them
in :mod:`jiceng.platform.serving.gunicorn_conf` (docs/api.md lists what remains the server's).
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, current_app, request

from jiceng.platform.api.errors import BODY_METHODS, ApiError

MAX_URL_BYTES = 4096
MAX_HEADER_FIELDS = 64
MAX_HEADER_BYTES = 16 * 1024
MAX_FORM_MEMORY_SIZE = 256 * 1024  # one form field's text (the pages' longest field is a textarea)
MAX_FORM_PARTS = 500
JSON = "application/json"


def accepts(*mimetypes: str) -> Callable:
    """Declare the body types a view takes besides JSON (its OpenAPI ``requestBody`` lists them)."""
    def attach(view):
        view.body_types = frozenset((JSON, *mimetypes))
        return view
    return attach


def install(app: Flask) -> None:
    """Set the form limits and run :func:`check_request` before every other request hook."""
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_FORM_MEMORY_SIZE
    app.config["MAX_FORM_PARTS"] = MAX_FORM_PARTS
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


def check_request() -> None:
    """Refuse a request over the URL or header bounds, or with a body type its route does not take."""
    environ = request.environ
    sent = environ.get("RAW_URI") or environ.get("REQUEST_URI")  # gunicorn, Werkzeug: as on the wire
    url_bytes = len(sent) if sent else len(request.full_path.encode("utf-8"))
    if url_bytes > MAX_URL_BYTES:
        raise ApiError(414, "uri_too_long", f"请求地址过长(上限 {MAX_URL_BYTES} 字节,本次 {url_bytes} 字节)",
                       {"limit": MAX_URL_BYTES, "size": url_bytes})
    fields = header_bytes = 0
    for key, value in environ.items():  # WSGI keeps the header fields as HTTP_* (and two without)
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            fields += 1
            header_bytes += len(key) + (len(value) if isinstance(value, str) else 0)
    if fields > MAX_HEADER_FIELDS or header_bytes > MAX_HEADER_BYTES:
        raise ApiError(431, "headers_too_large",
                       f"请求头过大(最多 {MAX_HEADER_FIELDS} 个字段、共 {MAX_HEADER_BYTES} 字节)",
                       {"limit_fields": MAX_HEADER_FIELDS, "limit_bytes": MAX_HEADER_BYTES,
                        "fields": fields, "bytes": header_bytes})
    if (request.method in BODY_METHODS and request.url_rule is not None and request.path.startswith("/api/")
            and _has_body(environ)):
        view = current_app.view_functions.get(request.endpoint)
        allowed = getattr(view, "body_types", (JSON,))
        if request.mimetype not in allowed:
            raise ApiError(415, "unsupported_media_type",
                           f"不支持的请求体格式 {request.mimetype or '(未写 Content-Type)'},"
                           f"请使用 {'、'.join(sorted(allowed))}(Content-Type 请求头)",
                           {"content_type": request.mimetype or None, "accepted": sorted(allowed)})


def _has_body(environ: dict) -> bool:
    length = environ.get("CONTENT_LENGTH")
    return bool(length and length.strip() not in ("", "0")) or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "")
