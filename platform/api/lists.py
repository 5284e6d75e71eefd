"""清单 spreadsheets: ``GET .../lists/export`` (XLSX or CSV) and ``POST .../lists/import`` (into a draft)."""
from __future__ import annotations

from urllib.parse import quote as url_quote

from flask import Blueprint, current_app

from jiceng.platform.lists.exchange import FORMATS, export_lists, import_lists
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import query_args
from jiceng.platform.api.context import runtime
from jiceng.platform.api.fields import Bool, Dict, Int, List, Nested, Str, ZhSchema, int_range, length, one_of
from jiceng.platform.api.limits import accepts
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.schemas import PackVersionSchema, UnitImportBodySchema
from jiceng.platform.api.units import FILE_TYPES, uploaded_file

bp = Blueprint("lists", __name__, url_prefix="/api/v1/tenants/<tenant>/lists")
TAGS = ["清单表格"]
#: a province's 清单 run to hundreds of rows, not hundreds of thousands
MAX_FILE_BYTES = 8 * 1024 * 1024


class ExportQuerySchema(ZhSchema):
    format = Str(load_default="xlsx", validate=one_of(tuple(FORMATS)), metadata={"description": "xlsx(默认)或 csv"})
    version = Int(validate=int_range(1, 2**31 - 1),
                  metadata={"description": "导出本租户规则包某一版(如草稿)的清单;默认:今天生效的清单"})


class ImportQuerySchema(ZhSchema):
    dry_run = Bool(load_default=False, metadata={"description": "只检查并列出会有的变化,不建草稿"})
    filename = Str(validate=length(1, 200), metadata={"description": "文件名(用于判断 .xlsx;也可由内容识别)"})
    base = Int(validate=int_range(1, 2**31 - 1), metadata={"description": "在哪一版之上建草稿;默认:最新的一版"})


class ListChangeSchema(ZhSchema):
    list = Str(required=True)
    added = List(Str(), required=True, metadata={"description": "本租户新增的事项代码"})
    removed = List(Str(), required=True, metadata={"description": "本租户删去的事项代码(表中没有了)"})
    changed = List(Str(), required=True, metadata={"description": "改动了名称、依据、部门、层级、条件或备注的事项"})
    unchanged = Int(required=True)
    inherited = Int(required=True, metadata={"description": "清单中继承自上级的事项数"})


class ListImportSchema(ZhSchema):
    tenant = Str(required=True)
    format = Str(required=True)
    rows = Int(required=True)
    base_number = Int(required=True, metadata={"description": "草稿所基于的版本"})
    inherited_rows = Int(required=True, metadata={"description": "表中标明来自上级、与上级相同、因而不写入的行数"})
    lists = List(Nested(ListChangeSchema), required=True)
    dry_run = Bool(required=True)
    ignored_columns = List(Str(), required=True)
    version = Nested(PackVersionSchema, allow_none=True, metadata={"description": "新建的草稿(试运行时为 null)"})
    files = Dict(keys=Str(), values=Str(), metadata={"description": "试运行:会改动的规则文件的全文"})


@bp.get("/export")
@operation("导出清单表格(XLSX 或 CSV):每个事项带依据,继承的事项标明来源规则包", TAGS, query=ExportQuerySchema,
           errors=(401, 404, 409, 422),
           extra={"responses": {"200": {"description": "清单表格文件", "content": {
               t: {"schema": {"type": "string", "format": "binary"}} for t in FORMATS.values()}}}})
@requires("read")
def export(tenant: str):
    args = query_args(ExportQuerySchema())
    data, name, mimetype = export_lists(runtime(), tenant, args["format"], args.get("version"))
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{url_quote(name)}"
    return response


@bp.post("/import")
@operation("从清单表格(XLSX 或 CSV)建规则包草稿:逐行检查,有一处不合格就不建", TAGS, query=ImportQuerySchema,
           response=ListImportSchema, status=200, errors=(400, 401, 403, 404, 409, 413, 422),
           description="列:序号、事项名称、事项类别(清单名或简称)、依据、责任部门、适用层级(社区/村)、备注;"
                       "可选:事项代码、须具备的条件、其他属性、来源规则包。请求体是文件本身(text/csv 或 .xlsx,"
                       "上限 8 MiB),或 JSON {\"csv\": 文本} / {\"xlsx_base64\": …}。不合格时 422 lists_import_invalid,"
                       "details 为 [{row, column, code, message, cell?}]。仅 admin。",
           extra={"requestBody": {"required": True, "content": {
               **{t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES},
               "application/json": {"schema": UnitImportBodySchema}}}})
@requires("pack.write")
@accepts(*FILE_TYPES)
def import_file(tenant: str):
    args = query_args(ImportQuerySchema())
    data, filename = uploaded_file(args, MAX_FILE_BYTES)
    result = import_lists(runtime(), caller(), tenant, data, filename, dry_run=args["dry_run"], base=args.get("base"))
    return respond(ListImportSchema(), result)
