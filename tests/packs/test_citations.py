"""Every rule names the document and clause behind it; every source is a seed document or a
published national document kept as an excerpt beside the national pack (``MCA2015``, ``MCA2020``,
from shared/govdata/national.json)."""
from __future__ import annotations

from pathlib import Path

import pytest

#: every pack under rule_packs/ (a tenant added per docs/tenants.md is checked too)
ALL = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "rule_packs").iterdir() if p.is_dir())
SEEDS = {"000_9e12efd01c9016d5.txt", "001_1a56f291629acc16.txt", "002_767a5add348c0b88.txt",
         "003_c538b5847812c124.txt", "004_57871d724fc12ec6.txt"}
NATIONAL_DOCUMENTS = {"mca2015_136.txt", "mca2020_20.txt"}
SEED_OF_TENANT = {"national": {"000_9e12efd01c9016d5.txt", "002_767a5add348c0b88.txt"} | NATIONAL_DOCUMENTS,
                  "hunan": {"003_c538b5847812c124.txt", "000_9e12efd01c9016d5.txt", "002_767a5add348c0b88.txt"}, "changsha": {"003_c538b5847812c124.txt"},
                  "heilongjiang": {"001_1a56f291629acc16.txt"}, "sichuan": set(),
                  "chengdu": {"004_57871d724fc12ec6.txt", "000_9e12efd01c9016d5.txt"}}


@pytest.mark.parametrize("tenant", ALL)
def test_every_rule_cites_a_clause_of_a_seed_document(pack, tenant):
    for rule in pack(tenant).rules:
        assert rule.citation, f"{rule.id} has no citation"
        assert rule.cites, rule.id
        for cite in rule.cites:
            assert cite["file"] in SEEDS | NATIONAL_DOCUMENTS, f"{rule.id} cites {cite['file']}"
            assert cite["clause"], f"{rule.id} cites {cite['source']} without a clause"


@pytest.mark.parametrize("tenant", ALL)
def test_rules_cite_the_documents_of_their_own_tenant(pack, tenant):
    own = {c["file"] for r in pack(tenant).rules if r.pack == tenant for c in r.cites}
    assert own == SEED_OF_TENANT[tenant] if tenant in SEED_OF_TENANT else own <= SEEDS


@pytest.mark.parametrize("tenant", ALL)
def test_every_reject_reason_in_a_decision_carries_its_citation(pack, tenant, decide):
    """A task breaking many rules at once: each reject reason explains itself."""
    task = {"title": "社区负责城市管理执法(一票否决)", "category": "城市管理", "kind": "report",
            "role": "responsible", "one_vote_veto": True, "statutory_duty": True,
            "unified_deployment": False, "service_purchase": False}
    own_duty = {"department": {"registered": True, "kind": "functional", "own_duty": True, "own_assessment": False}}
    d = decide(pack(tenant), task, {"level": "community"}, own_duty)
    rejects = [r for r in d.reasons if r["effect"] == "reject"]
    assert d.decision == "reject" and len(rejects) >= 5
    for reason in rejects:
        assert reason["citation"].strip(), reason["rule"]
        assert reason["message"].strip(), reason["rule"]


@pytest.mark.parametrize("tenant", ALL)
def test_docs_table_lists_every_rule_with_its_clause(pack, repo, tenant):
    """docs/tenants.md §六 stays in step with the packs."""
    rows = {line.split("|")[2].strip(): line for line in (repo / "docs" / "tenants.md").read_text(encoding="utf-8")
            .splitlines() if line.startswith(f"| {tenant} |")}
    for rule in pack(tenant).rules:
        if rule.pack != tenant:
            continue
        assert rule.id in rows, f"docs/tenants.md misses {tenant} {rule.id}"
        for cite in rule.cites:
            assert f"{cite['source']} {cite['clause']}" in rows[rule.id]
            assert cite["file"] in rows[rule.id]



def test_national_documents_are_kept_beside_the_pack(repo):
    """The excerpts of the national documents the pack cites are in the repository and say
    they are excerpts."""
    folder = repo / "rule_packs" / "national" / "documents"
    for name in NATIONAL_DOCUMENTS:
        assert (folder / name).read_text(encoding="utf-8").startswith("# 摘录,不是全文。")
