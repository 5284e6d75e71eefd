"""Token management for admins: ``GET .../tokens``, ``POST .../tokens`` (issue, the token shown
once), ``POST .../tokens/<id>/revoke``.

The tokens in reach are those of the tenant in the URL and its descendants; a token outside
them answers 404 like one that does not exist. A revocation is refused by every process from
the next request on (:func:`~jiceng.platform.auth.tokens.authenticate` reads the row each time).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app

from jiceng.platform.auth import tokens
from jiceng.platform.config import token_days
from jiceng.platform.db.models import ApiToken
from jiceng.platform.errors import NotFound
from jiceng.platform.api.auth import requires
from jiceng.platform.api.body import json_body
from jiceng.platform.api.context import runtime
from jiceng.platform.api.fields import Date, Int, List, Nested, Str, ZhSchema, int_range, length, one_of
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond

bp = Blueprint("tokens", __name__, url_prefix="/api/v1/tenants/<tenant>/tokens")
TAGS = ["身份令牌"]


class TokenSchema(ZhSchema):
    id = Int(required=True, metadata={"description": "令牌编号(jiceng token revoke 用它)"})
    tenant = Str(required=True)
    role = Str(required=True)
    unit = Str(allow_none=True, metadata={"description": "令牌代表的单位(null:不限单位)"})
    label = Str(required=True)
    issued_at = Str(required=True, metadata={"description": "签发时间(ISO 8601,UTC)"})
    expires_at = Str(required=True, metadata={"description": "到期时间(ISO 8601,UTC)"})
    revoked_at = Str(allow_none=True, metadata={"description": "吊销时间(null:未吊销)"})


class IssuedTokenSchema(TokenSchema):
    token = Str(required=True, metadata={"description": "令牌本身:只在这一次响应中出现,库里只存其哈希"})


class TokenListSchema(ZhSchema):
    tenant = Str(required=True)
    tokens = List(Nested(TokenSchema), required=True)


class IssueBodySchema(ZhSchema):
    role = Str(required=True, validate=one_of(tokens.ROLES))
    unit = Str(allow_none=True, validate=length(1, 32), metadata={"description": "令牌代表的单位代码(可选)"})
    label = Str(load_default="", validate=length(0, 200))
    expires = Date(metadata={"description": "截止日期(含当天,北京时间);与 days 二选一"})
    days = Int(validate=int_range(1, tokens.MAX_DAYS),
               metadata={"description": "有效天数;都不给时为服务配置的 JICENG_TOKEN_DAYS(默认 90)"})


class RevokeBodySchema(ZhSchema):
    """Nothing to say: the body is empty or ``{}`` (read anyway, so that a malformed one is 400)."""


@bp.get("")
@operation("可及范围内的身份令牌(本租户及下级租户;不含令牌本身)", TAGS, response=TokenListSchema)
@requires("tokens.manage")
def list_tokens(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        rows = tokens.listing(session, rt.directory(session).descendants(tenant))
    return respond(TokenListSchema(), {"tenant": tenant, "tokens": rows})


@bp.post("")
@operation("签发令牌(令牌只在响应中显示这一次)", TAGS, body=IssueBodySchema, response=IssuedTokenSchema,
           status=201, errors=(400, 401, 404, 422))
@requires("tokens.manage")
def issue_token(tenant: str):
    body = json_body(IssueBodySchema())
    rt = runtime()
    now = datetime.now(timezone.utc)
    expires_at = tokens.expiry(now, body.get("days"), body.get("expires"), token_days(current_app.config))
    with rt.db.write() as session:
        text, row = tokens.issue(session, rt.directory(session), tenant, body["role"], body.get("unit"),
                                 body["label"], expires_at)
        issued = {**tokens.describe(row), "token": text}
    return respond(IssuedTokenSchema(), issued, status=201)


@bp.post("/<id:token_id>/revoke")
@operation("吊销令牌(各服务进程从下一个请求起拒绝它;已吊销的令牌原样返回)", TAGS, body=RevokeBodySchema,
           response=TokenSchema, errors=(400, 401, 404, 422))
@requires("tokens.manage")
def revoke_token(tenant: str, token_id: int):
    json_body(RevokeBodySchema())
    rt = runtime()
    with rt.db.write() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.tenant_code not in rt.directory(session).descendants(tenant):
            raise NotFound("token_not_found", f"找不到令牌 #{token_id}")
        tokens.revoke(session, token_id)
        session.refresh(row)
        return respond(TokenSchema(), tokens.describe(row))
