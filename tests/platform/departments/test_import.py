"""The department registry's import (API and CLI) and its reading API.

Imports read like the org-unit import: Chinese or English headers, XLSX or CSV; every bad row is
reported with row, column, a stable code and a zh-CN message, and one bad row imports nothing.
What an import wrote is read back through the API (the registry is not cached).
"""
from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.departments import importer
from jiceng.platform.errors import NotFound
from jiceng.platform.runtime import Runtime
from tests.platform.workbooks import xlsx

LIST = "/api/v1/tenants/{}/departments"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def departments(api, tenant="changsha", who=None, **query) -> dict:
    r = api.get(LIST.format(tenant), who or (tenant, "auditor"), query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def test_a_registry_is_listed_by_unit_and_read_one_by_one(registry):
    listing = departments(registry)
    assert listing["total"] == 6 and listing["page"] == {"limit": 1000, "offset": 0, "next_offset": None}
    assert [d["code"] for d in listing["departments"]] == ["cs-mzj", "frq-cgj", "frq-dwzf", "frq-mzj", "wyl-dgw",
                                                           "wyl-mzj"]
    one = registry.get(LIST.format("changsha") + "/frq-mzj", ("changsha", "department")).json
    assert one == {"tenant": "changsha", "code": "frq-mzj", "name": "区民政局", "unit": "430102000000",
                   "unit_name": "芙蓉区", "kind": "functional", "kind_label": "职能部门", "items": ["X01", "Z01"],
                   "categories": ["社会救助", "养老服务"]}
    street = departments(registry, unit="430102001000")["departments"]
    assert [d["code"] for d in street] == ["wyl-dgw", "wyl-mzj"]
    assert [d["code"] for d in departments(registry, kind="government")["departments"]] == ["frq-dwzf", "wyl-dgw"]
    page = departments(registry, limit=4, offset=0)
    assert page["page"]["next_offset"] == 4 and len(page["departments"]) == 4
    assert [d["code"] for d in departments(registry, limit=4, offset=4)["departments"]] == ["wyl-dgw", "wyl-mzj"]


def test_reading_the_registry_is_bounded_and_within_reach(registry):
    bad = registry.get(LIST.format("changsha"), ("changsha", "admin"), query_string={"limit": 10001, "kind": "局"})
    assert bad.status_code == 422 and {d["path"] for d in bad.json["error"]["details"]} == {"?limit", "?kind"}
    missing = registry.get(LIST.format("changsha") + "/nope", ("changsha", "admin"))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "department_not_found"
    assert registry.get(LIST.format("changsha"), ("zhuzhou", "admin")).status_code == 404  # a sibling's registry
    assert departments(registry, "changsha", who=("hunan", "auditor"))["total"] == 6    # an ancestor reads it
    assert registry.get(LIST.format("changsha")).status_code == 401


def test_chinese_headers_spreadsheets_and_separators(send, api):
    data = xlsx([["株洲市职能部门名录"], [],
                  ["部门代码", "部门名称", "所属单位代码", "类别", "清单事项", "事项类别", "备注"],
                  ["zz-dwzf", "市委市政府", 430200000000, "党委政府", None, None, None],
                  ["zz-mzj", "市民政局", 430200000000, "职能部门", "X01,X02;Z01 HN01", "社会救助|养老服务", "新设"],
                  ["zz-jd", "街道党工委办事处", "430202001000", "government", "", "", None]])
    r = send(api, "zhuzhou", data, content_type=XLSX)
    assert r.status_code == 200, r.json
    assert r.json == {"tenant": "zhuzhou", "format": "xlsx", "rows": 3, "created": 3, "updated": 0, "unchanged": 0,
                      "removed": 0, "departments": 3, "dry_run": False, "ignored_columns": ["备注"],
                      "items_checked_against": r.json["items_checked_against"]}
    assert r.json["items_checked_against"]["pack"] == "hunan"  # zhuzhou has no pack of its own
    one = api.get(LIST.format("zhuzhou") + "/zz-mzj", ("zhuzhou", "admin")).json
    assert (one["items"], one["categories"]) == (["X01", "X02", "Z01", "HN01"], ["社会救助", "养老服务"])
    assert api.get(LIST.format("zhuzhou") + "/zz-dwzf", ("zhuzhou", "admin")).json["kind"] == "government"


def test_every_bad_row_is_reported_and_nothing_is_imported(send, registry):
    text = """部门代码,部门名称,所属单位代码,类别,清单事项,事项类别
,区教育局,430102000000,职能部门,,
frq 教育,区教育局,430102000000,职能部门,,
frq-jyj,,430102000000,职能部门,,
frq-jyj2,区教育局,4301020000,职能部门,,
frq-jyj3,区教育局,430102000000,,,
frq-jyj4,区教育局,430102000000,委员会,,
frq-jyj5,区教育局,430199000000,职能部门,,
frq-jyj6,区教育局,430200000000,职能部门,,
frq-jyj7,社区教育办,430102001001,职能部门,,
frq-jyj8,区教育局,430102000000,职能部门,X1,教育
frq-jyj8,区体育局,430102000000,职能部门,,
frq-jyj9,区教育局,430102000000,职能部门,,
frq-mzj2,区民政局,430102000000,职能部门,,
"""
    r = send(registry, "changsha", text)
    assert r.status_code == 422
    error = r.json["error"]
    assert error["code"] == "departments_import_invalid" and error["message"].endswith("未导入任何部门")
    found = {(d["row"], d["code"]) for d in error["details"]}
    assert found == {(2, "department_code_missing"), (3, "department_code_invalid"), (4, "department_name_missing"),
                     (5, "department_unit_invalid"), (6, "department_kind_missing"), (7, "department_kind_invalid"),
                     (8, "department_unit_unknown"), (9, "department_unit_out_of_tenant"),
                     (10, "department_unit_level"), (11, "department_item_unknown"),
                     (12, "department_code_duplicate"), (13, "department_name_duplicate"),
                     (14, "department_name_taken")}
    by_row = {d["row"]: d for d in error["details"]}
    assert by_row[11]["column"] == "清单事项" and "您是不是要写 X01" in by_row[11]["message"]
    assert "株洲" in by_row[9]["message"] and "zhuzhou" in by_row[9]["message"]
    assert "frq-mzj" in by_row[14]["message"]
    assert departments(registry)["total"] == 6


def test_reimporting_updates_by_code_and_names_may_swap(send, registry):
    same = send(registry, "changsha", "code,name,unit,kind,items,categories\n"
                                      "frq-cgj,区城市管理和综合执法局,430102000000,functional,,行政执法、城市管理\n")
    assert (same.json["created"], same.json["updated"], same.json["unchanged"]) == (0, 0, 1)
    swap = """code,name,unit,kind,items,categories
frq-cgj,区委区政府,430102000000,government,,
frq-dwzf,区城市管理和综合执法局,430102000000,functional,,行政执法、城市管理
"""
    r = send(registry, "changsha", swap)
    assert r.status_code == 200, r.json
    assert (r.json["updated"], r.json["departments"]) == (2, 6)
    assert registry.get(LIST.format("changsha") + "/frq-cgj", ("changsha", "admin")).json["name"] == "区委区政府"
    back = swap.replace("frq-cgj,", "X,").replace("frq-dwzf,", "frq-cgj,").replace("X,", "frq-dwzf,")
    assert send(registry, "changsha", back).status_code == 200
    assert registry.get(LIST.format("changsha") + "/frq-cgj", ("changsha", "admin")).json["kind"] == "functional"


def test_dry_runs_and_the_json_forms(send, registry):
    text = "code,name,unit,kind\nfrq-jyj,区教育局,430102000000,functional\n"
    dry = send(registry, "changsha", text, dry_run="true")
    assert (dry.json["dry_run"], dry.json["created"], dry.json["departments"]) == (True, 1, 7)
    assert departments(registry)["total"] == 6
    as_json = registry.post(LIST.format("changsha") + "/import", ("changsha", "admin"),
                            json={"csv": text}, query_string={"dry_run": "true"})
    assert as_json.status_code == 200 and as_json.json["created"] == 1
    book = xlsx([["code", "name", "unit", "kind"], ["frq-jyj", "区教育局", "430102000000", "functional"]])
    r = registry.post(LIST.format("changsha") + "/import", ("changsha", "admin"),
                      json={"xlsx_base64": base64.b64encode(book).decode()}, query_string={"dry_run": "true"})
    assert r.status_code == 200 and r.json["format"] == "xlsx"
    for body in ({"xlsx_base64": "%%%"}, {"csv": "a", "xlsx_base64": "b"}, {}):
        bad = registry.post(LIST.format("changsha") + "/import", ("changsha", "admin"), json=body)
        assert bad.status_code == 422, body


@pytest.mark.parametrize("data, code", [
    (b"", "departments_file_empty"),
    (b"# only a comment\n", "departments_header_missing"),
    ("名称,类别\n区民政局,职能部门\n".encode(), "departments_header_missing"),
    (b"code,name\nx,y\n", "departments_header_missing"),
    (b"code,name,unit,kind,\xe5\x90\x8d\xe7\xa7\xb0\n", "departments_header_duplicate"),
    (b"code,name,unit,kind\n", "departments_file_empty"),
    (b"PK\x03\x04 not a zip", "departments_file_unreadable"),
    ("code,name,unit,kind\nx,区民政局,430102000000,职能部门\n".encode("utf-16"), "departments_file_unreadable"),
])
def test_unusable_files(send, registry, data, code):
    r = send(registry, "changsha", data)
    assert r.status_code == 422 and r.json["error"]["details"][0]["code"] == code, r.json


def test_limits_per_row_and_per_file(send, registry, monkeypatch):
    many = "、".join(f"I{i}" for i in range(importer.MAX_ITEMS + 1))
    text = (f"code,name,unit,kind,items,categories\n"
            f"a,区一局,430102000000,functional,{many},\n"
            f"b,区二局,430102000000,functional,{'长' * 65},{'类' * 51}\n"
            f"c,{'名' * 101},430102000000,functional,,\n"
            f"d,区四局,430102000000,functional,,{'、'.join(f'类{i}' for i in range(importer.MAX_CATEGORIES + 1))}\n")
    found = {(d["row"], d["code"]) for d in send(registry, "changsha", text).json["error"]["details"]}
    assert found == {(2, "department_items_too_many"), (3, "department_item_too_long"),
                     (3, "department_category_too_long"), (4, "department_name_too_long"),
                     (5, "department_categories_too_many")}
    monkeypatch.setattr(importer, "LAYOUT", replace(importer.LAYOUT, max_rows=2))
    rows = "".join(f"d{i},区{i}局,430102000000,functional\n" for i in range(3))
    r = send(registry, "changsha", "code,name,unit,kind\n" + rows)
    assert r.json["error"]["details"][0]["code"] == "departments_file_too_large"


def test_item_codes_are_not_checked_without_a_pack_in_force(send, registry, monkeypatch):
    def no_pack(self, session, tenant, on):
        raise NotFound("pack_not_found", "没有规则包")
    monkeypatch.setattr(Runtime, "pack_for", no_pack)
    r = send(registry, "changsha", "code,name,unit,kind,items\nfrq-jyj,区教育局,430102000000,functional,ANY-1\n",
             dry_run="true")
    assert r.status_code == 200 and r.json["items_checked_against"] is None


def test_only_an_admin_within_reach_imports(send, registry):
    text = "code,name,unit,kind\nfrq-jyj,区教育局,430102000000,functional\n"
    for role in ("department", "township", "designer", "auditor"):
        r = send(registry, "changsha", text, who=("changsha", role), dry_run="true")
        assert r.status_code == 403 and r.json["error"]["code"] == "forbidden", role
    assert send(registry, "changsha", text, who=("zhuzhou", "admin"), dry_run="true").status_code == 404
    assert send(registry, "changsha", text, who=("hunan", "admin"), dry_run="true").status_code == 200


def test_cli_import(database, registry, monkeypatch, tmp_path):
    monkeypatch.setattr(commands, "_database", lambda: database)
    runner = CliRunner()
    good = tmp_path / "名录.csv"
    good.write_text("code,name,unit,kind,items\nhlj-jd,街道党工委办事处,230102001000,党委政府,\n", encoding="utf-8")
    result = runner.invoke(main, ["departments", "import", "--tenant", "heilongjiang", str(good)])
    assert result.exit_code == 0, result.output
    assert "新增 1" in result.stdout and "清单事项代码已按规则包 heilongjiang" in result.stderr
    result = runner.invoke(main, ["departments", "import", "--tenant", "heilongjiang", str(good), "--json"])
    assert json.loads(result.stdout)["unchanged"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,unit,kind\nhlj-x,区民政局,230102001001,职能部门\n", encoding="utf-8")
    result = runner.invoke(main, ["departments", "import", "--tenant", "heilongjiang", str(bad)])
    assert result.exit_code == 2
    assert "第 2 行,列“unit”:department_unit_level" in result.stderr
    result = runner.invoke(main, ["departments", "import", "--tenant", "heilongjiang", str(bad), "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["code"] == "departments_import_invalid"
    result = runner.invoke(main, ["departments", "import", "--tenant", "nowhere", str(good)])
    assert result.exit_code == 2 and "tenant_not_found" in result.stderr
