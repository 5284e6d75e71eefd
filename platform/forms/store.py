"""Form schemas (JSON Schema) stored per tenant and name, versioned.

`jiceng init` loads ``form_schemas/<tenant>/<name>.schema.json``; ``PUT``
adds a version. A decision uses the *task* form nearest along its pack chain
(leaf first), as the rule language does when it checks ``task.<field>``.
Relative ``$ref`` between stored forms resolve as they did on disk: every form
gets the URI ``<FORM_BASE><tenant>/<name>.schema.json``.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiceng.dsl.taskform import CANONICAL_TASK_SCHEMA, TaskForm, read_task_form

from jiceng.platform.db.models import FormVersion
from jiceng.platform.decisions.chain import canonical
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.forms.vocabulary import check_schema

FORM_BASE = "https://jiceng.invalid/form_schemas/"
FORM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def form_uri(tenant: str, name: str) -> str:
    return f"{FORM_BASE}{tenant}/{name}.schema.json"


@dataclass(frozen=True)
class StoredForm:
    id: Optional[int]
    tenant: str
    name: str
    version: int
    schema: dict

    @property
    def uri(self) -> str:
        return form_uri(self.tenant, self.name)

    @cached_property
    def digest(self) -> str:
        """Hash of the schema's content: caches key on this, never on database ids (a test
        process holds several databases, and a database may be re-created under a server)."""
        return hashlib.sha256(canonical(self.schema).encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return {"id": self.id, "tenant": self.tenant, "name": self.name, "version": self.version,
                "schema": self.schema}


CANONICAL_TASK = StoredForm(None, "(canonical)", "task", 0, CANONICAL_TASK_SCHEMA)


@dataclass
class FormSnapshot:
    """The latest version of every form, as of one moment (``key`` = highest form id)."""

    key: int
    forms: dict[tuple[str, str], StoredForm]
    _by_uri: dict[str, dict] = field(default_factory=dict)
    _owner_by_uri: dict[str, str] = field(default_factory=dict)

    @cached_property
    def digest(self) -> str:
        """Hash of every form's content in the snapshot (see :attr:`StoredForm.digest`)."""
        parts = sorted(f"{t}/{n}:{f.digest}" for (t, n), f in self.forms.items())
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def __post_init__(self):
        for f in self.forms.values():
            self._by_uri[f.uri] = f.schema
            self._owner_by_uri[f.uri] = f.tenant
            own = f.schema.get("$id") if isinstance(f.schema, dict) else None
            if isinstance(own, str):
                self._by_uri.setdefault(own.split("#")[0], f.schema)
                self._owner_by_uri.setdefault(own.split("#")[0], f.tenant)

    def nearest(self, chain_leaf_first: list[str], name: str = "task") -> StoredForm:
        """The nearest tenant's form along the chain; the canonical task form when none."""
        for tenant in chain_leaf_first:
            if (tenant, name) in self.forms:
                return self.forms[(tenant, name)]
        if name == "task":
            return CANONICAL_TASK
        raise NotFound("form_not_found", f"找不到表单 {name}")

    def resolve(self, uri: str) -> Optional[dict]:
        return self._by_uri.get(uri)

    def owner(self, uri: str) -> Optional[str]:
        """The tenant whose form ``uri`` names: the form stored there (also under its own
        ``$id``), else the tenant a form URI is written for, stored or not; None for other URIs."""
        if uri in self._owner_by_uri:
            return self._owner_by_uri[uri]
        if uri.startswith(FORM_BASE):
            return uri[len(FORM_BASE):].split("/", 1)[0]
        return None

    def resources(self) -> dict[str, dict]:
        return dict(self._by_uri)

    def compiler_forms(self) -> "StoredForms":
        return StoredForms(self)


class StoredForms:
    """The rule language's form source (``jiceng.dsl.api.FormSource``),
    answered from a :class:`FormSnapshot` instead of a folder."""

    def __init__(self, snapshot: FormSnapshot):
        self.snapshot = snapshot

    def resolve(self, uri: str) -> Optional[dict]:
        return self.snapshot.resolve(uri)

    def task_form(self, chain: list[str], units) -> Optional[TaskForm]:
        for tenant in chain:
            f = self.snapshot.forms.get((tenant, "task"))
            if f is not None:
                return read_task_form(f.schema, units, base=f.uri, resolve=self.resolve,
                                      origin=f"forms/{tenant}/task v{f.version}")
        return None


def load_snapshot(session: Session) -> FormSnapshot:
    latest = (select(FormVersion.tenant_code, FormVersion.name, func.max(FormVersion.version).label("v"))
              .group_by(FormVersion.tenant_code, FormVersion.name).subquery())
    rows = session.execute(select(FormVersion).join(
        latest, (FormVersion.tenant_code == latest.c.tenant_code) & (FormVersion.name == latest.c.name)
        & (FormVersion.version == latest.c.v))).scalars()
    forms = {(r.tenant_code, r.name): StoredForm(r.id, r.tenant_code, r.name, r.version, r.schema) for r in rows}
    return FormSnapshot(max((f.id for f in forms.values()), default=0), forms)


def version_by_id(session: Session, form_id: int) -> Optional[StoredForm]:
    """A stored form version by its id (a task's ``form_id``: the version it was filed on)."""
    row = session.get(FormVersion, form_id)
    return None if row is None else StoredForm(row.id, row.tenant_code, row.name, row.version, row.schema)


def get_form(session: Session, tenant: str, name: str) -> Optional[FormVersion]:
    """The latest version of ``tenant``'s own form ``name``."""
    return session.execute(select(FormVersion).where(FormVersion.tenant_code == tenant, FormVersion.name == name)
                           .order_by(FormVersion.version.desc()).limit(1)).scalar_one_or_none()


def check_name(name: str) -> None:
    if not isinstance(name, str) or not FORM_NAME.match(name):
        raise NotFound("form_not_found", f"找不到表单 {name}")


def put_form(session: Session, tenant: str, name: str, schema: dict, actor: str, origin: str = "api"
             ) -> tuple[FormVersion, bool]:
    """Store ``schema`` as the next version unless it equals the latest; (row, created)."""
    check_name(name)
    digest = hashlib.sha256(canonical(schema).encode("utf-8")).hexdigest()
    current = get_form(session, tenant, name)
    if current is not None and current.digest == digest:
        return current, False
    row = FormVersion(tenant_code=tenant, name=name, version=(current.version + 1) if current else 1,
                      schema=schema, digest=digest, origin=origin, created_by=actor,
                      created_at=datetime.now(timezone.utc))
    session.add(row)
    session.flush()
    return row, True


def sync_folder(session: Session, folder: Path) -> int:
    """Load ``form_schemas/<tenant>/<name>.schema.json``; returns how many versions were added.

    Every file is read first, so a form is checked with the forms it refers to (``$ref``) at hand.
    """
    if not folder.is_dir():
        return 0
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(folder.glob("*/*.schema.json")):
        try:
            found[(path.parent.name, path.name[: -len(".schema.json")])] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise Invalid("form_file_invalid", f"{path}:不是有效的 JSON:{e}") from e
    on_disk = {form_uri(t, n): schema for (t, n), schema in found.items() if isinstance(schema, dict)}
    added = 0
    for (tenant, name), schema in found.items():
        problems = check_schema(schema, on_disk.get, form_uri(tenant, name))
        if problems:
            where = folder / tenant / f"{name}.schema.json"
            raise Invalid("form_file_invalid", f"{where}:{problems[0]['path'] or '/'} {problems[0]['message']}")
        _row, created = put_form(session, tenant, name, schema, "jiceng init", origin="init")
        added += created
    return added
