"""Parts of log entries encoded once per pack give exactly the bytes encoding them each time would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from jiceng.dsl.api import compile_pack, load_pack
from jiceng.dsl.loader import MemoryLoader
from jiceng.platform.decisions.chain import canonical_jsonable
from jiceng.platform.decisions.append import utc_now_text
from jiceng.platform.packs.versions import ResolvedPack
from jiceng.platform.forms.store import CANONICAL_TASK, FormSnapshot


def test_cached_reason_and_pack_texts_equal_fresh_encoding():
    pack = load_pack("changsha", "rule_packs")
    resolved = ResolvedPack(pack, ({"tenant": "changsha", "number": 1, "version": pack.version},),
                            CANONICAL_TASK, FormSnapshot(0, {}))
    tasks = [{"title": "t", "category": "招商引资", "role": "responsible", "one_vote_veto": True},
             {"title": "t", "item_code": "NOPE"}, {"title": "t"}]
    for task in tasks:
        for level in ("street", "community"):
            d = pack.decide(task, {"level": level}, {name: 0 for name in pack.history_needed})
            assert resolved.reasons_text(d) == canonical_jsonable(d.reasons)
    assert resolved.log_info_text == canonical_jsonable(resolved.log_info())


def test_the_reason_of_a_rule_rejecting_for_want_of_a_fact_is_its_own():
    """`unknown reject`: the reason names the missing facts, so it is not the rule's cached text."""
    pack = compile_pack("p", MemoryLoader({"p": {"pack.jc": "pack p\nrule R when task.one_vote_veto then reject\n"
                                                              "  unknown reject\n"}}))
    resolved = ResolvedPack(pack, ({"tenant": "p", "number": 1, "version": None},), CANONICAL_TASK, FormSnapshot(0, {}))
    d = pack.decide({"title": "t"})
    assert d.decision == "reject" and "缺少 task.one_vote_veto" in str(resolved.reasons_text(d))
    assert resolved.reasons_text(d) == canonical_jsonable(d.reasons)


def test_timestamps_are_iso_utc_with_microseconds():
    before = datetime.now(timezone.utc)
    stamp = utc_now_text()
    after = datetime.now(timezone.utc)
    parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert before - timedelta(milliseconds=1) <= parsed <= after  # microseconds are truncated


def test_reasons_made_by_items_are_kept_per_item_and_equal_fresh_encoding():
    """A rule that fires because of list items has a reason of its own per item set; its encoded
    text is kept by (rule, items' lists and codes), so two items on one rule must not share a text."""
    src = ('pack p\nsource S "s" file "s.txt"\n'
           'list 证明 kind certificate_excluded {\n'
           '  "M1" "婚育状况证明" cite S "一"\n  "M2" "居住证明" cite S "二" example\n}\n'
           'list 其他证明 kind certificate_excluded { "M1" "亲属关系证明" cite S "四" }\n'
           'rule 证明 cite S "三" when task.title in kind certificate_excluded then reject "不应由社区出具"\n'
           'rule 缺项 when task.one_vote_veto then reject\n  unknown reject\n')
    pack = compile_pack("p", MemoryLoader({"p": {"pack.jc": src}}))
    resolved = ResolvedPack(pack, ({"tenant": "p", "number": 1, "version": None},), CANONICAL_TASK, FormSnapshot(0, {}))
    texts = {}
    for _round in range(2):  # the second round is answered from the kept texts
        for title in ("婚育状况证明", "居住证明", "亲属关系证明", "其他"):
            d = pack.decide({"title": title})
            assert resolved.reasons_text(d) == canonical_jsonable(d.reasons)
            texts.setdefault(title, str(resolved.reasons_text(d)))
            assert str(resolved.reasons_text(d)) == texts[title]
    assert "M1" in texts["婚育状况证明"] and "M2" not in texts["婚育状况证明"]
    assert "M2" in texts["居住证明"] and "示例事项" in texts["居住证明"]
    # the same code on another list is another item: its own text, not the first list's
    assert "亲属关系证明" in texts["亲属关系证明"] and "婚育状况证明" not in texts["亲属关系证明"]
    assert "缺少 task.one_vote_veto" in texts["其他"]


def test_a_unit_s_facts_are_decided_on_as_the_log_writes_them(fresh_database, units):
    """An area stored as 12.0 is logged as 12 (canonical JSON writes integral numbers as
    integers) and is the integer 12 in the facts a decision gets: the live decision and its
    replay, which reads the logged 12, see the same value of the same type."""
    import json
    from sqlalchemy import update
    from jiceng.platform.db.models import OrgUnit
    from jiceng.platform.runtime import Runtime
    code = units.cs_communities[0]
    with fresh_database.write() as s:
        s.execute(update(OrgUnit).where(OrgUnit.code == code).values(facility_area_m2=12.0, households=400))
    rt = Runtime(fresh_database)
    with fresh_database.read() as s:
        facts = rt.unit(s, code).facts
    assert facts["facility_area_m2"] == 12 and type(facts["facility_area_m2"]) is int
    read_back = json.loads(canonical_jsonable(facts))
    assert read_back == facts and all(type(read_back[k]) is type(v) for k, v in facts.items())
