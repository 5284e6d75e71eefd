"""What ``jiceng check`` asks of its input before deciding: exactly what the service asks.

The task is validated against the tenant's task form read from ``form_schemas/`` beside the
packs' folder, by the service's own validator (zh-CN messages, JSON pointers, ``x-param``
bounds); ``task.target_unit`` must name a unit of the tenant or a tenant below it in
``tenants/``. Anything the API answers with 422 ends ``jiceng check`` with exit 2.

The target facts of such a unit are made as the service makes them
(:func:`jiceng.platform.admission.facts.target_facts`): its own facts from ``tenants/``, what
the pack's standards export, and its place in the tree (``parent``, ``community``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from jiceng.dsl.commands import InputRefused
from jiceng.platform.admission.facts import target_facts
from jiceng.platform.errors import ServiceError
from jiceng.platform.forms import validation
from jiceng.platform.forms.store import FormSnapshot, StoredForm
from jiceng.platform.tenants.files import TenantFile, find_unit, read_tenants


def check_gate(root: Path, tenant: str, task: Any, pack, target: Optional[dict]) -> dict:
    """The target facts for deciding ``task``; raises :class:`InputRefused` where the API says 422."""
    base = Path(root).resolve().parent
    snapshot = _forms(base / "form_schemas")
    chain_leaf_first = [link["tenant"] for link in reversed(pack.chain)]
    form = snapshot.nearest(chain_leaf_first)
    found = validation.problems(form, snapshot, task, "/task", pack=pack)
    if found:
        listed = ";".join(f"{p['path'] or '/'} {p['message']}" for p in found)
        raise InputRefused("form_invalid", f"数据不符合表单 {form.name}(共 {len(found)} 处问题):{listed}")
    if target is not None:
        return target
    code = task.get("target_unit") if isinstance(task, dict) else None
    if code is None:
        return {}
    found = unit_of(base / "tenants", tenant, str(code))
    if found is None:
        raise InputRefused("unit_not_found", f"找不到单位 {code}(租户 {tenant} 及其下级租户的组织单位中没有它)")
    owner, facts, tenants = found
    units = [u for t in tenants if t.code == owner for u in t.units]
    children = [u.facts() for u in units if u.parent == facts["code"]]
    parent = next((u.facts() for u in units if u.code == facts["parent"]), None)  # of the same tenant, as the service
    return target_facts(facts, children, parent, pack)


def unit_of(folder: Path, tenant: str, code: str) -> Optional[tuple[str, dict, list[TenantFile]]]:
    """(owning tenant, facts, every tenant file) of unit ``code`` from ``tenants/``, when it belongs
    to ``tenant`` or a tenant below it."""
    if not folder.is_dir():
        return None
    try:
        found = find_unit(folder, code)
        tenants = read_tenants(folder)
    except ServiceError:
        return None
    if found is None:
        return None
    owner, facts = found
    parents = {t.code: t.parent for t in tenants}
    cur: Optional[str] = owner
    while cur is not None:
        if cur == tenant:
            return owner, facts, tenants
        cur = parents.get(cur)
    return None


def _forms(folder: Path) -> FormSnapshot:
    """Every ``<tenant>/<name>.schema.json`` under ``folder`` as a snapshot (unreadable files are skipped:
    ``jiceng lint`` and ``init`` report them)."""
    forms: dict[tuple[str, str], StoredForm] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*/*.schema.json")):
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            if isinstance(schema, dict):
                name = path.name[: -len(".schema.json")]
                forms[(path.parent.name, name)] = StoredForm(None, path.parent.name, name, 1, schema)
    return FormSnapshot(0, forms)
