"""Pack lifecycle: drafts; publication (with effective dates and rollback) only through
maker-checker proposals (one admin proposes a publication, a second approves it);
semantic diff and the pack's own tests (the impact of a draft on past decisions: :mod:`jiceng.platform.impact`).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.platform.db.models import PackHead, PackVersion, Publication, PublicationProposal
from jiceng.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiceng.platform.forms.impact import check_publication
from jiceng.platform.packs.diff import semantic_diff
from jiceng.platform.packs.versions import ResolvedPack, files_digest, get_version, in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import Principal

MAX_FILES = 50
#: the longest note a proposer or an approver may leave
MAX_NOTE = 500
#: a proposal's status -> how the pages and messages name it
STATUS_LABEL = {"pending": "待审核", "approved": "已批准并发布", "rejected": "已退回", "withdrawn": "已撤回"}
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
        force = in_force(session, clock.today())
        current = force.versions.get(tenant, (None, None, None))[1]
        versions = session.execute(select(PackVersion).where(PackVersion.tenant_code == tenant)
                                   .order_by(PackVersion.number)).scalars().all()
        pubs = _publications(session, tenant)
        return {"tenant": tenant, "in_force": current,
                "versions": [version_dict(v, pubs.get(v.id, []), current) for v in versions]}


def read_version(rt: Runtime, tenant: str, number: int) -> dict:
    with rt.db.read() as session:
        v = get_version(session, tenant, number)
        current = in_force(session, clock.today()).versions.get(tenant, (None, None, None))[1]
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
        resolved = rt.compiler.resolve(session, tenant, in_force(session, clock.today()), rt.forms(session),
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
# A person never publishes directly: every publication through the service is a proposal approved by
# a second admin (maker-checker, below); only ``jiceng init`` publishes alone, as the bootstrap of the
# shipped packs, and records itself as the publisher (``jiceng.platform.tenants.bootstrap.INIT_ACTOR``).
#: ``expected_current`` of :func:`propose` when the caller names none: the version the draft was based on
DRAFT_BASE = object()
#: ``expected_current`` of :func:`propose` for "whatever is latest now" (the console's workspace)
LATEST = object()


def require_publishable(session: Session, rt: Runtime, v: PackVersion, effective_from: date) -> None:
    """``v`` must compile over the ancestors in force on ``effective_from`` and pass its own tests
    there (422 ``pack_tests_failed`` naming each failing test); descendants' packs and the forms'
    param bindings must still hold with it. An ancestor with no version in force on that day is
    422 ``parent_not_in_force`` (saying from when it is), not a compile error about a missing pack."""
    force = in_force(session, effective_from)
    for ancestor in rt.directory(session, v.tenant_code).ancestors(v.tenant_code)[:-1]:
        if ancestor not in force.versions:
            first = session.execute(select(func.min(Publication.effective_from))
                                    .where(Publication.tenant_code == ancestor)).scalar()
            since = f"自 {first.isoformat()} 起生效" if first is not None else "还没有发布过任何版本"
            message = (f"上级规则包 {ancestor} 在 {effective_from.isoformat()} 还没有生效({since}):"
                       "本版本的生效日期不能早于上级规则包")
            raise Invalid("parent_not_in_force", message, [{"path": "/effective_from", "message": message}])
    force = force.replaced(v.tenant_code, v)
    require_passing_tests(rt.compiler.resolve(session, v.tenant_code, force, rt.forms(session)).pack)
    check_publication(session, rt, v.tenant_code, force)


def publish_version(session: Session, rt: Runtime, head: PackHead, v: PackVersion, effective_from: date,
                    actor: str) -> Publication:
    """Publish ``v`` (its head locked) once :func:`require_publishable` holds."""
    require_publishable(session, rt, v, effective_from)
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


# ---------------------------------------------------------------------- maker-checker
def proposal_dict(p: PublicationProposal, number: int) -> dict:
    """A proposal as the API and the pages show it: who proposed, who decided, what it published."""
    return {"id": p.id, "tenant": p.tenant_code, "number": number, "effective_from": p.effective_from.isoformat(),
            "expected_current": p.expected_current, "status": p.status, "note": p.note,
            "proposed_by": p.proposed_by, "proposer_tenant": p.proposer_tenant,
            "proposed_at": p.proposed_at.isoformat(), "decided_by": p.decided_by,
            "decided_at": p.decided_at.isoformat() if p.decided_at else None,
            "decision_note": p.decision_note, "publication_id": p.publication_id}


def _note(text: Optional[str]) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise Invalid("note_too_long", f"说明最多 {MAX_NOTE} 个字符", [{"path": "/note", "message": f"最多 {MAX_NOTE} 个字符"}])
    return text


def propose(rt: Runtime, principal: Principal, tenant: str, number: int, effective_from: Optional[date] = None,
            note: str = "", expected_current=LATEST) -> dict:
    """Propose publishing version ``number`` from ``effective_from`` (default today); proposing an
    earlier version is a proposed rollback. The version is checked now as a publication would be
    (compiles, its tests pass, descendants and forms still hold), so the approver is not asked to
    approve what could not be published. Nothing is in force until a second admin approves.

    Guarded: the latest publication must be ``expected_current`` (a version number or None;
    :data:`DRAFT_BASE`: the version the draft was based on; :data:`LATEST`: no guard now), else 409
    ``stale_version`` — a draft made before someone else's publication cannot silently undo it.
    """
    principal.require("pack.write")
    effective_from = effective_from or clock.today()
    with rt.db.write() as session:
        head = lock_head(session, tenant)
        v = get_version(session, tenant, number)
        current = _latest_published_number(session, head)
        expected = (v.base_number if expected_current is DRAFT_BASE
                    else current if expected_current is LATEST else expected_current)
        if current != expected:
            raise Conflict("stale_version",
                           f"发布冲突:当前最新发布的是第 {current} 版,而本次申请基于第 {expected} 版;"
                           "请查看差异后以 expected_current 指明当前版本再申请",
                           {"current": current, "expected": expected})
        require_publishable(session, rt, v, effective_from)
        p = PublicationProposal(tenant_code=tenant, version_id=v.id, effective_from=effective_from,
                                expected_current=current, status="pending",
                                proposed_by=principal.actor, proposer_token_id=principal.token_id,
                                proposer_tenant=principal.tenant, proposed_at=_now(), note=_note(note))
        session.add(p)
        session.flush()
        return proposal_dict(p, v.number)


def list_proposals(rt: Runtime, tenant: str, status: Optional[str] = None) -> list[dict]:
    """The tenant's proposals, newest first (``status`` filters: pending, approved, rejected, withdrawn)."""
    with rt.db.read() as session:
        q = (select(PublicationProposal, PackVersion.number)
             .join(PackVersion, PackVersion.id == PublicationProposal.version_id)
             .where(PublicationProposal.tenant_code == tenant).order_by(PublicationProposal.id.desc()))
        if status:
            q = q.where(PublicationProposal.status == status)
        return [proposal_dict(p, n) for p, n in session.execute(q).all()]


def _pending(session: Session, tenant: str, proposal_id: int) -> tuple[PublicationProposal, PackVersion]:
    p = session.execute(select(PublicationProposal).where(PublicationProposal.id == proposal_id,
                                                          PublicationProposal.tenant_code == tenant)
                        .with_for_update()).scalar_one_or_none()
    if p is None:
        raise NotFound("proposal_not_found", f"规则包 {tenant} 没有第 {proposal_id} 号发布申请")
    if p.status != "pending":
        raise Conflict("proposal_not_pending", f"发布申请 {proposal_id} 已处理(状态:{STATUS_LABEL[p.status]})",
                       {"status": p.status})
    return p, session.get(PackVersion, p.version_id)


def _require_checker(rt: Runtime, session: Session, principal: Principal, p: PublicationProposal) -> None:
    """The approver must be a second admin: not the proposer's token, and of the proposer's tenant
    or one above it (a city admin cannot approve what the province proposed)."""
    if principal.token_id == p.proposer_token_id:
        raise Forbidden("self_approval", "发布申请须由另一位管理员审核:申请人不能批准自己的申请",
                        {"proposed_by": p.proposed_by})
    if not rt.directory(session).reaches(principal.tenant, p.proposer_tenant):
        raise Forbidden("approver_out_of_scope",
                        f"审核人须为申请人所在租户 {p.proposer_tenant} 或其上级的管理员",
                        {"proposer_tenant": p.proposer_tenant, "approver_tenant": principal.tenant})


def approve(rt: Runtime, principal: Principal, tenant: str, proposal_id: int, note: str = "") -> dict:
    """A second admin approves proposal ``proposal_id``: the version is published as proposed, in the
    same transaction that records the approval. 409 ``stale_version`` when another publication came
    in between (the proposal stays pending: reject it and propose again after looking at the diff)."""
    principal.require("pack.write")
    note = _note(note)
    with rt.db.write() as session:
        head = lock_head(session, tenant)
        p, v = _pending(session, tenant, proposal_id)
        _require_checker(rt, session, principal, p)
        current = _latest_published_number(session, head)
        if current != p.expected_current:
            raise Conflict("stale_version",
                           f"发布冲突:申请时最新发布的是第 {p.expected_current} 版,现在是第 {current} 版;"
                           "请退回此申请,查看差异后重新申请", {"current": current, "expected": p.expected_current})
        pub = publish_version(session, rt, head, v, p.effective_from, principal.actor)
        p.status, p.decided_by, p.decided_at, p.decision_note, p.publication_id = (
            "approved", principal.actor, pub.published_at, note, pub.id)
        session.flush()
        out = proposal_dict(p, v.number)
        out["rollback"] = bool(_publications(session, tenant).get(v.id, [])[:-1])
        return out


def reject(rt: Runtime, principal: Principal, tenant: str, proposal_id: int, note: str = "") -> dict:
    """Close a pending proposal without publishing: a second admin rejects it ("rejected"), or the
    proposer withdraws it ("withdrawn")."""
    principal.require("pack.write")
    note = _note(note)
    with rt.db.write() as session:
        p, v = _pending(session, tenant, proposal_id)
        if principal.token_id != p.proposer_token_id:
            _require_checker(rt, session, principal, p)
        p.status = "withdrawn" if principal.token_id == p.proposer_token_id else "rejected"
        p.decided_by, p.decided_at, p.decision_note = principal.actor, _now(), note
        session.flush()
        return proposal_dict(p, v.number)


# ---------------------------------------------------------------------- diff, test
def _compiled(session: Session, rt: Runtime, tenant: str, number: int, on: date) -> ResolvedPack:
    v = get_version(session, tenant, number)
    return rt.compiler.resolve(session, tenant, in_force(session, on).replaced(tenant, v), rt.forms(session))


def diff(rt: Runtime, tenant: str, number: int, against: Optional[int]) -> dict:
    """Semantic diff of ``number`` against ``against`` (default: the version in force today)."""
    with rt.db.read() as session:
        today = clock.today()
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
        report = _compiled(session, rt, tenant, number, clock.today()).pack.run_tests()
        return {"number": number, **report.to_dict()}
