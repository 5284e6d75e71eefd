"""Bearer tokens, roles and what each role may do (SPEC §1).

A token is shown once, when issued; only its SHA-256 is stored. A token of
tenant T reaches T and its descendants; ``unit`` narrows a township or
department token to one unit's subtree for assignments.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from jiceng.platform.db.models import ApiToken, OrgUnit
from jiceng.platform.errors import Forbidden, Invalid
from jiceng.platform.tenants.directory import TenantDirectory

ROLES = ("admin", "designer", "department", "township", "auditor")
ROLE_LABEL = {"admin": "省、市级管理员", "designer": "表单设计", "department": "职能部门",
              "township": "乡镇、街道", "auditor": "监督"}

#: permission -> roles holding it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),                                   # lists, units, standards, packs, forms
    "check": frozenset({"admin", "department", "township"}),    # admission checks (logged)
    "pack.write": frozenset({"admin"}),                         # drafts, publish, test, impact
    "form.write": frozenset({"admin", "designer"}),
    "form.validate": frozenset(ROLES),
    "task.write": frozenset({"admin", "department", "township"}),
    "decisions.read": frozenset({"admin", "auditor"}),          # log, replay, verify
}
PERMISSION_LABEL = {"read": "查看", "check": "准入检查", "pack.write": "管理规则包", "form.write": "编辑表单",
                    "form.validate": "校验表单数据", "task.write": "创建和下派任务", "decisions.read": "查阅决定记录"}
TOKEN_PREFIX = "jc_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's tenant, role and optional unit."""

    token_id: int
    tenant: str
    role: str
    unit: Optional[str]

    @property
    def actor(self) -> str:
        """How the decision log names the caller."""
        unit = f"/{self.unit}" if self.unit else ""
        return f"token:{self.token_id} {self.role}@{self.tenant}{unit}"

    def require(self, permission: str) -> None:
        if self.role not in PERMISSIONS[permission]:
            raise Forbidden("forbidden", f"角色 {self.role}({ROLE_LABEL[self.role]})无权{PERMISSION_LABEL[permission]}",
                            {"role": self.role, "permission": permission})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(session: Session, directory: TenantDirectory, tenant: str, role: str, unit: Optional[str] = None,
          label: str = "") -> tuple[str, ApiToken]:
    """Create a token; returns the token text (shown once) and its row."""
    if directory.get(tenant) is None:
        raise Invalid("tenant_not_found", f"租户 {tenant} 不存在(先运行 jiceng init 载入 tenants/)")
    if role not in ROLES:
        raise Invalid("role_invalid", f"角色 {role} 无效,应为 {' '.join(ROLES)} 之一")
    if unit is not None:
        row = session.get(OrgUnit, unit)
        if row is None or row.tenant_code not in directory.descendants(tenant):
            raise Invalid("unit_not_found", f"单位 {unit} 不属于租户 {tenant}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(token), tenant_code=tenant, role=role, unit_code=unit,
                   label=label, created_at=datetime.now(timezone.utc))
    session.add(row)
    session.flush()
    return token, row


_BY_HASH = (select(ApiToken.id, ApiToken.tenant_code, ApiToken.role, ApiToken.unit_code)
            .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked_at.is_(None)))


def authenticate(session: Session, token: str) -> Optional[Principal]:
    """The principal behind ``token``, or None for an unknown or revoked token."""
    row = session.connection().execute(_BY_HASH, {"h": hash_token(token)}).first()
    return Principal(row.id, row.tenant_code, row.role, row.unit_code) if row else None


def revoke_labelled(session: Session, label: str) -> int:
    """Revoke every live token carrying ``label`` (the demo tokens of `make run`)."""
    result = session.execute(update(ApiToken).where(ApiToken.label == label, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=datetime.now(timezone.utc)))
    return result.rowcount or 0
