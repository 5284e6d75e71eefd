"""log_append.write on SQLite and PostgreSQL: the hash PostgreSQL computes in SQL is the one the
verifier recomputes in Python, rows are the hashed payload, entries of several tenants and a
tenant without a chain in one batch."""
from __future__ import annotations

from sqlalchemy import select

from jiceng.platform.db.models import Decision
from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions.chain import chain_hash
from jiceng.platform.decisions.log import verify

AWKWARD = ["引号\"与反斜杠\\", "换行\n制表\t回车\r", "\u2028\u2029", "😀 emoji", "'; DROP TABLE decisions; --",
           "\\u0041 is not A", "{\"json\": \"in text\"}"]


def make(tenant: str, i: int) -> log_append.Entry:
    text = AWKWARD[i % len(AWKWARD)]
    return log_append.entry(tenant=tenant, kind="check", actor=f"token:{i} {text}", decided_on="2024-06-01",
                            input={"task": {"title": text, "n": i, "x": 1.5}}, target={"level": "community"},
                            history={"plaques": 0}, pack={"tenant": tenant}, outcome="admit",
                            reasons=[{"message": text}], requirements=[])


def test_a_batch_of_several_tenants_chains_each_and_verifies(fresh_database):
    db = fresh_database
    batch = [make(t, i) for i, t in enumerate(["changsha", "hunan", "changsha", "nowhere", "changsha", "hunan"])]
    with db.transaction() as conn:
        results = log_append.write(conn, batch)
    assert isinstance(results[3], log_append.NoChainHead)
    appended = [r for r in results if not isinstance(r, Exception)]
    assert [r.seq for r in appended] == [1, 1, 2, 3, 2]
    with db.read() as s:
        rows = {d.id: d for d in s.execute(select(Decision)).scalars()}
        reports = {r.tenant: r for r in verify(s, ["changsha", "hunan"])}
    assert sorted(rows) == sorted(r.id for r in appended)
    for e, r in zip(batch, results):
        if isinstance(r, Exception):
            continue
        row = rows[r.id]
        assert row.hash == r.hash == chain_hash(row.prev_hash, e.payload(r.seq))
        assert row.actor == dict(zip(log_append.COLUMNS, e.values))["actor"]
        assert row.input["task"]["title"] == AWKWARD[batch.index(e) % len(AWKWARD)]
    assert reports["changsha"].problems == [] and reports["changsha"].entries == 3
    assert reports["hunan"].problems == [] and reports["hunan"].entries == 2


def test_appends_in_turn_link_to_each_other(fresh_database):
    db = fresh_database
    hashes = []
    for i in range(3):
        with db.transaction() as conn:
            [r] = log_append.write(conn, [make("changsha", i)])
        hashes.append(r.hash)
    with db.read() as s:
        rows = s.execute(select(Decision).order_by(Decision.seq)).scalars().all()
        assert [d.prev_hash for d in rows[1:]] == hashes[:2] and [d.hash for d in rows] == hashes
        assert verify(s, ["changsha"])[0].problems == []
