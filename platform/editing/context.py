"""The context of the web editor (``POST .../editor/...``): the tenant's pack as it stands.

The text in the editor is one file of the tenant's pack. It is checked (and completed) with the
pack's other files — of the version in force today, or of a version the editor names, such as
the draft it is editing — and the ancestors' versions in force today, the tenant registry's
chain and the current forms: what ``POST .../packs`` would compile it with (drafts compile over
the ancestors in force today, :func:`jiceng.platform.packs.lifecycle.create_draft`).
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from jiceng.dsl import clock
from jiceng.dsl.ide import EditorContext
from jiceng.dsl.loader import MemoryLoader
from jiceng.platform.db.models import PackVersion
from jiceng.platform.packs.versions import get_version, in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.directory import TenantDirectory


def editor_context(rt: Runtime, tenant: str, file: str, number: Optional[int] = None) -> EditorContext:
    """Where ``file`` of ``tenant``'s pack is edited: beside the other files of version ``number``
    (None: the version in force today, or none when the tenant has no pack yet), over the
    ancestors' packs in force today. Raises ``NotFound`` (``pack_version_not_found``) for a
    version the tenant does not have."""
    with rt.db.read() as session:
        directory = TenantDirectory.load(session)
        force = in_force(session, clock.today())
        ids = [force.versions[t][0] for t in directory.ancestors(tenant) if t != tenant and t in force.versions]
        files = {v.tenant_code: dict(v.files) for v in session.execute(
            select(PackVersion).where(PackVersion.id.in_(ids))).scalars()} if ids else {}
        if number is not None:
            files[tenant] = dict(get_version(session, tenant, number).files)
        elif tenant in force.versions:
            files[tenant] = dict(get_version(session, tenant, force.versions[tenant][1]).files)
        forms = rt.forms(session).compiler_forms()
    return EditorContext(tenant, file, MemoryLoader(files), forms, directory.parent_of)
