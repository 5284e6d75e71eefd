"""The grid planner: the fewest grids inside the tenant's households range, evenly split, and an
honest answer when no split fits; through the API and the CLI with the range from the pack."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from jiceng.platform.cli import main
from jiceng.platform.units.grid_planner import plan_grids


def _sizes(plan) -> list[int]:
    return [s["households"] for s in plan["sizes"] for _ in range(s["count"])]


@given(households=st.integers(0, 5_000), low=st.integers(1, 600), width=st.integers(0, 600))
def test_a_plan_covers_every_household_and_fits_when_any_split_can(households, low, width):
    high = low + width
    plan = plan_grids(households, low, high)
    sizes = _sizes(plan)
    possible = [k for k in range(1, households + 1) if k * low <= households <= k * high] if households else [0]
    if households:
        assert sum(sizes) == households and len(sizes) == plan["grids"] and max(sizes) - min(sizes) <= 1
    assert plan["fits"] == bool(possible)
    if plan["fits"]:
        assert plan["grids"] == min(possible)  # the fewest grids: each needs a full-time grid worker
        assert all(low <= s <= high for s in sizes)
        assert all(a["fits"] and sum(_sizes(a)) == households for a in plan["alternatives"])
    else:
        assert "无法" in plan["message"] or "不足" in plan["message"]


def test_too_few_households_for_one_grid():
    plan = plan_grids(250, 300, 500)
    assert (plan["fits"], plan["grids"], _sizes(plan)) == (False, 1, [250])
    assert "低于下限 50 户" in plan["message"] and "微网格" in plan["message"]
    assert [a["note"] for a in plan["alternatives"]] == ["与相邻社区联合划设一个网格"]


def test_between_one_full_grid_and_two_minimal_ones():
    plan = plan_grids(550, 300, 500)
    assert (plan["fits"], plan["grids"], _sizes(plan)) == (False, 2, [275, 275])  # 25 under beats 50 over
    assert [(a["grids"], _sizes(a)) for a in plan["alternatives"]] == [(1, [550])]


def test_examples_that_fit():
    assert (plan_grids(0, 300, 500)["grids"], _sizes(plan_grids(1001, 300, 500))) == (0, [334, 334, 333])
    plan = plan_grids(1600, 300, 500)
    assert _sizes(plan) == [400] * 4 and [a["grids"] for a in plan["alternatives"]] == [5]


def test_api_plans_with_the_packs_range_or_a_communitys_households(repo_api, demo):
    who = ("changsha", "township")
    r = repo_api.post("/api/v1/tenants/changsha/grids/plan", who, json={"households": 250})
    assert r.status_code == 200, r.json
    assert r.json["range"] == {"min": 300, "max": 500, "param": "网格户数", "value": "300..500 户",
                               "set_by": "hunan", "set_by_version": "2024.06", "standard": "网格规模"}
    assert r.json["fits"] is False and r.json["grids"] == 1
    r = repo_api.post("/api/v1/tenants/changsha/grids/plan", who, json={"unit": demo["understaffed"]})
    assert r.json["unit"]["name"] == "兴隆社区" and r.json["households"] == 2426 and r.json["grids"] == 5
    r = repo_api.post("/api/v1/tenants/changsha/grids/plan", who, json={"households": 250, "min": 200, "max": 300})
    assert r.json["fits"] is True and r.json["range"]["param"] is None


def test_api_refuses_bad_requests(repo_api, demo):
    who = ("changsha", "township")
    path = "/api/v1/tenants/changsha/grids/plan"
    for body, code in [({}, "invalid_request"), ({"households": 5, "unit": demo["staffed"]}, "invalid_request"),
                       ({"households": -1}, "invalid_request"), ({"households": 5, "min": 300}, "invalid_request"),
                       ({"households": 5, "min": 500, "max": 300}, "grid_range_invalid"),
                       ({"unit": demo["street"]}, "unit_not_community"), ({"unit": "999999999999"}, "unit_not_found")]:
        r = repo_api.post(path, who, json=body)
        assert r.status_code in (404, 422) and r.json["error"]["code"] == code, (body, r.json)


def test_cli_plan(repo_cli, demo):
    out = repo_cli.invoke(main, ["grids", "plan", "--tenant", "changsha", "--households", "550"])
    assert out.exit_code == 0, out.output
    assert "300..500 户" in out.stdout and "建议 2 个网格" in out.stdout and "另可:1 个网格" in out.stdout
    data = json.loads(repo_cli.invoke(main, ["grids", "plan", "--tenant", "changsha", "--unit", demo["understaffed"],
                                             "--json"]).stdout)
    assert data["grids"] == 5 and data["fits"]
    assert repo_cli.invoke(main, ["grids", "plan", "--tenant", "changsha"]).exit_code == 2
