"""What the service keeps between requests: the database handle and caches.

Nothing here is per request. Every cache is safe to share between threads:

* the pack chain in force and the forms are re-validated on every call by
  one cheap query (the highest publication and form ids), so a publish or a
  new form is seen by the very next request, in every process;
* compiled packs are kept by content digest (:class:`PackCompiler`), and the chain in force
  per tenant and date; each of the two caches holds at most :data:`PACK_CACHE_BYTES` of
  pack source, however few packs that is;
* tokens are not kept: each request reads its token's row (one indexed
  lookup, :func:`~jiceng.platform.auth.tokens.authenticate`; the admission
  check within its own statement), so a revocation or an expiry is seen by
  the next request in every process;
* org units — changed only by `jiceng init` and imports — are kept per *unit generation*, the
  newest entry of the unit change log (``unit_changes``, written by every import in its own
  transaction) that a request of this process has read: a check reads it in its one statement, an
  assignment under its locks, any other request with the pack generations. An import is thus seen
  by the next request in every process, as a publish is. The departments the checks keep
  (:mod:`jiceng.platform.admission.facts`) are kept the same way, per unit generation and
  *department generation* (``department_changes``, written by every registry import). :data:`TTL_SECONDS`
  still bounds an entry's life, for units changed outside an import and for the rare import whose
  change-log id is below one already seen (on PostgreSQL two imports can commit in the opposite
  order of their ids; a generation only moves up);
* tenants are reloaded when one is asked for that is not known yet;
* tasks, which never change once filed, are kept once read (at most 10,000 and
  :data:`TASK_CACHE_BYTES` of their text).

It also holds the admission checks' group commit of the decision log
(:attr:`Runtime.check_log`, see :mod:`.group_commit`).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Callable, Optional, Union

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import DepartmentChange, FormVersion, OrgUnit, Publication, UnitChange
from jiceng.platform.forms import store as form_store
from jiceng.platform.decisions import append as log_append
from jiceng.platform.errors import NotFound
from jiceng.platform.decisions.group_commit import GroupCommit
from jiceng.platform.packs.versions import (PACK_CACHE_BYTES, InForce, PackCompiler, ResolvedPack,
                                           deciding_pack_name, in_force, source_bytes)
from jiceng.platform.tenants.directory import TenantDirectory, unit_facts
from jiceng.platform.auth.tokens import Principal, Refusal, authenticate
from jiceng.platform.caching import TTLCache, WeightedLRU

TTL_SECONDS = 10.0
#: a task body may be up to the request limit (1 MiB): tasks are kept by their text's length too
TASK_CACHE_BYTES = 16 << 20
#: the publication, form, unit and department generations: any publish, new form, unit import or
#: department registry import raises one of them
GENERATIONS = (select(func.coalesce(func.max(Publication.id), 0)).scalar_subquery(),
               select(func.coalesce(func.max(FormVersion.id), 0)).scalar_subquery(),
               select(func.coalesce(func.max(UnitChange.id), 0)).scalar_subquery(),
               select(func.coalesce(func.max(DepartmentChange.id), 0)).scalar_subquery())
_GENERATION = select(*GENERATIONS)
_UNIT = select(OrgUnit).where(OrgUnit.code == bindparam("code"))
_CHILDREN = select(OrgUnit).where(OrgUnit.parent_code == bindparam("code")).order_by(OrgUnit.code)


@dataclass(frozen=True)
class UnitInfo:
    """An org unit as decisions need it: facts, owning tenant, ancestors (root first), children's facts."""

    code: str
    tenant: str
    level: str
    facts: dict
    ancestors: tuple[str, ...]
    children: tuple[dict, ...]

    def is_below(self, code: str) -> bool:
        return code in self.ancestors


def _as_logged(row: OrgUnit) -> dict:
    """A unit's facts as decisions see them: exactly as the log writes them (:func:`jsonable`: an
    area of ``0.0`` square metres is ``0``). A decision is then made on the values a replay of
    its log entry reads back, and encoding them for the log takes the encoder's plain path."""
    return jsonable(unit_facts(row))


class Runtime:
    """The service's shared state: one per process (per app)."""

    def __init__(self, db: Database):
        self.db = db
        self.compiler = PackCompiler()
        self._directory: Optional[TenantDirectory] = None
        self._forms: Optional[form_store.FormSnapshot] = None
        self._force: dict[tuple[date, int], InForce] = {}
        self._resolved: WeightedLRU[tuple, ResolvedPack] = WeightedLRU(
            256, PACK_CACHE_BYTES, lambda r: source_bytes(r.pack))
        self._units: TTLCache[Optional[UnitInfo]] = TTLCache(TTL_SECONDS)
        #: the newest unit and department generations a request has read (:meth:`see`); units are
        #: kept under the first, the checks' departments under both
        self.unit_generation = 0
        self.department_generation = 0
        self._tasks: WeightedLRU[int, object] = WeightedLRU(10_000, TASK_CACHE_BYTES, lambda t: len(repr(t)))
        self._lock = threading.Lock()
        #: appends admission checks' log entries, those of concurrent requests in one transaction
        self.check_log: GroupCommit[log_append.Entry, log_append.Appended] = GroupCommit(self._write_entries)

    def _write_entries(self, entries, via: Optional[Connection] = None) -> list:
        """One transaction: SQLite's writer lock, or PostgreSQL's single append statement — on
        ``via`` when given (the leading check's own autocommit connection, which saves a checkout
        and, on PostgreSQL, its ping), else on a connection of its own."""
        if self.db.is_sqlite:
            with self.db.transaction(via) as conn:
                return log_append.write(conn, entries)
        if via is not None:
            return log_append.write(via, entries)
        with self.db.autocommit() as conn:
            return log_append.write(conn, entries)

    # ------------------------------------------------------------------ tenants, tokens, units
    def directory(self, session: Session, need: Optional[str] = None) -> TenantDirectory:
        """All tenants; reloaded when ``need`` is not among them (a later `jiceng init`)."""
        d = self._directory
        if d is None or (need is not None and d.get(need) is None):
            d = TenantDirectory.load(session)
            with self._lock:
                self._directory = d
        return d

    def principal(self, token_sha256: str) -> Union[Principal, Refusal]:
        """The principal behind the token hashed ``token_sha256``, or why there is none; read from
        the database on every call, in one autocommit statement (no BEGIN and ROLLBACK around it)."""
        with self.db.autocommit() as conn:
            return authenticate(conn, token_sha256)

    def unit(self, session: Session, code: str) -> Optional[UnitInfo]:
        """The unit ``code`` (None when unknown), as of the newest unit generation seen."""
        if not isinstance(code, str) or len(code) > 32:
            return None
        return self._units.get_or_load((code, self.unit_generation), lambda: self._load_unit(session, code))

    def see(self, gens: tuple[int, ...]) -> None:
        """A request read the generations ``gens`` (:data:`GENERATIONS`): units and departments
        kept from an older unit or department generation are not used again. Each entry is kept
        under the generations it was asked for, so a load that began before an import and ended
        after it cannot pass for a newer one (a cleared cache could be refilled by it); the old
        entries just age out."""
        units, departments = gens[2], gens[3]
        if units > self.unit_generation or departments > self.department_generation:
            with self._lock:
                self.unit_generation = max(self.unit_generation, units)
                self.department_generation = max(self.department_generation, departments)

    def _load_unit(self, session: Session, code: str) -> Optional[UnitInfo]:
        row = session.execute(_UNIT, {"code": code}).scalar_one_or_none()
        if row is None:
            return None
        parent = self.unit(session, row.parent_code) if row.parent_code and row.parent_code != code else None
        ancestors = (parent.ancestors + (parent.code,)) if parent is not None and code not in parent.ancestors else ()
        children = tuple(_as_logged(c) for c in session.execute(_CHILDREN, {"code": code}).scalars())
        return UnitInfo(row.code, row.tenant_code, row.level, _as_logged(row), ancestors, children)

    def task(self, task_id: int, load: Callable[[], object]) -> object:
        """The task ``task_id`` (whatever ``load`` returns for it; None when there is none).
        A task is never changed or deleted once filed, so what was read once stays true."""
        task = self._tasks.get(task_id)
        if task is None:
            task = load()
            if task is not None:
                self._tasks.put(task_id, task)
        return task

    def unit_in_reach(self, session: Session, tenant: str, code) -> UnitInfo:
        """The unit if it belongs to ``tenant`` or a tenant below it, else :class:`NotFound`."""
        u = self.unit(session, code)
        if u is None or u.tenant not in self.directory(session).descendants(tenant):
            raise NotFound("unit_not_found", f"找不到单位 {code}")
        return u

    # ------------------------------------------------------------------ packs and forms
    def _state(self, session: Session, on: date) -> tuple[InForce, form_store.FormSnapshot]:
        """The versions in force on ``on`` and the forms, checked against one query."""
        gens = tuple(session.connection().execute(_GENERATION).one())
        self.see(gens)
        return self._state_at(session, on, gens[0], gens[1])

    def _state_at(self, session: Session, on: date, pub_gen: int, form_gen: int
                  ) -> tuple[InForce, form_store.FormSnapshot]:
        force = self._force.get((on, pub_gen))
        if force is None:
            force = in_force(session, on)
            with self._lock:
                if len(self._force) > 64:
                    self._force.clear()
                self._force[(on, pub_gen)] = force
        snap = self._forms
        if snap is None or snap.key != form_gen:
            snap = form_store.load_snapshot(session)
            with self._lock:
                self._forms = snap
        return force, snap

    def forms(self, session: Session) -> form_store.FormSnapshot:
        """The latest version of every form."""
        return self._state(session, clock.today())[1]

    def pack_for(self, session: Session, tenant: str, on: date) -> ResolvedPack:
        """The compiled pack chain in force for ``tenant`` on ``on``.

        The generations are read once per session (a session is one request's transaction), so a
        batch of targets costs one query, not one per target (:meth:`generations`).
        """
        return self.pack_at(session, tenant, on, self.generations(session))

    def generations(self, session: Session) -> tuple[int, int, int, int]:
        """The publication, form, unit and department generations (:data:`GENERATIONS`), read once
        per session and seen (:meth:`see`), so the units and departments looked up after this are current."""
        gens = session.info.get("jiceng.generation")
        if gens is None:
            gens = session.info["jiceng.generation"] = tuple(session.connection().execute(_GENERATION).one())
            self.see(gens)
        return gens

    def pack_at(self, session: Session, tenant: str, on: date, gens: tuple[int, ...]) -> ResolvedPack:
        """The compiled pack chain in force for ``tenant`` on ``on`` at the generations ``gens``
        (:data:`GENERATIONS`); ``session`` is used only when the pack is not cached yet."""
        pub_gen, form_gen = gens[:2]
        key = (tenant, on, pub_gen, form_gen)
        resolved = self._resolved.get(key)
        if resolved is None:
            force, forms = self._state_at(session, on, pub_gen, form_gen)
            directory = self.directory(session)
            leaf = deciding_pack_name(force, directory.ancestors(tenant) or [tenant])
            resolved = self.compiler.resolve(session, leaf, force, forms)
            self._resolved.put(key, resolved)
        return resolved
