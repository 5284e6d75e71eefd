"""Synthetic packs of any size, for the compile-time and scaling benchmarks.

Rules look like a province's real ones: each tests the receiving unit's
level, one task category or kind, and a guard on funding, roles or history —
so a share of them can be indexed on a discriminating field.
"""
from __future__ import annotations

import random

LEVELS = ["county", "township", "street", "community", "village", "grid"]
KINDS = ["work", "assessment", "inspection", "ledger", "report", "certificate", "demonstration",
         "plaque", "pledge"]


def pack_source(n_rules: int, seed: int = 7, tenant: str = "bench", indexable: bool = True) -> str:
    """A pack of ``n_rules``; with ``indexable=False`` the same rules, with the
    same meaning, but their field tests wrapped in a disjunction the compiler
    cannot index (``(x == v or false)``), so every rule runs for every task."""
    rng = random.Random(seed)
    out = [f'pack {tenant} version "1"', 'title "生成的基准规则包"', 'source S "基准"',
           'param 考核上限 = 2 次 ceiling',
           'list 协助事项 kind assist {' + " ".join(f'A{i:04d} "协助{i}" requires funding' for i in range(200)) + "}",
           'list 自治事项 kind self_governance {' + " ".join(f'Z{i:04d} "自治{i}"' for i in range(100)) + "}"]
    guards = [
        lambda: "task.item_code in 协助事项 and not task.funding_provided",
        lambda: f"task.role == responsible and task.kind == {rng.choice(KINDS)}",
        lambda: "history.assessments_this_year >= 考核上限",
        lambda: f'task.title contains "{rng.choice(["考核", "台账", "证明", "创建"])}"',
        lambda: "task.one_vote_veto",
    ]
    for i in range(n_rules):
        parts = []
        hide = (lambda test: test) if indexable else (lambda test: f"({test} or false)")
        if rng.random() < 0.9:
            parts.append(hide(f'task.category == "类别{rng.randrange(n_rules // 2 + 1)}"'))
        if rng.random() < 0.6:
            parts.append(hide(f"target.level == {rng.choice(LEVELS)}"))
        parts.append(rng.choice(guards)())
        effect = rng.choice(["reject", 'require funding "请提供经费"', 'warn "请注意"'])
        out.append(f'rule R{i} "规则{i}"\n  cite S "第{i}条"\n  when {" and ".join(parts)}\n  then {effect}')
    return "\n\n".join(out) + "\n"


#: pack sizes of ``make bench``'s scaling step (the last only in a full run, not ``--quick``)
SCALING_SIZES = (25, 100, 400, 1600, 3200)
#: rules per file in :func:`pack_files`: a file stays well under the language's 100,000 tokens (E108)
RULES_PER_FILE = 1000


def pack_files(n_rules: int, indexable: bool = True) -> dict[str, str]:
    """:func:`pack_source` as a pack's files, as a large pack is written: the header in
    ``pack.jc``, the rules ``RULES_PER_FILE`` to a file (one file of 3,200 rules is over the
    language's per-file token limit, E108, when its rules cannot be indexed)."""
    blocks = pack_source(n_rules, indexable=indexable).split("\n\n")
    header, rules = [b for b in blocks if not b.startswith("rule ")], [b for b in blocks if b.startswith("rule ")]
    files = {"pack.jc": "\n\n".join(header) + "\n"}
    for k in range(0, len(rules), RULES_PER_FILE):
        files[f"rules_{k // RULES_PER_FILE:02d}.jc"] = "\n\n".join(rules[k:k + RULES_PER_FILE]) + "\n"
    return files


def tasks(n: int, n_rules: int, seed: int = 11) -> list[tuple[dict, dict, dict]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        task = {"title": rng.choice(["年度考核", "台账报送", "入户走访"]),
                "category": f"类别{rng.randrange(n_rules // 2 + 1)}",
                "item_code": rng.choice([f"A{rng.randrange(200):04d}", f"Z{rng.randrange(100):04d}", "X"]),
                "kind": rng.choice(KINDS), "role": rng.choice(["responsible", "assist"]),
                "funding_provided": rng.random() < 0.7, "one_vote_veto": rng.random() < 0.05}
        out.append((task, {"level": rng.choice(LEVELS)}, {"assessments_this_year": rng.randrange(4)}))
    return out
