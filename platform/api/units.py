"""``POST /api/v1/tenants/<t>/units/import``: org units from a CSV or XLSX file (admin only)."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, request

from jiceng.platform.units.importer import MAX_FILE_BYTES, import_units
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import json_body, query_args
from jiceng.platform.api.limits import accepts
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import UnitImportBodySchema, UnitImportQuerySchema, UnitImportSchema

bp = Blueprint("units", __name__, url_prefix="/api/v1/tenants/<tenant>")
FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/octet-stream")


@bp.post("/units/import")
@operation("导入组织单位(CSV 或 XLSX,逐行检查,有一行不合格就不导入)", ["租户与单位"], query=UnitImportQuerySchema,
           response=UnitImportSchema, errors=(400, 401, 403, 404, 413, 422),
           description="请求体是文件本身(Content-Type: text/csv,或 Excel 的 application/vnd.openxmlformats-"
                       "officedocument.spreadsheetml.sheet,上限 32 MiB),或 JSON {\"csv\": 文本} / "
                       "{\"xlsx_base64\": …}(上限 1 MiB)。不合格时 422 units_import_invalid,details 为 "
                       "[{row, column, code, message, cell?}]。仅 admin。",
           extra={"requestBody": {"required": True, "content": {
               **{t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES},
               "application/json": {"schema": UnitImportBodySchema}}}})
@requires("units.import")
@accepts(*FILE_TYPES)
def import_file(tenant: str):
    args = query_args(UnitImportQuerySchema())
    data, filename = uploaded_file(args, MAX_FILE_BYTES)
    result = import_units(runtime(), tenant, data, filename, dry_run=args["dry_run"])
    return respond(UnitImportSchema(), result)


def uploaded_file(args: dict, max_bytes: int) -> tuple[bytes, str]:
    """An import request's file and its name (``?filename=``): the body itself when sent as a
    file (up to ``max_bytes``), else the JSON form ``{"csv": …}`` or ``{"xlsx_base64": …}``
    (the app's request limit). Also the department registry's import."""
    filename = args.get("filename") or ""
    if request.mimetype in FILE_TYPES:
        request.max_content_length = max_bytes
        return request.get_data(cache=False), filename
    body = json_body(UnitImportBodySchema())
    if "csv" in body:
        return body["csv"].encode("utf-8"), filename
    try:
        data = base64.b64decode(body["xlsx_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "invalid_request", "xlsx_base64 不是有效的 base64",
                       [{"path": "/xlsx_base64", "message": "不是有效的 base64"}]) from None
    return data, filename or "import.xlsx"
