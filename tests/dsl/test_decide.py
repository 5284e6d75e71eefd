"""Decisions: combination, reasons, requirements, explain, missing values, purity."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, build
from jiceng.dsl.api import load_pack
from jiceng.dsl.pack import DecisionInputError

PACK = """pack p version "3"
source S "《关于加强和完善城乡社区治理的意见》" file "002.txt"
list 协助 kind assist { A "甲" requires funding }
rule 一票否决 "不得一票否决"
  cite S "四(四)"
  when task.one_vote_veto
  then reject "社区工作不得实行一票否决"
rule 经费 "协助须经费"
  cite S "四(四)"
  when task.item_code in 协助 and not task.funding_provided
  then require funding "请提供经费"
rule 经费二 "重复的经费要求"
  when task.item_code in 协助 and not task.funding_provided
  then require funding "另一条说明"
rule 条件 "工作条件"
  when task.item_code in 协助 and not task.work_conditions_provided
  then require work_conditions "请提供工作条件"
rule 提示 "期限提示"
  when task.deadline - today < 3 天
  then warn "期限紧"
"""


@pytest.fixture(scope="module")
def pack():
    return build({"p": PACK})


#: no 一票否决, no funding, no work conditions: every fact the rules read, stated
CLEAR = {"one_vote_veto": False, "funding_provided": False, "work_conditions_provided": False}


def test_every_rule_is_evaluated_and_reject_overrides(pack):
    d = pack.decide({"title": "t", "item_code": "A", **CLEAR, "one_vote_veto": True}, {"level": "community"})
    assert d.decision == "reject"
    assert d.rule_ids == ["一票否决", "经费", "经费二", "条件"]


def test_requirements_make_it_conditional_once_per_code(pack):
    d = pack.decide({"title": "t", "item_code": "A", **CLEAR})
    assert d.decision == "conditional"
    assert d.requirements == [{"code": "funding", "message": "请提供经费"},
                              {"code": "work_conditions", "message": "请提供工作条件"}]
    met = pack.decide({"title": "t", "item_code": "A", **CLEAR, "funding_provided": True,
                       "work_conditions_provided": True})
    assert met.decision == "admit" and met.reasons == []


def test_warnings_alone_admit(pack):
    d = pack.decide({"title": "t", "item_code": "B", "one_vote_veto": False, "deadline": "2024-05-02"},
                    today="2024-05-01")
    assert d.decision == "admit" and d.rule_ids == ["提示"]


def test_to_dict_is_the_api_body(pack):
    body = pack.decide({"title": "t", "one_vote_veto": True}).to_dict()
    assert set(body) == {"decision", "reasons", "requirements", "pack", "unknown", "items"}
    assert body["pack"] == {"tenant": "p", "version": "3", "digest": pack.digest}
    (reason,) = body["reasons"]
    assert {k: reason[k] for k in ("rule", "effect", "message", "pack")} == {
        "rule": "一票否决", "effect": "reject", "message": "社区工作不得实行一票否决", "pack": "p"}
    assert reason["citation"] == "《关于加强和完善城乡社区治理的意见》 四(四)"
    assert reason["cites"] == [{"source": "S", "title": "《关于加强和完善城乡社区治理的意见》",
                                "clause": "四(四)", "file": "002.txt"}]
    reason["message"] = "changed"  # answers are the caller's to keep
    assert pack.decide({"title": "t", "one_vote_veto": True}).reasons[0]["message"] == "社区工作不得实行一票否决"


def test_explain_lists_every_rule_with_the_values_it_saw(pack):
    d = pack.decide({"title": "t", "item_code": "A", "funding_provided": True}, explain=True, today="2024-01-01")
    trace = {t["rule"]: t for t in d.trace}
    assert list(trace) == ["一票否决", "经费", "经费二", "条件", "提示"]
    assert trace["经费"] == {"rule": "经费", "pack": "p", "effect": "require", "fired": False,
                            "values": {"task.item_code": "A", "task.funding_provided": True}}
    assert trace["条件"]["fired"] is None and trace["条件"]["values"]["task.work_conditions_provided"] is None
    assert trace["条件"]["missing"] == [{"path": "task.work_conditions_provided", "source": "sender",
                                       "source_label": "下派方(任务表单)"}]
    assert d.to_dict()["trace"] == d.trace


def test_missing_values_are_unknown_and_never_admit(pack):
    # a missing boolean is unknown, not false: the rules that read it cannot say, so the task waits
    d = pack.decide({"title": "t"}, today="2024-01-01")
    assert d.decision == "conditional" and d.rule_ids == []
    assert d.requirements == [{"code": "information", "message": "须补充:task.one_vote_veto、task.item_code、"
                                                                 "task.funding_provided、task.work_conditions_provided"}]
    # null is missing too; a rule a known fact settles is not unknown (A is not in the list: false)
    d = pack.decide({"title": "t", "item_code": None, "one_vote_veto": False})
    assert [u["rule"] for u in d.unknown] == ["经费", "经费二", "条件"]
    assert pack.decide({"title": "t", "item_code": "B", "one_vote_veto": False}).decision == "admit"


def test_pure_and_deterministic(pack):
    task = {"title": "t", "item_code": "A", "deadline": "2024-01-02"}
    first = pack.decide(task, today="2024-01-01").to_dict()
    assert all(pack.decide(dict(task), today="2024-01-01").to_dict() == first for _ in range(5))
    assert task == {"title": "t", "item_code": "A", "deadline": "2024-01-02"}


def test_wrong_input_types_are_clean_errors(pack):
    with pytest.raises(DecisionInputError) as info:
        pack.decide({"title": "t", "item_code": ["A"]})
    assert info.value.code == "E701" and info.value.path == "task.item_code"
    with pytest.raises(DecisionInputError) as info:
        pack.decide("not a task")
    assert info.value.path == "task"


def test_digest_covers_the_chain_and_nothing_else(tmp_path):
    a = load_pack("city", FIXTURES)
    assert a.digest == load_pack("city", FIXTURES).digest
    from jiceng.dsl.api import compile_pack
    from jiceng.dsl.loader import MemoryLoader
    files = {t: {"pack.jc": (FIXTURES / t / "pack.jc").read_text(encoding="utf-8")} for t in ("nation", "prov", "city")}
    assert compile_pack("city", MemoryLoader(files)).digest == a.digest
    files["nation"]["pack.jc"] += "\n# 一行注释也是新版本\n"
    assert compile_pack("city", MemoryLoader(files)).digest != a.digest


def test_lists_params_and_chain_of_a_loaded_pack():
    pack = load_pack("city", FIXTURES)
    assert [c["tenant"] for c in pack.chain] == ["nation", "prov", "city"]
    assert pack.params["社区工作者配比"]["value"] == "20 人 per 10000 人"
    assert pack.params["社区工作者配比"]["declared_in"] == ["nation", "prov"]
    assert pack.param_value("网格户数") == (300, 450)
    assert [i["code"] for i in pack.lists["协助事项"]] == ["X01", "X02", "X03"]
    assert pack.lists["协助事项"][2]["pack"] == "prov"


def test_the_runtime_supplies_every_history_fact_a_pack_reads():
    pack = build({"p": "pack p\nrule R when history.assessments_this_year >= 1 次 then reject"})
    assert pack.history_needed == frozenset({"assessments_this_year"})
    with pytest.raises(DecisionInputError) as info:
        pack.decide({"title": "t"})  # the registered default (0) is not assumed
    assert info.value.code == "E703" and info.value.path == "history.assessments_this_year"
    assert pack.decide({"title": "t"}, history={"assessments_this_year": 1}).rule_ids == ["R"]
    assert pack.decide({"title": "t"}, history={"assessments_this_year": None}).decision == "conditional"


def test_indexing_keeps_declaration_order():
    rules = "\n".join(f"rule R{i} when target.level == {'street' if i % 2 else 'community'} then warn" for i in range(30))
    pack = build({"p": "pack p\nrule 总是 then warn\n" + rules + "\nrule 最后 when task.one_vote_veto then warn"})
    assert pack.compiled.index_paths == ["target.level"]
    d = pack.decide({"title": "t", "one_vote_veto": True}, {"level": "street"})
    assert d.rule_ids == ["总是"] + [f"R{i}" for i in range(1, 30, 2)] + ["最后"]
