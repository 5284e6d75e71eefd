"""``POST /api/v1/tenants/<t>/admission/check``."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from jiceng.platform.admission.check import CheckRequest, TokenToConfirm, check
from jiceng.platform.api.auth import confirm_caller, requires, token_digest
from jiceng.platform.api.body import load, parse_json
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import CheckRequestSchema, CheckResponseSchema

bp = Blueprint("admission", __name__, url_prefix="/api/v1/tenants/<tenant>")
REQUEST = CheckRequestSchema()


@bp.post("/admission/check")
@operation("准入检查:任务能否下派给目标单位", ["准入"], body=CheckRequestSchema, response=CheckResponseSchema,
           errors=(401, 403, 404, 409),
           description="目标单位的事实由 task.target_unit 查得;给出 target 对象则为假设检查。"
                       "除写入决定记录外没有副作用。任务不符合租户任务表单时返回 422,details 为 [{path, message}]。")
@requires("check", token_read_by_view=True)  # the token's row is read by the check's own statement
def admission_check(tenant: str):
    try:
        req = check_request_from(request.get_data(cache=True))
    except Exception:  # noqa: BLE001 - re-raised: any problem with the body (400, 413, 422)
        confirm_caller()  # a caller is told what is wrong with its body only once it is authorized
        raise
    answer = check(runtime(), TokenToConfirm(token_digest(), confirm_caller), tenant, req)
    return current_app.response_class(answer, mimetype="application/json")


def check_request_from(raw: bytes) -> CheckRequest:
    """The request body. The usual one, ``{"task": {...}}`` and nothing else, is all the schema
    would accept as it is; any other body goes through the schema (its defaults, its errors)."""
    data = parse_json(raw) if raw.strip() else {}
    if type(data) is dict and len(data) == 1 and type(data.get("task")) is dict:
        return CheckRequest(task=data["task"])
    return CheckRequest(**load(REQUEST, data))
