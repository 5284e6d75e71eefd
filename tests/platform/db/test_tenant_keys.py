"""The schema stays ready to be distributed by tenant (docs/scaling.md, Citus): every
tenant-owned table has ``tenant_code`` in its primary key or a unique key, and every foreign key
between tenant-owned tables carries ``tenant_code`` on both sides, so that a tenant's rows and
the rows they point at live on the same node.

Checked twice: on the models, and on the schema the migrations build (SQLite and PostgreSQL),
read back with SQLAlchemy's inspector.
"""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from jiceng.platform.db.models import Base

#: tables every node holds a copy of (Citus reference tables), with the reason
REFERENCE_TABLES = {
    "tenants": "the tenant registry itself: every request resolves its tenant and the chain of parents",
    "org_units": "the national division tree: a tenant's checks read parents and children in other "
                 "tenants (a province's street, a city's communities); written only by imports",
    "api_tokens": "a token is found by its hash before its tenant is known",
    "decision_checkpoints": "one signed statement covers every tenant's chain head",
}

#: foreign keys between tenant-owned tables allowed without tenant_code, with the reason;
#: each is dropped when the tables are distributed and checked by the service instead
ALLOWED = {
    ("assignments", ("task_id",)): "a task filed by a province is assigned to units of its cities: the "
                                   "assignment lives with its unit's tenant and decision, the task with "
                                   "the tenant that filed it (the service checks reach when assigning)",
    ("impact_changes", ("job_id",)): "a province's impact job lists the changed decisions of its cities: each "
                                     "row lives with its decision's tenant and names the job of the tenant that "
                                     "ran it (jobs are read only by their tenant's admins)",
    ("tasks", ("form_id",)): "a task is filed on the form in force along its tenant's chain, often a "
                             "parent's (national's or the province's): the form belongs to another tenant",
}


def tenant_tables(tables: dict) -> dict:
    return {name: t for name, t in tables.items() if name not in REFERENCE_TABLES}


def check(tables: dict[str, dict]) -> list[str]:
    """Problems with ``tables`` (name -> {"columns", "pk", "unique": [cols…], "fks": [(cols, table, refcols)]})."""
    problems = []
    owned = tenant_tables(tables)
    for name, t in owned.items():
        if "tenant_code" not in t["columns"]:
            problems.append(f"{name}: no tenant_code (add it, or list the table in REFERENCE_TABLES with a reason)")
            continue
        if "tenant_code" not in t["pk"] and not any("tenant_code" in u for u in t["unique"]):
            problems.append(f"{name}: tenant_code in neither the primary key nor a unique key")
        for cols, referred, refcols in t["fks"]:
            if referred not in owned:
                continue
            if (name, tuple(c for c in cols if c != "tenant_code")) in ALLOWED and "tenant_code" not in cols:
                continue
            pairs = dict(zip(cols, refcols))
            if pairs.get("tenant_code") != "tenant_code":
                problems.append(f"{name}: foreign key {cols} -> {referred}{refcols} does not match tenant_code")
            elif set(refcols) not in [set(u) for u in tables[referred]["unique"]] + [set(tables[referred]["pk"])]:
                problems.append(f"{name}: foreign key {cols} -> {referred}{refcols} targets no unique key")
    return problems


def _partial(options) -> bool:
    """A partial unique index (``… WHERE status != 'rejected'``) is no key."""
    return any(key.endswith("_where") and value is not None for key, value in options.items())


def from_models() -> dict[str, dict]:
    out = {}
    for name, table in Base.metadata.tables.items():
        unique = [[c.name for c in u.columns] for u in table.constraints if u.__class__.__name__ == "UniqueConstraint"]
        unique += [[c.name for c in ix.columns] for ix in table.indexes
                   if ix.unique and not _partial(ix.dialect_kwargs)]
        fks = [([e.parent.name for e in fk.elements], fk.elements[0].column.table.name,
                [e.column.name for e in fk.elements]) for fk in table.foreign_key_constraints]
        out[name] = {"columns": [c.name for c in table.columns], "pk": [c.name for c in table.primary_key.columns],
                     "unique": unique, "fks": fks}
    return out


def from_database(db) -> dict[str, dict]:
    out = {}
    with db.engine.connect() as conn:
        insp = inspect(conn)
        schema = db.schema
        for name in insp.get_table_names(schema=schema):
            if name == "alembic_version":
                continue
            unique = [u["column_names"] for u in insp.get_unique_constraints(name, schema=schema)]
            unique += [ix["column_names"] for ix in insp.get_indexes(name, schema=schema)
                       if ix["unique"] and not _partial(ix.get("dialect_options") or {})]
            fks = [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                   for fk in insp.get_foreign_keys(name, schema=schema)]
            out[name] = {"columns": [c["name"] for c in insp.get_columns(name, schema=schema)],
                         "pk": insp.get_pk_constraint(name, schema=schema)["constrained_columns"],
                         "unique": unique, "fks": fks}
    return out


def test_the_models_are_keyed_by_tenant():
    assert check(from_models()) == []


def test_the_migrated_schema_is_keyed_by_tenant(fresh_database):
    tables = from_database(fresh_database)
    assert set(tables) == set(Base.metadata.tables)
    assert check(tables) == []


def test_every_exception_is_still_needed():
    """An allowed exception that the schema no longer has is removed from the list."""
    tables = from_models()
    for (name, cols), _reason in ALLOWED.items():
        assert any(tuple(fk[0]) == cols and "tenant_code" not in fk[0] for fk in tables[name]["fks"]), (name, cols)
    assert set(REFERENCE_TABLES) <= set(tables)


@pytest.mark.parametrize("mutation", ["drop_key", "untenanted_fk", "new_table", "fk_without_target_key"])
def test_the_check_finds_each_kind_of_problem(mutation):
    tables = from_models()
    if mutation == "drop_key":
        tables["departments"]["unique"] = []
    elif mutation == "untenanted_fk":
        tables["publications"]["fks"] = [(["version_id"], "pack_versions", ["id"])]
    elif mutation == "new_table":
        tables["notes"] = {"columns": ["id", "body"], "pk": ["id"], "unique": [], "fks": []}
    else:
        tables["pack_versions"]["unique"] = [u for u in tables["pack_versions"]["unique"] if "id" not in u]
    problems = check(tables)
    if mutation == "fk_without_target_key":  # each table referring to pack versions by (tenant, id) is named
        referring = sorted(name for name, t in tables.items()
                           if any(ref == "pack_versions" and "tenant_code" in cols for cols, ref, _ in t["fks"]))
        assert "publications" in referring and sorted(p.split(":")[0] for p in problems) == referring, problems
    else:
        assert len(problems) == 1, problems
