"""Listing, reading, replacing and trying out a tenant's forms.

A tenant sees, for every form name, the nearest form along its chain (its
own, else its parent's …). Replacing a form stores a new version after three
checks: the schema is a valid form (2020-12 metaschema plus our ``x-``
keywords, every ``$ref`` resolvable), a task form binds no pack params, and
the change breaks no published pack nor any form's param binding
(:mod:`.form_impact`). Old versions stay readable and usable: a task filed on
version N is validated against version N.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.platform.db.models import FormVersion, Tenant
from jiceng.platform.forms import store
from jiceng.platform.forms import validation
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.forms.impact import check_form_change, form_chain
from jiceng.platform.forms import render as form_render
from jiceng.platform.forms.model import FormModel, FormReadError, closure, follow, read_model
from jiceng.platform.forms.params import bindings
from jiceng.platform.forms.vocabulary import subschemas
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import Principal


def _nearest(session: Session, rt: Runtime, tenant: str, name: str) -> tuple[store.FormSnapshot, store.StoredForm]:
    snapshot = rt.forms(session)
    return snapshot, snapshot.nearest(form_chain(rt, session, tenant), name)


def _version(session: Session, owner: store.StoredForm, version: int) -> store.StoredForm:
    """Version ``version`` of the form ``owner`` is the latest of."""
    if owner.id is None:  # the built-in canonical task form has one version
        if version == owner.version:
            return owner
        raise NotFound("form_version_not_found", f"表单 {owner.name} 没有第 {version} 版")
    row = session.execute(select(FormVersion).where(
        FormVersion.tenant_code == owner.tenant, FormVersion.name == owner.name,
        FormVersion.version == version)).scalar_one_or_none()
    if row is None:
        raise NotFound("form_version_not_found", f"表单 {owner.tenant}/{owner.name} 没有第 {version} 版")
    return store.StoredForm(row.id, row.tenant_code, row.name, row.version, row.schema)


def _answer(form: store.StoredForm, tenant: str, latest: int) -> dict:
    return {**form.to_dict(), "tenant": tenant, "owner": form.tenant, "latest_version": latest,
            "inherited_from": None if form.tenant == tenant else form.tenant}


def list_forms(rt: Runtime, tenant: str) -> dict:
    """Every form ``tenant`` sees: its own and the nearest inherited one of each name."""
    with rt.db.read() as session:
        snapshot = rt.forms(session)
        chain = form_chain(rt, session, tenant)
        names = sorted({n for (t, n) in snapshot.forms if t in chain} | {"task"})
        out = []
        for name in names:
            f = snapshot.nearest(chain, name)
            title = f.schema.get("x-label") or f.schema.get("title") if isinstance(f.schema, dict) else None
            out.append({"name": name, "title": title, "owner": f.tenant, "version": f.version,
                        "inherited_from": None if f.tenant == tenant else f.tenant,
                        "binds_params": validation.uses_params(f, snapshot)})
        return {"tenant": tenant, "forms": out}


def read_form(rt: Runtime, tenant: str, name: str, version: Optional[int] = None) -> dict:
    """The form ``name`` as ``tenant`` sees it (its latest version, or ``version`` of the same form)."""
    store.check_name(name)
    with rt.db.read() as session:
        _snapshot, form = _nearest(session, rt, tenant, name)
        latest = form.version
        if version is not None:
            form = _version(session, form, version)
        return _answer(form, tenant, latest)


def list_versions(rt: Runtime, tenant: str, name: str) -> dict:
    """Every stored version of the form ``tenant`` sees as ``name``, newest first."""
    store.check_name(name)
    with rt.db.read() as session:
        _snapshot, form = _nearest(session, rt, tenant, name)
        rows = session.execute(select(FormVersion).where(
            FormVersion.tenant_code == form.tenant, FormVersion.name == name)
            .order_by(FormVersion.version.desc())).scalars()
        versions = [{"version": r.version, "digest": r.digest, "origin": r.origin, "created_by": r.created_by,
                     "created_at": r.created_at.isoformat()} for r in rows]
        return {"tenant": tenant, "name": name, "owner": form.tenant, "versions": versions}


def replace_form(rt: Runtime, principal: Principal, tenant: str, name: str, schema: Any) -> dict:
    """Store ``schema`` as the next version of ``tenant``'s form ``name`` (unchanged: no new version)."""
    principal.require("form.write")
    store.check_name(name)
    with rt.db.write() as session:
        # the tenant's forms change one writer at a time: two saves at once would both read version n
        # and both store n + 1 (on PostgreSQL; a SQLite writer already holds the whole database)
        rt.db.lock(session, Tenant.code, [tenant])
        snapshot = rt.forms(session)
        uri = store.form_uri(tenant, name)
        foreign = out_of_reach(schema, uri, snapshot, rt.directory(session).ancestors(tenant))
        if foreign:  # before anything reads the forms referred to
            raise Invalid("form_ref_out_of_reach",
                          f"表单引用了租户 {tenant} 及其上级以外的表单(共 {len(foreign)} 处)", foreign)
        found = validation.check_schema(schema, snapshot.resolve, uri)
        if not found:
            found = _unresolved_refs(schema, uri, snapshot)
        if not found and name == "task":
            found = _task_bindings(schema, uri, snapshot)
        if found:
            raise Invalid("schema_invalid", f"表单不是有效的 JSON Schema 2020-12 表单(共 {len(found)} 处问题)", found)
        check_form_change(session, rt, tenant, name, schema)
        row, created = store.put_form(session, tenant, name, schema, principal.actor)
        return {"tenant": tenant, "name": name, "version": row.version, "schema": row.schema, "owner": tenant,
                "latest_version": row.version, "inherited_from": None, "created": created}


def _unresolved_refs(schema: dict, uri: str, snapshot: store.FormSnapshot) -> list[dict]:
    """Every ``$ref`` that leads nowhere, at its place in the schema."""
    def lookup(u: str):
        return schema if u == uri else snapshot.resolve(u)
    out = []
    for path, node in subschemas(schema):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                follow(ref, uri, schema, lookup)
            except FormReadError as e:
                target = urljoin(uri, ref.partition("#")[0]).removeprefix(store.FORM_BASE)
                out.append({"path": f"{path}/$ref", "message": f"{e}(找不到 {target})"})
    return out


def out_of_reach(schema: Any, uri: str, snapshot: store.FormSnapshot, chain: list[str]) -> list[dict]:
    """Every ``$ref`` — in the form and in the forms it reaches — to a form of a tenant not in
    ``chain`` (the form's tenant and its ancestors): a form may build on its own tenant's forms and
    inherited ones, never on a sibling's or a descendant's, stored or not (nothing is told about
    forms out of reach)."""
    if not isinstance(schema, dict):
        return []
    reach = set(chain)
    found = []
    own = schema.get("$id")
    if isinstance(own, str) and "://" in own:  # relative $refs resolve against it (as in validation)
        uri = own.split("#")[0]
        if snapshot.owner(uri) is not None and snapshot.owner(uri) not in reach:
            found.append({"path": "/$id", "message": f"表单的 $id 不能是租户 {snapshot.owner(uri)} 的表单地址"})
    docs = closure(uri, schema, lambda u: schema if u == uri else snapshot.resolve(u))
    for doc_uri, doc in docs.items():
        if snapshot.owner(doc_uri) not in reach and doc_uri != uri:
            continue  # reported where it is referred to
        for path, node in subschemas(doc):
            ref = node.get("$ref")
            if not isinstance(ref, str) or ref.startswith("#"):
                continue
            target = urljoin(doc_uri, ref.partition("#")[0])
            owner = snapshot.owner(target)
            if owner is not None and owner not in reach:
                where = f"{path}/$ref" if doc_uri == uri else f"{doc_uri}#{path}/$ref"
                found.append({"path": where, "message": f"不能引用租户 {owner} 的表单:只能引用本租户及其上级的表单"})
    return found


def _require_in_reach(session: Session, rt: Runtime, form: store.StoredForm, snapshot: store.FormSnapshot) -> None:
    """A stored form that refers to forms out of its tenant's reach is not used (it was stored
    before ``PUT`` refused such forms, or loaded from files)."""
    if form.id is None:  # the built-in canonical task form
        return
    foreign = out_of_reach(form.schema, form.uri, snapshot, rt.directory(session).ancestors(form.tenant))
    if foreign:
        raise Invalid("form_ref_out_of_reach",
                      f"表单 {form.tenant}/{form.name} 引用了可及范围以外的表单,无法使用", foreign)


def _task_bindings(schema: dict, uri: str, snapshot: store.FormSnapshot) -> list[dict]:
    """Task forms may not bind params: whether a task fits a param is the rules' to decide."""
    found = bindings(closure(uri, schema, lambda u: schema if u == uri else snapshot.resolve(u)))
    return [{"path": b.pointer if b.uri == uri else f"{b.uri}#{b.pointer}",
             "message": f"任务表单不能用 x-param 绑定规则包参数 {b.name}:任务是否符合参数由规则判断(写一条规则)"}
            for b in found]


def validation_pack(session: Session, rt: Runtime, tenant: str, form: store.StoredForm,
                    snapshot: store.FormSnapshot):
    """The compiled pack whose params or vocabularies ``form`` uses (None when it uses none)."""
    if not validation.needs_pack(form, snapshot):
        return None
    try:
        return rt.pack_for(session, tenant, clock.today()).pack
    except Conflict:
        if not validation.uses_params(form, snapshot):
            return None  # vocabularies are checked under a pack; without one, the schema alone
        raise Invalid("form_params_unavailable",
                      f"表单 {form.name} 绑定了规则包参数,但租户 {tenant} 没有生效的规则包") from None


def validate_data(rt: Runtime, principal: Principal, tenant: str, name: str, data,
                  version: Optional[int] = None) -> dict:
    """``{valid, errors, form}``: ``data`` checked against the form ``tenant`` sees (or its ``version``)."""
    principal.require("form.validate")
    store.check_name(name)
    with rt.db.read() as session:
        snapshot, form = _nearest(session, rt, tenant, name)
        if version is not None:
            form = _version(session, form, version)
        _require_in_reach(session, rt, form, snapshot)
        pack = validation_pack(session, rt, tenant, form, snapshot)
        errors = validation.problems(form, snapshot, data, pack=pack)
    return {"valid": not errors, "errors": errors,
            "form": {"tenant": form.tenant, "name": form.name, "version": form.version}}


def page_model(session: Session, rt: Runtime, tenant: str, name: str
               ) -> tuple[store.FormSnapshot, store.StoredForm, FormModel]:
    """The form ``tenant`` sees as ``name``, read as the fields a page shows (``form_broken`` when
    one of its ``$ref`` cannot be followed, ``form_ref_out_of_reach`` when one leads out of reach)."""
    store.check_name(name)
    snapshot, form = _nearest(session, rt, tenant, name)
    _require_in_reach(session, rt, form, snapshot)
    try:
        model = read_model(form.schema, form.uri, snapshot.resolve)
    except FormReadError as e:
        raise Invalid("form_broken", f"表单 {form.tenant}/{name} 无法使用:{e}") from None
    return snapshot, form, model


def page(rt: Runtime, principal: Principal, tenant: str, name: str, submitted=None) -> dict:
    """What the HTML form shows: the form's fields filled with ``submitted`` (a POSTed HTML form,
    validated server-side, errors placed beside their inputs) or empty."""
    principal.require("read" if submitted is None else "form.validate")
    with rt.db.read() as session:
        snapshot, form, model = page_model(session, rt, tenant, name)
        data, errors = {}, []
        if submitted is not None:
            data = form_render.parse_submission(model, submitted)
            pack = validation_pack(session, rt, tenant, form, snapshot)
            errors = validation.problems(form, snapshot, data, pack=pack)
    nodes = form_render.inputs(model, data)
    general = form_render.place_errors(nodes, errors)
    return {"tenant": tenant, "name": name, "form": form, "model": model, "inputs": nodes,
            "general_errors": general, "submitted": submitted is not None, "valid": submitted is not None and not errors,
            "error_count": len(errors), "data": data}
