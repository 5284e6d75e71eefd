"""The check page: every task field with its label, the admission check itself (logged), errors beside fields, reach."""
from __future__ import annotations

import html
import re

from jiceng.platform.pages import check_form as check_page

PAGE = "/check/{}"
CHECK = "/api/v1/tenants/{}/admission/check"
INVESTMENT = {"/title": "街道招商引资任务", "/category": "招商引资", "/role": "responsible", "/kind": "work",
              "/source_unit": "430100000000"}


def login(api, tenant="changsha", role="township") -> str:
    """Log the browser in with the (tenant, role) token; returns the CSRF token a POST carries."""
    return api.log_in(tenant, role)


def opened(path, api, tenant="changsha", role="township"):
    """``path`` opened by a browser logged in with the (tenant, role) token."""
    login(api, tenant, role)
    return api.get(path)


def text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def field_block(page: str, name: str) -> str:
    """The HTML of the field holding the input named ``name`` (up to the next field)."""
    at = page.index(f'name="{name}"')
    start = page.rfind('<div class="field', 0, at)
    end = page.find('<div class="field', at)
    return page[start:end if end > 0 else len(page)]


def decisions(api) -> list[dict]:
    return api.get("/api/v1/tenants/changsha/decisions?limit=200", ("changsha", "auditor")).json["decisions"]


def test_get_renders_every_task_field_with_its_label(labelled_api, task_form, units):
    api = labelled_api
    r = opened(PAGE.format("changsha"), api)
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert '<html lang="zh-CN">' in page and "长沙市任务表单" in page
    for name, prop in task_form["properties"].items():
        assert f'name="/{name}"' in page, name
        assert f">{prop['title']}" in page, prop["title"]
        if "description" in prop:
            assert prop["description"] in field_block(page, f"/{name}"), name
    labels = [m for m in re.findall(r'<label for="f-(\w+)">', page)]
    ordered = sorted((p.get("x-order", 0), n) for n, p in task_form["properties"].items() if n != "target_unit")
    assert [n for n in labels if n != "target_unit"][:len(ordered)] == [n for _, n in ordered]
    assert "常规工作" in page and "责任主体" in page  # enum labels
    unit_select = field_block(page, "/target_unit")
    assert "<select" in unit_select and f'value="{units.cs_street}"' in unit_select and "文艺路街道" in unit_select
    assert 'name="what_if_level"' in page and "街道(street)" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # offline: nothing fetched from elsewhere


def test_changsha_street_investment_is_rejected_with_its_citation(labelled_api, units):
    api = labelled_api
    before = len(decisions(api))
    r = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), **INVESTMENT, "/target_unit": units.cs_street})
    assert r.status_code == 200
    page = text(r)
    result = page[page.index('<section class="result'):page.index("</section>")]
    assert "结论:不予准入" in result and "文艺路街道" in result
    assert "街道取消招商引资" in result and "长沙应全面取消街道承担的招商引资、协税护税等工作任务" in result
    assert "湘组发《若干措施(试行)》" in result and "一、赋予街道党工委相应职权" in result
    assert "003_c538b5847812c124.txt" in result and "规定于规则包 changsha" in result
    logged = decisions(api)
    assert len(logged) == before + 1  # logged like any check
    entry = logged[0]
    assert entry["kind"] == "check" and entry["outcome"] == "reject" and "township@changsha" in entry["actor"]
    assert entry["pack"]["digest"] in result
    assert f'href="/decisions/changsha/{entry["id"]}/notice"' in page
    same = api.post(CHECK.format("changsha"), ("changsha", "township"), json={"task": {
        "title": "街道招商引资任务", "category": "招商引资", "role": "responsible", "kind": "work",
        "source_unit": "430100000000", "target_unit": units.cs_street}}).json
    assert same["decision"] == entry["outcome"] and same["reasons"] == entry["reasons"]
    sent = entry["input"]["task"]
    assert {k: sent[k] for k in ("title", "category", "role", "kind", "source_unit", "target_unit")} == {
        "title": "街道招商引资任务", "category": "招商引资", "role": "responsible", "kind": "work",
        "source_unit": "430100000000", "target_unit": units.cs_street}
    assert 'value="街道招商引资任务"' in field_block(page, "/title")  # what was typed is kept


def test_bad_fields_show_their_message_beside_them_and_nothing_is_logged(labelled_api, units):
    api = labelled_api
    before = len(decisions(api))
    r = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "期限有误", "/deadline": "2024-02-30",
                                                "/contact": "张" * 51, "/target_unit": units.cs_communities[0]})
    assert r.status_code == 422
    page = text(r)
    assert "未能检查" in page and '<section class="result' not in page
    assert "格式不符,应为日期(YYYY-MM-DD)" in field_block(page, "/deadline")
    assert "长度不能超过 50 个字" in field_block(page, "/contact")
    assert "格式不符" not in field_block(page, "/title") and 'value="期限有误"' in field_block(page, "/title")
    assert "识字岭社区" in field_block(page, "/target_unit")  # the chosen unit, named
    unknown = text(api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "某任务",
                                                            "/target_unit": units.zz_street}))
    assert "找不到单位 430202001000" in field_block(unknown, "/target_unit")  # a sibling's unit reads as unknown
    assert len(decisions(api)) == before


def test_what_if_level_and_the_choice_between_unit_and_level(labelled_api, units):
    api = labelled_api
    r = api.post(PAGE.format("changsha"), data={"csrf_token": login(api, role="department"), "/title": "协税护税",
                                                "/category": "协税护税", "what_if_level": "street"})
    page = text(r)
    assert r.status_code == 200 and "结论:不予准入" in page and "(假设检查)" in page
    assert decisions(api)[0]["input"]["what_if"] is True and decisions(api)[0]["target"] == {
        "level": "street", "parent": None, "community": None}
    admitted = text(api.post(PAGE.format("changsha"), data={"csrf_token": login(api, role="admin"), "/title": "协税护税",
                                                             "/category": "协税护税", "/kind": "work",
                                                             "/item_code": "Z01", "what_if_level": "township"}))
    assert "结论:准入" in admitted and "没有触发任何规则" in admitted
    both = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "某任务",
                                                   "/target_unit": units.cs_street, "what_if_level": "street"})
    assert both.status_code == 422 and "假设检查请清空接收单位" in field_block(text(both), "what_if_level")
    neither = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "某任务"})
    assert neither.status_code == 422 and "请选择接收单位" in field_block(text(neither), "/target_unit")
    typed = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "某任务", "what_if_level": "社区"})
    assert typed.status_code == 422  # checked as any what-if target is, with what was meant
    assert "您是不是要写 community(社区)" in field_block(text(typed), "what_if_level")


def test_many_units_in_reach_are_typed_as_a_code(labelled_api, units, monkeypatch):
    api = labelled_api
    monkeypatch.setattr(check_page, "UNIT_SELECT_LIMIT", 3)
    page = text(api.post(PAGE.format("changsha"), data={"csrf_token": login(api), "/title": "初审", "/item_code": "X01",
                                                         "/target_unit": units.cs_communities[1]}))
    block = field_block(page, "/target_unit")
    assert "<select" not in block and f'value="{units.cs_communities[1]}"' in block
    assert "蔡锷南路社区" in block and "社区" in block
    assert "结论:有条件准入" in page and "须满足的条件" in page and "请提供必要经费" in page


def test_tokens_roles_and_reach(labelled_api):
    api = labelled_api
    api.client.post("/logout", data={"csrf_token": api.csrf()})
    asked = api.get(PAGE.format("changsha"))
    assert asked.status_code == 303 and asked.location == "/login?next=/check/changsha&reason=missing"
    assert api.get(PAGE.format("changsha") + "?token=jc_wrong").location.startswith("/login?")
    assert api.post(PAGE.format("changsha"), data={"/title": "x"}).status_code == 303
    assert opened(PAGE.format("changsha"), api, 'heilongjiang').status_code == 404
    assert opened(PAGE.format("hunan"), api).status_code == 404  # an ancestor is out of reach
    assert opened(PAGE.format("nowhere"), api).status_code == 404
    for role in ("auditor", "designer"):
        r = opened(PAGE.format("changsha"), api, role=role)
        assert r.status_code == 403 and "无权准入检查" in text(r), role
    assert api.get(PAGE.format("changsha"), ("hunan", "department")).status_code == 200  # Bearer; a parent reaches
    as_json = api.post(PAGE.format("changsha"), ("changsha", "township"), json={"task": {"title": "x"}})
    assert as_json.status_code == 422 and as_json.json["error"]["code"] == "invalid_request"


def test_the_result_names_the_items_it_relied_on_and_marks_an_example_one(labelled_api, units):
    api = labelled_api
    task = {"/title": "修订居民公约", "/item_code": "Z02", "/kind": "work", "/one_vote_veto": "false",
            "/source_unit": "430100000000", "/target_unit": units.cs_communities[0]}
    r = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), **task})
    assert r.status_code == 200
    page = text(r)
    result = re.sub(r"<[^>]+>", "", page[page.index('<section class="result'):page.index("</section>")])
    assert "所依据的清单事项" in result and "居民公约(事项 Z02,清单 自治事项)" in result
    assert "示例事项,不是正式公布的清单内容" in result
    r = api.post(PAGE.format("changsha"), data={"csrf_token": login(api), **task, "/item_code": "Z01"})
    result = re.sub(r"<[^>]+>", "", text(r)[text(r).index('<section class="result'):text(r).index("</section>")])
    assert "居民会议(事项 Z01,清单 自治事项)" in result and "示例事项" not in result
