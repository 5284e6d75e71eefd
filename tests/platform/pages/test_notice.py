"""The decision notice: a logged decision's reasons, cited clauses and hash on a printable page; who may read it."""
from __future__ import annotations

import html
from datetime import datetime, timedelta

NOTICE = "/decisions/{}/{}/notice"
CHECK = "/api/v1/tenants/{}/admission/check"


def check(api, tenant: str, task: dict, as_=("changsha", "department")) -> dict:
    r = api.post(CHECK.format(tenant), as_, json={"task": task})
    assert r.status_code == 200, r.json
    return r.json


def notice(api, tenant: str, decision_id: int, holder=("changsha", "township")):
    """The notice opened by a browser logged in with the ``holder``'s token."""
    api.log_in(*holder)
    return api.get(NOTICE.format(tenant, decision_id))


def text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def test_rejection_notice_shows_task_reasons_citation_and_hash(labelled_api, units):
    api = labelled_api
    registered = api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"), content_type="text/csv",
                          data="code,name,unit,kind\ncs-swj,市商务局,430100000000,functional\n".encode())
    assert registered.status_code == 200, registered.json  # a department named on a task must be registered
    answer = check(api, "changsha", {"title": "街道招商引资任务", "category": "招商引资", "role": "responsible",
                                     "source_unit": units.cs_city, "source_department": "市商务局",
                                     "target_unit": units.cs_street})
    entry = api.get(f"/api/v1/tenants/changsha/decisions/{answer['decision_id']}", ("changsha", "auditor")).json
    r = notice(api, "changsha", answer["decision_id"])
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert "<h1>不予准入告知书</h1>" in page and "@page { size: A4" in page and "@media print" in page
    assert f"changsha-{entry['seq']:06d}" in page and entry["decided_on"] in page
    for shown in ("街道招商引资任务", "招商引资", "责任主体", "长沙市(430100000000)", "市商务局",
                  "文艺路街道(430102001000)", "街道"):
        assert shown in page, shown
    assert "responsible" not in page  # the role as the form names it, not its code
    assert "任务名称" in page and "承担角色" in page and "职能部门" in page  # the task form's labels
    assert "街道取消招商引资" in page and "长沙应全面取消街道承担的招商引资、协税护税等工作任务" in page
    assert "湘组发《若干措施(试行)》" in page and "一、赋予街道党工委相应职权" in page
    assert "003_c538b5847812c124.txt" in page and "规定于规则包 changsha" in page
    assert entry["hash"] in page and entry["prev_hash"] in page and answer["pack"]["digest"] in page
    assert "jiceng decisions verify --tenant changsha" in page and "向作出决定的单位提出" in page
    assert "须满足的条件" not in page
    # logged in UTC, read in Beijing time: eight hours later
    logged = datetime.fromisoformat(entry["created_at"])
    assert f"记录于 {(logged + timedelta(hours=8)):%Y-%m-%d %H:%M:%S}(北京时间)" in page


def test_conditional_notice_lists_requirements_under_an_admission_heading(labelled_api, units):
    api = labelled_api
    answer = check(api, "changsha", {"title": "老年人优待证初审", "item_code": "X01", "role": "assist",
                                     "funding_provided": False, "one_vote_veto": False,
                                     "target_unit": units.cs_communities[0]})
    assert answer["decision"] == "conditional"
    page = text(notice(api, "changsha", answer["decision_id"], ("changsha", "auditor")))
    assert "<h1>准入决定告知书</h1>" in page and "有条件准入" in page
    assert "须满足的条件" in page and "请提供必要经费" in page and "识字岭社区" in page
    admitted = check(api, "changsha", {"title": "居民会议", "item_code": "Z01", "one_vote_veto": False,
                                       "target_unit": units.cs_communities[0]})
    page = text(notice(api, "changsha", admitted["decision_id"], ("changsha", "admin")))
    assert "<h1>准入决定告知书</h1>" in page and "没有触发任何规则" in page


def test_roles_tokens_and_reach(labelled_api, units):
    api = labelled_api
    decision_id = check(api, "changsha", {"title": "协税护税", "category": "协税护税",
                                          "target_unit": units.cs_street})["decision_id"]
    for role in ("township", "department", "auditor", "admin"):
        assert notice(api, "changsha", decision_id, ("changsha", role)).status_code == 200, role
    assert notice(api, "changsha", decision_id, ("hunan", "auditor")).status_code == 200  # a parent reaches
    designer = notice(api, "changsha", decision_id, ("changsha", "designer"))
    assert designer.status_code == 403 and "无权查阅" in text(designer)
    api.client.post("/logout", data={"csrf_token": api.csrf()})
    asked = api.get(NOTICE.format("changsha", decision_id))
    assert asked.status_code == 303 and asked.location.startswith("/login?next=/decisions/changsha/")
    assert api.get(NOTICE.format("changsha", decision_id) + "?token=jc_wrong").location.startswith("/login?")
    assert notice(api, "changsha", decision_id, ("zhuzhou", "admin")).status_code == 404
    assert notice(api, "changsha", 999_999, ("changsha", "admin")).status_code == 404
    bearer = api.get(NOTICE.format("changsha", decision_id), ("changsha", "township"))
    assert bearer.status_code == 200


def test_a_decision_of_another_tenant_is_never_shown(labelled_api, units):
    api = labelled_api
    zz = check(api, "hunan", {"title": "招商", "category": "招商引资", "target_unit": units.zz_street},
               as_=("hunan", "township"))
    assert api.get(f"/api/v1/tenants/zhuzhou/decisions/{zz['decision_id']}", ("hunan", "auditor")).status_code == 200
    for tenant in ("changsha", "hunan"):  # in reach of the token, but not the tenant whose log holds it
        r = notice(api, tenant, zz["decision_id"], ("hunan", "admin"))
        assert r.status_code == 404 and "株洲" not in text(r), tenant
    assert notice(api, "zhuzhou", zz["decision_id"], ("changsha", "admin")).status_code == 404
    page = text(notice(api, "zhuzhou", zz["decision_id"], ("hunan", "admin")))
    assert "株洲秘密街道" in page and "zhuzhou-" in page
