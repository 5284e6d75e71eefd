"""Reading, replacing and trying out a tenant's forms.

Replacing the *task* form is refused (422 ``form_breaks_pack``) when a pack in
force for the tenant or below it would no longer compile against it: forms
are versioned without breaking published rules.
"""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy.orm import Session

from . import forms as store
from . import validation
from .decision_chain import canonical
from .errors import Conflict, Invalid
from .pack_store import deciding_pack_name, in_force
from .runtime import Runtime
from .tokens import Principal


def _chain(session: Session, rt: Runtime, tenant: str) -> list[str]:
    """Where a tenant's forms are looked up, nearest first: its tenant ancestors, then its pack chain."""
    chain = list(reversed(rt.directory(session).ancestors(tenant)))
    try:
        pack = rt.pack_for(session, tenant, date.today()).pack
        chain += [c["tenant"] for c in reversed(pack.chain) if c["tenant"] not in chain]
    except Conflict:  # no pack in force: tenant ancestors only
        pass
    return chain


def read_form(rt: Runtime, tenant: str, name: str) -> dict:
    store.check_name(name)
    with rt.db.read() as session:
        form = rt.forms(session).nearest(_chain(session, rt, tenant), name)
    return {**form.to_dict(), "tenant": tenant,
            "inherited_from": None if form.tenant == tenant else form.tenant}


def replace_form(rt: Runtime, principal: Principal, tenant: str, name: str, schema: dict) -> dict:
    principal.require("form.write")
    store.check_name(name)
    found = validation.check_schema(schema)
    if found:
        raise Invalid("schema_invalid", "表单不是有效的 JSON Schema", found)
    with rt.db.write() as session:
        if name == "task":
            _check_packs_still_compile(session, rt, tenant, schema)
        row, created = store.put_form(session, tenant, name, schema, principal.actor)
        return {"tenant": tenant, "name": name, "version": row.version, "schema": row.schema,
                "inherited_from": None, "created": created}


def _check_packs_still_compile(session: Session, rt: Runtime, tenant: str, schema: dict) -> None:
    current = rt.forms(session)
    digest = hashlib.sha256(canonical(schema).encode("utf-8")).hexdigest()
    forms = dict(current.forms)
    forms[(tenant, "task")] = store.StoredForm(None, tenant, "task", 0, schema)
    trial = store.FormSnapshot(f"trial:{tenant}:{digest}", forms)
    force = in_force(session, date.today())
    directory = rt.directory(session)
    leaves = set()
    for t in directory.descendants(tenant):
        try:
            leaves.add(deciding_pack_name(force, directory.ancestors(t)))
        except Conflict:
            continue
    for leaf in sorted(leaves):
        try:
            rt.compiler.resolve(session, leaf, force, trial)
        except Invalid as e:
            raise Invalid("form_breaks_pack", f"新表单会使生效中的规则包 {leaf} 无法编译", e.details) from None


def validate_data(rt: Runtime, principal: Principal, tenant: str, name: str, data) -> dict:
    principal.require("form.validate")
    store.check_name(name)
    with rt.db.read() as session:
        snapshot = rt.forms(session)
        form = snapshot.nearest(_chain(session, rt, tenant), name)
        errors = validation.problems(form, snapshot, data)
    return {"valid": not errors, "errors": errors,
            "form": {"tenant": form.tenant, "name": form.name, "version": form.version}}
