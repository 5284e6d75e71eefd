"""Bearer tokens, roles and what each role may do (SPEC §1, §7).

A token is shown once, when issued; only its SHA-256 is stored. A token of
tenant T reaches T and its descendants; ``unit`` narrows a township or
department token to acting for that one unit (:meth:`Principal.require_unit`).
Every token expires (:func:`expiry`; ``JICENG_TOKEN_DAYS`` days by default).

:data:`PERMISSIONS` is the one table of who may do what: each route names the
permission it needs (``jiceng.platform.api.auth.requires``) and one request
hook checks it.

Every request reads its token's row (:func:`authenticate`, one indexed
lookup; the admission check reads it within its own state statement through
:data:`TOKEN_COLUMNS`), so a revocation or an expiry is seen by the very next
request in every process: a cache of principals would save that lookup only to
answer with a revoked token for as long as it kept it.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional, Sequence, Union

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from jiceng.dsl import clock
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
    # SPEC §1: a department files a task and requests its assignment downward; a township checks and
    # passes what it holds on to its communities (and supplies what they require), from its inbox
    "task.create": frozenset({"admin", "department"}),                # file a task on the tenant's form
    "task.assign": frozenset({"admin", "department", "township"}),    # assign, forward, supply evidence
    "inbox.read": frozenset({"admin", "township"}),                   # tasks assigned to one's units
    "decisions.read": frozenset({"admin", "auditor"}),          # log, replay, verify
    "notice.read": frozenset({"admin", "department", "township", "auditor"}),  # whoever checks or reads the log
    "units.import": frozenset({"admin"}),
    "departments.import": frozenset({"admin"}),
    "tokens.manage": frozenset({"admin"}),                      # list, issue and revoke tokens in reach
    "tenants.manage": frozenset({"admin"}),                     # create tenants below one's own, rename them
}
PERMISSION_LABEL = {"read": "查看", "check": "准入检查", "pack.write": "管理规则包", "form.write": "编辑表单",
                    "form.validate": "校验表单数据", "task.create": "创建任务",
                    "task.assign": "下派任务和补充条件", "inbox.read": "查看收件箱", "decisions.read": "查阅决定记录",
                    "notice.read": "查阅决定告知书", "units.import": "导入组织单位",
                    "departments.import": "导入职能部门名录", "tokens.manage": "管理身份令牌",
                    "tenants.manage": "建立和修改下级租户"}
TOKEN_PREFIX = "jc_"
#: how long a token lives unless told otherwise (``JICENG_TOKEN_DAYS`` overrides it)
DEFAULT_DAYS = 90
#: the longest a token may be issued for: ten years, far beyond any sensible rotation
MAX_DAYS = 3650


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


#: why a token does not authenticate: "invalid" (unknown or revoked — not told apart, so that a
#: stolen, revoked token teaches nothing) or "expired"
Refusal = str


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive ones, which were stored in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def expiry(now: datetime, days: Optional[int] = None, until: Optional[date] = None,
           default_days: int = DEFAULT_DAYS) -> datetime:
    """When a token issued at ``now`` expires: through the day ``until`` (China Standard Time),
    else after ``days`` days, else after ``default_days``. :class:`Invalid` for a date not after
    today, or a number of days outside 1..:data:`MAX_DAYS`."""
    if until is not None and days is not None:
        raise Invalid("expiry_invalid", "有效期只能指定截止日期或天数之一")
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time(), clock.CHINA)  # it works through that day in China
        if end <= now or end - now > timedelta(days=MAX_DAYS + 1):
            raise Invalid("expiry_invalid", f"截止日期 {until.isoformat()} 应在今天之后,且不超过 {MAX_DAYS} 天")
        return end.astimezone(timezone.utc)
    n = default_days if days is None else days
    if not 1 <= n <= MAX_DAYS:
        raise Invalid("expiry_invalid", f"有效天数 {n} 无效,应为 1 到 {MAX_DAYS}")
    return now + timedelta(days=n)


def issue(session: Session, directory: TenantDirectory, tenant: str, role: str, unit: Optional[str] = None,
          label: str = "", expires_at: Optional[datetime] = None) -> tuple[str, ApiToken]:
    """Create a token expiring at ``expires_at`` (default: :data:`DEFAULT_DAYS` from now);
    returns the token text (shown once) and its row."""
    if directory.get(tenant) is None:
        raise Invalid("tenant_not_found", f"租户 {tenant} 不存在(先运行 jiceng init 载入 tenants/)")
    if role not in ROLES:
        raise Invalid("role_invalid", f"角色 {role} 无效,应为 {' '.join(ROLES)} 之一")
    if unit is not None:
        row = session.get(OrgUnit, unit) if isinstance(unit, str) and len(unit) <= 32 else None
        if row is None or row.tenant_code not in directory.descendants(tenant):
            raise Invalid("unit_not_found", f"单位 {unit} 不属于租户 {tenant}")
    now = datetime.now(timezone.utc)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(token), tenant_code=tenant, role=role, unit_code=unit,
                   label=label, created_at=now, expires_at=expires_at or expiry(now))
    session.add(row)
    session.flush()
    return token, row


_BY_HASH = (select(ApiToken.id, ApiToken.tenant_code, ApiToken.role, ApiToken.unit_code, ApiToken.expires_at)
            .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked_at.is_(None)))
#: the same lookup as columns another statement can carry (all NULL for an unknown or revoked
#: token), in :func:`principal_from`'s order: a view whose own query reads the database anyway
#: authenticates its caller in that same round trip (the admission check)
TOKEN_COLUMNS = tuple(select(column).where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked_at.is_(None))
                      .scalar_subquery() for column in _BY_HASH.selected_columns)


def authenticate(conn: Connection, digest: str, now: Optional[datetime] = None) -> Union[Principal, Refusal]:
    """The principal behind the token whose :func:`hash_token` is ``digest``, or why there is none
    (:data:`Refusal`): one indexed lookup, made on every request."""
    return principal_from(conn.execute(_BY_HASH, {"h": digest}).first(), now)


def principal_from(row: Optional[Sequence], now: Optional[datetime] = None) -> Union[Principal, Refusal]:
    """The principal a token row read through :data:`_BY_HASH` or :data:`TOKEN_COLUMNS` stands for
    (id, tenant, role, unit, expiry; None or an id of None: no live token), or why there is none."""
    if row is None or row[0] is None:
        return "invalid"
    token_id, tenant, role, unit, expires_at = row
    if utc(expires_at) <= (now or datetime.now(timezone.utc)):
        return "expired"
    return Principal(token_id, tenant, role, unit)


def revoke(session: Session, token_id: int) -> bool:
    """Revoke the token ``token_id``; False when there is no such token or it is revoked already.
    Every process refuses it from the next request on, once ``session`` commits."""
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
    return result.rowcount or 0


def listing(session: Session, tenants: Optional[Iterable[str]] = None) -> list[dict]:
    """Every token of ``tenants`` (all when None), oldest first, as :func:`describe` tells it."""
    query = select(ApiToken).order_by(ApiToken.id)
    if tenants is not None:
        query = query.where(ApiToken.tenant_code.in_(list(tenants)))
    return [describe(row) for row in session.execute(query).scalars()]


def describe(row: ApiToken) -> dict:
    """What may be shown of a token: never the token, nor its hash."""
    def moment(value: Optional[datetime]) -> Optional[str]:
        return utc(value).isoformat(timespec="seconds") if value is not None else None
    return {"id": row.id, "tenant": row.tenant_code, "role": row.role, "unit": row.unit_code, "label": row.label,
            "issued_at": moment(row.created_at), "expires_at": moment(row.expires_at),
            "revoked_at": moment(row.revoked_at)}
