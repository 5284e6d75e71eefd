"""`jiceng init`: migrate the schema, load tenants, forms and packs. Idempotent.

Packs under ``rule_packs/`` become published versions: a pack seen for the
first time is in force from the date its documents take effect (``pack …
effective 2024-06-01``) — never before its ancestors' first versions, without
which it cannot compile; a changed pack becomes a new version in force from its
declared date when that is later than the version in force, else from today; an
unchanged one is left alone. A new or changed pack that declares no date is
refused (``pack_effective_missing``): init cannot know from when its documents
apply, and neither the start of time nor today would be what they say. Each is compiled over its ancestors as they
stand after this load, parents first, and published like any other version:
it must extend its tenant's registered parent and pass its own tests; a pack
that does not is reported (status ``error``) and nothing of it is stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import func, select

from jiceng.dsl import clock
from jiceng.dsl.loader import FileLoader, ReadError

from jiceng.platform.db.engine import Database
from jiceng.platform.db.migrate import upgrade
from jiceng.platform.db.models import PackHead, PackVersion, Publication, Tenant
from jiceng.platform.departments.importer import seed_departments
from jiceng.platform.forms import store as form_store
from jiceng.platform.auth import tokens as token_service
from jiceng.platform.errors import Invalid
from jiceng.platform.packs.versions import files_digest, in_force
from jiceng.platform.packs.lifecycle import lock_head, publish_version, store_version
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.files import read_tenants
from jiceng.platform.tenants.directory import TenantDirectory, sync_tenants

INIT_ACTOR = "jiceng init"
DEMO_LABEL = "demo"


@dataclass
class InitReport:
    tenants_changed: int = 0
    units_written: int = 0
    forms_added: int = 0
    packs: list[dict] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    demo_tenant: Optional[str] = None

    @property
    def ok(self) -> bool:
        return all(p["status"] != "error" for p in self.packs)


def run_init(db: Database, root: Path, *, demo_tokens: bool = False, demo_tenant: Optional[str] = None,
             token_days: int = token_service.DEFAULT_DAYS) -> InitReport:
    """Everything `jiceng init` does, from the data folders under ``root``; demo tokens live
    ``token_days`` days (the service's ``JICENG_TOKEN_DAYS``)."""
    upgrade(db)
    rt = Runtime(db)
    report = InitReport()
    tenants = read_tenants(root / "tenants") if (root / "tenants").is_dir() else []
    with db.write() as session:
        stats = sync_tenants(session, tenants)
        report.tenants_changed, report.units_written = stats["tenants_changed"], stats["units_written"]
        for code in session.execute(select(Tenant.code)).scalars().all():
            lock_head(session, code)
        report.forms_added = form_store.sync_folder(session, root / "form_schemas")
    report.packs = _load_packs(rt, root / "rule_packs")
    seed_departments(rt, tenants)  # after the packs: 权责清单 item codes are checked against the 清单 in force
    if demo_tokens:
        report.demo_tenant, report.tokens = _demo_tokens(rt, demo_tenant, token_days)
    return report


def _disk_packs(folder: Path) -> dict[str, dict[str, str]]:
    loader = FileLoader(folder)
    out = {}
    for name in loader.tenants():
        try:
            source = loader.load(name)
        except ReadError as e:
            raise Invalid("pack_file_unreadable", f"无法读取规则文件 {e.path}:{e.reason}") from e
        if source is not None:
            out[name] = {f.name: f.text for f in source.files}
    return out


def _load_packs(rt: Runtime, folder: Path) -> list[dict]:
    disk = _disk_packs(folder) if folder.is_dir() else {}
    with rt.db.read() as session:
        directory = TenantDirectory.load(session)
    results = []
    # parents first, as the registry orders them (a pack of an unregistered tenant fails with E413)
    for name in sorted(disk, key=lambda n: (len(directory.ancestors(n)), n)):
        try:
            results.append(_load_pack(rt, name, disk[name]))
        except Invalid as e:  # the transaction rolled back: nothing of this pack is stored
            result = {"tenant": name, "status": "error", "message": e.message}
            result["tests" if e.code == "pack_tests_failed" else "diagnostics"] = e.details
            results.append(result)
    return results


def _load_pack(rt: Runtime, name: str, files: dict[str, str]) -> dict:
    """Store and publish one pack from disk unless unchanged; :class:`Invalid` when it cannot be."""
    with rt.db.write() as session:
        latest = session.execute(select(PackVersion).where(PackVersion.tenant_code == name,
                                                           PackVersion.origin == "init")
                                 .order_by(PackVersion.number.desc()).limit(1)).scalar_one_or_none()
        if latest is not None and latest.files_digest == files_digest(files):
            return {"tenant": name, "number": latest.number, "status": "unchanged"}
        resolved = rt.compiler.resolve(session, name, in_force(session, clock.today()), rt.forms(session),
                                       draft=files)
        if resolved.pack.effective is None:
            message = (f"规则包 {name} 没有写生效日期:请在 pack 声明中写明其依据文件生效的日期,"
                       f"如 pack {name} version \"…\" effective 2024-06-01;init 未发布它")
            header = resolved.pack.checked.linked.leaf.header
            at = header.span if header is not None else None
            raise Invalid("pack_effective_missing", message, [{
                "file": at.file if at else "pack.jc", "line": at.line if at else 1,
                "column": at.column if at else 1, "code": "pack_effective_missing", "message": message}])
        v = store_version(session, name, files, resolved, "init", INIT_ACTOR)
        head = session.get(PackHead, name)
        effective = _effective_from(session, head, resolved.pack.effective,
                                    [c["tenant"] for c in resolved.chain[:-1]])
        publish_version(session, rt, head, v, effective, INIT_ACTOR)
        return {"tenant": name, "number": v.number, "status": "published", "effective_from": effective.isoformat()}


def _effective_from(session, head: PackHead, declared: str, ancestors: list[str]) -> date:
    """When a pack loaded by init comes into force (see the module docstring)."""
    wanted = date.fromisoformat(declared)
    if head.latest_publication_id is None:
        firsts = session.execute(select(func.min(Publication.effective_from))
                                 .where(Publication.tenant_code.in_(ancestors))
                                 .group_by(Publication.tenant_code)).scalars().all() if ancestors else []
        return max([wanted, *firsts])
    current = session.get(Publication, head.latest_publication_id)
    return wanted if wanted > current.effective_from else clock.today()


def _demo_tokens(rt: Runtime, tenant: Optional[str], days: int) -> tuple[Optional[str], dict[str, str]]:
    """A fresh token per role for the demo tenant, living ``days`` days (the previous demo tokens are revoked)."""
    expires_at = token_service.expiry(datetime.now(timezone.utc), default_days=days)
    with rt.db.write() as session:
        directory = TenantDirectory.load(session)
        if tenant is None:
            force = in_force(session, clock.today())
            with_pack = [t for t in directory.by_code
                         if any(a in force.versions for a in directory.ancestors(t))]
            if not with_pack:
                return None, {}
            tenant = max(with_pack, key=lambda t: (len(directory.ancestors(t)), t == "changsha", t))
        token_service.revoke_labelled(session, DEMO_LABEL)
        tokens = {role: token_service.issue(session, directory, tenant, role, label=DEMO_LABEL,
                                            expires_at=expires_at)[0]
                  for role in token_service.ROLES}
        return tenant, tokens
