"""``GET /api/v1/tenants/<t>/standards/<name>``: a standard over the tenant's units."""
from __future__ import annotations

from flask import Blueprint

from ..services.standards import evaluate
from .auth import authorize
from .body import query_args
from .openapi import operation
from .respond import respond
from .runtime import runtime
from .schemas import StandardQuerySchema, StandardsResponseSchema

bp = Blueprint("standards", __name__, url_prefix="/api/v1/tenants/<tenant>")
QUERY, RESPONSE = StandardQuerySchema(), StandardsResponseSchema()


@bp.get("/standards/<name>")
@operation("标准在本租户各单位上的评价结果", ["标准"], query=StandardQuerySchema, response=StandardsResponseSchema,
           errors=(401, 404, 409, 422),
           description="用当前生效规则包中的标准逐个评价本租户的单位(descendants=true 时含下级租户的单位)。")
def standard(tenant: str, name: str):
    authorize(tenant, "read")
    args = query_args(QUERY)
    return respond(RESPONSE, evaluate(runtime(), tenant, name, descendants=args["descendants"]))
