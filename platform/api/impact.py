"""Impact of a pack version on logged decisions: a job the admin starts, polls, cancels; its
summary and every change (paged, or CSV) kept with the version (:mod:`jiceng.platform.impact`)."""
from __future__ import annotations

from flask import Blueprint, Response, stream_with_context

from jiceng.platform.impact import jobs as service
from jiceng.platform.impact.window import MAX_EXAMPLES, MAX_RULES, MAX_UNITS, window
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body, query_args
from jiceng.platform.api.fields import Bool, Date, Dict, Int, List, Nested, Str, ZhSchema, int_range, length
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import EmptySchema

bp = Blueprint("impact", __name__, url_prefix="/api/v1/tenants/<tenant>/packs/<id:number>/impact")
TAGS = ["规则包"]


class ImpactRequestSchema(ZhSchema):
    from_ = Date(data_key="from", allow_none=True, metadata={"description": "只重放这一天及以后判定的决定"})
    to = Date(allow_none=True, metadata={"description": "只重放这一天及以前判定的决定"})
    units = List(Str(validate=length(1, 32)), allow_none=True, validate=length(0, MAX_UNITS),
                 metadata={"description": "只重放接收单位是这些单位或其下级的决定"})
    rules = List(Str(validate=length(1, 200)), allow_none=True, validate=length(0, MAX_RULES),
                 metadata={"description": "只统计这些规则之一在重放前或后触发的决定"})
    examples = Int(load_default=10, validate=int_range(0, MAX_EXAMPLES), metadata={"description": "每种变化给几个例子"})


class ProgressSchema(ZhSchema):
    done = Int(required=True, metadata={"description": "已读的决定记录条数"})
    total = Int(required=True, metadata={"description": "要读的决定记录条数(任务开始时的记录)"})


class JobSchema(ZhSchema):
    id = Int(required=True)
    tenant = Str(required=True)
    number = Int(required=True)
    status = Str(required=True, metadata={"description": "queued | running | done | failed | cancelled"})
    window = Dict(required=True)
    progress = Nested(ProgressSchema, required=True)
    cancel_requested = Bool(required=True)
    created_by = Str(required=True)
    created_at = Str(required=True)
    finished_at = Str(allow_none=True)
    summary = Dict(allow_none=True, metadata={"description": "完成后的汇总:considered、replayed、changed、unchanged、"
                                                          "unaffected、rules_changed、errors、by_change、by_rule、"
                                                          "by_month、by_unit、examples 等"})
    error = Dict(allow_none=True, metadata={"description": "失败时:{code, message}"})


class JobListSchema(ZhSchema):
    tenant = Str(required=True)
    number = Int(required=True)
    jobs = List(Nested(JobSchema), required=True)


class ChangesQuerySchema(ZhSchema):
    after = Int(allow_none=True, metadata={"description": "从这条决定记录之后开始(上一页的 next_after)"})
    limit = Int(load_default=100, validate=int_range(1, service.MAX_PAGE))
    outcome_only = Bool(load_default=False, metadata={"description": "只列结论改变的(不列仅触发规则改变的)"})


class ChangesSchema(ZhSchema):
    changes = List(Dict(), required=True)
    next_after = Int(allow_none=True)


def _window(body: dict):
    return window(body.get("from_"), body.get("to"), body.get("units"), body.get("rules"), body["examples"])


@bp.post("")
@operation("开始影响评估:用此版本重放范围内的全部决定记录(后台任务)", TAGS, body=ImpactRequestSchema,
           response=JobSchema, status=202, errors=(401, 403, 404, 409, 422),
           description="重放本租户及下级租户在范围内(日期、单位、规则)的全部决定记录,以此版本替换记录中本租户的版本,"
                       "其余版本和表单按记录。立即回答 202 和任务;用 GET .../impact/<任务>/ 查看进度和结果。"
                       "同一租户同时只能有一个任务在运行(409 impact_job_running)。")
@requires("pack.write")
def start(tenant: str, number: int):
    body = json_body(ImpactRequestSchema())
    return respond(JobSchema(), service.start(runtime(), caller(), tenant, number, _window(body)), 202)


@bp.get("")
@operation("此版本保留的影响评估任务(新的在前)", TAGS, response=JobListSchema, errors=(401, 403, 404))
@requires("pack.write")
def list_jobs(tenant: str, number: int):
    return respond(JobListSchema(), service.listing(runtime(), caller(), tenant, number))


@bp.get("/<id:job_id>")
@operation("一个影响评估任务:状态、进度,完成后的汇总", TAGS, response=JobSchema, errors=(401, 403, 404))
@requires("pack.write")
def read_job(tenant: str, number: int, job_id: int):
    return respond(JobSchema(), service.read(runtime(), caller(), tenant, number, job_id))


@bp.post("/<id:job_id>/cancel")
@operation("取消影响评估任务(当前一段读完后停止)", TAGS, body=EmptySchema, response=JobSchema,
           errors=(401, 403, 404, 409))
@requires("pack.write")
def cancel(tenant: str, number: int, job_id: int):
    json_body(EmptySchema())
    return respond(JobSchema(), service.cancel(runtime(), caller(), tenant, number, job_id))


@bp.get("/<id:job_id>/changes")
@operation("完成的任务找到的全部变化,按决定记录编号分页", TAGS, query=ChangesQuerySchema, response=ChangesSchema,
           errors=(401, 403, 404, 409, 422))
@requires("pack.write")
def changes(tenant: str, number: int, job_id: int):
    q = query_args(ChangesQuerySchema())
    return respond(ChangesSchema(), service.changes(runtime(), caller(), tenant, number, job_id, q.get("after"),
                                                    q["limit"], q["outcome_only"]))


@bp.get("/<id:job_id>/changes.csv")
@operation("完成的任务找到的全部变化(CSV,UTF-8 带 BOM)", TAGS, errors=(401, 403, 404, 409),
           extra={"responses": {"200": {"description": "每个变化一行",
                                        "content": {"text/csv": {"schema": {"type": "string"}}}}}})
@requires("pack.write")
def changes_csv(tenant: str, number: int, job_id: int):
    lines = service.csv_lines(runtime(), caller(), tenant, number, job_id)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="impact-{tenant}-{number}-{job_id}.csv"'})
