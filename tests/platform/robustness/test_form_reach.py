"""A form's ``$ref`` cannot reach another tenant's form outside the writer's reach (issue 11,
item 4): only the tenant's own forms and its ancestors' (changsha: changsha, hunan, national)."""
from __future__ import annotations

import pytest

from jiceng.platform.forms import editing
from jiceng.platform.forms.store import FORM_BASE, put_form
from jiceng.platform.runtime import Runtime

FORMS = "/api/v1/tenants/changsha/forms"
ADMIN = ("changsha", "admin")


def _schema(ref: str) -> dict:
    return {"schema": {"type": "object", "allOf": [{"$ref": ref}]}}


@pytest.mark.parametrize("ref", [
    f"{FORM_BASE}heilongjiang/task.schema.json",        # another province
    f"{FORM_BASE}zhuzhou/task.schema.json",             # a sibling city, stored or not
    "../zhuzhou/task.schema.json",                      # the same, relative
    f"{FORM_BASE}chengdu/task.schema.json",             # the issue's example
])
def test_a_ref_out_of_reach_is_refused(api, ref):
    r = api.put(f"{FORMS}/probe", as_=ADMIN, json=_schema(ref))
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "form_ref_out_of_reach"
    assert r.json["error"]["details"][0]["path"] == "/allOf/0/$ref"


def test_an_id_claiming_another_tenants_form_is_refused(api):
    schema = {"$id": f"{FORM_BASE}zhuzhou/task.schema.json", "type": "object"}
    r = api.put(f"{FORMS}/probe", as_=ADMIN, json={"schema": schema})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_ref_out_of_reach"


def test_own_and_ancestors_forms_may_be_referred_to(api):
    r = api.put(f"{FORMS}/extends_national", as_=ADMIN, json=_schema("../national/task.schema.json"))
    assert r.status_code == 200, r.json


def test_a_stored_form_out_of_reach_is_never_used(api, database):
    """A form stored before PUT refused such refs (or loaded from files) is not rendered nor used."""
    with database.write() as session:
        put_form(session, "heilongjiang", "secret", {"type": "object", "properties": {
            "hidden": {"type": "string", "x-label": "黑龙江的字段"}}}, "test")
        put_form(session, "changsha", "leaky", {"type": "object", "allOf": [
            {"$ref": "../heilongjiang/secret.schema.json"}]}, "test")
    r = api.post(f"{FORMS}/leaky/validate", as_=ADMIN, json={"data": {}})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_ref_out_of_reach"
    rt = Runtime(database)
    with database.read() as session, pytest.raises(Exception) as refused:
        editing.page_model(session, rt, "changsha", "leaky")
    assert getattr(refused.value, "code", None) == "form_ref_out_of_reach"
