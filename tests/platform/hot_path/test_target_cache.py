"""facts.unit_target keeps a unit's target facts only as long as that unit snapshot, its parent's
and that pack are the ones in use."""
from __future__ import annotations

import dataclasses

from jiceng.dsl import clock
from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.admission import facts
from jiceng.platform.runtime import Runtime


def fresh(unit, pack, parent):
    return jsonable(facts.target_facts(unit.facts, unit.children, parent.facts, pack))


def test_target_facts_follow_the_unit_snapshot_and_the_pack(database, units):
    rt = Runtime(database)
    with database.read() as s:
        unit = rt.unit(s, units.cs_communities[0])
        parent = rt.unit(s, units.cs_street)
        pack = rt.pack_for(s, unit.tenant, clock.today()).pack
        hunan = rt.pack_for(s, "hunan", clock.today()).pack
        target = facts.unit_target(s, rt, unit, pack)
        assert target.facts == fresh(unit, pack, parent) and "staffing_gap" in target.facts
        assert facts.unit_target(s, rt, unit, pack) is target  # kept

        grown = dataclasses.replace(unit, facts={**unit.facts, "workers": unit.facts["workers"] + 3})
        assert facts.unit_target(s, rt, grown, pack).facts["staffing_gap"] == target.facts["staffing_gap"] - 3
        assert facts.unit_target(s, rt, unit, hunan).facts == fresh(unit, hunan, parent)  # another pack
