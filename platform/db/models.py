"""The service's tables as SQLAlchemy 2.x typed declarative models.

They know nothing of Flask. Every tenant-owned table carries ``tenant_code`` in its primary key or a
unique key, and in every foreign key to another tenant-owned table (the tables can then be
distributed by tenant: docs/scaling.md; ``tests/platform/db/test_tenant_keys.py`` keeps it so).
The ``(tenant_code, id)`` keys are unique indexes, which both databases accept as a foreign key's
target and SQLite can add without rebuilding the table. Every schema change ships as an Alembic migration
under ``jiceng/platform/migrations/versions``; ``tests/platform/test_migrations.py``
checks that the migrations and these models agree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: naming convention so that migrations name constraints identically on every database
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


Base.metadata.naming_convention = NAMING


class Tenant(Base):
    """A province or city (or the nation) with its own rules and units."""

    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[Optional[str]] = mapped_column(String(64), ForeignKey("tenants.code"))
    level: Mapped[str] = mapped_column(String(16))
    division_code: Mapped[Optional[str]] = mapped_column(String(12))
    #: hash of the tenant's TOML and CSV as last loaded: a second `jiceng init` changes nothing
    source_digest: Mapped[str] = mapped_column(String(64))
    #: "init" (a tenants/*.toml seed file) or "api" (created by an admin of its parent)
    origin: Mapped[str] = mapped_column(String(16), default="init", server_default="init")
    created_by: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class OrgUnit(Base):
    """One org unit (city, district, street, community, grid …) and its facts (SPEC §5)."""

    __tablename__ = "org_units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"), index=True)
    parent_code: Mapped[Optional[str]] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    population: Mapped[Optional[int]] = mapped_column(Integer)
    urban_population: Mapped[Optional[int]] = mapped_column(Integer)
    households: Mapped[Optional[int]] = mapped_column(Integer)
    workers: Mapped[Optional[int]] = mapped_column(Integer)
    grid_workers: Mapped[Optional[int]] = mapped_column(Integer)
    facility_area_m2: Mapped[Optional[float]] = mapped_column(Float)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[Optional[str]] = mapped_column(String(32), ForeignKey("org_units.code"))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    #: every token expires (migration 0003 gave the tokens issued before it 90 days from the upgrade)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PackHead(Base):
    """Per pack: the counter that numbers its versions and its latest publication.

    Locking this row serialises version numbering and publishing of one pack.
    """

    __tablename__ = "pack_heads"

    tenant_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    latest_publication_id: Mapped[Optional[int]] = mapped_column(Integer)


class PackVersion(Base):
    """One version of a pack's source files (name -> text), draft or published."""

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("tenant_code", "number", name="uq_pack_versions_tenant_number"),
                      Index("uq_pack_versions_tenant_id", "tenant_code", "id", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the pack's name (a tenant code; `national` may be a pack without a tenant row)
    tenant_code: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    declared_version: Mapped[Optional[str]] = mapped_column(String(64))
    extends: Mapped[Optional[str]] = mapped_column(String(64))
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    files_digest: Mapped[str] = mapped_column(String(64))
    #: the publication in force when the draft was made: publishing checks it is still the latest
    base_number: Mapped[Optional[int]] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))  # init | api
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Publication(Base):
    """A version made effective from a date. Republishing an old version is a rollback."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_tenant_effective", "tenant_code", "effective_from"),
                      Index("uq_publications_tenant_id", "tenant_code", "id", unique=True),
                      ForeignKeyConstraint(["tenant_code", "version_id"], ["pack_versions.tenant_code", "pack_versions.id"],
                                           name="fk_publications_tenant_code_pack_versions"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicationProposal(Base):
    """Maker-checker for a publication: one admin proposes a version (and its effective date), a
    second admin of the proposer's tenant or a tenant above it approves; the approval publishes.
    Both are recorded here; an approved proposal names the publication it made."""

    __tablename__ = "publication_proposals"
    __table_args__ = (Index("ix_publication_proposals_tenant_status", "tenant_code", "status"),
                      Index("uq_publication_proposals_tenant_id", "tenant_code", "id", unique=True),
                      ForeignKeyConstraint(["tenant_code", "version_id"], ["pack_versions.tenant_code", "pack_versions.id"],
                                           name="fk_publication_proposals_tenant_code_pack_versions"),
                      ForeignKeyConstraint(["tenant_code", "publication_id"],
                                           ["publications.tenant_code", "publications.id"],
                                           name="fk_publication_proposals_tenant_code_publications"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    #: the latest publication's version number when proposed: approving checks it is still the latest
    expected_current: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected | withdrawn
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposer_token_id: Mapped[int] = mapped_column(Integer)
    proposer_tenant: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[Optional[str]] = mapped_column(String(200))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[Optional[str]] = mapped_column(String(500))
    publication_id: Mapped[Optional[int]] = mapped_column(Integer)


class FormVersion(Base):
    """One version of a tenant's form schema (JSON Schema)."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("tenant_code", "name", "version", name="uq_form_versions_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: like packs, forms may belong to a name without a tenant row (``national``)
    tenant_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Task(Base):
    """A task a department or street created on the tenant's task form."""

    __tablename__ = "tasks"
    __table_args__ = (Index("uq_tasks_tenant_id", "tenant_code", "id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_unit: Mapped[Optional[str]] = mapped_column(String(32))
    form_id: Mapped[Optional[int]] = mapped_column(ForeignKey("form_versions.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Assignment(Base):
    """A task assigned to one receiving unit: pending (conditional), admitted or rejected."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_history", "target_unit", "status", "decided_on"),
        Index("uq_assignments_live", "task_id", "target_unit", unique=True,
              sqlite_where=text("status != 'rejected'"), postgresql_where=text("status != 'rejected'")),
        Index("uq_assignments_tenant_id", "tenant_code", "id", unique=True),
        #: the decision is in the chain of the receiving unit's tenant, as the assignment is
        ForeignKeyConstraint(["tenant_code", "decision_id"], ["decisions.tenant_code", "decisions.id"],
                             name="fk_assignments_tenant_code_decisions"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: not tenant-keyed: a task is assigned down into descendant tenants' units (an allowed
    #: exception in tests/platform/db/test_tenant_keys.py; docs/scaling.md says how it distributes)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    target_unit: Mapped[str] = mapped_column(String(32), ForeignKey("org_units.code"))
    source_unit: Mapped[Optional[str]] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # pending | admitted | rejected
    kind: Mapped[Optional[str]] = mapped_column(String(32))
    task_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    requirements: Mapped[list[Any]] = mapped_column(JSON)
    decision_id: Mapped[int] = mapped_column(Integer)
    decided_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogHead(Base):
    """The end of a tenant's hash chain; locking it serialises appends."""

    __tablename__ = "decision_log_heads"

    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Decision(Base):
    """One logged decision. Append-only; hash-chained per tenant (``seq``, ``prev_hash``, ``hash``)."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("tenant_code", "seq", name="uq_decisions_tenant_seq"),
                      #: the tenant key (docs/scaling.md); it also serves newest-first reads of a tenant
                      #: (``GET .../decisions``) and impact's keyset reads
                      Index("uq_decisions_tenant_id", "tenant_code", "id", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # check | assignment
    actor: Mapped[str] = mapped_column(String(200))
    #: ISO-8601 UTC text: hashed as stored, identical on every database
    created_at: Mapped[str] = mapped_column(String(32))
    decided_on: Mapped[str] = mapped_column(String(10))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    history: Mapped[dict[str, Any]] = mapped_column(JSON)
    pack: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    requirements: Mapped[list[Any]] = mapped_column(JSON)
    #: the list items the decision relied on (``Decision.items``); NULL in entries logged before
    #: it was recorded, which then hash without it (``decisions/chain.py`` OPTIONAL_FIELDS)
    items: Mapped[Optional[list[Any]]] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ImpactJob(Base):
    """An impact analysis: a pack version replayed over a window of the decision log, run as a
    job the admin starts, polls and may cancel; its summary stays with the version
    (:mod:`jiceng.platform.impact`)."""

    __tablename__ = "impact_jobs"
    __table_args__ = (Index("ix_impact_jobs_version", "version_id", "id"),
                      Index("uq_impact_jobs_tenant_id", "tenant_code", "id", unique=True),
                      ForeignKeyConstraint(["tenant_code", "version_id"], ["pack_versions.tenant_code", "pack_versions.id"],
                                           name="fk_impact_jobs_tenant_code_pack_versions"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    version_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    #: the window of the log: {"from", "to", "units", "rules", "examples"}
    window: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: progress: log rows read of the rows to read
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    error: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the runner's heartbeat: a running job whose heartbeat stopped lost its process
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class ImpactChange(Base):
    """One logged decision an impact job found to change (outcome, or the rules that fired)."""

    __tablename__ = "impact_changes"

    #: the decision's tenant (a province's job lists its cities' decisions): the row lives with its decision
    tenant_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("impact_jobs.id"), primary_key=True)
    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[Optional[str]] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    decided_on: Mapped[str] = mapped_column(String(10))
    before: Mapped[str] = mapped_column(String(16))
    after: Mapped[str] = mapped_column(String(16))
    rules_added: Mapped[list[Any]] = mapped_column(JSON)
    rules_removed: Mapped[list[Any]] = mapped_column(JSON)
    title: Mapped[Optional[str]] = mapped_column(Text)


class Checkpoint(Base):
    """A signed checkpoint of every tenant's chain head (:mod:`jiceng.platform.decisions.checkpoint`).

    Kept for convenience only: the statement and signature are what the auditor exports and keeps
    elsewhere, and verification takes the exported file, never this table (who can rewrite the
    log can rewrite this table too).
    """

    __tablename__ = "decision_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issued_at: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(64))
    #: the canonical JSON that was signed, exactly
    statement: Mapped[str] = mapped_column(Text)
    #: the Ed25519 signature of ``statement``, base64
    signature: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(200))


class Department(Base):
    """A body of a tenant's department registry (职能部门名录): a 职能部门 (``functional``) or a
    党委政府 body that deploys work as a whole (``government``), attached to one of the tenant's
    org units, with its 权责清单 (the 清单 item codes and 事项类别 it is responsible for).

    ``unit_code`` has no foreign key: `jiceng init` may drop units no longer in a tenant's file,
    and a department left without its unit is then simply not found from any task's unit.
    """

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("tenant_code", "code", name="uq_departments_tenant_code_key"),
                      UniqueConstraint("tenant_code", "unit_code", "name", name="uq_departments_unit_name"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # functional | government
    items: Mapped[list[Any]] = mapped_column(JSON)
    categories: Mapped[list[Any]] = mapped_column(JSON)


class DepartmentSource(Base):
    """Per tenant, the digest of the departments file `jiceng init` last loaded: an unchanged
    file is not loaded again, so what an admin imported since stays."""

    __tablename__ = "department_sources"

    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


class UnitChange(Base):
    """Org units an import wrote (:mod:`jiceng.platform.units.store`), in the import's transaction.

    Standards kept in memory read the entries after the last one they saw and re-evaluate only
    the counties those units are in (:mod:`jiceng.platform.units.standards`), in whichever process.
    ``codes`` is None when the import wrote more units than are worth listing: everything again.
    """

    __tablename__ = "unit_changes"
    __table_args__ = (Index("uq_unit_changes_tenant_id", "tenant_code", "id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
    codes: Mapped[Optional[list[Any]]] = mapped_column(JSON)


class DepartmentChange(Base):
    """A department registry import that wrote something (:mod:`jiceng.platform.departments.importer`),
    in the import's transaction.

    Its newest id is the *department generation* every check and assignment reads with the pack
    generations (:data:`jiceng.platform.runtime.GENERATIONS`): the departments a process keeps
    are kept under it, so an import is seen by the next request in every process.
    """

    __tablename__ = "department_changes"
    __table_args__ = (Index("uq_department_changes_tenant_id", "tenant_code", "id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_code: Mapped[str] = mapped_column(String(64), ForeignKey("tenants.code"))
