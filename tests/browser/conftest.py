"""Browser tests of the console: Playwright driving Debian's Chromium (``/usr/bin/chromium``)
against the real app, served by werkzeug in a thread on a temporary SQLite database loaded
from the platform test fixtures.

They skip, saying how to enable them, when Chromium or Playwright is missing (``.ci/run``
installs Chromium, so CI always runs them). Never ``playwright install``: the machines are
offline; Playwright drives the system browser. With ``JICENG_SCREENSHOTS=<folder>`` each
journey also saves a screenshot of every page it passes (``make screenshots``).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import issue
from jiceng.platform.db.engine import Database
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

CHROMIUM = os.environ.get("JICENG_CHROMIUM", "/usr/bin/chromium")
FIXTURES = Path(__file__).resolve().parents[1] / "platform" / "fixtures"
HOW = ("浏览器测试已跳过:需要 Debian 的 Chromium 与中文字体(apt-get install -y chromium fonts-wqy-microhei)"
       "和 pip 包 playwright(make install 会装);.ci/run 缺少时自动安装")
REGISTRY = "code,name,unit,kind,items,categories\ncs-mzj,市民政局,430100000000,functional,X01,社会救助\n"
ROLES = ("admin", "admin2", "department", "township", "designer", "auditor")
SEEDED_TASK = "协助老年人优待证初审(预置)"


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """``(base_url, tokens)``: the app served on a free port, tokens by role (changsha)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)) or _playwright() is None:
        pytest.skip(HOW)
    from werkzeug.serving import make_server
    folder = tmp_path_factory.mktemp("browser")
    db = Database(f"sqlite:///{folder / 'jiceng.db'}")
    run_init(db, FIXTURES)
    tokens = {}
    with db.write() as session:
        directory = TenantDirectory.load(session)
        for role in ROLES:
            tokens[role] = issue(session, directory, "changsha", role.rstrip("2"))[0]
    app = create_app({"DATABASE": db, "SECRET_KEY": "browser-tests"})
    r = app.test_client().post("/api/v1/tenants/changsha/departments/import", data=REGISTRY.encode(),
                               content_type="text/csv", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert r.status_code in (200, 201), r.json
    _seed(app.test_client(), tokens)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", tokens
    srv.shutdown()
    db.dispose()


def _seed(client, tokens) -> None:
    """What the township's and the auditor's journeys find, whichever worker runs them (pytest-xdist
    may run each journey on a server of its own): a task assigned to a street's communities (all
    conditional), one of them admitted once its funding is supplied."""
    def call(method, path, role, body):
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[role]}"})
        assert r.status_code in (200, 201), r.json
        return r.json
    task = call("POST", "/api/v1/tenants/changsha/tasks", "department", {"task": {
        "title": SEEDED_TASK, "item_code": "X01", "role": "assist", "kind": "work", "one_vote_veto": False,
        "funding_provided": False,
        "source_unit": "430100000000", "source_department": "市民政局"}})
    results = call("POST", f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", "department",
                   {"children_of": "430102001000"})["results"]
    first = results[0]["assignment"]["id"]
    codes = [q["code"] for q in results[0]["requirements"]]
    evidence = {"funding": {"amount": 5000, "source": "区财政"}}
    if "work_conditions" in codes:
        evidence["work_conditions"] = {"description": "办公室一间"}
    call("PATCH", f"/api/v1/tenants/changsha/assignments/{first}", "department", {"evidence": evidence})


@pytest.fixture(scope="session")
def seeded_task(server) -> str:
    """The title of the task the server was seeded with."""
    return SEEDED_TASK


@pytest.fixture(scope="session")
def browser(server):
    with _playwright()() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Person:
    """One role's browser tab: logs in on /login like a person, and screenshots pages on request."""

    def __init__(self, browser, base: str, token: str, shots: str | None):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.base, self.shots = base, shots
        self.page.goto(base + "/login")
        self.page.fill("#token", token)
        self.page.click("form:has(#token) button[type=submit]")
        self.page.wait_for_load_state()

    def open(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> None:
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def person(browser, server):
    base, tokens = server
    people = []

    def log_in(role: str) -> Person:
        p = Person(browser, base, tokens[role], os.environ.get("JICENG_SCREENSHOTS"))
        people.append(p)
        return p
    yield log_in
    for p in people:
        p.close()
