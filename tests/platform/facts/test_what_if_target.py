"""A what-if check's ``target`` is unit data: validated like the unit registry's and completed the same
way (exports, place in the tree). The registry's facts are not the asker's to override, and a check
without any target decides on an unknown target."""
from __future__ import annotations

import pytest

COMMUNITY_TASK = {"title": "居民会议", "item_code": "Z01"}


def problems(r) -> dict:
    assert r.status_code == 422, r.json
    return {d["path"]: d["message"] for d in r.json["error"]["details"]}


@pytest.mark.parametrize("level, meant", [("社区", "community"), ("stret", "street"), ("Community", "community"),
                                          ("街道", "street"), ("ｓｔｒｅｅｔ", "street")])
def test_a_level_that_is_not_one_of_the_enum_is_refused_with_what_was_meant(api, check, level, meant):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": level}})
    assert r.json["error"]["code"] == "target_invalid"
    message = problems(r)["/target/level"]
    assert f"“{level}”无效" in message and f"您是不是要写 {meant}" in message
    assert "province city county township street community village grid" in message


def test_a_level_that_resembles_nothing_gets_no_guess(api, check):
    message = problems(check(api, {"task": COMMUNITY_TASK, "target": {"level": "党支部"}}))["/target/level"]
    assert "无效" in message and "您是不是要写" not in message


@pytest.mark.parametrize("value", ["x", "12", True, [3], {"n": 1}, 1.5, -1])
def test_numbers_are_whole_non_negative_numbers(api, check, value):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "community", "workers": value}})
    assert r.json["error"]["code"] == "target_invalid"
    message = problems(r)["/target/workers"]
    assert message.startswith("社区工作者(workers)")


def test_area_may_be_fractional_and_a_whole_float_is_a_whole_number(api, check):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "community", "facility_area_m2": 250.5,
                                                       "households": 800.0, "workers": None}})
    assert r.status_code == 200, r.json
    assert r.json["target"]["facility_area_m2"] == 250.5 and r.json["target"]["households"] == 800


def test_unknown_and_derived_keys_are_refused_every_problem_at_once(api, check):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "community", "户数": 800, "wrokers": 3,
                                                       "staffing_gap": 0, "community": {"level": "village"},
                                                       "a/b": 1}})
    found = problems(r)
    assert set(found) == {"/target/户数", "/target/wrokers", "/target/staffing_gap", "/target/community",
                          "/target/a~1b"}
    assert "您是不是要写 households" in found["/target/户数"]
    assert "您是不是要写 workers" in found["/target/wrokers"]
    assert "社区工作者配备" in found["/target/staffing_gap"] and "不能直接给出" in found["/target/staffing_gap"]
    assert "不能直接给出" in found["/target/community"]


def test_the_parent_is_an_object_of_unit_facts_checked_the_same_way(api, check):
    found = problems(check(api, {"task": COMMUNITY_TASK, "target": {"level": "grid", "parent": "430102001001"}}))
    assert "应为对象" in found["/target/parent"]
    found = problems(check(api, {"task": COMMUNITY_TASK, "target": {"level": "grid", "parent": {"level": "村"}}}))
    assert "您是不是要写 village" in found["/target/parent/level"]


def test_derived_facts_are_computed_for_what_if_facts_too(api, check):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "community", "urban_population": 10001,
                                                       "workers": 15}})
    assert r.status_code == 200, r.json
    assert r.json["target"]["staffing_gap"] == 4  # exported by the 社区工作者配备 standard, as for a real unit


def test_a_derived_fact_the_unit_data_cannot_settle_is_unknown(api, check):
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "community", "workers": 15}})
    assert r.json["target"]["staffing_gap"] is None  # no population: the standard cannot say


def test_the_place_of_a_what_if_unit_follows_from_its_level_and_parent(api, check):
    village = {"level": "village", "name": "某村"}
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "grid", "parent": village}})
    assert r.json["target"]["parent"] == village and r.json["target"]["community"] == village
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "village", "code": "430102201001"}})
    assert r.json["target"]["community"]["code"] == "430102201001" and r.json["target"]["parent"] is None
    r = check(api, {"task": COMMUNITY_TASK, "target": {"level": "grid"}})
    assert r.json["target"]["community"] is None  # a grid of unknown parent: unknown


def test_a_registry_unit_and_a_what_if_target_together_are_refused(api, check, units):
    r = check(api, {"task": {**COMMUNITY_TASK, "target_unit": units.cs_communities[0]}, "target": {"level": "street"}})
    assert r.status_code == 422 and r.json["error"]["code"] == "target_conflict"
    assert [d["path"] for d in r.json["error"]["details"]] == ["/target"]


def test_without_any_target_the_target_is_unknown_and_never_admitted(api, check):
    r = check(api, {"task": COMMUNITY_TASK})
    assert r.status_code == 200, r.json
    assert r.json["target"] == {}
    assert r.json["decision"] != "admit"
    assert "information" in [q["code"] for q in r.json["requirements"]]
    # the answer names each rule left undecided and the facts it waits for, as to_dict() does
    unknown = r.json["unknown"]
    assert unknown and all(u["missing"] for u in unknown)
    assert any(m.startswith("target.") for u in unknown for m in u["missing"])
