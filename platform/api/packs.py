"""Pack lifecycle: list, draft, read, publish (rollback), diff, test (impact: :mod:`.impact`)."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.packs import lifecycle as service
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body, query_args
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import DiffQuerySchema, DiffResponseSchema, DraftRequestSchema, EmptySchema, PackListSchema, PackVersionSchema, PublishRequestSchema, PublishResponseSchema, TestReportSchema

bp = Blueprint("packs", __name__, url_prefix="/api/v1/tenants/<tenant>/packs")
TAGS = ["规则包"]


@bp.get("")
@operation("规则包的全部版本", TAGS, response=PackListSchema)
@requires("read")
def list_packs(tenant: str):
    return respond(PackListSchema(), service.list_versions(runtime(), tenant))


@bp.post("")
@operation("上传草稿(编译不通过时 422,details 为全部诊断 {file, line, column, code, message})", TAGS,
           body=DraftRequestSchema, response=PackVersionSchema, status=201, errors=(401, 403, 404))
@requires("pack.write")
def create_draft(tenant: str):
    files = json_body(DraftRequestSchema())["files"]
    return respond(PackVersionSchema(), service.create_draft(runtime(), caller(), tenant, files), 201)


@bp.get("/<id:number>")
@operation("一个版本及其源文件", TAGS, response=PackVersionSchema)
@requires("read")
def read_version(tenant: str, number: int):
    return respond(PackVersionSchema(), service.read_version(runtime(), tenant, number))


@bp.post("/<id:number>/publish")
@operation("发布(或回滚到)一个版本", TAGS, body=PublishRequestSchema, response=PublishResponseSchema,
           errors=(401, 403, 404, 409, 422),
           description="原子发布。若当前最新发布已不是 expected_current(默认:草稿创建时的最新发布),返回 409 stale_version。"
                       "重新发布较早的版本即回滚。规则包自带的测试有不通过的,返回 422 pack_tests_failed,"
                       "details 逐个列出 {test, message, file, line};继承与租户登记不符等编译错误返回 422 pack_invalid。")
@requires("pack.write")
def publish(tenant: str, number: int):
    body = json_body(PublishRequestSchema())
    kw = {"expected_current": body["expected_current"]} if "expected_current" in body else {}
    return respond(PublishResponseSchema(), service.publish(runtime(), caller(), tenant, number,
                                                            body.get("effective_from"), **kw))


@bp.get("/<id:number>/diff")
@operation("与另一版本的语义差异(清单事项、参数、规则、标准)", TAGS, query=DiffQuerySchema,
           response=DiffResponseSchema, errors=(401, 404, 422))
@requires("read")
def diff(tenant: str, number: int):
    against = query_args(DiffQuerySchema()).get("against")
    return respond(DiffResponseSchema(), service.diff(runtime(), tenant, number, against))


@bp.post("/<id:number>/test")
@operation("运行规则包自带的测试", TAGS, body=EmptySchema, response=TestReportSchema, errors=(401, 403, 404, 422))
@requires("pack.write")
def run_tests(tenant: str, number: int):
    json_body(EmptySchema())
    return respond(TestReportSchema(), service.run_tests(runtime(), caller(), tenant, number))

