"""Org-unit import from CSV and XLSX (API and CLI): Chinese or English headers, title rows, GBK;
every bad row reported with row, column, stable code and a zh-CN message; one bad row imports
nothing; tree integrity against the file and the units already loaded; admin only.

Runs on the platform fixtures' trees (zhuzhou: city 430200000000 > street 430202001000 >
community 430202001001; changsha's street 430102001000 has communities with grids). What an
import wrote is read back from the database itself: the service's unit lookups cache for 10 s."""
from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jiceng.platform.cli import service as commands
from jiceng.platform.cli import main
from jiceng.platform.db.models import OrgUnit
from tests.platform.workbooks import xlsx

ADMIN = ("zhuzhou", "admin")
IMPORT = "/api/v1/tenants/{}/units/import"
CSV = "text/csv"


def send(api, tenant: str, text: str | bytes, who=None, content_type=CSV, **query):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return api.post(IMPORT.format(tenant), who or (tenant, "admin"), data=data, content_type=content_type,
                    query_string=query)


def stored(database, code: str):
    """The unit row as written (None when absent)."""
    with database.read() as session:
        return session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one_or_none()


def test_a_minzheng_csv_with_chinese_headers_adds_and_updates_units(api, database):
    text = """# 株洲市某区民政局 组织单位台账(2024 年)
代码,上级代码,层级,名称,常住人口,城镇常住人口,户数,社区工作者,专职网格员,设施面积(平方米),备注
430202002000,430200000000,街道,新华街道,20000,20000,7000,,,1200,
430202002001,430202002000,社区,新华社区,9000,9000,3000,16,3,900,新建
430202002001001,430202002001,网格,新华第1网格,,,450,,1,,
430202001001,430202001000,社区,株洲秘密社区,9000,9000,3000,18,1,950,人员已补齐
"""
    r = send(api, "zhuzhou", text)
    assert r.status_code == 200, r.json
    assert r.json == {"tenant": "zhuzhou", "format": "csv", "rows": 4, "created": 3, "updated": 1, "unchanged": 0,
                      "units": 6, "dry_run": False, "ignored_columns": ["备注"]}
    street = api.get("/api/v1/tenants/zhuzhou/units/430202002000", ADMIN).json
    assert street["name"] == "新华街道" and street["level"] == "street" and street["facility_area_m2"] == 1200
    assert [c["code"] for c in street["children"]] == ["430202002001"]
    assert stored(database, "430202001001").workers == 18
    again = send(api, "zhuzhou", text)
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 4)
    staffing = api.get("/api/v1/tenants/zhuzhou/standards/社区工作者配备", ADMIN).json
    new = next(x for x in staffing["results"] if x["code"] == "430202002001")
    assert (new["required"], new["gap"], new["status"]) == (17, 1, "failing")


def test_an_xlsx_with_a_title_row_and_number_cells(api, database):
    data = xlsx([["株洲市组织单位统计表"], [],
                  ["code", "parent", "level", "name", "population", "urban_population", "households", "workers",
                   "grid_workers", "facility_area_m2"],
                  [430202003000, 430200000000, "street", "建设街道", 15000, 15000, 5000, None, None, 1100.0],
                  [430202003001, 430202003000, "community", "建设社区", 8000, 7000.0, 2600, 15, 2, 780.5]])
    r = send(api, "zhuzhou", data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 200, r.json
    assert (r.json["format"], r.json["created"]) == ("xlsx", 2)
    community = stored(database, "430202003001")
    assert (community.parent_code, community.urban_population, community.facility_area_m2) == (
        "430202003000", 7000, 780.5)
    bad = xlsx([["code", "parent", "level", "name", "households"],
                 [430202004000, 430200000000, "street", "某街道", "很多"]])
    r = api.post(IMPORT.format("zhuzhou"), ADMIN, json={"xlsx_base64": base64.b64encode(bad).decode()})
    assert r.status_code == 422
    assert r.json["error"]["details"] == [{"row": 2, "column": "households", "code": "unit_value_not_integer",
                                           "message": "户数应为整数,实际为“很多”", "cell": "E2"}]


BAD_ROWS = [  # (row text, column, code)
    ("4302020050,430200000000,街道,短代码街道,,,,,,", "代码", "unit_code_invalid"),
    ("430202006000,430200000000,居民点,某居民点,,,,,,", "层级", "unit_level_invalid"),
    ("430202007000,430202999000,街道,无上级街道,,,,,,", "上级代码", "unit_parent_unknown"),
    ("430202001002,430202001001,社区,社区下的社区,,,,,,", "层级", "unit_level_not_below_parent"),
    ("430202005000,430200000000,街道,重复街道,,,,,,", "代码", "unit_code_duplicate"),
    ("430202008000,430200000000,街道,负户数街道,,,-5,,,", "户数", "unit_value_negative"),
    ("430202009000,430200000000,街道,小数人员街道,,,,3.5,,", "社区工作者", "unit_value_not_integer"),
    ("430202010000,430200000000,街道,城镇人口过多,9000,12000,,,,", "城镇常住人口",
     "urban_population_exceeds_population"),
    ("430202011000,430200000000,街道,,,,,,,", "名称", "unit_name_missing"),
    ("430202001002001,430202001001,网格,错号网格,,,400,,1,", "代码", "grid_code_mismatch"),
    ("230102001001,430200000000,街道,别省的代码,,,,,,", "代码", "unit_code_taken"),
    ("430202012001,430102001000,社区,挂到长沙的社区,,,,,,", "上级代码", "unit_parent_out_of_reach"),
    ("430202013001,,社区,没有上级的社区,,,,,,", "上级代码", "unit_parent_missing"),
    ("430202014000,430200000000,街道,面积不是数,,,,,,大约一千", "设施面积", "unit_value_not_number"),
]


def test_every_bad_row_is_reported_and_nothing_is_imported(api, database):
    header = "代码,上级代码,层级,名称,常住人口,城镇常住人口,户数,社区工作者,专职网格员,设施面积"
    good = "430202005000,430200000000,街道,好街道,1000,1000,300,,,1000"
    r = send(api, "zhuzhou", "\n".join([header, good] + [row for row, _c, _code in BAD_ROWS]))
    assert r.status_code == 422, r.json
    err = r.json["error"]
    assert err["code"] == "units_import_invalid" and f"{len(BAD_ROWS)} 处问题" in err["message"]
    found = [(d["row"], d["column"], d["code"]) for d in err["details"]]
    assert found == [(i + 3, column, code) for i, (_row, column, code) in enumerate(BAD_ROWS)]
    assert all(d["message"] and not d["message"].isascii() for d in err["details"])
    assert stored(database, "430202005000") is None  # the good row was not imported either


def test_a_level_change_must_stay_above_existing_children(api):
    text = "code,parent,level,name\n430102001000,430102000000,community,文艺路街道\n"
    r = send(api, "changsha", text, who=("changsha", "admin"))
    assert r.status_code == 422
    assert [(d["row"], d["column"], d["code"]) for d in r.json["error"]["details"]] == [
        (2, "level", "unit_level_above_children")]


def test_gbk_files_dry_runs_and_the_json_form(api, database):
    text = "代码,上级代码,层级,名称\n430202015000,430200000000,街道,荷塘街道\n"
    r = send(api, "zhuzhou", text.encode("gb18030"), dry_run="true")
    assert r.status_code == 200 and (r.json["dry_run"], r.json["created"]) == (True, 1)
    assert stored(database, "430202015000") is None
    r = api.post(IMPORT.format("zhuzhou"), ADMIN, json={"csv": text})
    assert r.status_code == 200 and stored(database, "430202015000").name == "荷塘街道"
    r = api.post(IMPORT.format("zhuzhou"), ADMIN, json={"xlsx_base64": "不是base64"})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("data, code", [
    (b"", "units_file_empty"), (b"\n\n", "units_file_empty"),
    ("名称,户数\n某社区,5\n".encode(), "units_header_missing"),
    ("代码,名称\n430202016000,某街道\n".encode(), "units_header_missing"),
    ("代码,上级代码,层级,名称\n".encode(), "units_file_empty"),
    (b"PK\x03\x04 not really a workbook", "units_file_unreadable"),
    ("代码,上级代码,层级,名称\n\x00".encode(), "units_file_unreadable"),
])
def test_unusable_files(api, data, code):
    r = send(api, "zhuzhou", data)
    assert r.status_code == 422 and r.json["error"]["details"][0]["code"] == code, r.json


def test_only_an_admin_of_the_tenant_imports(api):
    text = "代码,上级代码,层级,名称\n430202017000,430200000000,街道,某街道\n"
    r = send(api, "zhuzhou", text, who=("zhuzhou", "department"))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    r = send(api, "zhuzhou", text, who=("heilongjiang", "admin"))
    assert r.status_code == 404
    assert send(api, "zhuzhou", text, who=("hunan", "admin")).status_code == 200  # a province admin reaches its city


def test_cli_import(database, monkeypatch, tmp_path):
    monkeypatch.setattr(commands, "_database", lambda: database)
    runner = CliRunner()
    good = tmp_path / "units.csv"
    good.write_text("代码,上级代码,层级,名称,户数\n430202018000,430200000000,街道,枫溪街道,3000\n", encoding="utf-8")
    out = runner.invoke(main, ["units", "import", "--tenant", "zhuzhou", str(good)])
    assert out.exit_code == 0 and "新增 1" in out.stdout, out.output
    bad = tmp_path / "bad.csv"
    bad.write_text("代码,上级代码,层级,名称,户数\n430202019000,430200000000,街道,某街道,很多\n", encoding="utf-8")
    out = runner.invoke(main, ["units", "import", "--tenant", "zhuzhou", str(bad)])
    assert out.exit_code == 2 and "第 2 行,列“户数”:unit_value_not_integer" in out.output
    data = json.loads(runner.invoke(main, ["units", "import", "--tenant", "zhuzhou", str(bad), "--json"]).stdout)
    assert data["error"]["details"][0]["code"] == "unit_value_not_integer"
    missing = runner.invoke(main, ["units", "import", "--tenant", "nowhere", str(good)])
    assert missing.exit_code == 2 and "tenant_not_found" in missing.output


def test_a_duplicate_code_is_reported_even_on_a_row_with_other_problems(api):
    """Issue 13: one pass over the file names every problem of a row, the repeated code included."""
    header = "代码,上级代码,层级,名称,常住人口,城镇常住人口,户数,社区工作者,专职网格员,设施面积"
    rows = ["430202015000,430200000000,街道,甲街道,,,,,,",
            "430202015000,430200000000,居民点,,,,-1,,,",      # repeated, and bad level, name and 户数
            "430202016000,430200000000,居民点,乙,,,,,,",        # bad on its own, first with its code
            "430202016000,430200000000,街道,乙街道,,,,,,"]      # good on its own, but repeated
    r = send(api, "zhuzhou", "\n".join([header] + rows))
    assert r.status_code == 422, r.json
    found = [(d["row"], d["column"], d["code"]) for d in r.json["error"]["details"]]
    assert (3, "代码", "unit_code_duplicate") in found and (5, "代码", "unit_code_duplicate") in found
    assert {(3, "层级", "unit_level_invalid"), (3, "名称", "unit_name_missing"), (3, "户数", "unit_value_negative"),
            (4, "层级", "unit_level_invalid")} <= set(found)
    dup = next(d for d in r.json["error"]["details"] if d["row"] == 3 and d["code"] == "unit_code_duplicate")
    assert "第 2 行" in dup["message"]
