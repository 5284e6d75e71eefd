"""Every route declares its access once, and the one request hook refuses (403) exactly the roles
that the permission table (``PERMISSIONS``) leaves out — for the API and the HTML pages alike."""
from __future__ import annotations

import re

import pytest
from flask import Flask

from jiceng.platform.api.auth import access_of, require_declarations, requires
from jiceng.platform.auth.tokens import PERMISSIONS, ROLES, issue
from jiceng.platform.tenants.directory import TenantDirectory

PUBLIC = {"site.index", "site.healthz", "site.openapi", "site.docs", "site.docs_asset", "login.login", "login.logout",
          "console.static"}
#: public, but their POSTs need the session's CSRF token (tests/platform/tokens/test_login.py)
LOGIN = {"login.login", "login.logout"}
#: what SPEC §1 gives each role, pinned: a view declaring another permission is a change of the contract
PINNED = {
    ("POST", "admission.admission_check"): "check", ("GET", "tenants.lists"): "read",
    ("POST", "packs.create_draft"): "pack.write", ("POST", "packs.publish"): "pack.write",
    ("POST", "packs.run_tests"): "pack.write", ("POST", "impact.start"): "pack.write",
    ("GET", "packs.diff"): "read", ("PUT", "forms.replace_form"): "form.write",
    ("POST", "forms.validate"): "form.validate", ("POST", "tasks.create_task"): "task.create",
    ("POST", "tasks.assign"): "task.assign", ("PATCH", "tasks.patch_assignment"): "task.assign",
    ("GET", "decisions.list_decisions"): "decisions.read", ("GET", "decisions.replay"): "decisions.read",
    ("GET", "decisions.verify"): "decisions.read", ("POST", "units.import_file"): "units.import",
    ("GET", "form_pages.form_page"): "read", ("POST", "form_pages.form_page"): "form.validate",
    ("GET", "operator_pages.check"): "check", ("POST", "operator_pages.check"): "check",
    ("GET", "operator_pages.notice"): "notice.read",
    ("GET", "tokens.list_tokens"): "tokens.manage", ("POST", "tokens.issue_token"): "tokens.manage",
    ("POST", "tokens.revoke_token"): "tokens.manage",
    ("POST", "tenants.tenant_create"): "tenants.manage", ("PATCH", "tenants.tenant_update"): "tenants.manage",
    ("POST", "lists.import_file"): "pack.write", ("GET", "lists.export"): "read",
    ("POST", "packs.propose"): "pack.write", ("POST", "packs.approve"): "pack.write",
    ("POST", "packs.reject"): "pack.write", ("GET", "console_packs.workspace"): "pack.write",
    ("POST", "console_packs.approve"): "pack.write", ("GET", "console_audit.decisions"): "decisions.read",
    ("GET", "console_forms.edit"): "form.write", ("POST", "console_tasks.tasks"): "task.create",
    ("GET", "console_tasks.tasks"): "task.create", ("GET", "console_tasks.task"): "task.assign",
    ("POST", "console_tasks.forward"): "task.assign", ("POST", "console_tasks.supply"): "task.assign",
    ("GET", "console_tasks.inbox"): "inbox.read",
}


@pytest.fixture(scope="module")
def resources(api, units):
    """Real ids of changsha's resources, so that a permitted request gets past the ids."""
    sender = ("changsha", "admin")
    task = api.post("/api/v1/tenants/changsha/tasks", sender,
                    json={"task": {"title": "居民会议", "item_code": "Z01", "source_unit": units.cs_city}}).json
    res = api.post(f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", sender,
                   json={"targets": [units.cs_street]}).json["results"][0]
    return {"tenant": "changsha", "task_id": task["id"], "assignment_id": res["assignment"]["id"],
            "decision_id": res["decision_id"], "number": 1, "code": units.cs_street, "name": "task",
            "path:name": "swagger-ui.css", "id:token_id": 1, "id:proposal_id": 1, "file": "console.css", "id:job_id": 1}


def routes(app, resources):
    """(method, path, endpoint) of every route, its parameters filled in."""
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            value = resources.get(f"{conv}:{name}", resources.get(name))
            path = path.replace(f"<{conv + ':' if conv else ''}{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint


def minimal_body(app, endpoint: str, method: str) -> dict:
    """Enough of a request to pass for one: a form for a page's POST, an empty JSON object elsewhere."""
    if method == "GET":
        return {}
    if access_of(app, endpoint).token_in_page:
        return {"data": {"/title": ""}}
    return {"json": {}}


def test_every_route_declares_a_permission_or_that_it_is_public(api):
    declared = {rule.endpoint: access_of(api.app, rule.endpoint) for rule in api.app.url_map.iter_rules()}
    assert all(access is not None for access in declared.values()), declared
    assert {e for e, access in declared.items() if access.permission is None and not access.by_method} == PUBLIC
    for rule in api.app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            permission = declared[rule.endpoint].permission_for(method)
            assert permission is None or permission in PERMISSIONS, (rule.endpoint, method)
    for (method, endpoint), permission in PINNED.items():
        assert declared[endpoint].permission_for(method) == permission, (method, endpoint)


def test_an_app_with_an_undeclared_route_does_not_start():
    app = Flask(__name__, static_folder=None)
    app.add_url_rule("/declared", "declared", requires("read")(lambda: ""))
    require_declarations(app)
    app.add_url_rule("/forgotten", "forgotten", lambda: "")
    with pytest.raises(RuntimeError, match="forgotten"):
        require_declarations(app)


@pytest.fixture(scope="module")
def root_tokens(api, database):
    """Tokens of the root tenant, for the routes that cover every tenant."""
    with database.write() as session:
        directory = TenantDirectory.load(session)
        for role in ROLES:
            api.tokens.setdefault(("national", role), issue(session, directory, "national", role)[0])


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_exactly_where_the_table_says(api, resources, root_tokens, role):
    checked = 0
    for method, path, endpoint in routes(api.app, resources):
        permission = access_of(api.app, endpoint).permission_for(method)
        if endpoint in LOGIN and method == "POST":
            continue  # no permission: refused (403) for want of a CSRF token, whatever the role
        # Routes outside /tenants/<t> cover every tenant (the signed checkpoints): only the root
        # tenant's tokens reach them, so the role table is tried with those.
        tenant = "changsha" if "/tenants/" in path else "national"
        r = api.call(method, path, (tenant, role), **minimal_body(api.app, endpoint, method))
        if permission is not None and role not in PERMISSIONS[permission]:
            assert r.status_code == 403, (role, method, endpoint, r.status_code, r.get_data(as_text=True)[:300])
            if not access_of(api.app, endpoint).token_in_page:
                assert r.json["error"]["code"] == "forbidden"
                assert r.json["error"]["details"] == {"role": role, "permission": permission}
        elif (method, endpoint) == ("POST", "packs.approve") and r.status_code == 403:
            # the admin proposed it a moment ago (packs.propose): maker-checker refuses the proposer
            assert r.json["error"]["code"] == "self_approval"
            checked += 1
        elif (method, endpoint) == ("POST", "console_packs.approve") and r.status_code == 403:
            # the same on the page: the admin proposed it a moment ago (console_packs.propose)
            assert "申请人不能批准自己的申请" in r.get_data(as_text=True)
            checked += 1
        elif (method, endpoint) == ("POST", "packs.publish"):
            # maker-checker: the direct route refuses even the roles holding pack.write
            assert (r.status_code, r.json["error"]["code"]) == (403, "approval_required"), r.json
            checked += 1
        else:
            assert r.status_code != 403, (role, method, endpoint, r.get_data(as_text=True)[:300])
            checked += 1
    assert checked >= 5  # every role may at least read


def test_public_routes_need_no_token_and_the_others_do(api, resources):
    for method, path, endpoint in routes(api.app, resources):
        r = api.call(method, path, **minimal_body(api.app, endpoint, method))
        if endpoint in LOGIN and method == "POST":
            assert r.status_code == 403 and "页面已过期" in r.get_data(as_text=True), (method, endpoint)
        elif endpoint in PUBLIC:
            assert r.status_code == 200, (method, endpoint, r.status_code)
        elif access_of(api.app, endpoint).token_in_page:  # a page without a login leads to the login page
            assert r.status_code == 303 and r.location.startswith("/login?next="), (method, endpoint, r.status_code)
        else:
            assert r.status_code == 401, (method, endpoint, r.status_code)
