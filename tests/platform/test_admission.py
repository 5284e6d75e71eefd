"""Admission check: decisions, target lookup, what-if, form errors, the log entry."""
from __future__ import annotations

CHECK = "/api/v1/tenants/{}/admission/check"
SENDER = ("changsha", "township")


def check(api, body, tenant="changsha", as_=SENDER):
    return api.post(CHECK.format(tenant), as_, json=body)


def test_street_rejects_investment_promotion_with_clause(api, units):
    r = check(api, {"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}})
    assert r.status_code == 200, r.json
    body = r.json
    assert body["decision"] == "reject"
    [reason] = body["reasons"]
    assert reason["rule"] == "街道取消招商引资" and reason["pack"] == "changsha"
    assert "一、赋予街道党工委相应职权" in reason["citation"]
    assert body["pack"]["tenant"] == "changsha" and len(body["pack"]["digest"]) == 64
    assert body["target"]["level"] == "street" and body["target"]["name"] == "文艺路街道"


def test_conditional_names_requirements_and_staffing_gap_reaches_target(api, units):
    r = check(api, {"task": {"title": "初审", "item_code": "X01", "funding_provided": False, "one_vote_veto": False,
                             "target_unit": units.cs_communities[0]}})
    body = r.json
    assert body["decision"] == "conditional"
    assert body["requirements"] == [{"code": "funding", "message": "请提供必要经费"}]
    assert body["target"]["staffing_gap"] == 4  # exported by the 社区工作者配备 standard


def test_admit_with_funding(api, units):
    r = check(api, {"task": {"title": "初审", "item_code": "X01", "funding_provided": True, "one_vote_veto": False,
                             "target_unit": units.cs_communities[1]}})
    assert r.json["decision"] == "admit" and r.json["reasons"] == []


def test_what_if_target_without_unit(api, units):
    r = check(api, {"task": {"title": "招商", "category": "协税护税"}, "target": {"level": "street"}})
    assert r.json["decision"] == "reject"
    r = check(api, {"task": {"title": "招商", "category": "协税护税", "item_code": ""}, "target": {"level": "community"}})
    assert r.json["decision"] == "reject" and r.json["reasons"][0]["rule"] == "清单外事项"


def test_what_if_history(api, units):
    body = {"task": {"title": "考核", "kind": "assessment", "item_code": "Z01", "one_vote_veto": False},
            "target": {"level": "community"},
            "history": {"assessments_this_year": 2}}
    assert check(api, body).json["decision"] == "reject"
    body["history"]["assessments_this_year"] = 1
    assert check(api, body).json["decision"] == "admit"


def test_history_only_with_what_if(api, units):
    r = check(api, {"task": {"title": "考核", "target_unit": units.cs_street}, "history": {"assessments_this_year": 0}})
    assert r.status_code == 422 and r.json["error"]["code"] == "history_not_allowed"


def test_decision_uses_pack_of_targets_tenant(api, units):
    """A Hunan department checking a Zhuzhou community: Zhuzhou has no pack, Hunan's decides."""
    r = check(api, {"task": {"title": "招商", "category": "招商引资", "item_code": "Z01", "one_vote_veto": False,
                             "target_unit": units.zz_community}}, tenant="hunan", as_=("hunan", "township"))
    assert r.status_code == 200
    assert r.json["pack"]["tenant"] == "hunan" and r.json["decision"] == "admit"
    r = check(api, {"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}},
              tenant="hunan", as_=("hunan", "township"))
    assert r.json["pack"]["tenant"] == "changsha" and r.json["decision"] == "reject"


def test_task_failing_the_form_is_422_with_pointers(api, units):
    r = check(api, {"task": {"category": 5, "kind": "party", "deadline": "明天", "target_unit": units.cs_street}})
    assert r.status_code == 422
    err = r.json["error"]
    assert err["code"] == "form_invalid"
    by_path = {d["path"]: d["message"] for d in err["details"]}
    assert by_path["/task/title"] == "缺少必填字段 title"
    assert by_path["/task/category"] == "类型不符,应为字符串"
    assert "取值无效" in by_path["/task/kind"] and "assessment" in by_path["/task/kind"]
    assert "日期" in by_path["/task/deadline"]


def test_tenant_form_extends_national_form_through_ref(api, units):
    """changsha's task form adds `contact` (maxLength 50) and $refs the national form."""
    r = check(api, {"task": {"title": "x", "contact": "张" * 51, "kind": "nonsense", "target_unit": units.cs_street}})
    paths = {d["path"] for d in r.json["error"]["details"]}
    assert paths == {"/task/contact", "/task/kind"}


def test_unknown_and_foreign_target_units_read_alike(api, units):
    unknown = check(api, {"task": {"title": "x", "target_unit": "999999999999"}})
    foreign = check(api, {"task": {"title": "x", "target_unit": units.hlj_community}})
    sibling = check(api, {"task": {"title": "x", "target_unit": units.zz_community}})
    for r, code in ((unknown, "999999999999"), (foreign, units.hlj_community), (sibling, units.zz_community)):
        assert r.status_code == 422
        assert r.json["error"]["code"] == "unit_not_found"
        assert r.json["error"]["details"] == [{"path": "/task/target_unit", "message": f"找不到单位 {code}"}]
    assert "冰城" not in foreign.get_data(as_text=True)


def test_wrong_types_the_rules_need_are_422(api, units):
    r = check(api, {"task": {"title": "x"}, "target": {"level": ["street"]}})
    assert r.status_code == 422 and r.json["error"]["code"] == "target_invalid"
    assert r.json["error"]["details"][0]["path"] == "/target/level"
    r = check(api, {"task": {"title": "考核", "kind": "assessment"}, "target": {"level": "community"},
                    "history": {"assessments_this_year": "两次"}})
    assert r.status_code == 422 and r.json["error"]["code"] == "decision_input_invalid"
    assert r.json["error"]["details"][0]["path"] == "/history/assessments_this_year"


def test_check_is_logged_with_everything_needed_to_replay(api, units):
    r = check(api, {"task": {"title": "初审", "item_code": "X01", "funding_provided": False,
                             "target_unit": units.cs_communities[2]}})
    decision_id = r.json["decision_id"]
    entry = api.get(f"/api/v1/tenants/changsha/decisions/{decision_id}", ("changsha", "auditor")).json
    assert entry["kind"] == "check" and entry["outcome"] == "conditional"
    assert entry["input"]["task"]["item_code"] == "X01"
    assert entry["target"]["code"] == units.cs_communities[2]
    assert entry["history"]["assessments_this_year"] == 0
    assert entry["pack"]["digest"] == r.json["pack"]["digest"]
    assert [c["tenant"] for c in entry["pack"]["chain"]] == ["national", "hunan", "changsha"]
    assert entry["actor"].endswith("township@changsha")
    assert entry["reasons"][0]["rule"] == "协助须经费"


def test_explain_gives_a_trace(api, units):
    r = check(api, {"task": {"title": "招商", "category": "招商引资", "kind": "work"}, "target": {"level": "street"},
                    "explain": True})
    trace = {t["rule"]: t for t in r.json["trace"]}
    assert trace["街道取消招商引资"]["fired"] is True
    assert trace["考核频次"]["fired"] is False


def test_lists_in_force_are_merged(api, units):
    r = api.get("/api/v1/tenants/changsha/lists", ("changsha", "township"))
    lists = r.json["lists"]
    assert [i["code"] for i in lists["协助事项"]] == ["X01", "X02", "HN01"]
    assert lists["街道取消事项"][0]["kind"] == "forbidden"
    assert r.json["info"]["协助事项"]["kind"] == "assist"
