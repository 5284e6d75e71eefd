"""Who is calling, and whether the tenant in the URL is within their reach.

Out of reach answers 404, exactly as a tenant that does not exist: a token
learns nothing about tenants it cannot see.
"""
from __future__ import annotations

from flask import request

from jiceng.platform.errors import NotFound
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import Principal
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.context import runtime


def authorize(tenant: str, permission: str) -> Principal:
    """The caller, who must reach ``tenant`` and hold ``permission`` (401, 404, 403 otherwise)."""
    return authorize_header(runtime(), request.headers.get("Authorization", ""), tenant, permission)


def authorize_header(rt: Runtime, header: str, tenant: str, permission: str) -> Principal:
    """:func:`authorize` for an ``Authorization`` header's value (the admission fast path has no
    Flask request)."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "需要身份令牌(Authorization: Bearer <token>)")
    with rt.db.read() as session:
        principal = rt.principal(session, token.strip())
        if principal is None:
            raise ApiError(401, "unauthorized", "身份令牌无效或已吊销")
        directory = rt.directory(session, need=tenant)
    if not directory.reaches(principal.tenant, tenant):
        raise NotFound("tenant_not_found", f"找不到租户 {tenant}")
    principal.require(permission)
    return principal
