"""Form versions: a task filed on version N stays valid under N, and its decisions replay, after N+1."""
from __future__ import annotations

FORMS = "/api/v1/tenants/{}/forms/{}"
DESIGNER, SENDER, AUDITOR = ("changsha", "designer"), ("changsha", "admin"), ("changsha", "auditor")


def test_task_filed_on_version_n_stays_valid_after_n_plus_1(api, units):
    v1 = api.get(FORMS.format("changsha", "task"), DESIGNER).json
    task = {"title": "老年人优待证初审", "item_code": "X01", "role": "assist", "source_unit": units.cs_city}
    created = api.post("/api/v1/tenants/changsha/tasks", SENDER, json={"task": task})
    assert created.status_code == 201, created.json
    check = api.post("/api/v1/tenants/changsha/admission/check", SENDER,
                     json={"task": dict(task, target_unit=units.cs_communities[0])}).json
    logged = api.get(f"/api/v1/tenants/changsha/decisions/{check['decision_id']}", AUDITOR).json
    assert logged["pack"]["task_form"]["version"] == v1["version"]

    v2 = {"allOf": [v1["schema"]], "required": ["contact_phone"],
          "properties": {"contact_phone": {"type": "string", "pattern": "^1[0-9]{10}$", "x-label": "联系电话"}}}
    r = api.put(FORMS.format("changsha", "task"), DESIGNER, json={"schema": v2})
    assert r.status_code == 200 and r.json["version"] == v1["version"] + 1, r.json

    on_latest = api.post(FORMS.format("changsha", "task") + "/validate", DESIGNER, json={"data": task}).json
    assert on_latest["errors"] == [{"path": "/contact_phone", "message": "缺少必填字段 contact_phone(联系电话)"}]
    on_filed = api.post(FORMS.format("changsha", "task") + "/validate", DESIGNER,
                        json={"data": task, "version": v1["version"]}).json
    assert on_filed == {"valid": True, "errors": [],
                        "form": {"tenant": "changsha", "name": "task", "version": v1["version"]}}
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{check['decision_id']}/replay", AUDITOR).json
    assert replay["same"] is True

    old = api.get(FORMS.format("changsha", "task") + f"?version={v1['version']}", DESIGNER).json
    assert old["schema"] == v1["schema"] and old["latest_version"] == v1["version"] + 1
    versions = api.get(FORMS.format("changsha", "task") + "/versions", DESIGNER).json["versions"]
    assert [v["version"] for v in versions] == [v1["version"] + 1, v1["version"]]
    missing = api.get(FORMS.format("changsha", "task") + "?version=99", DESIGNER)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "form_version_not_found"

