"""The decision log: list, read, replay, verify."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.decisions import log as decision_log
from jiceng.platform.decisions import replay as replay_service
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import query_args
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import DecisionListSchema, DecisionQuerySchema, DecisionSchema, ReplaySchema, VerifySchema

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
