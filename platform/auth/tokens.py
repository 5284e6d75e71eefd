"""Bearer tokens, roles and what each role may do (SPEC §1).

A token is shown once, when issued; only its SHA-256 is stored. A token of
tenant T reaches T and its descendants; ``unit`` narrows a township or
department token to acting for that one unit (:meth:`Principal.require_unit`).

:data:`PERMISSIONS` is the one table of who may do what: each route names the
permission it needs (``jiceng.platform.api.auth.requires``) and one request
hook checks it.

A service process keeps principals for a few seconds (:class:`PrincipalCache`):
a revocation (:func:`revoke`) is seen at once by the process that made it and
within the cache's lifetime by every other.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Optional

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from jiceng.platform.caching import TTLCache
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
    "notice.read": frozenset({"admin", "department", "township", "auditor"}),  # whoever checks or reads the log
    "units.import": frozenset({"admin"}),
    "departments.import": frozenset({"admin"}),
}
PERMISSION_LABEL = {"read": "查看", "check": "准入检查", "pack.write": "管理规则包", "form.write": "编辑表单",
                    "form.validate": "校验表单数据", "task.write": "创建和下派任务", "decisions.read": "查阅决定记录",
                    "notice.read": "查阅决定告知书", "units.import": "导入组织单位",
                    "departments.import": "导入职能部门名录"}
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
        """:class:`Forbidden` unless the caller's role holds ``permission`` (:data:`PERMISSIONS`)."""
        if self.role not in PERMISSIONS[permission]:
            raise Forbidden("forbidden", f"角色 {self.role}({ROLE_LABEL[self.role]})无权{PERMISSION_LABEL[permission]}",
                            {"role": self.role, "permission": permission})

    def require_unit(self, unit: Optional[str], doing: str, ancestors: Iterable[str] = ()) -> None:
        """:class:`Forbidden` when a unit-bound token acts for a unit other than its own.

        ``unit`` is the unit the caller acts for; given its ``ancestors``, a unit below the
        token's own is accepted too. ``doing`` completes the zh-CN message ("不能……").
        A token without a unit acts for any unit in its reach.
        """
        if self.unit is not None and unit != self.unit and self.unit not in ancestors:
            raise Forbidden("unit_out_of_scope", f"令牌只代表单位 {self.unit},不能{doing}",
                            {"token_unit": self.unit, "unit": unit})


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
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


def revoke(session: Session, token_id: int) -> bool:
    """Revoke the token ``token_id``; False when there is no such token or it is revoked already.
    Takes effect when ``session`` commits (see :class:`PrincipalCache`)."""
    return _revoke(session, ApiToken.id == token_id) > 0


def token_id(session: Session, token: str) -> Optional[int]:
    """The id of the token whose text is ``token`` (revoked or not), None when there is none."""
    return session.execute(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))).scalar_one_or_none()


def revoke_labelled(session: Session, label: str) -> int:
    """Revoke every live token carrying ``label`` (the demo tokens of `make run`)."""
    return _revoke(session, ApiToken.label == label)


def _revoke(session: Session, which) -> int:
    result = session.execute(update(ApiToken).where(which, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=datetime.now(timezone.utc)))
    if result.rowcount:
        # after the commit, not before: a principal read in between would be cached as valid
        event.listen(session, "after_commit", _count_revocation, once=True)
    return result.rowcount or 0


_revocations = 0
_revocations_lock = threading.Lock()


def _count_revocation(_session: Session) -> None:
    global _revocations
    with _revocations_lock:
        _revocations += 1


class PrincipalCache:
    """Principals by token, each kept ``ttl`` seconds of ``clock`` (one query per token and period,
    not per request).

    Entries are keyed by this process's revocation count as well: a revocation committed in this
    process makes every entry loaded before it unreachable at once; one made elsewhere (`jiceng
    token revoke`) is seen once the entry expires, within ``ttl`` seconds.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self._cache: TTLCache[Optional[Principal]] = TTLCache(ttl, clock=clock)

    def get(self, session: Session, token: str) -> Optional[Principal]:
        """The principal behind ``token``, or None for an unknown or revoked token."""
        return self._cache.get_or_load((_revocations, hash_token(token)), lambda: authenticate(session, token))
