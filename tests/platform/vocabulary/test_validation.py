"""Task values of ``x-vocabulary`` fields are checked against the vocabulary of the pack
in force (issue 10): admission checks, task creation, downward assignment and the
form's validate endpoint refuse a value outside it with a JSON pointer, a stable code
and suggestions; aliases and a tenant's own additions are accepted, and the task is
stored as sent."""
from __future__ import annotations

CHECK = "/api/v1/tenants/{}/admission/check"
STREET = {"level": "street"}
CITY = "430100000000"
COMMUNITY = "430102001003"


def check(api, tenant, task, role="township"):
    return api.post(CHECK.format(tenant), (tenant, role), json={"task": {"title": "任务", **task}, "target": STREET})


def vocabulary_problems(r) -> list[dict]:
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "form_invalid"
    return [d for d in r.json["error"]["details"] if d.get("code") == "unknown_vocabulary_value"]


def test_a_misspelt_category_is_422_with_did_you_mean(shipped_api):
    [problem] = vocabulary_problems(check(shipped_api, "hunan", {"category": "执发"}))
    assert problem["path"] == "/task/category"
    assert "执法" in problem["suggestions"]
    assert problem["message"].startswith("取值 执发 不在词表 事项类别 中;您是不是要写 ")


def test_a_kind_outside_the_vocabulary_suggests_the_code_for_its_label(shipped_api):
    [problem] = vocabulary_problems(check(shipped_api, "sichuan", {"kind": "考核评比"}))
    assert problem["path"] == "/task/kind" and problem["suggestions"][0] == "assessment"
    assert "assessment(考核评比)" in problem["message"]


def test_schema_and_vocabulary_problems_come_together(shipped_api):
    r = check(shipped_api, "hunan", {"category": "不存在的类别", "kind": "会议", "funding_provided": "是"})
    assert {p["path"] for p in vocabulary_problems(r)} == {"/task/category", "/task/kind"}
    assert "/task/funding_provided" in {d["path"] for d in r.json["error"]["details"]}


def test_codes_and_aliases_are_accepted_after_normalisation(shipped_api):
    for task in ({"category": "综合行政执法"}, {"category": "执法"}, {"category": " 招商引资 "},
                 {"kind": "ｒｅｐｏｒｔ"}, {"kind": "work"}):
        r = check(shipped_api, "hunan", task)
        assert r.status_code == 200, (task, r.json)


def test_each_tenant_checks_against_its_own_merged_vocabulary(shipped_api):
    assert check(shipped_api, "hunan", {"kind": "填报表格", "category": "城管"}).status_code == 200
    assert check(shipped_api, "changsha", {"kind": "提供材料"}).status_code == 200  # inherited from hunan
    assert check(shipped_api, "chengdu", {"kind": "设立网格", "category": "执法监管"}).status_code == 200
    [problem] = vocabulary_problems(check(shipped_api, "sichuan", {"kind": "填报表格"}))
    assert problem["path"] == "/task/kind"
    [problem] = vocabulary_problems(check(shipped_api, "chengdu", {"category": "城管"}))  # hunan's alias only
    assert problem["path"] == "/task/category"


def test_creating_a_task_checks_the_vocabulary_and_stores_it_as_sent(shipped_api):
    tasks = "/api/v1/tenants/changsha/tasks"
    who = ("changsha", "admin")
    r = shipped_api.post(tasks, who, json={"task": {"title": "任务", "category": "执发", "source_unit": CITY}})
    assert [p["path"] for p in vocabulary_problems(r)] == ["/category"]
    r = shipped_api.post(tasks, who, json={"task": {"title": "协助开展环境卫生整治", "category": "执法", "kind": "填报表格",
                                                    "role": "assist", "source_unit": CITY}})
    assert r.status_code == 201, r.json
    task_id = r.json["id"]
    got = shipped_api.get(f"{tasks}/{task_id}", ("changsha", "auditor")).json
    assert (got["task"]["category"], got["task"]["kind"]) == ("执法", "填报表格")
    r = shipped_api.post(f"{tasks}/{task_id}/assignments", who, json={"targets": [COMMUNITY]})
    assert r.status_code == 200, r.json
    assert "error" not in r.json["results"][0], "the target's tenant knows the alias and the kind"


def test_the_validate_endpoint_uses_the_pack_in_force(shipped_api):
    url = "/api/v1/tenants/{}/forms/task/validate"
    r = shipped_api.post(url.format("sichuan"), ("sichuan", "designer"), json={"data": {"title": "x", "kind": "填报表格"}})
    assert r.status_code == 200 and r.json["valid"] is False
    [error] = r.json["errors"]
    assert error["path"] == "/kind" and "不在词表 任务类型 中" in error["message"]
    assert error["code"] == "unknown_vocabulary_value"
    r = shipped_api.post(url.format("sichuan"), ("sichuan", "designer"), json={"data": {"title": "x", "category": "执发"}})
    [error] = r.json["errors"]
    assert error["path"] == "/category" and "执法" in error["suggestions"], error
    r = shipped_api.post(url.format("hunan"), ("hunan", "designer"), json={"data": {"title": "x", "kind": "填报表格"}})
    assert r.json["valid"] is True, r.json


def test_a_task_form_may_not_bind_a_vocabulary_the_packs_lack(shipped_api):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "任务表单(湖南省)",
              "allOf": [{"$ref": "../national/task.schema.json"},
                        {"type": "object", "properties": {"kind": {"x-vocabulary": "任务种类"}}}]}
    r = shipped_api.put("/api/v1/tenants/hunan/forms/task", ("hunan", "designer"), json={"schema": schema})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_breaks_pack", r.json
    assert "E236" in {d["code"] for d in r.json["error"]["details"]}


def test_x_vocabulary_belongs_on_text_fields_without_enum(shipped_api):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {
        "a": {"type": "boolean", "x-vocabulary": "事项类别"},
        "b": {"type": "string", "enum": ["x"], "x-vocabulary": "事项类别"}}}
    r = shipped_api.put("/api/v1/tenants/hunan/forms/sample", ("hunan", "designer"), json={"schema": schema})
    assert r.status_code == 422 and r.json["error"]["code"] == "schema_invalid"
    assert {d["path"] for d in r.json["error"]["details"]} == {"/properties/a/x-vocabulary",
                                                               "/properties/b/x-vocabulary"}
