"""Tenants through the API (issue 13): an admin creates tenants only directly below its own,
the parent and level are fixed, everything out of reach is 404, and a new tenant starts with a
draft pack extending its parent that compiles and passes its sample test."""
from __future__ import annotations

import pytest

from jiceng.platform.auth.tokens import issue
from jiceng.platform.tenants.directory import TenantDirectory

TENANTS = "/api/v1/tenants"


@pytest.fixture
def api(fresh_api, fresh_database):
    """A fresh database (creations change the registry) with admin tokens of the nation and Hunan."""
    with fresh_database.write() as session:
        directory = TenantDirectory.load(session)
        for tenant in ("national", "hunan", "heilongjiang"):
            for role in ("admin", "auditor"):
                fresh_api.tokens[(tenant, role)] = issue(session, directory, tenant, role)[0]
    return fresh_api


def create(api, who, **body):
    return api.post(TENANTS, who, json=body)


def test_national_admin_creates_a_province_with_a_draft_that_extends_the_nation(api):
    r = create(api, ("national", "admin"), code="anhui", name="安徽省", division_code="340000000000")
    assert r.status_code == 201, r.json
    t = r.json
    assert (t["parent"], t["level"], t["origin"], t["children"]) == ("national", "province", "api", [])
    assert t["created_by"].startswith("token:") and t["draft"] == 1
    draft = api.get(f"{TENANTS}/anhui/packs/1", ("anhui", "admin") if ("anhui", "admin") in api.tokens
                    else ("national", "admin")).json
    assert draft["status"] == "draft" and draft["extends"] == "national" and draft["origin"] == "scaffold"
    assert draft["files"]["pack.jc"].splitlines()[3].startswith("pack anhui version ")
    lists = draft["files"]["lists.jc"]
    national = api.get(f"{TENANTS}/national/lists", ("national", "admin")).json
    for name in national["info"]:
        assert f"list {name} {{\n}}" in lists   # an empty list of each the chain declares
    tested = api.post(f"{TENANTS}/anhui/packs/1/test", ("national", "admin"), json={})
    assert tested.status_code == 200 and tested.json["passed"] and tested.json["total"] == 1
    # the province is in reach of the nation, listed under it and readable
    listed = api.get(TENANTS, ("national", "auditor")).json["tenants"]
    assert "anhui" in [x["code"] for x in listed]
    assert "anhui" in api.get(f"{TENANTS}/national", ("national", "auditor")).json["children"]


def test_the_province_inherits_the_nation_s_task_form_until_it_has_its_own(api):
    assert create(api, ("national", "admin"), code="anhui", name="安徽省", division_code="340000000000").status_code == 201
    national = api.get(f"{TENANTS}/national/forms/task", ("national", "admin"))
    inherited = api.get(f"{TENANTS}/anhui/forms/task", ("national", "admin"))
    assert inherited.status_code == national.status_code == 200
    assert inherited.json["schema"] == national.json["schema"]


def test_a_provincial_admin_creates_cities_of_its_own_province_only(api):
    ok = create(api, ("hunan", "admin"), code="zhangjiajie", name="张家界市", division_code="430800000000")
    assert ok.status_code == 201 and (ok.json["parent"], ok.json["level"]) == ("hunan", "city")
    # a city lies within its province
    out = create(api, ("hunan", "admin"), code="wuhan", name="武汉市", division_code="420100000000")
    assert out.status_code == 422 and out.json["error"]["code"] == "tenant_division_invalid"
    # a tenant below another tenant, even one in reach, is made by that tenant's admin
    below = create(api, ("hunan", "admin"), code="xx", name="某区", division_code="430102000000", parent="changsha")
    assert below.status_code == 422 and below.json["error"]["code"] == "tenant_parent_not_own"
    # a parent out of reach is not found, exactly like one that does not exist
    sibling = create(api, ("hunan", "admin"), code="hrb", name="哈尔滨市", division_code="230100000000",
                     parent="heilongjiang")
    missing = create(api, ("hunan", "admin"), code="hrb", name="哈尔滨市", division_code="230100000000",
                     parent="nowhere")
    assert sibling.status_code == missing.status_code == 404
    assert sibling.json["error"]["code"] == missing.json["error"]["code"] == "tenant_not_found"
    assert sibling.json["error"]["message"].replace("heilongjiang", "nowhere") == missing.json["error"]["message"]
    # a city has nothing below it; only admins create tenants
    leaf = create(api, ("changsha", "admin"), code="furong", name="芙蓉区", division_code="430102000000")
    assert leaf.status_code == 422 and leaf.json["error"]["code"] == "tenant_level_invalid"
    assert create(api, ("hunan", "auditor"), code="yiyang", name="益阳市",
                  division_code="430900000000").status_code == 403


@pytest.mark.parametrize("body, status, code", [
    ({"code": "changsha", "name": "长沙", "division_code": "430900000000"}, 409, "tenant_exists"),
    ({"code": "yiyang", "name": "益阳市", "division_code": "430100000000"}, 409, "tenant_division_taken"),
    ({"code": "Yi-yang", "name": "益阳市", "division_code": "430900000000"}, 422, "tenant_code_invalid"),
    ({"code": "yiyang", "name": "益阳市", "division_code": "430900000001"}, 422, "tenant_division_invalid"),
    ({"code": "yiyang", "name": "益阳市", "division_code": "430000000000"}, 422, "tenant_division_invalid"),
    ({"code": "yiyang", "name": "益阳市", "division_code": "430900000000", "level": "province"}, 422,
     "tenant_level_invalid"),
    ({"code": "yiyang", "name": "益阳\n市", "division_code": "430900000000"}, 422, "tenant_name_invalid"),
    ({"code": "yiyang", "name": "\u0007益阳市", "division_code": "430900000000"}, 422, "tenant_name_invalid"),
])
def test_bad_tenants_are_refused_with_a_code_and_nothing_is_written(api, body, status, code):
    r = create(api, ("hunan", "admin"), **body)
    assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert r.json["error"]["message"] and not r.json["error"]["message"].isascii()
    codes = [x["code"] for x in api.get(TENANTS, ("hunan", "auditor")).json["tenants"]]
    assert "yiyang" not in codes and codes.count("changsha") == 1


def test_rename_but_never_move(api):
    r = api.patch(f"{TENANTS}/changsha", ("hunan", "admin"), json={"name": "长沙市(改)"})
    assert r.status_code == 200 and r.json["name"] == "长沙市(改)"
    assert api.get(f"{TENANTS}/changsha", ("changsha", "auditor")).json["name"] == "长沙市(改)"
    moved = api.patch(f"{TENANTS}/changsha", ("hunan", "admin"), json={"parent": "heilongjiang"})
    assert moved.status_code == 422 and moved.json["error"]["code"] == "tenant_field_fixed"
    same = api.patch(f"{TENANTS}/changsha", ("hunan", "admin"), json={"parent": "hunan", "level": "city"})
    assert same.status_code == 200
    assert api.patch(f"{TENANTS}/heilongjiang", ("hunan", "admin"), json={"name": "x"}).status_code == 404
    assert api.patch(f"{TENANTS}/changsha", ("hunan", "auditor"), json={"name": "x"}).status_code == 403
    broken = api.patch(f"{TENANTS}/changsha", ("hunan", "admin"), json={"name": "长沙\u0007市"})
    assert broken.status_code == 422 and broken.json["error"]["code"] == "tenant_name_invalid"
    assert broken.json["error"]["details"] == [{"path": "/name", "message": "含有控制字符"}]
    assert api.get(f"{TENANTS}/changsha", ("changsha", "auditor")).json["name"] == "长沙市(改)"


def test_a_list_shows_only_what_is_in_reach(api):
    hunan = {x["code"] for x in api.get(TENANTS, ("hunan", "auditor")).json["tenants"]}
    with api.app.extensions["jiceng"].db.read() as session:
        expected = set(TenantDirectory.load(session).descendants("hunan"))
    assert hunan == expected and "national" not in hunan and "heilongjiang" not in hunan


def test_a_draft_for_an_unknown_tenant_says_how_to_create_it(api):
    r = api.post(f"{TENANTS}/yiyang/packs", ("hunan", "admin"), json={"files": {"pack.jc": "pack yiyang"}})
    assert r.status_code == 404 and r.json["error"]["code"] == "tenant_not_found"
    assert "POST /api/v1/tenants" in r.json["error"]["message"] and "jiceng tenant new" in r.json["error"]["message"]
