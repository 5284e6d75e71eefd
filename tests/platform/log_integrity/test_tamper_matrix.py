"""The tamper matrix: twelve ways to rewrite the decision log, each against :func:`verify` without and
with the last signed checkpoint, on every database.

The log: Changsha 6 entries, Zhuzhou 3, Hunan 2; a checkpoint is signed over it, then one
tampering is applied. ``Case.without`` is what the chain's own links reveal (the hashes are
unkeyed: the careful cases, rehashed with the head moved, pass unnoticed — pinned, not hidden);
``Case.added_by_checkpoint`` is what the checkpoint adds. Every case is detected given the
checkpoint. The table is docs/reliability.md's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import delete

from jiceng.platform.db.models import Checkpoint, LogHead
from jiceng.platform.decisions import checkpoint as cp
from jiceng.platform.decisions.chain import GENESIS_HASH

from log_tampering import (append, content, delete_rows, insert_row, new_key, problem_codes, rechain, rows, set_head,
                           set_row, shift)

CS, ZZ = "changsha", "zhuzhou"


# ----------------------------------------------------------------------- the tamperings
def edited_rehashed(db):
    """Entry 3's outcome changed, the rest of the chain rehashed, the head moved."""
    third = rows(db, CS)[2]
    set_row(db, third.id, outcome="admit" if third.outcome != "admit" else "reject")
    rechain(db, CS)


def tail_truncated(db):
    """The last two entries deleted, the head moved back onto entry 4."""
    delete_rows(db, *[r.id for r in rows(db, CS)[4:]])
    rechain(db, CS)


def middle_deleted_renumbered(db):
    """Entry 3 deleted, entries 4–6 renumbered 3–5 and rehashed, the head moved."""
    delete_rows(db, rows(db, CS)[2].id)
    shift(db, CS, 4, -1)
    rechain(db, CS)


def tenant_erased(db):
    """Every Changsha entry deleted, and its head with them."""
    delete_rows(db, *[r.id for r in rows(db, CS)])
    with db.write() as s:
        s.execute(delete(LogHead).where(LogHead.tenant_code == CS))


def naive_edit(db):
    """Entry 3's outcome changed in place."""
    third = rows(db, CS)[2]
    set_row(db, third.id, outcome="admit" if third.outcome != "admit" else "reject")


def naive_delete(db):
    """Entry 3 deleted."""
    delete_rows(db, rows(db, CS)[2].id)


def reordered(db):
    """Entries 2 and 3 swap places (their ``seq``)."""
    second, third = rows(db, CS)[1:3]
    set_row(db, second.id, seq=100)
    set_row(db, third.id, seq=2)
    set_row(db, second.id, seq=3)


def head_moved_alone(db):
    """The head moved back onto entry 5; the entries untouched."""
    set_head(db, CS, 5, rows(db, CS)[4].hash)


def forged_inserted(db):
    """A forged entry inserted as entry 3 (the rest renumbered), everything rehashed, the head moved."""
    third = rows(db, CS)[2]
    shift(db, CS, 3, +1)
    insert_row(db, CS, 3, {**content(third), "actor": "token:999 admin@changsha", "outcome": "admit"})
    rechain(db, CS)


def tenant_changed(db):
    """Changsha's last entry relabelled as Zhuzhou's (its ``seq`` kept, which Zhuzhou does not use)."""
    set_row(db, rows(db, CS)[-1].id, tenant_code=ZZ)


def moved_between_tenants(db):
    """Changsha's entry 3 moved to the end of Zhuzhou's chain: both chains renumbered, rehashed, heads moved."""
    third = rows(db, CS)[2]
    delete_rows(db, third.id)
    shift(db, CS, 4, -1)
    rechain(db, CS)
    insert_row(db, ZZ, len(rows(db, ZZ)) + 1, {**content(third)})
    rechain(db, ZZ)


def duplicated(db):
    """Entry 3 duplicated right after itself (the rest renumbered), everything rehashed, the head moved."""
    third = rows(db, CS)[2]
    shift(db, CS, 4, +1)
    insert_row(db, CS, 4, {**content(third)})
    rechain(db, CS)


@dataclass(frozen=True)
class Case:
    tamper: Callable
    #: (tenant, code) found without a checkpoint: empty when the chain's own links hold
    without: frozenset
    #: what a checkpoint adds to it
    added_by_checkpoint: frozenset


def case(tamper, without=(), added=()):
    return pytest.param(Case(tamper, frozenset(without), frozenset(added)), id=tamper.__name__)


MATRIX = [
    # the four the issue names: invisible to the links, caught by the checkpoint
    case(edited_rehashed, added=[(CS, "log_rewritten")]),
    case(tail_truncated, added=[(CS, "log_shrank")]),
    case(middle_deleted_renumbered, added=[(CS, "log_shrank")]),
    case(tenant_erased, without=[(CS, "head_missing")], added=[(CS, "tenant_vanished")]),
    # the naive ones: the links already break; the checkpoint names what changed before it
    case(naive_edit, without=[(CS, "edited")], added=[(CS, "log_rewritten")]),
    case(naive_delete, without=[(CS, "deleted"), (CS, "broken_link")], added=[(CS, "log_shrank")]),
    case(reordered, without=[(CS, "broken_link"), (CS, "edited")], added=[(CS, "log_rewritten")]),
    case(head_moved_alone, without=[(CS, "head_mismatch")]),
    case(forged_inserted, added=[(CS, "log_rewritten")]),
    case(tenant_changed, without=[(CS, "head_mismatch"), (ZZ, "deleted"), (ZZ, "broken_link"), (ZZ, "edited"),
                                  (ZZ, "head_mismatch")],
         added=[(CS, "log_shrank")]),
    case(moved_between_tenants, added=[(CS, "log_shrank")]),
    case(duplicated, added=[(CS, "log_rewritten")]),
]


@pytest.fixture
def signed_log(fresh_database, tmp_path):
    """The log of the module's docstring and a checkpoint of it, re-read from its exported file."""
    db = fresh_database
    append(db, CS, 6)
    append(db, ZZ, 3)
    append(db, "hunan", 2)
    key_path, key = new_key(tmp_path)
    _id, doc = cp.make_checkpoint(db, key, "test")
    exported = tmp_path / "checkpoint.json"
    exported.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    signed = cp.open_document(cp.parse(exported.read_text(encoding="utf-8")),
                              cp.load_public_key(cp.public_key_path(key_path)))
    assert problem_codes(db) == set() and problem_codes(db, signed.heads) == set()
    return db, signed


@pytest.mark.parametrize("c", MATRIX)
def test_tamper_matrix(signed_log, c: Case):
    db, signed = signed_log
    c.tamper(db)
    assert problem_codes(db) == c.without
    found = problem_codes(db, signed.heads)
    assert found == c.without | c.added_by_checkpoint
    assert found, "every tampering is detected given the last checkpoint"


def test_the_stored_checkpoint_copy_is_not_what_verification_trusts(signed_log):
    """Deleting (or rewriting) the table's copies changes nothing: the heads come from the file."""
    db, signed = signed_log
    edited_rehashed(db)
    with db.write() as s:
        s.execute(delete(Checkpoint))
    assert problem_codes(db, signed.heads) == {(CS, "log_rewritten")}


def test_a_whole_log_reset_to_genesis_passes_the_links_and_shrinks_against_the_checkpoint(signed_log):
    """The stealthier erasure: entries deleted and the head reset to genesis rather than deleted —
    the tenant then looks brand new; only the checkpoint says it had six entries."""
    db, signed = signed_log
    delete_rows(db, *[r.id for r in rows(db, CS)])
    set_head(db, CS, 0, GENESIS_HASH)
    assert problem_codes(db) == set()
    assert problem_codes(db, signed.heads) == {(CS, "log_shrank")}


def test_entries_appended_after_the_checkpoint_are_only_as_safe_as_the_links(signed_log):
    """The limit, pinned: an entry forged *after* the last checkpoint, rehashed with the head moved,
    extends the signed head like any genuine append. The next checkpoint would sign it; the window
    is the time between checkpoints (docs/reliability.md)."""
    db, signed = signed_log
    last = rows(db, CS)[-1]
    insert_row(db, CS, last.seq + 1, {**content(last), "actor": "token:999 admin@changsha"})
    rechain(db, CS)
    assert problem_codes(db) == set()
    assert problem_codes(db, signed.heads) == set()


def test_entries_appended_after_the_checkpoint_still_verify(signed_log):
    db, signed = signed_log
    append(db, CS, 2)
    append(db, "heilongjiang", 1)  # a chain the checkpoint did not know: nothing to compare with
    assert problem_codes(db, signed.heads) == set()
