"""The console's pages over the Flask test client: each role sees only its pages, another tenant's
data is 404, and each page does its job through the services (drafts, maker-checker, tasks,
evidence, forms preview, decision log filters, CSV, verify, replay, standards)."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import time

import pytest

from jiceng.platform.auth.tokens import issue
from jiceng.platform.tenants.directory import TenantDirectory

#: page -> the roles that may open it (the rest: 403), as the permission table says
PAGES = {
    "/console/changsha/packs": {"admin"},
    "/console/changsha/tasks": {"admin", "department"},
    "/console/changsha/inbox": {"admin", "township"},
    "/console/changsha/forms": {"admin", "designer"},
    "/console/changsha/forms/task": {"admin", "designer"},
    "/console/changsha/decisions": {"admin", "auditor"},
    "/console/changsha/decisions/verify": {"admin", "auditor"},
    "/console/changsha/standards": {"admin", "designer", "department", "township", "auditor"},
    "/console/changsha": {"admin", "designer", "department", "township", "auditor"},
}
ROLES = ("admin", "designer", "department", "township", "auditor")
#: menu entry -> the roles whose menu lists it (each role is led to its own jobs)
MENU = {
    "/console/changsha/packs": {"admin"},
    "/console/changsha/tasks": {"admin", "department"},
    "/console/changsha/inbox": {"admin", "township"},
    "/check/changsha": {"admin", "department", "township"},
    "/console/changsha/forms": {"admin", "designer"},
    "/console/changsha/decisions": {"admin", "auditor"},
    "/console/changsha/standards": {"admin", "designer", "department", "township", "auditor"},
}


def text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_its_pages_and_the_menu_lists_only_those(api, role):
    api.log_in("changsha", role)
    for path, roles in PAGES.items():
        r = api.get(path)
        assert r.status_code == (200 if role in roles else 403), (path, role, r.status_code)
    home = text(api.get("/console/changsha"))
    for path, roles in MENU.items():
        assert (f'href="{path}"' in home) == (role in roles), (path, role)


def test_another_tenants_pages_are_not_found_and_no_login_leads_to_login(api):
    api.log_in("heilongjiang", "admin")
    for path in PAGES:
        assert api.get(path).status_code == 404, path
    api.client.post("/logout", data={"csrf_token": api.csrf()})
    r = api.get("/console/changsha/packs")
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    assert api.get("/console/changsha/packs?token=" + api.tokens[("changsha", "admin")]).status_code == 303


def test_a_post_without_the_csrf_token_is_refused(api):
    api.log_in("changsha", "admin")
    r = api.post("/console/changsha/packs/editor/diagnostics", data={"file": "pack.jc", "source": ""})
    assert r.status_code == 403


def test_static_files_are_served_and_nothing_else(api):
    assert api.get("/console/static/console.css").status_code == 200
    assert api.get("/console/static/..%2Fapp.py").status_code == 404
    assert api.get("/console/static/app.py").status_code == 404


def test_pages_fetch_nothing_from_elsewhere(api):
    api.log_in("changsha", "admin")
    for path in PAGES:
        page = api.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), path


# ---------------------------------------------------------------------- admin
def _version(api):
    return api.get("/api/v1/tenants/changsha/packs", ("changsha", "auditor")).json


def test_editor_diagnostics_appear_for_a_broken_rule_and_vanish_when_fixed(api):
    csrf = api.log_in("changsha", "admin")
    v = _version(api)["in_force"]
    source = api.get(f"/api/v1/tenants/changsha/packs/{v}", ("changsha", "admin")).json["files"]["pack.jc"]
    broken = source + '\nrule 坏规则 "x"\n  when target.levle == street\n  then reject\n'
    r = api.post("/console/changsha/packs/editor/diagnostics",
                 data={"csrf_token": csrf, "base": v, "file": "pack.jc", "source": broken})
    found = r.json
    assert r.status_code == 200 and found, found
    assert any(d["line"] == source.count("\n") + 3 and d["severity"] == "error" for d in found), found
    ok = api.post("/console/changsha/packs/editor/diagnostics",
                  data={"csrf_token": csrf, "base": v, "file": "pack.jc", "source": source}).json
    assert [d for d in ok if d["severity"] == "error"] == []


def _complete(api, csrf, text):
    """Completions at the end of ``text``, appended as a new rule to changsha's pack in force."""
    v = _version(api)["in_force"]
    source = api.get(f"/api/v1/tenants/changsha/packs/{v}", ("changsha", "admin")).json["files"]["pack.jc"]
    source += '\nrule 补全 "x"\n  when ' + text
    lines = source.split("\n")
    return api.post("/console/changsha/packs/editor/completions",
                    data={"csrf_token": csrf, "base": v, "file": "pack.jc", "source": source,
                          "line": len(lines), "column": len(lines[-1]) + 1}).json


def test_completions_offer_lists_task_fields_and_levels_from_the_engine(api):
    csrf = api.log_in("changsha", "admin")
    lists = _complete(api, csrf, "task.category in 街道")
    assert any(c["label"] == "街道取消事项" and c["kind"] == "list" for c in lists), lists
    fields = _complete(api, csrf, "task.cat")
    assert "category" in [c["label"] for c in fields] and all(c["label"].startswith("cat") for c in fields), fields
    levels = _complete(api, csrf, "target.level == stre")
    assert "street" in [c["label"] for c in levels], levels


@pytest.fixture(scope="module")
def second_admin(api):
    with api.app.extensions["jiceng"].db.write() as session:
        api.tokens[("changsha", "admin2")] = issue(session, TenantDirectory.load(session), "changsha", "admin")[0]
    return ("changsha", "admin2")


def test_admin_saves_a_draft_proposes_and_a_second_admin_approves(api, second_admin):
    csrf = api.log_in("changsha", "admin")
    before = _version(api)["in_force"]
    source = api.get(f"/api/v1/tenants/changsha/packs/{before}", ("changsha", "admin")).json["files"]["pack.jc"]
    new = source + '\nrule 页面新规则 "街道不承担城市管理"\n  cite S003C "一"\n  when target.level == street and task.category == "城市管理"\n  then reject\n'
    r = api.post("/console/changsha/packs/drafts", data={"csrf_token": csrf, "base": before, "file": "pack.jc", "source": new})
    assert r.status_code == 303
    number = int(re.search(r"version=(\d+)", r.headers["Location"]).group(1))
    assert api.get(f"/api/v1/tenants/changsha/packs/{number}", ("changsha", "admin")).json["files"]["pack.jc"] == new
    page = text(api.post(f"/console/changsha/packs/{number}/test", data={"csrf_token": csrf}))
    assert "测试结果" in page and "覆盖本包规则" in page
    page = text(api.get(f"/console/changsha/packs/{number}/diff"))
    assert "页面新规则" in page
    page = text(api.post(f"/console/changsha/packs/{number}/proposals",
                         data={"csrf_token": csrf, "effective_from": "2023-01-01", "note": "页面申请"}))
    pid = int(re.search(r"已提交第 (\d+) 号发布申请", page).group(1))
    own = api.post(f"/console/changsha/packs/proposals/{pid}/approve", data={"csrf_token": csrf})
    assert own.status_code == 403 and "申请人不能批准自己的申请" in text(own)
    assert _version(api)["in_force"] == before
    csrf2 = api.log_in(*second_admin)
    ok = api.post(f"/console/changsha/packs/proposals/{pid}/approve", data={"csrf_token": csrf2})
    assert ok.status_code == 200 and "已批准并发布" in text(ok)
    assert _version(api)["in_force"] == number


def test_impact_runs_as_a_job_and_lists_the_decisions_a_draft_changes(api):
    """A logged check admitted today is rejected by a draft rule: the page starts the job, shows
    its progress and then the changed decision, linked to the log."""
    body = {"task": {"title": "影响评估用", "category": "社区治理", "kind": "work", "role": "assist"},
            "target": {"level": "street"}}
    decided = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json
    csrf = api.log_in("changsha", "admin")
    before = _version(api)["in_force"]
    source = api.get(f"/api/v1/tenants/changsha/packs/{before}", ("changsha", "admin")).json["files"]["pack.jc"]
    new = source + '\nrule 影响评估规则 "街道不承担影响评估用的任务"\n  cite S003C "一"\n  when task.title == "影响评估用"\n  then reject\n'
    r = api.post("/console/changsha/packs/drafts", data={"csrf_token": csrf, "base": before, "file": "pack.jc", "source": new})
    number = int(re.search(r"version=(\d+)", r.headers["Location"]).group(1))
    started = api.post(f"/console/changsha/packs/{number}/impact", data={"csrf_token": csrf})
    assert started.status_code == 303 and "/impact/" in started.headers["Location"]
    for _ in range(400):
        page = text(api.get(started.headers["Location"]))
        if "正在重放" not in page:
            break
        time.sleep(0.05)
    assert "条结论会改变" in page, page
    assert f"#{decided['decision_id']}" in page and "+影响评估规则" in page
    api.log_in("heilongjiang", "admin")
    assert api.get(started.headers["Location"].replace("changsha", "heilongjiang")).status_code == 404


def test_list_table_adds_edits_and_retires_items_in_the_source(api):
    csrf = api.log_in("changsha", "admin")
    base = _version(api)["in_force"]
    form = {"csrf_token": csrf, "base": base, "file": "pack.jc", "list": "街道取消事项",
            "orig": ["招商引资", "协税护税", ""], "code": ["招商引资", "协税护税", "新事项"],
            "name": ["招商引资活动", "协税护税", "新增的事项"], "basis": ["S003C 一", "", "S003C 二"], "retire": ["协税护税"]}
    r = api.post("/console/changsha/packs/lists", data=form)
    assert r.status_code == 303, text(r)
    number = int(re.search(r"version=(\d+)", r.headers["Location"]).group(1))
    src = api.get(f"/api/v1/tenants/changsha/packs/{number}", ("changsha", "admin")).json["files"]["pack.jc"]
    assert '招商引资 "招商引资活动" { 依据: "S003C 一" }' in src
    assert "协税护税" not in src.split("rule")[0]
    assert '新事项 "新增的事项" { 依据: "S003C 二" }' in src
    bad = api.post("/console/changsha/packs/lists", data={**form, "code": ["招商引资", "协税护税", "招商引资"], "retire": []})
    assert bad.status_code == 422 and "重复" in text(bad)


# ---------------------------------------------------------------------- department, township
REGISTRY = "code,name,unit,kind,items,categories\ncs-mzj,市民政局,430100000000,functional,X01,社会救助\n"


def test_department_assigns_to_a_streets_communities_and_supplies_a_requirement(api, units):
    r = api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"), data=REGISTRY.encode(),
                 content_type="text/csv")
    assert r.status_code in (200, 201), r.json
    csrf = api.log_in("changsha", "department")
    data = {"csrf_token": csrf, "/title": "老年人优待证初审", "/item_code": "X01", "/role": "assist",
            "/source_unit": units.cs_city, "/source_department": "市民政局", "children_of": units.cs_street}
    r = api.post("/console/changsha/tasks", data=data)
    page = text(r)
    assert r.status_code == 200, page
    results = page[page.index('id="results"'):page.index('id="assignments"')]
    for code in units.cs_communities:
        assert code in results
    assert "请提供必要经费" in results and "待补充条件" in results or "有条件准入" in results
    pending = re.findall(r'/console/changsha/assignments/(\d+)/evidence', page)
    assert len(pending) == len(units.cs_communities), page
    api.log_in("changsha", "township")
    inbox = text(api.get("/console/changsha/inbox"))
    assert "老年人优待证初审" in inbox and "待补充条件" in inbox and "请提供必要经费" in inbox
    csrf = api.log_in("changsha", "department")
    waits = [q["code"] for q in api.get(f"/api/v1/tenants/changsha/assignments/{pending[0]}", ("changsha", "admin")).json["requirements"]]
    assert "funding" in waits, waits
    r = api.post(f"/console/changsha/assignments/{pending[0]}/evidence",
                 data={"csrf_token": csrf, "code": waits, "funding.amount": "5000", "funding.source": "区财政",
                       "work_conditions.description": "办公室一间", "information.facts.kind": "work"})
    assert r.status_code == 200, text(r)
    assert "已补充条件并重新判定:准入" in text(r), text(r)[text(r).index("<main>"):][:600]
    a = api.get(f"/api/v1/tenants/changsha/assignments/{pending[0]}", ("changsha", "admin")).json
    assert a["status"] == "admitted"
    r = api.post(f"/console/changsha/assignments/{pending[1]}/evidence",
                 data={"csrf_token": csrf, "code": ["funding"], "funding.amount": "-1", "funding.source": "区财政"})
    assert r.status_code == 422
    api.log_in("changsha", "township")
    inbox = text(api.get("/console/changsha/inbox"))
    assert "已准入" in inbox


def test_a_street_bound_township_sees_only_its_units_in_the_inbox(api, units):
    api.log_in("changsha", "street")
    page = text(api.get("/console/changsha/inbox"))
    assert units.cs_community2 not in page


# ---------------------------------------------------------------------- designer
def test_designer_preview_renders_an_added_field_and_checks_the_sample(api):
    csrf = api.log_in("changsha", "designer")
    schema = {"type": "object", "title": "联系登记", "properties": {"phone": {"type": "string", "title": "联系电话", "maxLength": 3}},
              "required": ["phone"]}
    r = api.post("/console/changsha/forms/contact/preview",
                 data={"csrf_token": csrf, "schema": json.dumps(schema), "sample": json.dumps({"phone": "12345"})})
    assert r.status_code == 200 and "联系电话" in r.json["html"]
    assert [e["path"] for e in r.json["data_errors"]] == ["/phone"]
    bad = api.post("/console/changsha/forms/contact/preview", data={"csrf_token": csrf, "schema": "{", "sample": "{}"})
    assert bad.json["schema_errors"]
    saved = api.post("/console/changsha/forms/contact", data={"csrf_token": csrf, "schema": json.dumps(schema), "action": "save"})
    assert saved.status_code == 303
    assert api.get("/api/v1/tenants/changsha/forms/contact", ("changsha", "designer")).json["schema"] == schema


# ---------------------------------------------------------------------- auditor
def test_auditor_filters_exports_verifies_and_replays(api):
    body = {"task": {"title": "审计用", "category": "招商引资", "kind": "work"}, "target": {"level": "street"}}
    decided = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json
    api.log_in("changsha", "auditor")
    page = text(api.get("/console/changsha/decisions?outcome=reject&rule=街道取消招商引资"))
    assert f">{decided['decision_id']}<" in page
    none = text(api.get("/console/changsha/decisions?outcome=admit&rule=街道取消招商引资"))
    assert f">{decided['decision_id']}<" not in none
    r = api.get("/console/changsha/decisions?outcome=reject&format=csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert r.mimetype == "text/csv" and rows[0][0] == "决定记录号" and str(decided["decision_id"]) in [x[0] for x in rows]
    assert "校验通过" in text(api.get("/console/changsha/decisions/verify"))
    replay = text(api.get(f"/console/changsha/decisions/{decided['decision_id']}?replay=1"))
    assert "重算结果与记录一致" in replay and "街道取消招商引资" in replay
    assert api.get("/console/changsha/decisions?from=2024-13").status_code == 422
    api.log_in("heilongjiang", "auditor")
    assert api.get(f"/console/heilongjiang/decisions/{decided['decision_id']}").status_code == 404



def test_a_decision_page_names_the_items_the_decision_relied_on_and_marks_an_example_one(api, units):
    """Z02 (居民公约) is an example item of changsha's 自治事项 list, Z01 (居民会议) a published one."""
    def page_of(item_code: str) -> str:
        body = {"task": {"title": "修订居民公约", "item_code": item_code, "kind": "work", "one_vote_veto": False,
                         "source_unit": "430100000000", "target_unit": units.cs_communities[0]}}
        decided = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json
        page = text(api.get(f"/console/changsha/decisions/{decided['decision_id']}"))
        start = page.index('id="used-items"')
        return re.sub(r"<[^>]+>", "", page[start:page.index("</ul>", start)])

    api.log_in("changsha", "auditor")
    example = page_of("Z02")
    assert "居民公约 (事项 Z02,清单 自治事项)" in example and "示例事项,不是正式公布的清单内容" in example
    published = page_of("Z01")
    assert "居民会议 (事项 Z01,清单 自治事项)" in published and "示例事项" not in published

# ---------------------------------------------------------------------- standards
def test_standards_report_opens_in_the_browser_per_tenant_and_street_and_states_the_condition(api, units):
    api.log_in("changsha", "township")
    index = text(api.get("/console/changsha/standards"))
    assert "社区工作者配备" in index and units.cs_street in index
    report = text(api.get("/console/changsha/standards/社区工作者配备"))
    row = report[report.index("达标条件"):]
    row = row[:row.index("</dd>")]
    assert "unit.workers >= required" in row and "required = ceil(unit.urban_population * 社区工作者配比)" in row
    assert row.index("unit.workers >= required") < row.index("社区工作者不足")  # the message only as the failure's words
    street = api.get(f"/console/changsha/standards/社区工作者配备?under={units.cs_street}")
    assert street.status_code == 200
    assert api.get(f"/console/changsha/standards/社区工作者配备?under={units.hlj_street}").status_code == 404
    assert api.get("/console/changsha/standards/没有这个标准").status_code == 404


def test_the_task_page_marks_the_fields_only_some_kinds_need(api):
    api.log_in("changsha", "department")
    page = api.get("/console/changsha/tasks").get_data(as_text=True)
    # the fixture's hunan rule reads task.approval only for assessments (街道考核审批)
    block = page[page.index('name="/approval"') - 600:page.index('name="/approval"')]
    assert 'class="by-kind" data-kinds="assessment"' in block
    title = page[page.index('name="/title"') - 300:page.index('name="/title"')]
    assert "by-kind" not in title  # required: always shown


def test_kinds_by_field_reads_the_kind_restriction_of_each_rule():
    from jiceng.dsl.parser import parse
    from jiceng.platform.pages.task_fields import ALL, _kinds

    def when(text):
        module, problems = parse(f'rule r "x"\n  when {text}\n  then reject\n', "t.jc")
        assert not problems
        return module.decls[0].when
    assert _kinds(when("task.kind == assessment and task.approval == null")) == {"assessment"}
    assert _kinds(when("task.kind in [ledger, report] and task.x")) == {"ledger", "report"}
    assert _kinds(when("task.kind not in [ledger] and task.x")) is ALL
    assert _kinds(when("task.kind == assessment or task.x")) is ALL  # an `or` does not restrict


def _sheet(rows: list[dict], header: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _import(api, csrf, data: bytes, base: int, dry_run: bool, name="清单.csv"):
    form = {"csrf_token": csrf, "base": base, "sheet": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "1"
    return api.post("/console/changsha/packs/lists/import", data=form, content_type="multipart/form-data")


def test_lists_go_out_as_the_published_sheet_and_an_edited_row_comes_back_as_a_draft(api):
    from openpyxl import load_workbook
    csrf = api.log_in("changsha", "admin")
    before = _version(api)
    base = before["in_force"]  # the version exported (other tests of the module leave later drafts)
    page = text(api.get(f"/console/changsha/packs?version={base}"))
    assert "/console/changsha/packs/lists/export?format=xlsx" in page and 'name="dry_run"' in page
    r = api.get("/console/changsha/packs/lists/export?format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv", text(r)[:300]
    assert r.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    reader = csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig")))
    header, rows = list(reader.fieldnames), list(reader)
    assert header[:7] == ["序号", "事项代码", "事项名称", "事项类别", "依据", "责任部门", "适用层级"], header
    ours = [row for row in rows if row["来源规则包"] == "changsha"]
    assert {(row["事项类别"], row["事项代码"]) for row in ours} >= {("街道取消事项", "招商引资"), ("街道取消事项", "协税护税")}
    book = api.get(f"/console/changsha/packs/lists/export?format=xlsx&version={base}")
    sheet = load_workbook(io.BytesIO(book.get_data()), read_only=True).worksheets[0]
    assert [list(x) for x in sheet.iter_rows(values_only=True)][0] == header
    assert sum(1 for _ in sheet.iter_rows()) - 1 == len(rows)

    edited = [dict(row, 事项名称="招商引资(改)") if row["事项代码"] == "招商引资" and row["来源规则包"] == "changsha"
              else row for row in rows]
    dry = _import(api, csrf, _sheet(edited, header), base, dry_run=True)
    page = text(dry)
    assert dry.status_code == 200 and 'id="list-preview"' in page, page[:2000]
    table = page[page.index('id="list-preview"'):]
    row = table[table.index("<td>街道取消事项</td>"):]
    row = row[:row.index("</tr>")]
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[1:4] == ["", "", "招商引资"], cells  # added, removed, changed
    assert len(_version(api)["versions"]) == len(before["versions"])  # a dry run stores nothing

    made = _import(api, csrf, _sheet(edited, header), base, dry_run=False)
    assert made.status_code == 303, text(made)[:2000]
    number = int(re.search(r"version=(\d+)", made.headers["Location"]).group(1))
    draft = api.get(f"/api/v1/tenants/changsha/packs/{number}", ("changsha", "admin")).json
    assert draft["status"] == "draft" and number > base
    again = csv.DictReader(io.StringIO(api.get(f"/console/changsha/packs/lists/export?format=csv&version={number}")
                                       .get_data().decode("utf-8-sig")))
    names = {(x["事项类别"], x["事项代码"]): x["事项名称"] for x in again}
    assert names[("街道取消事项", "招商引资")] == "招商引资(改)"
    assert names[("街道取消事项", "协税护税")] == "协税护税"  # the other rows as they were
    assert len(names) == len(rows)


def test_a_bad_row_of_an_imported_list_is_shown_with_its_row_column_and_code_and_makes_no_draft(api):
    csrf = api.log_in("changsha", "admin")
    before = _version(api)["versions"]
    base = _version(api)["in_force"]
    reader = csv.DictReader(io.StringIO(api.get("/console/changsha/packs/lists/export?format=csv")
                                        .get_data().decode("utf-8-sig")))
    header, rows = list(reader.fieldnames), list(reader)
    at = next(i for i, row in enumerate(rows) if row["事项代码"] == "协税护税" and row["来源规则包"] == "changsha")
    twin = next(row for row in rows if row["事项代码"] == "招商引资" and row["来源规则包"] == "changsha")
    rows[at] = dict(rows[at], 事项代码="招商引资", 事项名称=twin["事项名称"])  # the same code twice in a list
    for dry_run in (True, False):
        r = _import(api, csrf, _sheet(rows, header), base, dry_run)
        page = text(r)
        assert r.status_code == 422 and 'id="list-problems"' in page, page[:2000]
        problems = page[page.index('id="list-problems"'):page.index("</table>", page.index('id="list-problems"'))]
        found = [re.findall(r"<td>(.*?)</td>", tr) for tr in problems.split("<tr>")[2:]]
        assert [str(at + 2), "事项代码"] == found[0][:2] and "list_item_code_duplicate" in found[0][2], found
        assert "重复" in found[0][3]
    assert _version(api)["versions"] == before
    unreadable = _import(api, csrf, b"\x00\x01 not a sheet", base, True)
    assert unreadable.status_code == 422 and 'id="list-problems"' in text(unreadable)
    assert _import(api, csrf, b"", base, True).status_code == 422


def test_another_tenants_admin_cannot_export_or_import_the_lists(api):
    csrf = api.log_in("heilongjiang", "admin")
    assert api.get("/console/changsha/packs/lists/export?format=csv").status_code == 404
    r = api.post("/console/changsha/packs/lists/import", data={
        "csrf_token": csrf, "dry_run": "1", "sheet": (io.BytesIO("序号,事项名称\n".encode()), "x.csv")},
        content_type="multipart/form-data")
    assert r.status_code == 404 and "招商引资" not in text(r)


def test_designer_sees_what_a_new_task_form_version_would_break_before_saving(api):
    csrf = api.log_in("changsha", "designer")
    current = api.get("/api/v1/tenants/changsha/forms/task", ("changsha", "designer")).json["schema"]
    breaking = {**current, "properties": {**current.get("properties", {}), "item_code": {"type": "integer"}}}
    r = api.post("/console/changsha/forms/task", data={"csrf_token": csrf, "schema": json.dumps(breaking), "action": "impact"})
    page = text(r)
    assert r.status_code == 200 and 'id="breaks"' in page
    block = page[page.index('id="breaks"'):page.index("</div>", page.index('id="breaks"'))]
    assert "失效" in block and "规则 清单外事项" in block, block  # the rule reading task.item_code, named
    harmless = {**current, "properties": {**current.get("properties", {}), "remark": {"type": "string"}}}
    r = api.post("/console/changsha/forms/task", data={"csrf_token": csrf, "schema": json.dumps(harmless), "action": "impact"})
    assert "不会使任何规则包或参数绑定失效" in text(r)
    refused = api.post("/console/changsha/forms/task", data={"csrf_token": csrf, "schema": json.dumps(breaking), "action": "save"})
    assert refused.status_code == 422
    assert api.get("/api/v1/tenants/changsha/forms/task", ("changsha", "designer")).json["schema"] == current


def test_the_check_page_offers_a_street_bound_operator_only_its_own_units(api, units):
    api.log_in("changsha", "street")
    page = api.get("/check/changsha").get_data(as_text=True)
    picker = page[page.index('name="/target_unit"'):page.index("</select>", page.index('name="/target_unit"'))]
    offered = set(re.findall(r'value="(\d+)"', picker))
    assert offered == {units.cs_street, *units.cs_communities, *units.cs_grids}, offered
    api.log_in("changsha", "township")  # not bound: every unit of the tenant
    page = api.get("/check/changsha").get_data(as_text=True)
    picker = page[page.index('name="/target_unit"'):page.index("</select>", page.index('name="/target_unit"'))]
    assert units.cs_community2 in picker and units.cs_city in picker


def test_a_street_that_holds_a_task_forwards_it_to_its_communities(api, units):
    sender = ("changsha", "admin")
    task = api.post("/api/v1/tenants/changsha/tasks", sender,
                    json={"task": {"title": "居民议事会", "item_code": "Z01", "kind": "work", "category": "社会救助",
                                   "source_unit": units.cs_city}}).json
    held = api.post(f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", sender,
                    json={"targets": [units.cs_street]}).json["results"][0]
    assert held["status"] == "admitted", held["requirements"]
    csrf = api.log_in("changsha", "street")
    page = text(api.get(f"/console/changsha/tasks/{task['id']}"))
    form = page[page.index('id="forward"'):page.index("</form>", page.index('id="forward"'))]
    assert set(re.findall(r'name="targets" value="(\d+)"', form)) == set(units.cs_communities)
    r = api.post(f"/console/changsha/tasks/{task['id']}/assignments", data={"csrf_token": csrf, "children_of": units.cs_street})
    assert r.status_code == 200, text(r)
    results = text(r)[text(r).index('id="results"'):]
    for code in units.cs_communities:
        assert code in results
    assignments = api.get(f"/api/v1/tenants/changsha/tasks/{task['id']}", ("changsha", "admin")).json["assignments"]
    assert {a["target_unit"] for a in assignments if a["source_unit"] == units.cs_street} == set(units.cs_communities)
    # a task the street does not hold: no form, and the service refuses
    other = api.post("/api/v1/tenants/changsha/tasks", sender,
                     json={"task": {"title": "未下派", "item_code": "Z01", "source_unit": units.cs_city}}).json
    assert 'id="forward"' not in text(api.get(f"/console/changsha/tasks/{other['id']}"))
    refused = api.post(f"/console/changsha/tasks/{other['id']}/assignments", data={"csrf_token": csrf, "children_of": units.cs_street})
    assert refused.status_code == 403 and "没有已准入的该任务" in text(refused)
