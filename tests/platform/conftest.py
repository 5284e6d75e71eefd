"""Fixtures for the service tests: one parametrised database fixture.

Every database test runs on SQLite and, when ``JICENG_TEST_DATABASE_URL`` is
set, again on PostgreSQL. Each database is fresh: a new SQLite file, or a
new PostgreSQL schema with a unique name (selected through ``search_path``),
so pytest-xdist workers never collide on the shared ``test`` database.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest
from sqlalchemy import create_engine

from jiceng.platform.app import create_app
from jiceng.platform.db.engine import Database, normalise_url
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory
from jiceng.platform.auth.tokens import ROLES, issue

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("JICENG_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TENANTS = ("hunan", "changsha", "zhuzhou", "heilongjiang")

#: unit codes of tests/platform/fixtures/tenants, as the ``units`` fixture
UNITS = SimpleNamespace(
    cs_city="430100000000", cs_district="430102000000", cs_street="430102001000", cs_street2="430102002000",
    cs_communities=("430102001001", "430102001002", "430102001003"), cs_community2="430102002001",
    cs_grids=("430102001001001", "430102001001002"),
    zz_street="430202001000", zz_community="430202001001", hlj_street="230102001000", hlj_community="230102001001")


@contextmanager
def new_database(backend: str, tmp_dir: Path) -> Iterator[Database]:
    """A fresh, empty database of ``backend`` (dropped afterwards on PostgreSQL)."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_dir / 'jiceng.db'}")
        try:
            yield db
        finally:
            db.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    db = Database(PG_URL, schema=schema, pool_size=12)
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


class Api:
    """The Flask test client with a token per (tenant, role)."""

    def __init__(self, app, tokens: dict):
        self.app = app
        self.client = app.test_client()
        self.tokens = tokens

    def headers(self, tenant: str, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[(tenant, role)]}"}

    def call(self, method: str, path: str, as_: tuple[str, str] | None = None, **kw):
        headers = dict(kw.pop("headers", {}))
        if as_ is not None:
            headers.update(self.headers(*as_))
        return self.client.open(path, method=method, headers=headers, **kw)

    def log_in(self, tenant: str, role: str) -> str:
        """Log the test client's browser session in with the (tenant, role) token, as a person does
        on ``/login``; returns the session's CSRF token, which every page POST must carry."""
        csrf = self.csrf()
        r = self.client.post("/login", data={"token": self.tokens[(tenant, role)], "csrf_token": csrf})
        assert r.status_code == 303, r.get_data(as_text=True)
        return self.csrf()

    def csrf(self) -> str:
        """The browser session's CSRF token (one is made by opening the login page)."""
        with self.client.session_transaction() as session:
            if "csrf" not in session:
                session["csrf"] = "test-csrf-" + uuid.uuid4().hex
            return session["csrf"]

    def get(self, path, as_=None, **kw):
        return self.call("GET", path, as_, **kw)

    def post(self, path, as_=None, **kw):
        return self.call("POST", path, as_, **kw)

    def put(self, path, as_=None, **kw):
        return self.call("PUT", path, as_, **kw)

    def patch(self, path, as_=None, **kw):
        return self.call("PATCH", path, as_, **kw)

    def publish(self, tenant: str, number: int, effective_from: str | None = None, proposer: str = "admin",
                approver: tuple[str, str] | None = None, **expected):
        """Publish version ``number`` of ``tenant``'s pack the only way a person can: ``(tenant, proposer)``
        proposes it (``expected_current=`` passes through; rollback: name the version in force) and a
        second admin approves it — ``approver``, by default the tenant's other admin token ``admin2``.
        Returns the approval's response, or the proposal's when the proposal is refused."""
        body = {"effective_from": effective_from} if effective_from else {}
        proposed = self.post(f"/api/v1/tenants/{tenant}/packs/{number}/proposals", (tenant, proposer),
                             json={**body, **expected})
        if proposed.status_code != 201:
            return proposed
        return self.post(f"/api/v1/tenants/{tenant}/packs/proposals/{proposed.json['id']}/approve",
                         approver or (tenant, "admin2"), json={})


def issue_tokens(session, directory: TenantDirectory, tenants) -> dict:
    """A token per role of each of ``tenants``, keyed ``(tenant, role)``, and a second admin token
    ``(tenant, "admin2")``: maker-checker needs one admin to approve what another proposes."""
    tokens = {}
    for tenant in tenants:
        for role in ROLES:
            tokens[(tenant, role)] = issue(session, directory, tenant, role)[0]
        tokens[(tenant, "admin2")] = issue(session, directory, tenant, "admin", label="second admin")[0]
    return tokens


@pytest.fixture(scope="session")
def units() -> SimpleNamespace:
    return UNITS


@pytest.fixture(scope="module", params=BACKENDS)
def database(request, tmp_path_factory) -> Iterator[Database]:
    """A fresh database per test module and backend, migrated and loaded from the fixtures."""
    with new_database(request.param, tmp_path_factory.mktemp("db")) as db:
        run_init(db, FIXTURES)
        yield db


@pytest.fixture(scope="module")
def api(database) -> Api:
    app = create_app({"DATABASE": database})
    with database.write() as session:
        directory = TenantDirectory.load(session)
        tokens = issue_tokens(session, directory, TENANTS)
        tokens[("changsha", "street")] = issue(session, directory, "changsha", "township", UNITS.cs_street)[0]
        # a department bound to the street: the street's own office (科室), which files tasks in its name
        tokens[("changsha", "street office")] = issue(session, directory, "changsha", "department", UNITS.cs_street)[0]
    return Api(app, tokens)


@pytest.fixture
def fresh_database(request, tmp_path) -> Iterator[Database]:
    """A fresh, loaded database for one test (parametrised over backends by ``backend``)."""
    with new_database(request.param, tmp_path) as db:
        run_init(db, FIXTURES)
        yield db


@pytest.fixture
def empty_database(request, tmp_path) -> Iterator[Database]:
    """A fresh database for one test, not loaded: the test runs `jiceng init` itself."""
    with new_database(request.param, tmp_path) as db:
        yield db


def pytest_generate_tests(metafunc):
    if "fresh_database" in metafunc.fixturenames:  # also through fresh_api
        metafunc.parametrize("fresh_database", BACKENDS, indirect=True)
    if "empty_database" in metafunc.fixturenames:
        metafunc.parametrize("empty_database", BACKENDS, indirect=True)


@pytest.fixture
def fresh_api(fresh_database) -> Api:
    """An :class:`Api` on a fresh database (one test), with changsha tokens only (and a second admin)."""
    db = fresh_database
    app = create_app({"DATABASE": db})
    with db.write() as session:
        tokens = issue_tokens(session, TenantDirectory.load(session), ["changsha"])
    return Api(app, tokens)
