"""Forms and packs checked against each other: cross-field checks, params bound from the pack in force,
form versions that would break a published pack, packs that would break a form's binding."""
from __future__ import annotations

FORMS = "/api/v1/tenants/{}/forms/{}"
COMMITTEE = {"community": "430102001001", "estate": "阳光小区", "election_date": "2024-05-01", "members": 7,
             "party_members": 4, "director": "王五", "member_names": ["张三", "李四", "王五", "赵六", "钱七"]}
GRID = {"code": "430102001001001", "name": "一网格", "community": "430102001001", "households": 480,
        "full_time_workers": 1, "workers": [{"name": "张三", "phone": "13800000000", "full_time": True}]}


def validate(api, tenant, name, data, as_=None):
    return api.post(FORMS.format(tenant, name) + "/validate", as_ or (tenant, "designer"), json={"data": data}).json


def test_cross_field_share_of_party_members(shipped_forms):
    api = shipped_forms
    assert validate(api, "changsha", "owners_committee", COMMITTEE)["valid"] is True
    body = validate(api, "changsha", "owners_committee", dict(COMMITTEE, party_members=3))
    assert body["errors"] == [{"path": "/party_members", "message":
                               "其中党员人数(3)应不小于 委员人数(7)的 50%(即 3.5)"
                               "(依据规则包 hunan 的参数 业委会党员比例下限 = 50 %)"}]
    body = validate(api, "changsha", "owners_committee", dict(COMMITTEE, party_members=8))
    assert {"path": "/party_members", "message": "党员人数不能多于委员人数"} in body["errors"]
    missing = dict(COMMITTEE)
    del missing["party_members"]  # a missing operand is required's to report, not the comparison's
    assert validate(api, "changsha", "owners_committee", missing)["errors"] == [
        {"path": "/party_members", "message": "缺少必填字段 party_members(其中党员人数)"}]


def test_bound_range_follows_the_city_pack(shipped_forms, kit):
    api = shipped_forms
    grid = dict(GRID, grid_type="community")
    assert validate(api, "changsha", "grid", grid)["valid"] is True
    over = validate(api, "changsha", "grid", dict(grid, households=520))["errors"]
    assert over == [{"path": "/households", "message": "不能大于 500(依据规则包 hunan 的参数 网格户数 = 300..500 户)"}]
    # Changsha narrows the range in its pack: the same form now checks the narrower range, for Changsha only
    assert kit.publish(api, "changsha", kit.fixture_pack("changsha", "\nparam 网格户数 = 300..450 户\n")).status_code == 200
    narrowed = validate(api, "changsha", "grid", grid)["errors"]
    assert narrowed == [{"path": "/households", "message": "不能大于 450(依据规则包 changsha 的参数 网格户数 = 300..450 户)"}]
    assert validate(api, "zhuzhou", "grid", GRID)["valid"] is True  # Zhuzhou still has Hunan's 300..500
    assert validate(api, "zhuzhou", "grid", dict(GRID, full_time_workers=0))["errors"] == [
        {"path": "/full_time_workers", "message": "不能小于 1(依据规则包 hunan 的参数 每网格专职网格员 = 1 人)"}]


def test_binding_to_an_unknown_param_is_refused(shipped_forms):
    schema = {"type": "object", "properties": {"size": {"type": "integer", "x-unit": "户", "x-param": "网格户"}}}
    r = shipped_forms.put(FORMS.format("hunan", "survey"), ("hunan", "designer"), json={"schema": schema})
    assert r.status_code == 422 and r.json["error"]["code"] == "form_breaks_pack"
    detail = r.json["error"]["details"][0]
    assert detail["code"] == "param_unbound" and detail["path"].endswith("#/properties/size")
    assert "没有参数 网格户" in detail["message"] and "网格户数" in detail["message"]
    wrong_unit = {"type": "object", "properties": {"size": {"type": "integer", "x-unit": "人", "x-param": "网格户数"}}}
    r = shipped_forms.put(FORMS.format("hunan", "survey"), ("hunan", "designer"), json={"schema": wrong_unit})
    assert r.status_code == 422 and "单位是 户" in r.json["error"]["details"][0]["message"]


def test_pack_dropping_a_bound_param_is_refused_naming_the_form(shipped_forms, kit):
    r = kit.publish(shipped_forms, "hunan", kit.fixture_pack("hunan",
        '\nparam 每网格专职网格员 = 1 人 floor\nparam 新招录年龄上限 = 35 ceiling\nparam 业委会党员比例下限 = 50 % floor\n'))
    assert r.status_code == 422 and r.json["error"]["code"] == "pack_breaks_form", r.json
    assert "表单 grid 绑定的参数 网格户数" in r.json["error"]["message"]
    assert {d["form"] for d in r.json["error"]["details"]} == {"grid"}


def test_form_breaking_a_published_pack_is_refused_with_the_rule_names(shipped_forms):
    api = shipped_forms
    task = api.get(FORMS.format("changsha", "task"), ("changsha", "designer")).json["schema"]
    narrow = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
    r = api.put(FORMS.format("changsha", "task"), ("changsha", "designer"), json={"schema": narrow})
    err = r.json["error"]
    assert r.status_code == 422 and err["code"] == "form_breaks_pack"
    assert "规则 街道取消招商引资" in err["message"]  # changsha's rule reads task.category
    by_rule = {(d["pack"], d["declaration"], d["code"]) for d in err["details"]}
    assert ("changsha", "规则 街道取消招商引资", "E204") in by_rule
    assert ("changsha", "规则 清单外事项", "E204") in by_rule  # inherited from national, broken all the same
    changed_type = {"allOf": [task], "properties": {"category": {"type": "integer"}}}
    r = api.put(FORMS.format("changsha", "task"), ("changsha", "designer"), json={"schema": changed_type})
    assert r.status_code == 422 and any(d["code"] == "E301" for d in r.json["error"]["details"])
    assert api.get(FORMS.format("changsha", "task"), ("changsha", "designer")).json["version"] == 1


def test_province_form_change_is_checked_for_every_tenant_using_it(shipped_forms):
    """Hunan has no task form of its own: a new one would be Hunan's and Zhuzhou's (no pack of its own)."""
    api = shipped_forms
    narrow = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
    r = api.put(FORMS.format("hunan", "task"), ("hunan", "designer"), json={"schema": narrow})
    assert r.status_code == 422, r.json
    assert {d["pack"] for d in r.json["error"]["details"]} == {"hunan"}
    assert any(d["declaration"] == "规则 街道考核审批" for d in r.json["error"]["details"])
    assert api.get(FORMS.format("zhuzhou", "task"), ("zhuzhou", "designer")).json["inherited_from"] == "national"


def test_listing_shows_own_and_inherited_forms(shipped_forms):
    body = shipped_forms.get("/api/v1/tenants/changsha/forms", ("changsha", "department")).json
    by_name = {f["name"]: f for f in body["forms"]}
    assert by_name["grid"]["owner"] == "changsha" and by_name["grid"]["binds_params"] is True
    assert by_name["recruitment"]["inherited_from"] == "hunan" and by_name["task"]["owner"] == "changsha"
    assert by_name["owners_committee"]["title"].startswith("业主委员会")
