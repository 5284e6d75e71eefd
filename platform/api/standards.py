"""Standards over a tenant's units: the list, one standard's results (paged, with totals up the
tree), and the printable HTML report."""
from __future__ import annotations

from flask import Blueprint, current_app

from jiceng.dsl import clock
from jiceng.platform.units.standards import evaluate, run_standards
from jiceng.platform.units.standards_report import render
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import query_args
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import StandardListSchema, StandardQuerySchema, StandardReportQuerySchema, StandardsResponseSchema

bp = Blueprint("standards", __name__, url_prefix="/api/v1/tenants/<tenant>")
QUERY, RESPONSE, REPORT = StandardQuerySchema(), StandardsResponseSchema(), StandardReportQuerySchema()
TAGS = ["标准"]


def _split(text):
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


@bp.get("/standards")
@operation("规则包中的标准(可按单位评价的要求)", TAGS, response=StandardListSchema, errors=(401, 404, 409))
@requires("read")
def standard_list(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, clock.today()).pack
    items = [{"name": s.name, "title": s.title, "levels": list(s.levels), "declared_in": s.pack,
              "exports": sorted(s.exports)} for s in pack.checked.standards]
    return respond(StandardListSchema(), {"tenant": tenant, "standards": items, "pack": {
        "tenant": pack.tenant, "version": pack.version, "digest": pack.digest}})


@bp.get("/standards/<name>")
@operation("标准在本租户各单位上的评价结果", TAGS, query=StandardQuerySchema, response=StandardsResponseSchema,
           errors=(401, 404, 409, 422),
           description="用当前生效规则包中的标准逐个评价本租户的单位(descendants=true 时含下级租户的单位,各按本租户的"
                       "规则包)。summary、sums、totals 针对范围(level、under、tenant)内的单位;results 按 status 筛选、"
                       "按 order 排序后分页(offset、limit,page.next_offset 为下一页)。")
@requires("read")
def standard(tenant: str, name: str):
    args = query_args(QUERY)
    return respond(RESPONSE, evaluate(
        runtime(), tenant, name, descendants=args["descendants"], status=_split(args.get("status")),
        level=args.get("level"), under=args.get("under"), unit_tenant=args.get("tenant"), order=args.get("order"),
        offset=args["offset"], limit=args["limit"], totals=_split(args.get("totals")) or ()))


@bp.get("/standards/<name>/report")
@operation("标准评价报告(可打印的 HTML,含按街道、县区汇总的图表)", TAGS, query=StandardReportQuerySchema,
           errors=(401, 404, 409, 422),
           extra={"responses": {"200": {"description": "HTML 报告(zh-CN,不引用外部资源)",
                                        "content": {"text/html": {"schema": {"type": "string"}}}}}})
@requires("read")
def standard_report(tenant: str, name: str):
    args = query_args(REPORT)
    rt = runtime()
    runs = run_standards(rt, tenant, [name], descendants=args["descendants"])
    with rt.db.read() as session:
        tenant_name = rt.directory(session).get(tenant).name
    html = render(rt, runs, tenant_name, under=args.get("under"))
    return current_app.response_class(html, mimetype="text/html")
