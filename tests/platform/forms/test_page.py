"""The HTML form: every field with its label, server-side validation with messages beside the fields, reach."""
from __future__ import annotations

import html
import re

PAGE = "/forms/{}/{}"


def login(api, tenant, role="designer") -> str:
    """Log the browser in with the (tenant, role) token; returns the CSRF token a POST carries."""
    return api.log_in(tenant, role)


def opened(path, api, tenant, role="designer"):
    """``path`` opened by a browser logged in with the (tenant, role) token."""
    login(api, tenant, role)
    return api.get(path)


def field_block(page: str, pointer: str) -> str:
    """The HTML of the field (or table cell) holding the input named ``pointer``."""
    at = page.index(f'name="{pointer}"')
    start = max(page.rfind('<div class="field', 0, at), page.rfind("<td", 0, at))
    end = min(i for i in (page.find("</div>\n  </div>", at), page.find("</td>", at), len(page)) if i >= 0)
    return page[start:end]


def test_get_renders_every_field_with_its_label(shipped_forms):
    api = shipped_forms
    r = opened(PAGE.format("changsha", "grid"), api, 'changsha')
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "网格登记表(长沙市)" in page
    for label in ("网格编码", "网格名称", "网格类型", "所属社区", "覆盖户数", "专职网格员人数", "网格员", "姓名", "手机号码",
                  "专职", "四至范围", "划设日期", "综合网格"):
        assert label in page, label
    for pointer in ("/code", "/name", "/grid_type", "/community", "/households", "/full_time_workers",
                    "/workers/0/name", "/workers/0/phone", "/workers/0/full_time", "/boundary", "/established"):
        assert f'name="{pointer}"' in page, pointer
    assert not re.search(r'(src|href)="(https?:)?//', page)  # offline: nothing fetched from elsewhere


def test_post_shows_each_message_beside_its_field(shipped_forms):
    api = shipped_forms
    r = api.post(PAGE.format("changsha", "owners_committee"), data={
        "csrf_token": login(api, "changsha", "department"), "/community": "4301", "/estate": "阳光小区",
        "/election_date": "2024-05-01", "/members": "7", "/party_members": "3", "/director": "王五",
        "/member_names": "张三\n李四\n张三"})
    assert r.status_code == 422
    page = html.unescape(r.get_data(as_text=True))
    assert "共 4 处问题" in page
    assert "格式不符,应为 12 位数字" in field_block(page, "/community")
    assert "应不小于 委员人数(7)的 50%" in field_block(page, "/party_members")
    block = field_block(page, "/member_names")
    assert "至少需要 5 项" in block and "各项不能重复" in block
    assert "阳光小区" in field_block(page, "/estate")  # what was typed is kept
    good = api.post(PAGE.format("changsha", "owners_committee"), data={
        "csrf_token": login(api, "changsha"), "/community": "430102001001", "/estate": "阳光小区",
        "/election_date": "2024-05-01", "/members": "7", "/party_members": "4", "/director": "王五",
        "/member_names": "张三\n李四\n王五\n赵六\n钱七"})
    assert good.status_code == 200 and "校验通过" in good.get_data(as_text=True)


def test_array_rows_and_nested_errors(shipped_forms):
    api = shipped_forms
    r = api.post(PAGE.format("hunan", "grid"), data={
        "csrf_token": login(api, "hunan"), "/code": "430102001001001", "/name": "一网格", "/community": "430102001001",
        "/households": "abc", "/full_time_workers": "1", "/workers/0/name": "张三", "/workers/0/phone": "123"})
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "类型不符,应为整数" in field_block(page, "/households")
    assert "格式不符" in field_block(page, "/workers/0/phone")
    assert 'name="/workers/1/name"' in page  # an empty row to add another


def test_out_of_reach_unknown_and_unauthenticated(shipped_forms):
    api = shipped_forms
    assert opened(PAGE.format("changsha", "grid"), api, 'heilongjiang').status_code == 404
    assert opened(PAGE.format("hunan", "grid"), api, 'changsha').status_code == 404
    assert api.post(PAGE.format("changsha", "grid"), data={"csrf_token": login(api, "zhuzhou")}).status_code == 404
    assert opened(PAGE.format("changsha", "nothing"), api, 'changsha').status_code == 404
    assert opened(PAGE.format("nowhere", "grid"), api, 'changsha').status_code == 404
    api.client.post("/logout", data={"csrf_token": api.csrf()})
    asked = api.get(PAGE.format("changsha", "grid"))
    assert asked.status_code == 303 and asked.location == "/login?next=/forms/changsha/grid&reason=missing"
    assert api.get(PAGE.format("changsha", "grid") + "?token=jc_wrong").location.startswith("/login?")
    bearer = api.get(PAGE.format("changsha", "grid"), ("changsha", "auditor"))
    assert bearer.status_code == 200
