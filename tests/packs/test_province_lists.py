"""What a province inherits from the national pack's real lists (issue 12): its own lists of a kind
count whatever their name, a certificate with a stated legal basis is admissible (MCA2020), and the
MCA2020 certificates are refused by name or alias as well as by code. A throw-away province is built
beside a copy of the shipped national pack."""
from __future__ import annotations

import shutil

import pytest

from jiceng.dsl import load_pack

GOVERNMENT = {"department": {"registered": False, "kind": "government", "own_duty": False, "own_assessment": False}}
#: every fact of a certificate task the national rules ask about, none of them a reason to refuse
CERTIFICATE = {"kind": "certificate", "role": "responsible", "category": "社区治理", "statutory_duty": False,
               "one_vote_veto": False}
PROVINCE = '''pack testprov version "1" extends national
source LAW "某条例"
list 本省主责事项 kind self_governance cite LAW "一" { "TP-ZZ-01" "本省自治事项" cite LAW "一" }
list 本省可出具证明 kind permitted cite LAW "一" {
  "TP-ZM-01" "居住证明" alias "居住情况证明" cite LAW "第十条"
}
'''


@pytest.fixture(scope="module")
def province(tmp_path_factory, repo):
    root = tmp_path_factory.mktemp("packs")
    shutil.copytree(repo / "rule_packs" / "national", root / "rule_packs" / "national")
    shutil.copytree(repo / "form_schemas", root / "form_schemas")
    (root / "tenants").mkdir()
    shutil.copy(repo / "tenants" / "national.toml", root / "tenants")
    (root / "tenants" / "testprov.toml").write_text(
        'code = "testprov"\nname = "测试省"\nparent = "national"\nlevel = "province"\n'
        'division_code = "990000000000"\n', encoding="utf-8")
    (root / "rule_packs" / "testprov").mkdir()
    (root / "rule_packs" / "testprov" / "pack.jc").write_text(PROVINCE, encoding="utf-8")
    return load_pack("testprov", root=root / "rule_packs")


def decide(pack, task, level="community"):
    return pack.decide(task, {"level": level}, {name: 0 for name in pack.history_needed}, source=GOVERNMENT)


def test_a_province_list_of_kind_self_governance_counts_whatever_its_name(province, pack):
    task = {"title": "本省自治", "item_code": "TP-ZZ-01", "kind": "work", "role": "responsible",
            "category": "社区治理", "statutory_duty": False, "one_vote_veto": False, "service_purchase": False}
    assert decide(province, task).decision == "admit"
    assert "清单外事项不得转嫁社区" in {r["rule"] for r in decide(pack("sichuan"), task).reasons}


@pytest.mark.parametrize("title", ["居住证明", "居住情况证明"])
def test_a_certificate_with_a_stated_legal_basis_is_admissible(province, title):
    """MCA2020: 出具证明的事项必须是有明确法律法规依据……的事项 — the permitted list names it, with its basis."""
    d = decide(province, {**CERTIFICATE, "title": title})
    assert d.decision == "admit", d.reasons


def test_a_certificate_without_a_basis_is_not_issued(province):
    d = decide(province, {**CERTIFICATE, "title": "收入证明"})
    assert d.decision == "reject" and [r["rule"] for r in d.reasons] == ["无依据的证明不予出具"]
    assert "不予出具" in d.reasons[0]["citation"]


@pytest.mark.parametrize("title,code", [("婚育状况证明", "MCA2020-14"), ("生育状况证明", "MCA2020-14"),
                                        ("健在证明", "MCA2020-10")])
def test_mca2020_certificates_are_refused_by_name_or_alias_and_the_reason_cites_the_item(province, title, code):
    d = decide(province, {**CERTIFICATE, "title": title}, level="village")
    reason = next(r for r in d.reasons if r["rule"] == "社区不出具清单所列证明")
    assert d.decision == "reject"
    [item] = reason["items"]
    assert item["code"] == code and item["cites"][0]["number"] == "民发〔2020〕20号"
