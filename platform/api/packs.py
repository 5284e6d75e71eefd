"""Pack lifecycle: list, draft, read, publication (and rollback) through maker-checker proposals only, diff, test (impact: :mod:`.impact`)."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.packs import lifecycle as service
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import any_json_body, json_body, query_args
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.errors import Forbidden
from jiceng.platform.api.schemas import DiffQuerySchema, DiffResponseSchema, DraftRequestSchema, EmptySchema, PackListSchema, PackVersionSchema, ProposalDecisionSchema, ProposalListSchema, ProposalRequestSchema, ProposalSchema, TestReportSchema

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
@operation("已停用:发布与回滚一律经审核(见 proposals)", TAGS, errors=(401, 403, 404),
           description="审核制(maker-checker)下任何人都不能单独发布或回滚:本接口对每个调用者回答 "
                       "403 approval_required(请求体须是 JSON,内容一概不用),details 给出申请与批准的路径。请用 POST .../packs/{number}/proposals "
                       "申请,由另一位管理员 POST .../packs/proposals/{proposal_id}/approve 批准。")
@requires("pack.write")
def publish(tenant: str, number: int):
    any_json_body()  # malformed 400 and oversized 413 as everywhere; what it asks for is refused regardless
    base = f"/api/v1/tenants/{tenant}/packs"
    raise Forbidden("approval_required",
                    f"发布或回滚须经另一位管理员审核:请用 POST {base}/{number}/proposals 申请,"
                    f"再由另一位管理员用 POST {base}/proposals/<申请号>/approve 批准",
                    {"propose": f"{base}/{number}/proposals", "approve": f"{base}/proposals/{{proposal_id}}/approve"})


@bp.post("/<id:number>/proposals")
@operation("申请发布(或回滚到)一个版本:须由另一位管理员批准后才发布", TAGS, body=ProposalRequestSchema,
           response=ProposalSchema, status=201, errors=(401, 403, 404, 409, 422),
           description="审核制(maker-checker):申请时即按发布的要求检查此版本(编译、自带测试、下级规则包与表单),"
                       "不通过时 422;通过则记为待审核,不改变生效的版本。若当前最新发布已不是 expected_current"
                       "(默认:草稿创建时的最新发布),返回 409 stale_version;回滚即申请较早的版本,"
                       "expected_current 写当前最新发布的版本号。")
@requires("pack.write")
def propose(tenant: str, number: int):
    body = json_body(ProposalRequestSchema())
    expected = body["expected_current"] if "expected_current" in body else service.DRAFT_BASE
    return respond(ProposalSchema(), service.propose(runtime(), caller(), tenant, number, body.get("effective_from"),
                                                     body["note"], expected), 201)


@bp.get("/proposals")
@operation("发布申请(最新的在前)", TAGS, response=ProposalListSchema)
@requires("read")
def list_proposals(tenant: str):
    return respond(ProposalListSchema(), {"proposals": service.list_proposals(runtime(), tenant)})


@bp.post("/proposals/<id:proposal_id>/approve")
@operation("批准发布申请:按申请发布该版本,申请人与审核人都记录在案", TAGS, body=ProposalDecisionSchema,
           response=ProposalSchema, errors=(401, 403, 404, 409, 422),
           description="审核人须为另一位管理员(申请人本人 403 self_approval),且属于申请人所在租户或其上级"
                       "(否则 403 approver_out_of_scope)。申请已处理 409 proposal_not_pending;"
                       "申请后又有别的发布 409 stale_version。")
@requires("pack.write")
def approve(tenant: str, proposal_id: int):
    body = json_body(ProposalDecisionSchema())
    return respond(ProposalSchema(), service.approve(runtime(), caller(), tenant, proposal_id, body["note"]))


@bp.post("/proposals/<id:proposal_id>/reject")
@operation("退回发布申请(申请人本人调用即撤回)", TAGS, body=ProposalDecisionSchema, response=ProposalSchema,
           errors=(401, 403, 404, 409))
@requires("pack.write")
def reject(tenant: str, proposal_id: int):
    body = json_body(ProposalDecisionSchema())
    return respond(ProposalSchema(), service.reject(runtime(), caller(), tenant, proposal_id, body["note"]))


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

