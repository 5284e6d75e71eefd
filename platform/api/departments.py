"""The department registry (职能部门名录): ``GET .../departments``, ``GET .../departments/<code>``,
``POST .../departments/import`` (admin; a CSV or XLSX file, like the org-unit import)."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.departments.importer import import_departments
from jiceng.platform.departments.registry import KINDS, LIST_LIMIT, MAX_LIST_LIMIT, get_department, list_departments
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import query_args
from jiceng.platform.api.context import runtime
from jiceng.platform.api.limits import accepts
from jiceng.platform.api.fields import Bool, Dict, Int, List, Nested, Str, ZhSchema, int_range, length, one_of
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.schemas import UnitImportBodySchema, UnitImportQuerySchema
from jiceng.platform.api.units import FILE_TYPES, uploaded_file

bp = Blueprint("departments", __name__, url_prefix="/api/v1/tenants/<tenant>")
#: a registry is far smaller than a province's units: 50,000 rows of a few hundred bytes
MAX_FILE_BYTES = 16 * 1024 * 1024
TAGS = ["职能部门名录"]


class DepartmentSchema(ZhSchema):
    tenant = Str(required=True)
    code = Str(required=True, metadata={"description": "部门代码(本租户内唯一)"})
    name = Str(required=True, metadata={"description": "部门名称,如“区民政局”"})
    unit = Str(required=True, metadata={"description": "所属单位的 12 位区划代码"})
    unit_name = Str(allow_none=True, metadata={"description": "所属单位名称(单位已不在组织单位数据中时为 null)"})
    kind = Str(required=True, metadata={"description": "functional 职能部门;government 党委政府(统一部署的主体)"})
    kind_label = Str(required=True)
    items = List(Str(), required=True, metadata={"description": "权责清单:清单事项代码"})
    categories = List(Str(), required=True, metadata={"description": "权责清单:事项类别"})


class DepartmentListQuerySchema(ZhSchema):
    unit = Str(validate=length(1, 32), metadata={"description": "只列出隶属于该单位的部门"})
    kind = Str(validate=one_of(KINDS), metadata={"description": "只列出该类别的部门"})
    limit = Int(load_default=LIST_LIMIT, validate=int_range(1, MAX_LIST_LIMIT),
                metadata={"description": f"每页部门数(默认 {LIST_LIMIT},最多 {MAX_LIST_LIMIT})"})
    offset = Int(load_default=0, validate=int_range(0, 2**31 - 1))


class DepartmentPageSchema(ZhSchema):
    limit = Int(required=True)
    offset = Int(required=True)
    next_offset = Int(allow_none=True, metadata={"description": "下一页的 offset,没有下一页时为 null"})


class DepartmentListSchema(ZhSchema):
    tenant = Str(required=True)
    total = Int(required=True, metadata={"description": "符合条件的部门总数"})
    page = Nested(DepartmentPageSchema, required=True)
    departments = List(Nested(DepartmentSchema), required=True)


class DepartmentImportSchema(ZhSchema):
    tenant = Str(required=True)
    format = Str(required=True)
    rows = Int(required=True)
    created = Int(required=True)
    updated = Int(required=True)
    unchanged = Int(required=True)
    removed = Int(required=True, metadata={"description": "删去的部门数(接口导入总是 0:文件中没有的部门保持不动)"})
    departments = Int(required=True, metadata={"description": "导入后本租户的部门总数"})
    dry_run = Bool(required=True)
    ignored_columns = List(Str(), required=True, metadata={"description": "文件中平台不认识、已忽略的列"})
    items_checked_against = Dict(allow_none=True, metadata={
        "description": "清单事项代码是按哪个规则包(pack、version)的清单核对的;没有生效的规则包时为 null,未核对"})


LIST, ONE, IMPORTED = DepartmentListSchema(), DepartmentSchema(), DepartmentImportSchema()


@bp.get("/departments")
@operation("租户的职能部门名录", TAGS, query=DepartmentListQuerySchema, response=DepartmentListSchema,
           errors=(401, 404, 422))
@requires("read")
def departments(tenant: str):
    args = query_args(DepartmentListQuerySchema())
    with runtime().db.read() as session:
        total, page = list_departments(session, tenant, unit=args.get("unit"), kind=args.get("kind"),
                                       limit=args["limit"], offset=args["offset"])
    end = args["offset"] + len(page)
    return respond(LIST, {"tenant": tenant, "total": total,
                          "page": {"limit": args["limit"], "offset": args["offset"],
                                   "next_offset": end if end < total else None},
                          "departments": [d.to_dict() for d in page]})


@bp.get("/departments/<code>")
@operation("一个部门:所属单位、类别和权责清单", TAGS, response=DepartmentSchema)
@requires("read")
def department(tenant: str, code: str):
    with runtime().db.read() as session:
        return respond(ONE, get_department(session, tenant, code).to_dict())


@bp.post("/departments/import")
@operation("导入职能部门名录(CSV 或 XLSX,逐行检查,有一行不合格就不导入)", TAGS, query=UnitImportQuerySchema,
           response=DepartmentImportSchema, errors=(400, 401, 403, 404, 413, 422),
           description="请求体是文件本身(Content-Type: text/csv,或 Excel 的 application/vnd.openxmlformats-"
                       "officedocument.spreadsheetml.sheet,上限 16 MiB),或 JSON {\"csv\": 文本} / "
                       "{\"xlsx_base64\": …}(上限 1 MiB)。按部门代码新增或更新,文件中没有的部门保持不动。"
                       "不合格时 422 departments_import_invalid,details 为 [{row, column, code, message, cell?}]。"
                       "仅 admin。",
           extra={"requestBody": {"required": True, "content": {
               **{t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES},
               "application/json": {"schema": UnitImportBodySchema}}}})
@requires("departments.import")
@accepts(*FILE_TYPES)
def import_file(tenant: str):
    args = query_args(UnitImportQuerySchema())
    data, filename = uploaded_file(args, MAX_FILE_BYTES)
    return respond(IMPORTED, import_departments(runtime(), tenant, data, filename, dry_run=args["dry_run"]))
