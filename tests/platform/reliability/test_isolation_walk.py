"""The isolation walk (issue 11), built from the OpenAPI document so that a new route is walked
as soon as it is documented: every operation × every foreign tenant (another province, a sibling
city, a city's token asking for its province) × every role (and a unit-bound township token) is
refused — 404 or 403 — with the error body the document declares for that status (the JSON error
body for the API, the HTML refusal page for pages), and nothing of the owner's data in it.

The owner's resources are real (the owner's own GETs answer 200), so a refusal is isolation,
not a wrong id. Global routes (checkpoints, login) are walked with every token too: a non-root
tenant is refused, and none answers with a tenant's data."""
from __future__ import annotations

import io
import re
import time

import openpyxl
import pytest

from jiceng.platform.auth.tokens import ROLES, issue, token_id
from jiceng.platform.tenants.directory import TenantDirectory
from jiceng.platform.pages.console import STATIC_FILES

OWNER = "changsha"
#: (tenant whose token asks, tenant it asks for): another province, a sibling, the owner's parent
FOREIGN = [("heilongjiang", OWNER), ("zhuzhou", OWNER), (OWNER, "hunan")]
#: what only the owner's data holds: unit names, the task, its item code, the registry's department
LEAKS = ("文艺路", "识字岭", "长沙市", "芙蓉区", "优待证隔离", "X01", "wyl-dgw", "街道党工委办事处")
#: each fixture tenant's reach (itself and the tenants below it)
REACH = {"hunan": {"hunan", "changsha", "zhuzhou"}, "changsha": {"changsha"}, "zhuzhou": {"zhuzhou"},
         "heilongjiang": {"heilongjiang"}}
METHODS = ("get", "post", "put", "patch", "delete")
ERROR_KEYS = {"code", "message", "details"}


@pytest.fixture(scope="module")
def owner(api, units):
    """Real ids of the owner's resources (an owner's request with them succeeds)."""
    sender = ("changsha", "township")
    task = api.post("/api/v1/tenants/changsha/tasks", ("changsha", "admin"),
                    json={"task": {"title": "优待证隔离", "item_code": "X01", "source_unit": units.cs_city}}).json
    res = api.post(f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", sender,
                   json={"targets": [units.cs_communities[0]]}).json["results"][0]
    registry = f"code,name,unit,kind\nwyl-dgw,街道党工委办事处,{units.cs_street},government\n"
    assert api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"),
                    data=registry.encode(), content_type="text/csv").status_code == 200
    with api.app.extensions["jiceng"].db.write() as session:
        directory = TenantDirectory.load(session)
        for tenant, unit in (("zhuzhou", units.zz_street), ("heilongjiang", units.hlj_street)):
            api.tokens[(tenant, "township@unit")] = issue(session, directory, tenant, "township", unit)[0]
        auditor = token_id(session, api.tokens[("changsha", "auditor")])
    api.tokens[("changsha", "township@unit")] = api.tokens[("changsha", "street")]
    # a draft that changes the owner's decision: its impact job then lists the owner's data
    admin = ("changsha", "admin")
    files = api.get("/api/v1/tenants/changsha/packs/1", admin).json["files"]
    files["pack.jc"] += '\nrule 隔离检查 "x"\n  when task.title == "优待证隔离"\n  then reject\n'
    draft = api.post("/api/v1/tenants/changsha/packs", admin, json={"files": files})
    assert draft.status_code == 201, draft.json
    number = draft.json["number"]
    job = api.post(f"/api/v1/tenants/changsha/packs/{number}/impact", admin, json={}).json
    for _ in range(600):  # a finished job, so that its changes and CSV can be read
        if api.get(f"/api/v1/tenants/changsha/packs/{number}/impact/{job['id']}", admin).json["status"] == "done":
            break
        time.sleep(0.05)
    proposal = api.post(f"/api/v1/tenants/changsha/packs/{number}/proposals", admin, json={"expected_current": 1})
    assert proposal.status_code == 201, proposal.json
    return {"task_id": task["id"], "assignment_id": res["assignment"]["id"], "decision_id": res["decision_id"],
            "number": number, "token_id": auditor, "unit": units.cs_street, "job_id": job["id"],
            "proposal_id": proposal.json["id"]}


def _value(path: str, name: str, owner: dict):
    """A real value of the owner's for the path parameter ``name`` (a new parameter fails here,
    naming itself, until the walk is told a real value for it)."""
    if name == "code":
        return "wyl-dgw" if "/departments/" in path else owner["unit"]
    if name == "name":
        return "社区工作者配备" if "/standards/" in path else "task"
    if name == "file":  # the console's own styles and scripts: public, no tenant's data
        return sorted(STATIC_FILES)[0]
    return owner[name]


def _operations(doc: dict, owner: dict):
    """(method, concrete path for the owner, templated path, the operation) for every documented operation."""
    for template, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            path = template
            for name in re.findall(r"\{(\w+)\}", template):
                if name != "tenant":
                    path = path.replace("{" + name + "}", str(_value(template, name, owner)))
            yield method.upper(), path, template, op


def _holders():
    return [(tenant, role) for tenant, _ in FOREIGN for role in (*ROLES, "township@unit")]


def _declared_types(op: dict, status: int) -> set[str]:
    response = op["responses"].get(str(status)) or {}
    return set((response.get("content") or {}).keys())


def _session(api, holder):
    """A browser session logged in with ``holder``'s token: (client, CSRF token)."""
    browser = api.__class__(api.app, api.tokens)
    csrf = browser.csrf()
    r = browser.client.post("/login", data={"token": api.tokens[holder], "csrf_token": csrf})
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    return browser, browser.csrf()


def _send(api, browsers, holder, method, path, template):
    if template.startswith("/api/"):
        return api.call(method, path, holder, json={})
    if holder not in browsers:
        browsers[holder] = _session(api, holder)
    browser, csrf = browsers[holder]
    data = {"csrf_token": csrf} if method != "GET" else None
    return browser.client.open(path, method=method, data=data)


def _assert_refused(resp, op, what, allowed=(403, 404)):
    text = _text(resp)
    assert resp.status_code in allowed, (what, resp.status_code, text[:300])
    declared = _declared_types(op, resp.status_code)
    assert resp.mimetype in declared, (what, resp.status_code, resp.mimetype, declared)
    if resp.mimetype == "application/json":
        assert set(resp.json["error"]) == ERROR_KEYS, (what, text[:300])
    for leak in LEAKS:
        assert leak not in text, (what, leak)


def test_every_documented_operation_refuses_every_foreign_token(api, owner):
    doc = api.get("/api/v1/openapi.json").json
    operations = list(_operations(doc, owner))
    tenant_ops = [o for o in operations if "{tenant}" in o[2]]
    assert len(tenant_ops) >= 40  # the document lists them all (test_openapi checks it against the routes)
    browsers: dict = {}
    probes = 0
    for asking, asked in FOREIGN:
        for role in (*ROLES, "township@unit"):
            holder = (asking, role)
            for method, path, template, op in tenant_ops:
                target = path.replace("{tenant}", asked)
                resp = _send(api, browsers, holder, method, target, template)
                _assert_refused(resp, op, (holder, method, template))
                probes += 1
    assert probes == len(tenant_ops) * len(_holders())
    print(f"isolation walk: {probes} probes over {len(tenant_ops)} operations, 0 leaks")


def test_the_owner_reads_what_the_walk_asks_for(api, owner):
    # without this the walk's 404s could be ids that exist nowhere
    doc = api.get("/api/v1/openapi.json").json
    for method, path, template, op in _operations(doc, owner):
        if method == "GET" and template.startswith("/api/v1/tenants/{tenant}"):
            r = api.get(path.replace("{tenant}", OWNER), ("changsha", "admin"))
            assert r.status_code == 200, (template, _text(r)[:300])
            assert any(leak in _text(r) for leak in LEAKS + ("changsha",)), template


def _text(resp) -> str:
    """What a person reads in an answer: a spreadsheet's cells, or the body's text."""
    if resp.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(resp.get_data()), read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for v in row if v is not None)
    return resp.get_data(as_text=True)


def test_global_operations_hold_no_tenant_data_and_refuse_non_roots(api, owner):
    doc = api.get("/api/v1/openapi.json").json
    roots = {"hunan", "heilongjiang"}  # the fixtures' tenants without a parent
    browsers: dict = {}
    for method, path, template, op in _operations(doc, owner):
        if "{tenant}" in template or template.startswith(("/api/v1/openapi", "/api/v1/docs")):
            continue
        for tenant in ("changsha", "zhuzhou", "hunan", "heilongjiang"):
            for role in ROLES:
                holder = (tenant, role)
                if template.startswith("/api/v1/checkpoints"):
                    resp = api.call(method, path, holder, json={})
                    if tenant not in roots:
                        _assert_refused(resp, op, (holder, method, template), allowed=(403,))
                        assert resp.json["error"]["code"] in ("checkpoint_root_only", "forbidden")
                        continue
                elif template.startswith("/api/"):
                    resp = api.call(method, path, holder, json={})
                else:
                    resp = _send(api, browsers, holder, method, path, template)
                text = _text(resp)
                assert resp.status_code < 500, (holder, method, template, text[:300])
                if template == "/api/v1/tenants" and method == "GET":
                    # the tenant directory answers the caller's reach: its own tenant and those below
                    codes = {t["code"] for t in resp.json["tenants"]}
                    assert tenant in codes and codes <= REACH[tenant], (holder, codes)
                    if OWNER in REACH[tenant]:
                        continue
                for leak in LEAKS:
                    assert leak not in text, (holder, method, template, leak)
