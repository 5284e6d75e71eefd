"""Runtime.target_facts keeps a unit's target facts only as long as that unit snapshot and that
pack are the ones in use."""
from __future__ import annotations

import dataclasses
from datetime import date

from jiceng.platform.admission.deciding import target_facts
from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.runtime import Runtime


def test_target_facts_follow_the_unit_snapshot_and_the_pack(database, units):
    rt = Runtime(database)
    with database.read() as s:
        unit = rt.unit(s, units.cs_communities[0])
        pack = rt.pack_for(s, unit.tenant, date.today()).pack
        hunan = rt.pack_for(s, "hunan", date.today()).pack
    facts = rt.target_facts(unit, pack)
    assert facts == jsonable(target_facts(unit, pack)) and "staffing_gap" in facts
    assert rt.target_facts(unit, pack) is facts  # kept

    grown = dataclasses.replace(unit, facts={**unit.facts, "workers": unit.facts["workers"] + 3})
    assert rt.target_facts(grown, pack)["staffing_gap"] == facts["staffing_gap"] - 3  # a new snapshot
    assert rt.target_facts(unit, hunan) == jsonable(target_facts(unit, hunan))  # another pack
