"""What the service keeps between requests: the database handle and caches.

Nothing here is per request. The caches are safe to share between threads
and hold only data that is re-validated cheaply (forms by their highest id,
compiled packs by content digest, tenants reloaded when one is missing).
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Optional

from sqlalchemy.orm import Session

from ..db.engine import Database
from . import forms as form_store
from .pack_store import PackCompiler, ResolvedPack, deciding_pack_name, in_force
from .tenants import TenantDirectory


class Runtime:
    """The service's shared state: one per process (per app)."""

    def __init__(self, db: Database):
        self.db = db
        self.compiler = PackCompiler()
        self._directory: Optional[TenantDirectory] = None
        self._forms: Optional[form_store.FormSnapshot] = None
        self._lock = threading.Lock()

    def directory(self, session: Session, need: Optional[str] = None) -> TenantDirectory:
        """All tenants; reloaded when ``need`` is not among them (a later `jiceng init`)."""
        d = self._directory
        if d is None or (need is not None and d.get(need) is None):
            d = TenantDirectory.load(session)
            with self._lock:
                self._directory = d
        return d

    def forms(self, session: Session) -> form_store.FormSnapshot:
        """The latest version of every form, reloaded when a form was added."""
        key = form_store.snapshot_key(session)
        snap = self._forms
        if snap is None or snap.key != key:
            snap = form_store.load_snapshot(session)
            with self._lock:
                self._forms = snap
        return snap

    def pack_for(self, session: Session, tenant: str, on: date) -> ResolvedPack:
        """The compiled pack chain in force for ``tenant`` on ``on``."""
        force = in_force(session, on)
        directory = self.directory(session)
        leaf = deciding_pack_name(force, directory.ancestors(tenant) or [tenant])
        return self.compiler.resolve(session, leaf, force, self.forms(session))

    def invalidate(self) -> None:
        """Forget tenants and forms (after `jiceng init` in this process)."""
        with self._lock:
            self._directory = None
            self._forms = None
