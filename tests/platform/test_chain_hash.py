"""The decision log is a hash *chain*: each entry's hash covers its predecessor's hash.

Without that link every entry would still hash its own content, every test of
editing or deleting a row would still pass, and the database and Python would
still agree with each other — yet the head of the chain would commit to the last
entry only: rewrite an early entry, rehash it, relink its successor, and nothing
would notice. These tests pin the link itself:

* ``hash_n = sha256(hash_{n-1} + "\\n" + canonical payload_n)``, written out here with
  :mod:`hashlib` rather than through the module's own helpers;
* changing any hash changes every later one;
* a rewritten or reordered entry, rehashed and relinked by someone who can compute
  hashes but leaves the later entries alone, fails verification;
* the hashes PostgreSQL computes in SQL on append are that formula, for random
  entries (on SQLite the append hashes in Python: the same assertions hold), and
  :data:`SQL_CHAIN_HASH` alone is :func:`chain_hash` for random text of any kind.
"""
from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select, text, update

from jiceng.platform.db.models import Decision, LogHead
from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions.chain import GENESIS_HASH, HASHED_FIELDS, SQL_CHAIN_HASH, chain_hash, entry_hash
from jiceng.platform.decisions.log import append_all, verify


def spec_hash(prev_hash: str, payload: str) -> str:
    """The chain's formula, independent of the code under test."""
    return hashlib.sha256((prev_hash + "\n" + payload).encode("utf-8")).hexdigest()


def payload_of(fields: dict) -> str:
    """``items`` is hashed only when an entry holds it (entries logged before it have none)."""
    return json.dumps({k: fields[k] for k in HASHED_FIELDS if k != "items" or fields.get(k) is not None},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fields(i: int, **changes) -> dict:
    base = {"tenant_code": "changsha", "seq": i, "kind": "check", "actor": f"token:{i}",
            "created_at": f"2024-06-01T08:00:{i % 60:02d}.000000Z", "decided_on": "2024-06-01",
            "input": {"task": {"title": f"事项{i}"}}, "target": {"level": "community"}, "history": {},
            "pack": {"tenant": "changsha"}, "outcome": "admit", "reasons": [], "requirements": []}
    return {**base, **changes}


def chain_of(entries: list[dict], start: str = GENESIS_HASH) -> list[str]:
    hashes, prev = [], start
    for f in entries:
        prev = entry_hash(prev, f)
        hashes.append(prev)
    return hashes


hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
#: any text the API lets into a log entry: no lone surrogates, no NUL (api/body.py refuses both;
#: PostgreSQL's JSON functions cannot take ``\u0000``)
json_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), json_text,
              st.floats(allow_nan=False, allow_infinity=False, width=64)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(json_text, inner, max_size=3)),
    max_leaves=8)


# ----------------------------------------------------------------------- the formula, in Python
@settings(max_examples=200, deadline=None)
@given(hex64, hex64, st.integers(1, 10**6))
def test_an_entry_hash_is_the_previous_hash_then_the_payload(prev, other, seq):
    f = fields(seq)
    assert entry_hash(prev, f) == spec_hash(prev, payload_of(f))
    e = log_append.entry(tenant="changsha", kind="check", actor="a", decided_on="2024-06-01", input={"n": seq},
                         target={}, history={}, pack={}, outcome="admit", reasons=[], requirements=[])
    assert chain_hash(prev, e.payload(seq)) == spec_hash(prev, f"{e.prefix}{seq}{e.suffix}")
    if prev != other:
        assert entry_hash(prev, f) != entry_hash(other, f)
        assert chain_hash(prev, e.payload(seq)) != chain_hash(other, e.payload(seq))


def test_changing_any_entry_changes_every_later_hash():
    entries = [fields(i) for i in range(1, 8)]
    original = chain_of(entries)
    assert len(set(original)) == len(original)
    for k in range(len(entries)):
        changed = list(entries)
        changed[k] = fields(k + 1, outcome="reject")
        hashes = chain_of(changed)
        assert hashes[:k] == original[:k]
        assert all(a != b for a, b in zip(hashes[k:], original[k:])), f"entry {k + 1} changed"
    other_start = chain_of(entries, start="f" * 64)
    assert all(a != b for a, b in zip(other_start, original))


def test_the_head_commits_to_the_order_of_the_entries():
    entries = [fields(i) for i in range(1, 5)]
    swapped = [entries[0], {**entries[2], "seq": 2}, {**entries[1], "seq": 3}, entries[3]]
    assert chain_of(swapped)[-1] != chain_of(entries)[-1]
    # the last entry is the same in both orders: only the link carries the order
    assert swapped[-1] == entries[-1]


# ----------------------------------------------------------------------- verification of a stored chain
def append(db, n: int, tenant: str = "changsha") -> list:
    out = []
    for i in range(n):
        e = log_append.entry(tenant=tenant, kind="check", actor=f"token:{i}", decided_on="2024-06-01",
                             input={"task": {"title": f"事项{i}"}}, target={"level": "community"},
                             history={"plaques": i}, pack={"tenant": tenant}, outcome=("admit", "reject")[i % 2],
                             reasons=[{"rule": f"R{i}"}], requirements=[])
        with db.write() as s:
            out += append_all(s, [e])
    return out


def rows_of(db, tenant: str = "changsha") -> list[Decision]:
    with db.read() as s:
        return list(s.execute(select(Decision).where(Decision.tenant_code == tenant)
                              .order_by(Decision.seq)).scalars())


def stored_fields(row: Decision) -> dict:
    return {k: getattr(row, k) for k in HASHED_FIELDS}


def problems(db, tenant: str = "changsha") -> list[str]:
    with db.read() as s:
        return [p.code for p in verify(s, [tenant])[0].problems]


def rewrite(db, row_id: int, **values) -> None:
    with db.write() as s:
        s.execute(update(Decision).where(Decision.id == row_id).values(**values))


def test_a_stored_chain_links_each_hash_to_the_one_before(fresh_database):
    db = fresh_database
    append(db, 4)
    rows = rows_of(db)
    prev = GENESIS_HASH
    for row in rows:
        assert row.prev_hash == prev
        assert row.hash == spec_hash(prev, payload_of(stored_fields(row)))
        prev = row.hash
    with db.read() as s:
        assert s.get(LogHead, "changsha").last_hash == rows[-1].hash
    assert problems(db) == []


def test_a_rewritten_entry_rehashed_and_relinked_still_breaks_the_chain(fresh_database):
    """Entry 2 rewritten and given a correct hash of its own, entry 3's link pointed at it: entry 3's
    hash covered the old link, so it no longer matches — nor does anything after it."""
    db = fresh_database
    append(db, 4)
    second, third = rows_of(db)[1:3]
    forged = {**stored_fields(second), "outcome": "reject" if second.outcome == "admit" else "admit"}
    forged_hash = entry_hash(second.prev_hash, forged)
    rewrite(db, second.id, outcome=forged["outcome"], hash=forged_hash)
    rewrite(db, third.id, prev_hash=forged_hash)
    assert problems(db) == ["edited"]
    assert [r.seq for r in rows_of(db) if r.hash != entry_hash(r.prev_hash, stored_fields(r))] == [3]


def test_two_entries_swapped_rehashed_and_relinked_still_break_the_chain(fresh_database):
    """The walk in ``seq`` order fails when two entries trade places, even rehashed and relinked by
    someone who leaves the entries after them alone."""
    db = fresh_database
    append(db, 4)
    rows = rows_of(db)
    first, second, third, fourth = rows
    content = ("kind", "actor", "created_at", "decided_on", "input", "target", "history", "pack", "outcome",
               "reasons", "requirements")
    new_second = {**stored_fields(third), "seq": 2}
    new_third = {**stored_fields(second), "seq": 3}
    h2 = entry_hash(first.hash, new_second)
    h3 = entry_hash(h2, new_third)
    rewrite(db, second.id, **{k: new_second[k] for k in content}, prev_hash=first.hash, hash=h2)
    rewrite(db, third.id, **{k: new_third[k] for k in content}, prev_hash=h2, hash=h3)
    rewrite(db, fourth.id, prev_hash=h3)
    assert [r.actor for r in rows_of(db)] == ["token:0", "token:2", "token:1", "token:3"]
    assert problems(db) == ["edited"]  # entry 4 hashed the old entry 3's hash


def test_a_head_moved_back_onto_a_rewritten_chain_is_caught(fresh_database):
    """Rewriting every entry from the second on, correctly rehashed, gives a new head: the chain
    verifies only if the head is moved too, so a head recorded elsewhere exposes it."""
    db = fresh_database
    append(db, 3)
    rows = rows_of(db)
    with db.read() as s:
        recorded_head = s.get(LogHead, "changsha").last_hash
    prev = rows[0].hash
    for row in rows[1:]:
        f = {**stored_fields(row), "actor": row.actor + " (forged)"}
        h = entry_hash(prev, f)
        rewrite(db, row.id, actor=f["actor"], prev_hash=prev, hash=h)
        prev = h
    assert problems(db) == ["head_mismatch"]
    assert prev != recorded_head


# ----------------------------------------------------------------------- the database's hashes
def random_entry(tenant: str, data: dict) -> log_append.Entry:
    return log_append.entry(tenant=tenant, kind=data["kind"], actor=data["actor"], decided_on=data["decided_on"],
                            input={"task": data["task"]}, target=data["target"], history=data["history"],
                            pack={"tenant": tenant, "digest": data["digest"]}, outcome=data["outcome"],
                            reasons=data["reasons"], requirements=data["requirements"])


plain_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
entries = st.lists(st.tuples(st.sampled_from(["changsha", "hunan", "zhuzhou"]), st.fixed_dictionaries({
    "kind": st.sampled_from(["check", "assignment"]), "actor": plain_text,
    "decided_on": st.dates().map(str), "task": st.dictionaries(json_text, json_values, max_size=4),
    "target": st.dictionaries(json_text, json_values, max_size=3),
    "history": st.dictionaries(json_text, st.integers(0, 10**6), max_size=3), "digest": hex64,
    "outcome": st.sampled_from(["admit", "conditional", "reject"]), "reasons": st.lists(json_values, max_size=3),
    "requirements": st.lists(st.fixed_dictionaries({"code": json_text, "message": json_text}), max_size=2)})),
    min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=entries)
def test_the_database_appends_the_hash_python_computes(database, batch):
    """One batch appended by :func:`append_all` (in SQL on PostgreSQL): each row's hash is
    the formula over the previous head or entry of its tenant and the row as stored, and is the
    hash the verifier recomputes in Python."""
    db = database
    tenants = sorted({t for t, _ in batch})
    with db.read() as s:
        heads = {t: (s.get(LogHead, t).last_seq, s.get(LogHead, t).last_hash) for t in tenants}
    made = [random_entry(t, data) for t, data in batch]
    with db.write() as s:
        results = append_all(s, made)
    with db.read() as s:
        stored = {r.id: s.get(Decision, r.id) for r in results}
        after = {t: s.get(LogHead, t).last_hash for t in tenants}
        assert all(not report.problems for report in verify(s, tenants))
    for e, r in zip(made, results):
        seq, prev = heads[e.tenant]
        row = stored[r.id]
        assert (row.seq, row.prev_hash) == (r.seq, prev) == (seq + 1, prev)
        expected = spec_hash(prev, e.prefix + str(seq + 1) + e.suffix)
        assert r.hash == row.hash == expected
        assert row.hash == spec_hash(prev, payload_of(stored_fields(row))) == entry_hash(prev, stored_fields(row))
        heads[e.tenant] = (seq + 1, expected)
    assert after == {t: h for t, (_seq, h) in heads.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prev=hex64, payload=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                                   max_size=200))
def test_the_sql_form_of_the_link_is_the_python_one(database, prev, payload):
    """The one definition is :func:`chain_hash`; the append on PostgreSQL runs its SQL form. Here the
    SQL form is evaluated on its own, over any text (newlines, backslashes, quotes, astral planes)."""
    if database.is_sqlite:
        pytest.skip("SQLite has no sha256: its append hashes through chain_hash itself")
    expr = SQL_CHAIN_HASH.format(prev="CAST(:prev AS text)", payload="CAST(:payload AS text)")
    with database.read() as s:
        assert s.execute(text(f"SELECT {expr}"), {"prev": prev, "payload": payload}).scalar_one() \
            == chain_hash(prev, payload) == spec_hash(prev, payload)
