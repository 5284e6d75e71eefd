"""On PostgreSQL the decision log's JSON is compressed with LZ4 (migration 0012) and kept in the row
(0014, with every other variable-length column): what an impact job reads row by row decompresses
several times faster than with the default pglz, without a lookup in the TOAST table for each row."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from jiceng.platform.decisions import append as log_append

JSON_COLUMNS = ("input", "target", "history", "pack", "reasons", "requirements", "items")


def _lz4(conn) -> bool:
    return "lz4" in conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
                                 ).scalar()


def _append(db, reasons: list) -> int:
    """A decision with these reasons, appended as the service appends it: its id."""
    e = log_append.entry(tenant="changsha", kind="check", actor="test", decided_on="2026-01-01", input={},
                         target={}, history={}, pack={}, outcome="reject", reasons=reasons, requirements=[])
    with db.transaction() as conn:
        (appended,) = log_append.write(conn, [e])
    return appended.id


def test_new_log_entries_are_compressed_with_lz4(fresh_database):
    db = fresh_database
    if db.is_sqlite:
        pytest.skip("SQLite does not compress")
    with db.autocommit() as conn:
        if not _lz4(conn):
            pytest.skip("this PostgreSQL was built without LZ4")
        methods = dict(conn.execute(text(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'decisions'::regclass AND attname = ANY(:names)"), {"names": list(JSON_COLUMNS)}).all())
    assert methods == {c: "l" for c in JSON_COLUMNS}
    # a reason long enough to be compressed, appended as the service appends: stored with LZ4
    reasons = [{"rule": f"r{i}", "message": "不得将行政执法事项交由社区承担" * 8} for i in range(20)]
    appended = _append(db, reasons)
    with db.autocommit() as conn:
        method = conn.execute(text("SELECT pg_column_compression(reasons) FROM decisions WHERE id = :id"),
                              {"id": appended}).scalar()
    assert method == "lz4"


def test_new_log_entries_keep_their_json_in_the_row(fresh_database):
    db = fresh_database
    if db.is_sqlite:
        pytest.skip("SQLite has no TOAST")
    with db.autocommit() as conn:
        storage = dict(conn.execute(text(  # every variable-length column (attlen -1)
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = 'decisions'::regclass AND attnum > 0 AND attlen = -1")).all())
        toast = conn.execute(text("SELECT reltoastrelid::regclass::text FROM pg_class "
                                  "WHERE oid = 'decisions'::regclass")).scalar()
        toasted = text(f"SELECT coalesce(sum(octet_length(chunk_data)), 0) FROM {toast}")
        before = conn.execute(toasted).scalar()
    assert set(JSON_COLUMNS) < set(storage) and set(storage.values()) == {"m"}
    # reasons of about 5.8 KB that do not compress, over the 2 KB TOAST target: with EXTENDED
    # storage they would be moved to the TOAST table (measured: 5,788 bytes more in it); with the
    # JSON alone MAIN, the hashes and times would (91 bytes)
    reasons = [{"rule": f"r{i}", "message": f"第{i}条:" + "".join(chr(0x4E00 + (i * 97 + k * 31) % 20000)
                                                                 for k in range(60))} for i in range(30)]
    appended = _append(db, reasons)
    with db.autocommit() as conn:
        size = conn.execute(text("SELECT pg_column_size(reasons) FROM decisions WHERE id = :id"),
                            {"id": appended}).scalar()
        added = conn.execute(toasted).scalar() - before
    assert size > 5000 and added == 0
