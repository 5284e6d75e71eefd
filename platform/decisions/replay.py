"""Recompute a logged decision with the pack versions it recorded.

Evaluation is pure and deterministic, so the same versions (same digest),
the same task form and the same recorded input give the same decision; a
replay that differs means the log or the stored versions were altered.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy.orm import Session

from jiceng.platform.db.models import Decision, FormVersion, PackVersion
from jiceng.platform.decisions import log as decision_log
from jiceng.platform.admission.deciding import decide
from jiceng.platform.errors import Invalid
from jiceng.platform.forms.store import FormSnapshot, StoredForm
from jiceng.platform.packs.versions import InForce, get_version
from jiceng.platform.runtime import Runtime


def recorded_forms(session: Session, current: FormSnapshot, pack_info: dict) -> FormSnapshot:
    """``current`` forms, except that the nearest task form along the recorded chain is the one the
    decision used (``pack_info`` is the entry's ``pack``; forms it refers to by ``$ref`` stay available)."""
    forms = dict(current.forms)
    info = pack_info.get("task_form") or {}
    form_id = info.get("id")
    row = session.get(FormVersion, form_id) if isinstance(form_id, int) else None
    for c in reversed(pack_info.get("chain") or []):  # leaf first, down to the form's tenant
        if row is not None and c["tenant"] == row.tenant_code:
            forms[(row.tenant_code, "task")] = StoredForm(row.id, row.tenant_code, "task", row.version, row.schema)
            break
        forms.pop((c["tenant"], "task"), None)
    return FormSnapshot(f"replay:{form_id}:{current.key}", forms)


def recorded_versions(session: Session, chain: list, substitute: Optional[PackVersion] = None
                      ) -> dict[str, tuple[int, int, str]]:
    """The versions a recorded chain names, as :class:`InForce` holds them (``substitute`` replacing
    its tenant's); :class:`Invalid` ``replay_impossible`` when nothing was recorded."""
    if not chain:
        raise Invalid("replay_impossible", "决定记录没有记录规则包版本,无法重算")
    versions = {}
    for c in chain:
        if substitute is not None and c["tenant"] == substitute.tenant_code:
            v = substitute
        else:
            v = get_version(session, c["tenant"], c["number"])
        versions[c["tenant"]] = (v.id, v.number, v.files_digest)
    return versions


def recompute(session: Session, rt: Runtime, entry: Decision, substitute: Optional[PackVersion] = None) -> dict:
    """The decision ``entry`` would get with its recorded versions (``substitute`` replacing its pack's).

    One entry at a time, reading what it needs: the batch replay of many entries is
    :mod:`jiceng.platform.impact`, which this function is the reference for.
    """
    info = entry.pack or {}
    chain = info.get("chain") or []
    if not chain:
        raise Invalid("replay_impossible", f"决定记录 {entry.id} 没有记录规则包版本,无法重算")
    on = date.fromisoformat(entry.decided_on)
    resolved = rt.compiler.resolve(session, chain[-1]["tenant"], InForce(on, recorded_versions(session, chain, substitute)),
                                   recorded_forms(session, rt.forms(session), info))
    inp = entry.input or {}
    d = decide(resolved.pack, inp.get("task") or {}, entry.target, entry.history, inp.get("source"), on)
    out = d.to_dict()
    out["pack"]["chain"] = list(resolved.chain)
    return out


def replay(rt: Runtime, tenants: list[str], decision_id: int) -> dict:
    """``{"original", "replayed", "same"}`` for one logged decision."""
    with rt.db.read() as session:
        entry = decision_log.get(session, tenants, decision_id)
        replayed = recompute(session, rt, entry)
        original = {"decision": entry.outcome, "reasons": entry.reasons, "requirements": entry.requirements,
                    "pack": entry.pack, "items": entry.items}
        # an entry logged before the items were recorded has none (None): there is nothing to compare
        same = (replayed["decision"] == entry.outcome
                and [r["rule"] for r in replayed["reasons"]] == [r["rule"] for r in entry.reasons]
                and replayed["requirements"] == entry.requirements
                and (entry.items is None or replayed["items"] == entry.items)
                and replayed["pack"]["digest"] == (entry.pack or {}).get("digest"))
        return {"decision_id": entry.id, "tenant": entry.tenant_code, "decided_on": entry.decided_on,
                "original": original, "replayed": replayed, "same": same}
