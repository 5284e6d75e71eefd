"""Issue 11.6: a unit-bound token checks only in the name of its own unit or a unit below it
(``task.source_unit``): any other is 403 ``unit_out_of_scope``, and nothing is logged."""
from __future__ import annotations

CHECK = "/api/v1/tenants/changsha/admission/check"
STREET = ("changsha", "street")  # a township token bound to units.cs_street


def check(api, as_, **task):
    return api.post(CHECK, as_, json={"task": {"title": "入户走访", "item_code": "Z01", **task},
                                      "target": {"level": "community"}})


def logged(api) -> int:
    return len(api.get("/api/v1/tenants/changsha/decisions?limit=500", ("changsha", "admin")).json["decisions"])


def test_a_unit_token_names_only_its_unit_or_one_below_as_the_sender(api, units):
    before = logged(api)
    for other in (units.cs_street2, units.cs_city, units.cs_community2, units.hlj_street, "999999999999"):
        r = check(api, STREET, source_unit=other)
        assert r.status_code == 403 and r.json["error"]["code"] == "unit_out_of_scope", (other, r.json)
        assert units.cs_street in r.json["error"]["message"]
    assert logged(api) == before
    for own in (units.cs_street, units.cs_communities[0], None):  # None: the token's own unit
        r = check(api, STREET, **({"source_unit": own} if own else {}))
        assert r.status_code == 200, (own, r.json)
    assert check(api, ("changsha", "township"), source_unit=units.cs_street2).status_code == 200  # no unit: any
