"""``source.department`` comes from the department registry, not from the sender: a department a task
names must be registered on the sending unit's chain (422 ``unknown_department`` otherwise, at a check
and at filing), and what rules read about it — registered, kind, own duty, own assessment — is the
registry's (conftest's registry: 芙蓉区 has 区委区政府 and 区民政局, 文艺路街道 its 街道党工委办事处)."""
from __future__ import annotations

DISTRICT, STREET = "430102000000", "430102001000"
TASKS = "/api/v1/tenants/changsha/tasks"


def test_an_unregistered_department_is_refused_at_a_check_with_what_was_meant(registry, check, units):
    r = check(registry, {"task": {"title": "低保复核", "source_unit": STREET, "source_department": "区民正局",
                                  "target_unit": units.cs_communities[0]}})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_department"
    [detail] = r.json["error"]["details"]
    assert detail["path"] == "/task/source_department"
    assert "区民正局" in detail["message"] and "您是不是要写 区民政局" in detail["message"]


def test_a_department_needs_a_unit_to_be_looked_up_from(registry, check, units):
    r = check(registry, {"task": {"title": "低保复核", "source_department": "区民政局",
                                  "target_unit": units.cs_communities[0]}})
    assert r.status_code == 422 and r.json["error"]["code"] == "source_unit_missing"
    assert [d["path"] for d in r.json["error"]["details"]] == ["/task/source_unit"]


def test_the_tokens_unit_is_the_sending_unit_when_the_task_names_none(registry, check, units):
    """The street's token (bound to 文艺路街道) sends from its unit: its 区民政局 is 芙蓉区's, found up the chain."""
    r = check(registry, {"task": {"title": "社区工作考核", "kind": "assessment", "source_department": "区民政局",
                                  "target_unit": units.cs_communities[0]}}, as_=("changsha", "street"))
    assert r.status_code == 200, r.json


def test_an_unregistered_department_is_refused_when_a_task_is_filed(registry):
    r = registry.post(TASKS, ("changsha", "department"),
                      json={"task": {"title": "低保复核", "source_unit": DISTRICT, "source_department": "市商务局"}})
    assert r.status_code == 422 and r.json["error"]["code"] == "unknown_department"
    assert [d["path"] for d in r.json["error"]["details"]] == ["/source_department"]
    r = registry.post(TASKS, ("changsha", "street office"),
                      json={"task": {"title": "低保复核", "source_department": "区民正局"}})
    assert r.status_code == 422 and "您是不是要写 区民政局" in r.json["error"]["message"]  # the token's unit sends
    r = registry.post(TASKS, ("changsha", "department"),
                      json={"task": {"title": "低保复核", "source_unit": DISTRICT, "source_department": "区民政局"}})
    assert r.status_code == 201, r.json


def test_a_functional_departments_assessment_of_a_community_is_its_own_without_any_sender_flag(
        registry, check, logged, units):
    r = check(registry, {"task": {"title": "社区养老服务专项考核", "kind": "assessment", "source_unit": DISTRICT,
                                  "source_department": "区民政局", "target_unit": units.cs_communities[0]}})
    assert r.status_code == 200, r.json
    assert r.json["decision"] == "reject" and [x["rule"] for x in r.json["reasons"]] == ["部门单独考核"]
    department = logged(registry, r.json)["input"]["source"]["department"]
    assert department == {"registered": True, "code": "frq-mzj", "name": "区民政局", "unit": DISTRICT,
                          "kind": "functional", "own_duty": None, "own_assessment": True}
    unified = check(registry, {"task": {"title": "社区综合考核", "kind": "assessment", "item_code": "Z01",
                                        "one_vote_veto": False, "source_unit": DISTRICT, "source_department": "区委区政府",
                                        "target_unit": units.cs_communities[0]}})
    assert unified.json["decision"] == "admit", unified.json  # the 党委政府's own assessment is unified


def test_the_party_and_governments_assessment_is_no_departments_own(registry, check, logged, units):
    r = check(registry, {"task": {"title": "社区综合考核", "kind": "assessment", "source_unit": STREET,
                                  "source_department": "街道党工委办事处", "target_unit": units.cs_communities[0]}})
    department = logged(registry, r.json)["input"]["source"]["department"]
    assert (department["kind"], department["own_assessment"], department["own_duty"]) == ("government", False, False)


def test_own_duty_is_read_from_the_departments_list_of_duties(registry, check, logged, units):
    def duty(task):
        r = check(registry, {"task": {"title": "某任务", "source_unit": DISTRICT, "source_department": "区民政局",
                                      "target_unit": units.cs_communities[0], **task}})
        return logged(registry, r.json)["input"]["source"]["department"]["own_duty"]
    assert duty({"item_code": "X01"}) is True
    assert duty({"item_code": "X02", "category": "社会救助"}) is True
    assert duty({"item_code": "X02", "category": "城市管理"}) is False
    assert duty({"item_code": "X02"}) is None  # the category could have matched: unknown


def test_a_task_naming_no_department_is_sent_by_the_party_and_government_as_a_whole(registry, check, logged, units):
    """Checked by a township (党委和政府) token; a department token naming none: see below."""
    r = check(registry, {"task": {"title": "居民会议", "item_code": "Z01", "kind": "assessment",
                                  "target_unit": units.cs_communities[0]}}, as_=("changsha", "township"))
    assert logged(registry, r.json)["input"]["source"]["department"] == {
        "registered": False, "code": None, "name": None, "unit": None, "kind": "government",
        "own_duty": False, "own_assessment": False}


def test_a_department_token_must_name_its_department_to_file_a_task(registry, units):
    """Fail-closed: a 职能部门's operator leaving the department out would otherwise file as the 党委和政府."""
    for blank in ({}, {"source_department": ""}, {"source_department": "  "}):  # null: the form refuses it
        r = registry.post(TASKS, ("changsha", "department"),
                          json={"task": {"title": "社区工作考核", "kind": "assessment", "item_code": "Z01",
                                         "source_unit": DISTRICT, **blank}})
        assert r.status_code == 422 and r.json["error"]["code"] == "source_department_required", (blank, r.json)
        assert [d["path"] for d in r.json["error"]["details"]] == ["/source_department"]
    named = registry.post(TASKS, ("changsha", "department"),
                          json={"task": {"title": "社区工作考核", "kind": "assessment", "item_code": "Z01",
                                         "source_unit": DISTRICT, "source_department": "区民政局"}})
    assert named.status_code == 201, named.json


def test_a_department_token_naming_no_department_checks_as_an_unknown_department(registry, check, logged, units):
    """Not the 党委和政府 as a whole: the department is unknown, so 部门单独考核 cannot let it through."""
    task = {"title": "社区工作考核", "kind": "assessment", "item_code": "Z01", "one_vote_veto": False,
            "source_unit": DISTRICT, "target_unit": units.cs_communities[0]}
    r = check(registry, {"task": task})
    assert r.status_code == 200, r.json
    assert r.json["decision"] != "admit"
    assert {"code": "information", "message": "须补充:source.department.own_assessment"} in r.json["requirements"]
    assert logged(registry, r.json)["input"]["source"]["department"] == {
        "registered": False, "code": None, "name": None, "unit": None, "kind": None,
        "own_duty": None, "own_assessment": None}
    r = check(registry, {"task": {**task, "source_department": "区民政局"}})
    assert r.status_code == 200, r.json
    assert r.json["decision"] == "reject" and r.json["reasons"][0]["rule"] == "部门单独考核"


def test_assignments_read_the_department_from_the_registry(registry, logged, units):
    filed = registry.post(TASKS, ("changsha", "department"),
                          json={"task": {"title": "养老服务专项检查", "kind": "inspection", "item_code": "Z01",
                                         "source_unit": DISTRICT, "source_department": "区民政局"}})
    assert filed.status_code == 201, filed.json
    r = registry.post(f"{TASKS}/{filed.json['id']}/assignments", ("changsha", "department"),
                      json={"targets": [units.cs_communities[1]]})
    assert r.status_code == 200, r.json
    [result] = r.json["results"]
    source = logged(registry, result)["input"]["source"]
    assert source["code"] == DISTRICT and source["department"]["own_assessment"] is True


def test_an_import_in_this_process_is_seen_by_the_next_check(registry, check, logged, units, import_registry):
    task = {"title": "社区工作考核", "kind": "assessment", "source_unit": DISTRICT, "source_department": "区委区政府",
            "target_unit": units.cs_communities[2]}
    first = logged(registry, check(registry, {"task": task}).json)["input"]["source"]["department"]
    assert (first["kind"], first["own_assessment"]) == ("government", False)
    import_registry(registry, "code,name,unit,kind\nfrq-dwzf,区委区政府,430102000000,functional\n")
    try:
        again = logged(registry, check(registry, {"task": task}).json)["input"]["source"]["department"]
        assert (again["kind"], again["own_assessment"]) == ("functional", True)
    finally:
        import_registry(registry)
