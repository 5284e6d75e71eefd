"""The decision log: list, read, replay, verify; and its signed checkpoints (``/api/v1/checkpoints``)."""
from __future__ import annotations

from flask import Blueprint, current_app

from jiceng.platform.decisions import log as decision_log
from jiceng.platform.decisions import checkpoint as checkpoints
from jiceng.platform.decisions import replay as replay_service
from jiceng.platform.errors import Forbidden
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body, query_args
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.fields import Dict, Int, List, Nested, Str, ZhSchema, int_range
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import (DecisionListSchema, DecisionQuerySchema, DecisionSchema, EmptySchema, ReplaySchema,
                                        VerifySchema)

bp = Blueprint("decisions", __name__, url_prefix="/api/v1/tenants/<tenant>/decisions")
TAGS = ["决定记录"]


def _scope(tenant: str) -> list[str]:
    """A tenant's log is its own chain: decisions made by the packs at its units."""
    return [tenant]


@bp.get("")
@operation("决定记录(新的在前)", TAGS, query=DecisionQuerySchema, response=DecisionListSchema,
           errors=(401, 403, 404, 422))
@requires("decisions.read")
def list_decisions(tenant: str):
    q = query_args(DecisionQuerySchema())
    with runtime().db.read() as session:
        rows = decision_log.listing(session, _scope(tenant), limit=q["limit"], before=q.get("before"),
                                    outcome=q.get("outcome"), kind=q.get("kind"))
        out = [decision_log.to_dict(r) for r in rows]
    return respond(DecisionListSchema(), {"decisions": out,
                                          "next_before": out[-1]["id"] if len(out) == q["limit"] else None})


@bp.get("/verify")
@operation("校验本租户决定记录的哈希链(发现被修改或删除的记录)", TAGS, response=VerifySchema, errors=(401, 403, 404))
@requires("decisions.read")
def verify(tenant: str):
    with runtime().db.read() as session:
        reports = decision_log.verify(session, _scope(tenant))
    return respond(VerifySchema(), {"ok": all(not r.problems for r in reports),
                                    "chains": [r.to_dict() for r in reports]})


@bp.get("/<id:decision_id>")
@operation("一条决定记录", TAGS, response=DecisionSchema, errors=(401, 403, 404))
@requires("decisions.read")
def read_decision(tenant: str, decision_id: int):
    with runtime().db.read() as session:
        return respond(DecisionSchema(), decision_log.to_dict(decision_log.get(session, _scope(tenant), decision_id)))


@bp.get("/<id:decision_id>/replay")
@operation("用记录的规则包版本重算一条决定,与原结论并列", TAGS, response=ReplaySchema, errors=(401, 403, 404, 422))
@requires("decisions.read")
def replay(tenant: str, decision_id: int):
    return respond(ReplaySchema(), replay_service.replay(runtime(), _scope(tenant), decision_id))



# ---------------------------------------------------------------------- checkpoints
checkpoints_bp = Blueprint("checkpoints", __name__, url_prefix="/api/v1/checkpoints")
CHECKPOINT_TAGS = ["决定记录检查点"]
_UNAVAILABLE = {"503": {"description": "服务未配置可用的签名密钥(JICENG_CHECKPOINT_KEY)",
                        "content": {"application/json": {"schema": "Error"}}}}


class CheckpointDocumentSchema(ZhSchema):
    checkpoint = Dict(required=True, metadata={
        "description": "签名的内容:{format, issued_at, key_id, tenants: [{tenant, size, head}]}"})
    signature = Str(required=True, metadata={"description": "checkpoint 的规范 JSON(UTF-8)的 Ed25519 签名,base64"})


class StoredCheckpointSchema(ZhSchema):
    id = Int(required=True)
    created_by = Str(required=True)
    document = Nested(CheckpointDocumentSchema, required=True)


class CheckpointListSchema(ZhSchema):
    checkpoints = List(Nested(StoredCheckpointSchema), required=True)


class CheckpointQuerySchema(ZhSchema):
    limit = Int(load_default=20, validate=int_range(1, 200))


class PublicKeySchema(ZhSchema):
    key_id = Str(required=True)
    public_key = Str(required=True, metadata={"description": "PEM(SubjectPublicKeyInfo)"})


def _root_caller() -> str:
    """The caller's actor name, if its tenant is a root of the tenant tree: a checkpoint covers every
    tenant's chain, so only the nation's (the root's) admin or auditor may make or read one."""
    principal = caller()
    with runtime().db.read() as session:
        directory = runtime().directory(session, need=principal.tenant)
    if directory.get(principal.tenant) is None or directory.parent_of(principal.tenant) is not None:
        raise Forbidden("checkpoint_root_only", "检查点覆盖所有租户的决定记录,只有根租户(全国)的令牌可以签发或查阅",
                        {"tenant": principal.tenant})
    return principal.actor


def _signing_key():
    try:
        return checkpoints.load_signing_key(current_app.config.get("CHECKPOINT_KEY"))
    except checkpoints.KeyUnavailable as e:
        raise ApiError(503, e.code, e.message) from None


@checkpoints_bp.post("")
@operation("签发检查点:校验全部记录链,签名每个租户的记录条数和链尾哈希(根租户的 admin、auditor)", CHECKPOINT_TAGS,
           body=EmptySchema, response=CheckpointDocumentSchema, status=201, errors=(401, 403, 409),
           extra={"responses": _UNAVAILABLE},
           description="答复就是检查点文件,请另行保存;`jiceng decisions verify --checkpoint 文件` 用它核对记录链。"
                       "记录链校验有问题时不签发,409 `log_broken`。")
@requires("decisions.read")
def create_checkpoint():
    json_body(EmptySchema())  # no body, or an empty object: what every write endpoint refuses, this one does
    actor = _root_caller()
    _id, doc = checkpoints.make_checkpoint(runtime().db, _signing_key(), actor)
    return respond(CheckpointDocumentSchema(), doc, 201)


@checkpoints_bp.get("")
@operation("数据库中保存的检查点副本(新的在前;仅为方便,核对时请用另行保存的文件)", CHECKPOINT_TAGS,
           query=CheckpointQuerySchema, response=CheckpointListSchema, errors=(401, 403))
@requires("decisions.read")
def list_checkpoints():
    _root_caller()
    q = query_args(CheckpointQuerySchema())
    with runtime().db.read() as session:
        return respond(CheckpointListSchema(), {"checkpoints": checkpoints.stored(session, q["limit"])})


@checkpoints_bp.get("/public-key")
@operation("签发检查点所用密钥的公钥", CHECKPOINT_TAGS, response=PublicKeySchema, errors=(401, 403),
           extra={"responses": _UNAVAILABLE})
@requires("decisions.read")
def public_key():
    _root_caller()
    key = _signing_key().public_key()
    return respond(PublicKeySchema(), {"key_id": checkpoints.key_id(key), "public_key": checkpoints.public_pem(key)})
