"""``POST /api/v1/tenants/<t>/grids/plan``: how many grids a community needs, and their sizes."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.units.grid_planner import plan
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import json_body
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import GridPlanRequestSchema, GridPlanSchema

bp = Blueprint("grids", __name__, url_prefix="/api/v1/tenants/<tenant>")


@bp.post("/grids/plan")
@operation("网格规划:给定社区户数(或社区代码),在租户的网格户数范围内给出网格个数和各网格户数", ["标准"],
           body=GridPlanRequestSchema, response=GridPlanSchema, errors=(401, 404, 409),
           description="范围取当前生效规则包中网格规模标准所用的参数(如湖南“网格户数 = 300..500 户”),也可用 min、max "
                       "假设。放不下时 fits 为 false,并给出低于下限、高于上限的最近划分或微网格等办法。只计算,不写入。")
@requires("read")
def grid_plan(tenant: str):
    body = json_body(GridPlanRequestSchema())
    return respond(GridPlanSchema(), plan(runtime(), tenant, households=body.get("households"),
                                          unit=body.get("unit"), low=body.get("min"), high=body.get("max")))
