"""PUT of a form that is not a valid form: 422 schema_invalid, each problem with where (a JSON pointer) and why."""
from __future__ import annotations

import pytest

FORMS = "/api/v1/tenants/{}/forms/{}"
DESIGNER = ("changsha", "designer")

CASES = [
    ({"type": "objekt"}, "/type", "取值无效"),
    ({"properties": {"a": {"type": "string", "x-lable": "甲"}}}, "/properties/a/x-lable", "您是不是要写 x-label"),
    ({"properties": {"a": {"x-widget": "slider"}}}, "/properties/a/x-widget", "text、textarea"),
    ({"properties": {"a": {"type": "integer", "minimum": "3"}}}, "/properties/a/minimum", "类型不符,应为数字"),
    ({"properties": {"a": {"type": "integer", "x-unit": "公斤"}}}, "/properties/a/x-unit", "未知单位 公斤"),
    ({"properties": {"a": {"type": "string", "x-param": "网格户数"}}}, "/properties/a/x-param", "只能绑定在数字字段上"),
    ({"properties": {"a": {"type": "integer"}}, "x-compare": [{"left": "/a", "op": ">=", "right": "/b"}]},
     "/x-compare/0/right", "字段 b 不在该对象的 properties 中"),
    ({"properties": {"a": {"enum": ["x"], "x-enum-labels": {"y": "乙"}}}}, "/properties/a/x-enum-labels/y", "不在 enum"),
    ({"allOf": [{"$ref": "../hunan/nothing.schema.json"}]}, "/allOf/0/$ref", "找不到 hunan/nothing.schema.json"),
    ({"$schema": "http://json-schema.org/draft-07/schema#"}, "/$schema", "2020-12"),
]


@pytest.mark.parametrize("schema,path,why", CASES)
def test_bad_schema_is_422_saying_where_and_why(api, schema, path, why):
    r = api.put(FORMS.format("changsha", "report"), DESIGNER, json={"schema": schema})
    assert r.status_code == 422, r.json
    err = r.json["error"]
    assert err["code"] == "schema_invalid"
    assert any(d["path"] == path and why in d["message"] for d in err["details"]), err["details"]
    assert api.get(FORMS.format("changsha", "report"), DESIGNER).status_code == 404  # nothing stored


def test_task_form_may_not_bind_params(api):
    task = api.get(FORMS.format("changsha", "task"), DESIGNER).json["schema"]
    task = {**task, "properties": {**task["properties"],
                                   "size": {"type": "integer", "x-unit": "户", "x-param": "网格户数"}}}
    r = api.put(FORMS.format("changsha", "task"), DESIGNER, json={"schema": task})
    assert r.status_code == 422 and r.json["error"]["code"] == "schema_invalid"
    assert r.json["error"]["details"][0]["path"] == "/properties/size"
    assert "由规则判断" in r.json["error"]["details"][0]["message"]
