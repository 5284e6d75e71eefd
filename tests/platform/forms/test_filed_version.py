"""Tasks are assigned under the task-form version they were filed on (own module: a fresh database)."""
from __future__ import annotations

FORMS = "/api/v1/tenants/{}/forms/{}"
DESIGNER, SENDER = ("changsha", "designer"), ("changsha", "admin")


def test_a_task_is_assigned_under_the_form_version_it_was_filed_on(api, units):
    """A later form version adding a required field does not stop an older task
    from being assigned (nor a pending assignment from being completed)."""
    v1 = api.get(FORMS.format("changsha", "task"), DESIGNER).json
    task = {"title": "老年人优待证初审", "item_code": "X01", "role": "assist", "funding_provided": False,
            "one_vote_veto": False, "source_unit": units.cs_city}
    created = api.post("/api/v1/tenants/changsha/tasks", SENDER, json={"task": task})
    assert created.status_code == 201, created.json
    v2 = {"allOf": [v1["schema"]], "required": ["contact_phone"],
          "properties": {"contact_phone": {"type": "string", "x-label": "联系电话"}}}
    assert api.put(FORMS.format("changsha", "task"), DESIGNER, json={"schema": v2}).status_code == 200
    target = units.cs_communities[0]
    out = api.post(f"/api/v1/tenants/changsha/tasks/{created.json['id']}/assignments", SENDER,
                   json={"targets": [target]})
    assert out.status_code == 200, out.json
    (result,) = out.json["results"]
    assert result["status"] != "invalid", result
    if result["status"] == "pending":
        path = f"/api/v1/tenants/changsha/assignments/{result['assignment']['id']}"
        again = api.patch(path, SENDER, json={"evidence": {"funding": {"amount": 3000, "source": "区财政"}}})
        assert again.status_code == 200 and again.json["status"] != "invalid", again.json
    fresh = api.post("/api/v1/tenants/changsha/tasks", SENDER, json={"task": task})
    assert fresh.status_code == 422  # a new task is filed on the latest version
