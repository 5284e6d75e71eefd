"""Forms over the API: inherited reads, new versions, refusing a form that breaks a pack, validation."""
from __future__ import annotations

FORMS = "/api/v1/tenants/{}/forms/{}"
DESIGNER = ("changsha", "designer")


def test_read_own_and_inherited(api):
    own = api.get(FORMS.format("changsha", "task"), DESIGNER).json
    assert own["tenant"] == "changsha" and own["inherited_from"] is None and own["version"] == 1
    inherited = api.get(FORMS.format("zhuzhou", "task"), ("zhuzhou", "designer")).json
    assert inherited["inherited_from"] == "national" and "properties" in inherited["schema"]
    r = api.get(FORMS.format("changsha", "report"), DESIGNER)
    assert r.status_code == 404 and r.json["error"]["code"] == "form_not_found"


def test_validate_sample_data(api):
    r = api.post(FORMS.format("changsha", "task") + "/validate", ("changsha", "department"),
                 json={"data": {"title": "x", "deadline": "2024-13-45", "contact": 5}})
    body = r.json
    assert body["valid"] is False and body["form"]["tenant"] == "changsha"
    assert {e["path"] for e in body["errors"]} == {"/deadline", "/contact"}
    ok = api.post(FORMS.format("changsha", "task") + "/validate", DESIGNER, json={"data": {"title": "x"}})
    assert ok.json == {"valid": True, "errors": [], "form": {"tenant": "changsha", "name": "task", "version": 1}}


def test_put_new_version_and_idempotent(api):
    schema = {"type": "object", "properties": {"region": {"type": "string"}}, "required": ["region"]}
    r = api.put(FORMS.format("changsha", "report"), DESIGNER, json={"schema": schema})
    assert r.status_code == 200 and r.json["version"] == 1 and r.json["created"] is True
    again = api.put(FORMS.format("changsha", "report"), DESIGNER, json={"schema": schema})
    assert again.json["created"] is False and again.json["version"] == 1
    r = api.post(FORMS.format("changsha", "report") + "/validate", DESIGNER, json={"data": {}})
    assert r.json["errors"] == [{"path": "/region", "message": "缺少必填字段 region"}]


def test_put_refuses_invalid_schema_and_schema_breaking_a_pack(api):
    r = api.put(FORMS.format("changsha", "task"), DESIGNER, json={"schema": {"type": "objekt"}})
    assert r.status_code == 422 and r.json["error"]["code"] == "schema_invalid"
    narrow = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    r = api.put(FORMS.format("changsha", "task"), DESIGNER, json={"schema": narrow})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_breaks_pack"
    assert any(d["code"] == "E204" for d in r.json["error"]["details"])  # task.category no longer on the form
    assert api.get(FORMS.format("changsha", "task"), DESIGNER).json["version"] == 1


def test_put_needs_designer_or_admin(api):
    r = api.put(FORMS.format("changsha", "report"), ("changsha", "department"), json={"schema": {}})
    assert r.status_code == 403
