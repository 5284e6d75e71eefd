"""清单 spreadsheets in and out (issue 13): the export holds every item of the chain's 清单 with its
citation and pack; export → import → the same lists; a table is checked row by row and one bad
row makes no draft; headers in common Chinese variants; GBK files read, unreadable ones refused."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from openpyxl import load_workbook

from jiceng.platform.lists.table import LABELS

TENANTS = "/api/v1/tenants"
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = ("changsha", "admin")
TABLE_KINDS = {"self_governance", "assist", "reduced", "forbidden", "certificate_excluded", "permitted"}


def export(api, tenant="changsha", who=ADMIN, **query) -> list[dict]:
    r = api.get(f"{TENANTS}/{tenant}/lists/export", who, query_string={"format": "csv", **query})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    return list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))


def post(api, data: bytes, tenant="changsha", who=ADMIN, content_type=CSV, **query):
    return api.post(f"{TENANTS}/{tenant}/lists/import", who, data=data, content_type=content_type,
                    query_string=query)


def table(rows: list[dict], header=None) -> bytes:
    header = header or list(LABELS.values())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return buf.getvalue().encode("utf-8")


def versions(api, tenant="changsha") -> int:
    return len(api.get(f"{TENANTS}/{tenant}/packs", ADMIN).json["versions"])


def test_export_holds_every_item_of_the_chain_with_its_pack_and_citation(shipped):
    rows = export(shipped)
    lists = shipped.get(f"{TENANTS}/changsha/lists", ADMIN).json
    expected = [(name, i["code"], i["pack"]) for name, info in lists["info"].items() if info["kind"] in TABLE_KINDS
                for i in lists["lists"][name]]
    assert [(r["事项类别"], r["事项代码"], r["来源规则包"]) for r in rows] == expected
    assert [int(r["序号"]) for r in rows] == list(range(1, len(rows) + 1))
    by_code = {(r["事项类别"], r["事项代码"]): r for r in rows}
    for name, code, _pack in expected:
        item = next(i for i in lists["lists"][name] if i["code"] == code)
        row = by_code[(name, code)]
        assert row["事项名称"] == item["name"] and row["依据"], (name, code)  # every item carries a citation
        if "依据" in item["attrs"]:
            assert row["依据"] == item["attrs"]["依据"]
    assert {r["来源规则包"] for r in rows} == {"national", "hunan", "changsha"}


@pytest.mark.parametrize("tenant", ["hunan", "changsha"])
def test_export_then_import_changes_nothing(shipped, tenant):
    who = (tenant, "admin")
    for fmt, content_type in (("csv", CSV), ("xlsx", XLSX)):
        data = shipped.get(f"{TENANTS}/{tenant}/lists/export", who, query_string={"format": fmt}).get_data()
        r = post(shipped, data, tenant, who, content_type, dry_run="true")
        assert r.status_code == 200, r.json
        for change in r.json["lists"]:
            assert change["added"] == change["removed"] == change["changed"] == [], change
        assert r.json["inherited_rows"] == sum(1 for row in export(shipped, tenant, who) if row["来源规则包"] != tenant)


def test_xlsx_export_is_a_readable_workbook(shipped):
    data = shipped.get(f"{TENANTS}/changsha/lists/export", ADMIN, query_string={"format": "xlsx"}).get_data()
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(LABELS.values()) and len(rows) - 1 == len(export(shipped))


TEXT = st.text(st.characters(whitelist_categories=("Lo", "Nd"), max_codepoint=0x9fff), min_size=1, max_size=12)
KINDS = {"依法自治事项": "自治", "依法协助政府工作事项": "协助", "减负事项": "减负", "不应由社区出具的证明": "证明"}
ROW = st.fixed_dictionaries({
    "事项名称": TEXT, "事项类别": st.sampled_from(sorted(KINDS)),
    "依据": st.one_of(st.just(""), TEXT.map(lambda t: "S002 " + t)),
    "责任部门": st.one_of(st.just(""), TEXT), "适用层级": st.sampled_from(["", "社区", "村", "社区、村"]),
    "须具备的条件": st.sampled_from(["", "经费保障", "经费保障、工作条件", "审批"]),
    "备注": st.one_of(st.just(""), TEXT), "use_short_name": st.booleans()})


# every example compiles a draft over the real chain (about a second): no shrinking phase, which
# would replay hundreds of them; a failure still prints the table that failed
@settings(max_examples=12, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_round_trip_property(shipped, rows):
    """Random own items → import → export of the draft holds exactly them (codes made in order) and
    the chain's inherited items → import of that export changes nothing."""
    own = []
    for i, r in enumerate(rows, start=1):
        row = {k: v for k, v in r.items() if k != "use_short_name"}
        row["序号"] = str(i)
        if r["use_short_name"]:
            row["事项类别"] = KINDS[r["事项类别"]]
        own.append(row)
    made = post(shipped, table(own), base=1)  # on the shipped pack, not on an earlier example's draft
    assert made.status_code == 200, made.json
    number = made.json["version"]["number"]
    exported = export(shipped, version=number)
    mine = [r for r in exported if r["来源规则包"] == "changsha" and r["事项类别"] != "街道取消事项"]
    assert len(mine) == len(own)
    expected = sorted(((next(n for n, s in KINDS.items() if r["事项类别"] in (n, s)), r["事项名称"], r["依据"], r["责任部门"],
                        r["适用层级"], r["备注"]) for r in own))
    got = sorted((r["事项类别"], r["事项名称"], r["依据"], r["责任部门"], r["适用层级"], r["备注"]) for r in mine)
    assert got == expected
    assert all(r["事项代码"].startswith("CHANGSHA-") for r in mine)
    again = post(shipped, table(exported), base=number, dry_run="true")
    assert again.status_code == 200, again.json
    for change in again.json["lists"]:
        assert change["added"] == change["removed"] == change["changed"] == [], change


@pytest.mark.parametrize("header", ["事项名称", "名称", "事项", "事项名称(全称)"])
def test_name_header_variants(shipped, header):
    data = table([{header: "协助开展某项宣传", "事项类别": "协助"}], header=[header, "事项类别"])
    r = post(shipped, data, dry_run="true", base=1)
    assert r.status_code == 200, r.json
    assert {c["list"]: c["added"] for c in r.json["lists"]}["依法协助政府工作事项"] == ["CHANGSHA-XZ-01"]


def test_bad_rows_are_each_reported_and_nothing_is_made(shipped):
    before = versions(shipped)
    rows = [{"事项名称": "好的一行", "事项类别": "自治"},
            {"事项名称": "", "事项类别": "自治"},
            {"事项名称": "类别不对", "事项类别": "自知"},
            {"事项名称": "层级不对", "事项类别": "协助", "适用层级": "楼栋"},
            {"事项名称": "代码不对", "事项类别": "协助", "事项代码": "A B"},
            {"事项名称": "代码重复 1", "事项类别": "减负", "事项代码": "CS-JF-01"},
            {"事项名称": "代码重复 2", "事项类别": "减负", "事项代码": "CS-JF-01"},
            {"事项名称": "条件不对", "事项类别": "协助", "须具备的条件": "加钱"},
            {"事项名称": "不是上级的事项", "事项类别": "自治", "事项代码": "HN-ZZ-99", "来源规则包": "hunan"},
            {"事项名称": "其他属性不对", "事项类别": "证明", "其他属性": "{不是 JSON"}]
    r = post(shipped, table(rows))
    assert r.status_code == 422 and r.json["error"]["code"] == "lists_import_invalid"
    found = [(d["row"], d["column"], d["code"]) for d in r.json["error"]["details"]]
    assert found == [(3, "事项名称", "list_item_name_missing"), (4, "事项类别", "list_category_unknown"),
                     (5, "适用层级", "list_level_invalid"), (6, "事项代码", "list_item_code_invalid"),
                     (8, "事项代码", "list_item_code_duplicate"), (9, "须具备的条件", "list_requirement_unknown"),
                     (10, "来源规则包", "list_item_not_inherited"), (11, "其他属性", "list_other_invalid")]
    for d in r.json["error"]["details"]:
        assert not d["message"].isascii()
    assert "依法自治事项" in r.json["error"]["details"][1]["message"]  # says what a category may be
    assert versions(shipped) == before


def test_a_forbidden_item_must_be_a_category_of_the_vocabulary(shipped):
    """不应由社区承担的事项 are matched against the task's 事项类别: one outside the vocabulary is refused."""
    r = post(shipped, table([{"事项名称": "组织活动", "事项类别": "自治"},
                             {"事项名称": "城管罚没", "事项类别": "不应由社区承担"}]), base=1)
    assert r.status_code == 422, r.json
    [problem] = r.json["error"]["details"]
    assert (problem["row"], problem["column"], problem["code"]) == (3, "事项名称", "list_category_not_in_vocabulary")
    fine = post(shipped, table([{"事项名称": "城管执法", "事项类别": "不应由社区承担"}]), base=1, dry_run="true")
    assert fine.status_code == 200, fine.json
    assert {c["list"]: c["added"] for c in fine.json["lists"]}["不应由社区承担的事项"] == ["城管执法"]


def test_compile_problems_at_an_imported_item_name_its_row(shipped):
    """The line map of a rewritten pack points at each item's own line (what a compile error is mapped by)."""
    from jiceng.platform.lists.exchange import _rewrite, catalogue
    from jiceng.platform.lists.table import check_rows
    from jiceng.platform.units.importer import read_file
    from jiceng.platform.lists.table import LAYOUT
    from jiceng.dsl import load_pack
    from tests.platform.onboarding.conftest import REPO
    pack = load_pack("changsha", root=REPO / "rule_packs")
    parsed = read_file(table([{"事项名称": "甲", "事项类别": "自治"}, {"事项名称": "乙", "事项类别": "协助"},
                              {"事项名称": "招商引资", "事项代码": "招商引资", "事项类别": "街道取消事项"},
                              {"事项名称": "丙", "事项类别": "自治"}]), "t.csv", LAYOUT)
    rows, problems = check_rows(parsed, catalogue(pack), "changsha")
    assert problems == []
    files = {p.relative_to(REPO / "rule_packs" / "changsha").as_posix(): p.read_text(encoding="utf-8")
             for p in (REPO / "rule_packs" / "changsha").rglob("*.jc")}
    own = {}
    for r in rows:
        own.setdefault(r.list_name, []).append(r)
    new, lines = _rewrite(dict(files), own, pack, "changsha")
    by_row = {r.row: r.item.code for r in rows}
    assert sorted(lines.values()) == sorted(by_row)
    for (file, line), row in lines.items():
        text = new[file.split("/", 1)[1]].splitlines()[line - 1]
        assert text.strip().startswith(f'"{by_row[row]}"'), (file, line, text)
    assert "协税护税 \"协税护税\"" in files["pack.jc"] and "协税护税\" \"协税护税" not in new["pack.jc"]  # the table
    # is the whole of the lists it names: 协税护税, not in it, is gone from 街道取消事项


def test_gbk_csv_is_read_and_undecodable_bytes_are_refused(shipped):
    gbk = table([{"事项名称": "协助开展防汛宣传", "事项类别": "协助", "适用层级": "社区、村"}]).decode("utf-8").encode("gbk")
    r = post(shipped, gbk, dry_run="true")
    assert r.status_code == 200 and r.json["format"] == "csv"
    bad = post(shipped, "事项名称,事项类别\n".encode("utf-8") + b"\x81\x20\xff,\xfe\n", dry_run="true")
    assert bad.status_code == 422
    [problem] = bad.json["error"]["details"]
    assert problem["code"] == "lists_file_unreadable" and "GBK" in problem["message"]


def test_only_admins_import_and_only_in_reach(shipped):
    data = table([{"事项名称": "x", "事项类别": "自治"}])
    assert post(shipped, data, who=("changsha", "auditor")).status_code == 403
    assert post(shipped, data, tenant="hunan", who=ADMIN).status_code == 404
    assert shipped.get(f"{TENANTS}/hunan/lists/export", ADMIN).status_code == 404


def test_text_that_looks_like_a_formula_is_exported_as_text_and_imports_as_itself(shipped):
    """CSV injection: an item named like a formula goes out with a leading apostrophe (CSV) or as
    a text cell (XLSX), and an export imports back unchanged."""
    name = '=HYPERLINK("http://example.invalid","点击")'
    made = post(shipped, table([{"序号": "1", "事项名称": name, "事项类别": "自治"}]), base=1)
    assert made.status_code == 200, made.json
    number = made.json["version"]["number"]
    raw = shipped.get(f"{TENANTS}/changsha/lists/export", ADMIN, query_string={"format": "csv", "version": number})
    cells = [row[2] for row in csv.reader(io.StringIO(raw.get_data().decode("utf-8-sig")))]
    assert "'" + name in cells and name not in cells
    book = shipped.get(f"{TENANTS}/changsha/lists/export", ADMIN, query_string={"format": "xlsx", "version": number})
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    [cell] = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == name]
    assert cell.data_type == "s"
    again = post(shipped, raw.get_data(), base=number, dry_run="true")
    assert again.status_code == 200, again.json
    assert all(c["added"] == c["removed"] == c["changed"] == [] for c in again.json["lists"]), again.json
