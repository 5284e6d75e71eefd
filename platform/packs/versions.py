"""Pack versions and publications: what is in force for whom, on which date.

A pack version is a set of source files (name -> text). A *publication*
makes a version effective from a date; the version in force for a pack on
day D is the one of the publication with the latest ``effective_from`` ≤ D
(ties: the later publication). Republishing an earlier version is a rollback.

Compiling is done once per distinct chain of file sets and task-form
snapshot; :class:`PackCompiler` keeps the compiled packs keyed by the
digests of the files, so the hot path only looks the pack up. Every compile
follows the tenant registry: a pack extends its tenant's registered parent
(SPEC §4.4), so no version — draft or published — can take another tenant's
pack as its parent.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Mapping, Optional

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jiceng.dsl.api import compile_pack
from jiceng.dsl.diagnostics import CompileError
from jiceng.dsl.loader import MemoryLoader
from jiceng.dsl.pack import Pack
from jiceng.dsl.resolver import PackNotFound

from jiceng.platform.caching import WeightedLRU
from jiceng.platform.db.models import PackVersion, Publication
from jiceng.platform.decisions.chain import canonical_jsonable
from jiceng.platform.decisions.append import Canonical
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.forms.store import FormSnapshot, StoredForm
from jiceng.platform.tenants.directory import TenantDirectory

ALWAYS = date(1970, 1, 1)  # effective_from of packs loaded by the first `jiceng init`


def files_digest(files: Mapping[str, str]) -> str:
    """Content hash of one pack version's own files."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name].encode("utf-8", "surrogatepass")
        h.update(f"{name}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
        h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class InForce:
    """Per pack name: (version id, version number, files digest) in force on ``on``."""

    on: date
    versions: dict[str, tuple[int, int, str]]

    def replaced(self, tenant: str, version: PackVersion) -> "InForce":
        v = dict(self.versions)
        v[tenant] = (version.id, version.number, version.files_digest)
        return InForce(self.on, v)


_IN_FORCE = (select(Publication.tenant_code, Publication.version_id, PackVersion.number, PackVersion.files_digest)
             .join(PackVersion, PackVersion.id == Publication.version_id)
             .where(Publication.effective_from <= bindparam("on"))
             .order_by(Publication.tenant_code, Publication.effective_from, Publication.id))


def in_force(session: Session, on: date) -> InForce:
    """Which version of every pack is in force on ``on`` (one query)."""
    rows = session.connection().execute(_IN_FORCE, {"on": on}).all()
    return InForce(on, {r[0]: (r[1], r[2], r[3]) for r in rows})  # later rows win


#: the most reasons of decisions' own a resolved pack keeps encoded (rules × item sets, or × missing facts)
OWN_REASON_TEXTS = 4096


@dataclass(frozen=True)
class ResolvedPack:
    """A compiled pack plus what the decision log records about it."""

    pack: Pack
    chain: tuple[dict, ...]   # [{"tenant", "number", "version"}] root first
    task_form: StoredForm
    forms: FormSnapshot       # the forms it was compiled with (validate tasks against these)

    def log_info(self) -> dict:
        return {"tenant": self.pack.tenant, "version": self.pack.version, "digest": self.pack.digest,
                "chain": [dict(c) for c in self.chain],
                "task_form": {"tenant": self.task_form.tenant, "version": self.task_form.version,
                              "id": self.task_form.id}}

    @cached_property
    def log_info_text(self) -> Canonical:
        """:meth:`log_info` in canonical JSON, made once: it is in every log entry."""
        return Canonical(canonical_jsonable(self.log_info()))

    @cached_property
    def _reason_texts(self) -> list[str]:
        return [canonical_jsonable(dict(self.pack.reason_of(i))) for i in range(len(self.pack.rules))]

    @cached_property
    def _own_texts(self) -> dict[tuple, str]:
        """Reasons of decisions' own (:meth:`_own_reason_text`), encoded, by (rule, key)."""
        return {}

    def reasons_text(self, decision) -> Canonical:
        """``canonical_jsonable(decision.reasons)``, from each rule's reason encoded once; only a
        reason of the decision's own (a rule that rejects because its condition was unknown, or
        fires because of list items) is encoded here."""
        texts, own = self._reason_texts, decision.own_reason_keys()
        return Canonical("[" + ",".join(self._own_reason_text(decision, i, own[i]) if i in own else texts[i]
                                        for i in decision.fired) + "]")

    def _own_reason_text(self, decision, i: int, why: tuple) -> str:
        # a reason is made from the pack alone and its key (Decision.own_reason_keys): the same
        # item on the same rule, or the same missing facts, give the same text in every decision
        text = self._own_texts.get((i, why))
        if text is None:
            text = canonical_jsonable(decision.own_reason(i, why))
            if len(self._own_texts) >= OWN_REASON_TEXTS:
                self._own_texts.clear()
            self._own_texts[(i, why)] = text
        return text


#: The source bytes of compiled packs a worker keeps, per cache (this one and the runtime's packs
#: in force). A compiled pack holds ~3× its chain's source; a real chain is ~50 KB, a draft at
#: most 1 MiB (the request limit): 32 MiB keeps hundreds of real chains, but only ~30 huge drafts.
PACK_CACHE_BYTES = 32 << 20


def source_bytes(pack: Pack) -> int:
    """The weight of a compiled pack in the caches: its whole chain's source, in bytes."""
    return sum(len(text.encode("utf-8", "surrogatepass")) for text in pack.sources.values())


class PackCompiler:
    """Compiles chains of stored versions, remembering the result by content digests (at most
    ``size`` chains and :data:`PACK_CACHE_BYTES` of their source)."""

    def __init__(self, size: int = 128, budget: int = PACK_CACHE_BYTES):
        self.cache: WeightedLRU[tuple, tuple[Pack, StoredForm]] = WeightedLRU(
            size, budget, lambda hit: source_bytes(hit[0]))

    def resolve(self, session: Session, leaf: str, force: InForce, forms: FormSnapshot,
                draft: Optional[Mapping[str, str]] = None) -> ResolvedPack:
        """Compile ``leaf`` with the versions of ``force`` (``draft`` replacing the leaf's files).

        Raises :class:`Invalid` (``pack_invalid``) with every diagnostic when it does not compile
        (among them a chain that is not the tenant registry's: E412, E413).
        """
        directory = TenantDirectory.load(session)
        digests = {t: v[2] for t, v in force.versions.items()}
        if draft is not None:
            digests[leaf] = files_digest(draft)
        # content, not ids (see StoredForm.digest); and the registry's chain, which the compile followed
        key = (leaf, tuple(sorted(digests.items())), forms.digest, tuple(directory.ancestors(leaf)))
        hit = self.cache.get(key)
        if hit is None:
            hit = self._compile(session, leaf, force, forms, draft, directory)
            self.cache.put(key, hit)
        pack, form = hit
        chain = []
        for c in pack.chain:
            number = None if (draft is not None and c["tenant"] == leaf) else force.versions[c["tenant"]][1]
            chain.append({"tenant": c["tenant"], "number": number, "version": c["version"]})
        return ResolvedPack(pack, tuple(chain), form, forms)

    def _compile(self, session: Session, leaf: str, force: InForce, forms: FormSnapshot,
                 draft: Optional[Mapping[str, str]], directory: TenantDirectory) -> tuple[Pack, StoredForm]:
        ids = [v[0] for t, v in force.versions.items() if not (draft is not None and t == leaf)]
        files = {r.tenant_code: r.files for r in session.execute(
            select(PackVersion).where(PackVersion.id.in_(ids))).scalars()} if ids else {}
        if draft is not None:
            files[leaf] = dict(draft)
        try:
            pack = compile_pack(leaf, MemoryLoader(files), forms=forms.compiler_forms(),
                                parent_of=directory.parent_of)
        except CompileError as e:
            raise Invalid("pack_invalid", f"规则包 {leaf} 无法编译:{len(e.errors)} 个错误",
                          [_diagnostic(d) for d in e.diagnostics]) from None
        except PackNotFound:
            raise NotFound("pack_not_found", f"规则包 {leaf} 不存在") from None
        chain_leaf_first = [c["tenant"] for c in reversed(pack.chain)]
        return pack, forms.nearest(chain_leaf_first)


def _diagnostic(d) -> dict:
    out = d.to_dict()
    return {"file": out["file"], "line": out["line"], "column": out["column"], "code": out["code"],
            "message": out["message"], "severity": out["severity"]}


def deciding_pack_name(force: InForce, ancestors_root_first: list[str]) -> str:
    """The nearest tenant along the tenant chain (leaf first) with a pack in force."""
    for t in reversed(ancestors_root_first):
        if t in force.versions:
            return t
    raise Conflict("no_pack_in_force", f"租户 {ancestors_root_first[-1] if ancestors_root_first else ''} "
                   f"及其上级在 {force.on.isoformat()} 都没有生效的规则包")


def get_version(session: Session, tenant: str, number) -> PackVersion:
    row = None
    if isinstance(number, int):
        row = session.execute(select(PackVersion).where(PackVersion.tenant_code == tenant,
                                                        PackVersion.number == number)).scalar_one_or_none()
    if row is None:
        raise NotFound("pack_version_not_found", f"规则包 {tenant} 没有第 {number} 版")
    return row
