"""``target.parent`` and ``target.community``: the receiving unit's place in the tree, from the unit
registry, so that a rule about communities or villages also reaches the grids in them without the
sender saying where a grid lies."""
from __future__ import annotations

TASK = {"title": "居民会议", "item_code": "Z01"}


def target_of(api, check, code) -> dict:
    r = check(api, {"task": {**TASK, "target_unit": code}})
    assert r.status_code == 200, r.json
    return r.json["target"]


def test_a_grids_community_is_its_parent(api, check, units):
    target = target_of(api, check, units.cs_grids[0])
    assert target["level"] == "grid"
    assert target["parent"]["code"] == units.cs_communities[0] and target["parent"]["name"] == "识字岭社区"
    assert target["parent"]["level"] == "community" and target["parent"]["households"] == 800
    assert target["community"] == target["parent"]


def test_a_community_is_its_own_community(api, check, units):
    target = target_of(api, check, units.cs_communities[1])
    assert target["community"]["code"] == units.cs_communities[1] and target["community"]["name"] == "蔡锷南路社区"
    assert target["community"]["parent"] == units.cs_street  # a unit record's parent is its code
    assert target["parent"]["code"] == units.cs_street and target["parent"]["level"] == "street"


def test_above_the_community_level_there_is_no_community(api, check, units):
    street = target_of(api, check, units.cs_street)
    assert street["community"] is None and street["parent"]["code"] == units.cs_district


def test_a_tenants_top_unit_has_no_parent_it_may_read(api, check, units):
    """长沙市's parent is 湖南省, hunan's unit: not changsha's to read, so unknown."""
    city = target_of(api, check, units.cs_city)
    assert city["parent"] is None and city["community"] is None


def test_the_place_is_logged_with_the_decision(api, check, logged, units):
    r = check(api, {"task": {**TASK, "target_unit": units.cs_grids[1]}})
    assert logged(api, r.json)["target"]["community"]["code"] == units.cs_communities[0]


def test_a_rule_about_villages_reaches_a_grid_in_a_village_without_the_sender_saying_so(api, check, units):
    """The fixture rule 村里不另挂牌 reads ``target.community.level``: the sender states only the unit."""
    plaque = {"title": "挂牌", "kind": "plaque", "item_code": "Z01"}
    in_village = check(api, {"task": plaque, "target": {"level": "grid", "parent": {"level": "village"}}})
    assert in_village.json["decision"] == "reject"
    assert [x["rule"] for x in in_village.json["reasons"]] == ["村里不另挂牌"]
    in_community = check(api, {"task": {**plaque, "target_unit": units.cs_grids[0]}})
    assert in_community.json["decision"] == "admit", in_community.json
