"""Pack lifecycle: drafts, publication (with effective dates and rollback),
semantic diff and the pack's own tests (the impact of a draft on past decisions: :mod:`jiceng.platform.impact`).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.platform.db.models import PackHead, PackVersion, Publication
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.forms.impact import check_publication
from jiceng.platform.packs.diff import semantic_diff
from jiceng.platform.packs.versions import ResolvedPack, files_digest, get_version, in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import Principal

MAX_FILES = 50
FILE_NAME = re.compile(r"^(?:[\w\u4e00-\u9fff.-]+/)*[\w\u4e00-\u9fff.-]+\.jc$")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------- reading
def version_dict(v: PackVersion, publications: list[Publication], in_force_number: Optional[int],
                 with_files: bool = False) -> dict:
    out = {"tenant": v.tenant_code, "number": v.number, "declared_version": v.declared_version,
           "extends": v.extends, "status": "published" if publications else "draft",
           "in_force": v.number == in_force_number, "base_number": v.base_number, "origin": v.origin,
           "files_digest": v.files_digest, "created_by": v.created_by, "created_at": v.created_at.isoformat(),
           "publications": [{"id": p.id, "effective_from": p.effective_from.isoformat(),
                             "published_by": p.published_by, "published_at": p.published_at.isoformat()}
                            for p in publications]}
    if with_files:
        out["files"] = dict(v.files)
    return out


def list_versions(rt: Runtime, tenant: str) -> dict:
    with rt.db.read() as session:
        force = in_force(session, date.today())
        current = force.versions.get(tenant, (None, None, None))[1]
        versions = session.execute(select(PackVersion).where(PackVersion.tenant_code == tenant)
                                   .order_by(PackVersion.number)).scalars().all()
        pubs = _publications(session, tenant)
        return {"tenant": tenant, "in_force": current,
                "versions": [version_dict(v, pubs.get(v.id, []), current) for v in versions]}


def read_version(rt: Runtime, tenant: str, number: int) -> dict:
    with rt.db.read() as session:
        v = get_version(session, tenant, number)
        current = in_force(session, date.today()).versions.get(tenant, (None, None, None))[1]
        return version_dict(v, _publications(session, tenant).get(v.id, []), current, with_files=True)


def _publications(session: Session, tenant: str) -> dict[int, list[Publication]]:
    out: dict[int, list[Publication]] = {}
    for p in session.execute(select(Publication).where(Publication.tenant_code == tenant)
                             .order_by(Publication.id)).scalars():
        out.setdefault(p.version_id, []).append(p)
    return out


# ---------------------------------------------------------------------- drafts
def check_files(files) -> dict[str, str]:
    """A draft's files: ``{"name.jc": text}``, relative names, within limits."""
    problems = []
    if not isinstance(files, dict) or not files:
        raise Invalid("files_invalid", "files 应为非空对象:{文件名: 规则文本}",
                      [{"path": "/files", "message": "应为非空对象"}])
    if len(files) > MAX_FILES:
        problems.append({"path": "/files", "message": f"最多 {MAX_FILES} 个文件"})
    for name, text in files.items():
        if not FILE_NAME.match(name) or ".." in name.split("/"):
            problems.append({"path": f"/files/{name}", "message": "文件名应为相对路径并以 .jc 结尾"})
        elif not isinstance(text, str):
            problems.append({"path": f"/files/{name}", "message": "文件内容应为字符串"})
    if problems:
        raise Invalid("files_invalid", "规则文件无效", problems)
    return dict(files)


def lock_head(session: Session, tenant: str) -> PackHead:
    """The pack's head row, locked until commit (created on first use)."""
    head = session.execute(select(PackHead).where(PackHead.tenant_code == tenant).with_for_update()
                           ).scalar_one_or_none()
    if head is None:
        head = PackHead(tenant_code=tenant, last_number=0, latest_publication_id=None)
        session.add(head)
        session.flush()
    return head


def _latest_published_number(session: Session, head: PackHead) -> Optional[int]:
    if head.latest_publication_id is None:
        return None
    return session.execute(select(PackVersion.number).join(Publication, Publication.version_id == PackVersion.id)
                           .where(Publication.id == head.latest_publication_id)).scalar_one()


def store_version(session: Session, tenant: str, files: dict, resolved: ResolvedPack, origin: str,
                  actor: str) -> PackVersion:
    """Number and store a version that compiled as ``resolved`` (the pack's head stays locked)."""
    head = lock_head(session, tenant)
    chain = resolved.pack.chain
    v = PackVersion(tenant_code=tenant, number=head.last_number + 1, declared_version=resolved.pack.version,
                    extends=chain[-2]["tenant"] if len(chain) > 1 else None, files=files,
                    files_digest=files_digest(files), base_number=_latest_published_number(session, head),
                    origin=origin, created_by=actor, created_at=_now())
    head.last_number = v.number
    session.add(v)
    session.flush()
    return v


def create_draft(rt: Runtime, principal: Principal, tenant: str, files) -> dict:
    """Compile ``files`` as the tenant's pack over the ancestors in force today; store it as a draft.

    422 ``pack_invalid`` lists every diagnostic (file, line, column, code, message).
    """
    principal.require("pack.write")
    files = check_files(files)
    with rt.db.write() as session:
        resolved = rt.compiler.resolve(session, tenant, in_force(session, date.today()), rt.forms(session),
                                       draft=files)
        v = store_version(session, tenant, files, resolved, "api", principal.actor)
        out = version_dict(v, [], None)
        out["warnings"] = [_warning(d) for d in resolved.pack.warnings]
        out["digest"] = resolved.pack.digest
        return out


def _warning(d) -> dict:
    x = d.to_dict()
    return {k: x[k] for k in ("file", "line", "column", "code", "message")}


# ---------------------------------------------------------------------- publishing
_UNSET = object()


def publish(rt: Runtime, principal: Principal, tenant: str, number: int, effective_from: Optional[date] = None,
            expected_current=_UNSET) -> dict:
    """Make version ``number`` effective from ``effective_from`` (default today).

    Guarded: the latest publication must still be ``expected_current`` (by
    default the version the draft was based on), else 409 ``stale_version`` —
    two admins publishing at once cannot silently overwrite each other.
    Republishing an earlier version is a rollback.
    """
    principal.require("pack.write")
    effective_from = effective_from or date.today()
    with rt.db.write() as session:
        head = lock_head(session, tenant)
        v = get_version(session, tenant, number)
        current = _latest_published_number(session, head)
        expected = v.base_number if expected_current is _UNSET else expected_current
        if current != expected:
            raise Conflict("stale_version",
                           f"发布冲突:当前最新发布的是第 {current} 版,而本次发布基于第 {expected} 版;"
                           "请查看差异后以 expected_current 指明当前版本再发布",
                           {"current": current, "expected": expected})
        pub = publish_version(session, rt, head, v, effective_from, principal.actor)
        return {"tenant": tenant, "number": v.number, "publication_id": pub.id,
                "effective_from": effective_from.isoformat(), "previous": current,
                "rollback": bool(_publications(session, tenant).get(v.id, [])[:-1])}


def publish_version(session: Session, rt: Runtime, head: PackHead, v: PackVersion, effective_from: date,
                    actor: str) -> Publication:
    """Publish ``v`` (its head locked): it must compile over the ancestors in force on ``effective_from``
    and pass its own tests there (422 ``pack_tests_failed`` naming each failing test)."""
    force = in_force(session, effective_from).replaced(v.tenant_code, v)
    require_passing_tests(rt.compiler.resolve(session, v.tenant_code, force, rt.forms(session)).pack)
    check_publication(session, rt, v.tenant_code, force)  # descendants' packs and the forms' param bindings
    pub = Publication(tenant_code=v.tenant_code, version_id=v.id, effective_from=effective_from,
                      published_by=actor, published_at=_now())
    session.add(pub)
    session.flush()
    head.latest_publication_id = pub.id
    return pub


def require_passing_tests(pack) -> None:
    """:class:`Invalid` ``pack_tests_failed`` unless every ``test`` the pack itself declares passes:
    a published pack decides for real, and its tests are its author's statement of what it must decide."""
    failed = [r for r in pack.run_tests().results if not r.passed]
    if failed:
        raise Invalid("pack_tests_failed",
                      f"规则包 {pack.tenant} 自带的测试有 {len(failed)} 个未通过,不能发布:"
                      + "、".join(r.name for r in failed),
                      [{"test": r.name, "message": ";".join(r.failures) or "未通过", "file": r.file, "line": r.line}
                       for r in failed])


# ---------------------------------------------------------------------- diff, test
def _compiled(session: Session, rt: Runtime, tenant: str, number: int, on: date) -> ResolvedPack:
    v = get_version(session, tenant, number)
    return rt.compiler.resolve(session, tenant, in_force(session, on).replaced(tenant, v), rt.forms(session))


def diff(rt: Runtime, tenant: str, number: int, against: Optional[int]) -> dict:
    """Semantic diff of ``number`` against ``against`` (default: the version in force today)."""
    with rt.db.read() as session:
        today = date.today()
        if against is None:
            against = in_force(session, today).versions.get(tenant, (None, None, None))[1]
            if against is None:
                raise NotFound("pack_version_not_found", f"规则包 {tenant} 没有生效的版本可比较,请用 against 指明版本")
        old = _compiled(session, rt, tenant, against, today)
        new = _compiled(session, rt, tenant, number, today)
        return {"tenant": tenant, "number": number, "against": against, **semantic_diff(old.pack, new.pack)}


def run_tests(rt: Runtime, principal: Principal, tenant: str, number: int) -> dict:
    principal.require("pack.write")
    with rt.db.read() as session:
        report = _compiled(session, rt, tenant, number, date.today()).pack.run_tests()
        return {"number": number, **report.to_dict()}

