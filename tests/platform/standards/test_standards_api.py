"""Standards over the demo org trees through the service: every shipped standard against the
per-unit path, totals up the tree, filters and paging, descendants judged by their own pack,
the fallback for constructs without a vectorised form, the CLI formats and the HTML report."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from jiceng.dsl import load_pack
from jiceng.platform.cli import main
from jiceng.platform.tenants.files import read_tenants

REPO = Path(__file__).resolve().parents[3]

ADMIN = ("changsha", "admin")
STAFFING = "社区工作者配备"


def get(api, path, who=ADMIN, **query):
    r = api.get(path, who, query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    return r.json


def per_unit_answers(tenant: str, standard: str) -> dict:
    """code -> (status, measures) from Pack.evaluate_standard on the tenant's CSV (children attached)."""
    pack = load_pack(tenant, root=REPO / "rule_packs")
    units = next(t for t in read_tenants(REPO / "tenants") if t.code == tenant).units
    facts = {u.code: dict(u.facts(), children=[]) for u in units}
    for u in units:
        if u.parent in facts:
            facts[u.parent]["children"].append(facts[u.code])
    out = {}
    for code, unit in facts.items():
        if pack.standards[standard].applies_to(unit["level"]):
            m = pack.evaluate_standard(standard, unit)
            if m is not None:
                m = dict(m)
                ok, _failed = m.pop("compliant"), m.pop("failed")
                out[code] = ("compliant" if ok else "failing", m)
    return out


@pytest.mark.parametrize("tenant", ["changsha", "heilongjiang", "chengdu"])
def test_every_shipped_standard_agrees_with_the_per_unit_path(repo_api, tenant):
    listing = get(repo_api, f"/api/v1/tenants/{tenant}/standards", (tenant, "auditor"))
    assert listing["standards"]
    for s in listing["standards"]:
        answer = get(repo_api, f"/api/v1/tenants/{tenant}/standards/{s['name']}", (tenant, "auditor"), limit=10000)
        assert answer["standard"]["backend"] == "columnar"
        got = {r["code"]: (r["status"], r["measures"]) for r in answer["results"]}
        assert got == per_unit_answers(tenant, s["name"]), (tenant, s["name"])
        assert answer["summary"]["units"] == len(got) == answer["page"]["total"]


def test_staffing_rows_name_the_standard_the_ratio_and_the_shortfall(repo_api, demo):
    answer = get(repo_api, f"/api/v1/tenants/changsha/standards/{STAFFING}", status="failing", order="-gap", limit=3)
    std = answer["standard"]
    assert (std["declared_in"], std["declared_version"], std["ratio"]) == ("hunan", "2024.06", "18 人 per 10000 人")
    assert std["params"][0]["set_by"] == "hunan" and std["params"][0]["policy"] == "floor"
    top = answer["results"][0]
    assert top["code"] == demo["understaffed"] and top["name"] == "兴隆社区"
    assert {k: top[k] for k in ("level", "urban_population", "ratio", "required", "actual", "gap")} == {
        "level": "community", "urban_population": 6480, "ratio": "18 人 per 10000 人", "required": 12,
        "actual": 6, "gap": 6}
    assert [r["gap"] for r in answer["results"]] == sorted((r["gap"] for r in answer["results"]), reverse=True)
    assert answer["page"] == {"offset": 0, "limit": 3, "total": answer["summary"]["failing"], "next_offset": 3}


def test_totals_add_up_the_tree(repo_api, demo):
    answer = get(repo_api, f"/api/v1/tenants/changsha/standards/{STAFFING}", totals="street,county,city",
                 limit=10000)
    by_street: dict[str, int] = {}
    rows = {r["code"]: r for r in answer["results"]}
    for r in rows.values():
        by_street[r["parent"]] = by_street.get(r["parent"], 0) + r["gap"]
    streets = {g["code"]: g for g in answer["totals"]["street"]}
    assert {c: g["sums"]["gap"] for c, g in streets.items()} == by_street
    assert streets[demo["street"]]["name"] == "文艺路街道" and streets[demo["street"]]["failing"] >= 1
    county_gap = sum(g["sums"]["gap"] for g in answer["totals"]["county"])
    city = answer["totals"]["city"]
    assert [g["code"] for g in city] == [demo["changsha_city"]]
    assert city[0]["sums"]["gap"] == county_gap == answer["sums"]["gap"] == sum(by_street.values())
    assert city[0]["sums"]["required"] == sum(r["required"] for r in rows.values())


def test_filters_and_pages(repo_api, demo):
    path = f"/api/v1/tenants/changsha/standards/{STAFFING}"
    under = get(repo_api, path, under=demo["street"], limit=10000)
    assert under["results"] and all(r["parent"] == demo["street"] for r in under["results"])
    assert under["summary"]["units"] == len(under["results"])
    pages, offset = [], 0
    while offset is not None:
        page = get(repo_api, path, limit=7, offset=offset)
        pages += [r["code"] for r in page["results"]]
        offset = page["page"]["next_offset"]
    assert pages == sorted(pages) and len(pages) == page["summary"]["units"]
    for query, where in [({"status": "bad"}, "?status"), ({"level": "grid"}, "?level"),
                         ({"totals": "planet"}, "?totals"), ({"order": "-nothing"}, "?order"),
                         ({"limit": "0"}, "?limit")]:
        r = repo_api.get(path, ADMIN, query_string=query)
        assert r.status_code == 422, (query, r.json)
        assert r.json["error"]["details"][0]["path"] == where


def deciding_packs_below(tenant: str) -> set[str]:
    """The packs that judge ``tenant``'s and its descendants' units: each tenant's nearest pack up
    its chain, read from tenants/ and rule_packs/ (so a tenant added per docs/tenants.md counts)."""
    parents = {t.code: t.parent for t in read_tenants(REPO / "tenants")}
    out = set()
    for code in parents:
        chain, cur = [], code
        while cur is not None:
            chain.append(cur)
            cur = parents[cur]
        if tenant in chain:
            out.add(next(c for c in chain if (REPO / "rule_packs" / c).is_dir()))
    return out


def test_descendants_are_judged_by_their_own_pack(repo_api):
    answer = get(repo_api, f"/api/v1/tenants/hunan/standards/{STAFFING}", ("hunan", "auditor"),
                 descendants="true", limit=1)
    assert {p["tenant"] for p in answer["packs"]} == deciding_packs_below("hunan")
    changsha = next(p for p in answer["packs"] if p["tenant"] == "changsha")
    assert "changsha" in changsha["judges"]
    assert answer["summary"]["units"] == get(repo_api, f"/api/v1/tenants/changsha/standards/{STAFFING}")[
        "summary"]["units"]


def test_a_standard_without_a_vectorised_form_is_evaluated_per_unit(repo_api):
    """A draft adding a standard on names (text length has no columnar form), published, then evaluated."""
    admin = ("heilongjiang", "admin")
    files = get(repo_api, "/api/v1/tenants/heilongjiang/packs/1", admin)["files"]
    files["names.jc"] = ('standard 名称长度 "社区名称不超过 4 个字"\n  over community\n'
                         '  measure chars = length(unit.name)\n  expect chars <= 4 "名称过长"\n')
    draft = repo_api.post("/api/v1/tenants/heilongjiang/packs", admin, json={"files": files})
    assert draft.status_code == 201, draft.json
    number = draft.json["number"]
    published = repo_api.publish("heilongjiang", number, effective_from="2021-07-11", expected_current=1)
    assert published.status_code == 200, published.json
    answer = get(repo_api, "/api/v1/tenants/heilongjiang/standards/名称长度", admin, limit=10000)
    assert answer["standard"]["backend"] == "per-unit"
    for r in answer["results"]:
        assert r["measures"]["chars"] == len(r["name"])
        assert r["status"] == ("compliant" if len(r["name"]) <= 4 else "failing")


def test_unknown_standard_and_reach(repo_api):
    r = repo_api.get("/api/v1/tenants/changsha/standards/没有这个标准", ADMIN)
    assert r.status_code == 404 and r.json["error"]["code"] == "standard_not_found"
    r = repo_api.get(f"/api/v1/tenants/chengdu/standards/{STAFFING}", ADMIN)
    assert r.status_code == 404 and r.json["error"]["code"] == "tenant_not_found"


# ---------------------------------------------------------------------- report
def test_report_is_printable_zh_html_with_charts_beside_tables(repo_api, demo):
    r = repo_api.get(f"/api/v1/tenants/changsha/standards/{STAFFING}/report", ADMIN)
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "@media print" in page and "@page" in page
    assert not re.search(r"(src|href)\s*=|@import|url\(|https?://", page)  # no external assets
    assert page.count("<svg") == 2  # per street and per district
    assert "按街道(乡镇)" in page and "按县(区)" in page and "18 人 per 10000 人" in page
    assert "兴隆社区" in page and "文艺路街道" in page and "芙蓉区" in page
    bars = re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', page)
    assert bars and max(float(w) for w in bars) == 300.0  # the largest shortfall fills the bar


# ---------------------------------------------------------------------- CLI
def test_cli_formats(repo_cli, demo):
    out = repo_cli.invoke(main, ["standards", "--tenant", "changsha", STAFFING, "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    xinglong = next(r for r in rows if r["code"] == demo["understaffed"])
    assert {k: xinglong[k] for k in ("standard", "declared_in", "level", "ratio", "required", "actual", "gap")} == {
        "standard": STAFFING, "declared_in": "hunan", "level": "community", "ratio": "18 人 per 10000 人",
        "required": "12", "actual": "6", "gap": "6"}
    data = json.loads(repo_cli.invoke(main, ["standards", "--tenant", "changsha", STAFFING, "--format", "json",
                                             "--status", "failing"]).stdout)
    assert data["page"]["total"] == len(data["results"]) == data["summary"]["failing"]
    assert {"code", "level", "urban_population", "ratio", "required", "actual", "gap"} <= set(data["results"][0])
    assert [g["name"] for g in data["totals"]["city"]] == ["长沙市"]
    table = repo_cli.invoke(main, ["standards", "--tenant", "changsha", "--all", "--totals", "county"])
    assert table.exit_code == 0 and table.stdout.count("标准:") == 6 and "按县(区)汇总" in table.stdout
    everything = list(csv.DictReader(io.StringIO(repo_cli.invoke(
        main, ["standards", "--tenant", "changsha", "--all", "--format", "csv"]).stdout)))
    assert len({r["standard"] for r in everything}) == 6


def test_cli_html_report_to_a_file(repo_cli, tmp_path):
    target = tmp_path / "report.html"
    out = repo_cli.invoke(main, ["standards", "--tenant", "changsha", "--all", "--format", "html", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert target.read_text(encoding="utf-8").count('<section class="standard">') == 6


def test_cli_refuses_a_missing_name_and_bad_filters(repo_cli):
    assert repo_cli.invoke(main, ["standards", "--tenant", "changsha"]).exit_code == 2
    bad = repo_cli.invoke(main, ["standards", "--tenant", "changsha", STAFFING, "--status", "late"])
    assert bad.exit_code == 2 and "invalid_request" in bad.output
