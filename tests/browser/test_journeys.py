"""Each role's main journey in Chromium, end to end, as people use the console (see conftest).

Each journey stands on its own (pytest-xdist may give each its own server): the township's inbox
and the auditor's log hold the task the server was seeded with (conftest), besides whatever the
other journeys did on the same server."""
from __future__ import annotations

import re

import pytest

#: without playwright the whole module skips, saying how to enable it (as the server fixture does without chromium)
expect = pytest.importorskip("playwright.sync_api", reason="浏览器测试已跳过:pip 包 playwright 未安装(make install 会装)").expect

BROKEN = '\nrule 浏览器规则 "街道不承担城市管理"\n  cite S003C "一"\n  when target.levle == street\n  then reject\n'
FIXED = '\nrule 浏览器规则 "街道不承担城市管理"\n  cite S003C "一"\n  when target.level == street and task.category == "城市管理"\n  then reject\n'


def test_admin_edits_a_rule_sees_a_diagnostic_come_and_go_and_publishes_with_a_second_admin(person):
    admin = person("admin")
    page = admin.open("/console/changsha/packs")
    expect(page.locator("#diag-status")).to_have_text("没有错误")
    admin.shot("admin-workspace")
    source = page.locator("#source").input_value()
    page.locator("#source").fill(source + BROKEN)
    expect(page.locator("#diagnostics li.error").first).to_be_visible()
    expect(page.locator("#diagnostics li.error").first).to_contain_text("levle")
    admin.shot("admin-editor-diagnostic")
    page.locator("#source").fill(source + FIXED)
    expect(page.locator("#diag-status")).to_have_text("没有错误")
    expect(page.locator("#diagnostics li.error")).to_have_count(0)
    # completion: a list name after "in "
    page.locator("#source").fill(source + '\nrule 补全 "x"\n  when task.category in ')
    page.locator("#source").focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("街道")
    page.keyboard.press("Control+Space")
    expect(page.locator("#completions li").first).to_contain_text("街道取消事项")
    page.keyboard.press("Escape")
    page.locator("#source").fill(source + FIXED)
    page.click("text=保存为草稿")
    expect(page.locator("[role=status]").first).to_contain_text("已保存为第")
    number = re.search(r"version=(\d+)", page.url).group(1)
    page.click("text=运行测试")
    expect(page.locator("h2", has_text="测试结果")).to_contain_text("全部通过")
    admin.shot("admin-tests")
    page.click("text=与生效版本比较")
    expect(page.locator("h2", has_text="差异")).to_be_visible()
    expect(page.locator("main")).to_contain_text("浏览器规则")
    admin.shot("admin-diff")
    page.click("text=影响评估")
    expect(page.locator("h2", has_text="影响评估")).to_be_visible()
    page.click(f"text=申请发布第 {number} 版")
    expect(page.locator("[role=status]").first).to_contain_text("等待另一位管理员审核")
    row = page.locator("#proposals tr", has_text=f"第 {number} 版").first
    row.locator("text=批准并发布").click()
    expect(page.locator("[role=alert]").first).to_contain_text("申请人不能批准自己的申请")

    checker = person("admin2")
    page = checker.open("/console/changsha/packs")
    page.locator("#proposals tr", has_text=f"第 {number} 版").first.locator("text=批准并发布").click()
    expect(page.locator("[role=status]").first).to_contain_text("已批准并发布")
    expect(page.locator("text=当前生效:第 " + number + " 版")).to_be_visible()
    checker.shot("admin-approved")


def test_department_assigns_to_a_streets_communities_and_supplies_a_requirement(person):
    dept = person("department")
    page = dept.open("/console/changsha/tasks")
    page.fill("[name='/title']", "老年人优待证初审")
    page.fill("[name='/item_code']", "X01")
    page.select_option("[name='/role']", "assist")
    page.fill("[name='/source_unit']", "430100000000")
    page.fill("[name='/source_department']", "市民政局")
    page.fill("#unit-search", "文艺路")
    page.select_option("#children_of", "430102001000")
    dept.shot("department-new-task")
    page.click("text=建立任务并下派")
    results = page.locator("#results")
    for code in ("430102001001", "430102001002", "430102001003"):
        expect(results).to_contain_text(code)
    expect(results).to_contain_text("请提供必要经费")
    dept.shot("department-outcomes")
    form = page.locator("form.evidence").first
    form.locator("[name='funding.amount']").fill("5000")
    form.locator("[name='funding.source']").fill("区财政")
    if form.locator("[name='information.facts.kind']").count():
        form.locator("[name='information.facts.kind']").fill("work")
    form.locator("text=提交证明并重新判定").click()
    expect(page.locator("[role=status]").first).to_contain_text("已补充条件并重新判定:准入")


def test_township_sees_the_task_in_its_inbox(person, seeded_task):
    town = person("township")
    page = town.open("/console/changsha/inbox")
    expect(page.locator("#inbox")).to_contain_text(seeded_task)
    expect(page.locator("#inbox")).to_contain_text("已准入")
    expect(page.locator("#inbox")).to_contain_text("待补充条件")
    town.shot("township-inbox")
    with page.expect_navigation():
        page.locator("#inbox a", has_text="告知书").first.click()
    expect(page.locator("body")).to_contain_text("告知书")
    town.shot("township-notice")
    page = town.open("/check/changsha")
    expect(page.locator("h1")).to_be_visible()
    town.shot("township-check")


def test_designer_adds_a_field_and_sees_the_preview(person):
    designer = person("designer")
    page = designer.open("/console/changsha/forms")
    designer.shot("designer-forms")
    page.click("text=task")
    page.fill("#new-name", "contact_phone")
    page.fill("#new-title", "联系电话")
    page.check("#new-required")
    page.click("#add-field-button")
    expect(page.locator("#preview")).to_contain_text("联系电话")
    expect(page.locator("#data-errors")).to_contain_text("contact_phone")
    page.fill("#sample", '{"title": "样例", "contact_phone": "13800000000"}')
    expect(page.locator("#data-errors")).not_to_contain_text("contact_phone")
    designer.shot("designer-editor")


def test_auditor_verifies_the_chain_and_replays_a_decision(person):
    auditor = person("auditor")
    page = auditor.open("/console/changsha/decisions")
    expect(page.locator("#decisions tr")).not_to_have_count(1)
    auditor.shot("auditor-decisions")
    page.click("text=校验哈希链")
    expect(page.locator("#verify-result")).to_contain_text("校验通过")
    auditor.shot("auditor-verify")
    page.go_back()
    page.locator("#decisions tr", has_text="有条件准入").first.locator("a").first.click()
    expect(page.locator("#used-items")).to_contain_text("事项 X01")  # the seeded task's item
    auditor.shot("auditor-decision")
    page.click("#replay-link")
    expect(page.locator("#replay-result")).to_contain_text("重算结果与记录一致")
    expect(page.locator("#replay section")).to_have_count(2)
    expect(page.locator("#replay section").nth(1)).to_contain_text("请提供必要经费")
    page.emulate_media(media="print")  # printed: the decision without the menu and the buttons
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#replay")).to_be_visible()
    page.emulate_media(media="screen")
    auditor.shot("auditor-replay")
    page = auditor.open("/console/changsha/standards")
    auditor.shot("standards")
    page.locator("#standards a", has_text="全租户").first.click()
    expect(page.locator("body")).to_contain_text("达标条件")
    auditor.shot("standards-report")
