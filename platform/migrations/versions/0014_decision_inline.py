"""decision log rows kept in one piece on PostgreSQL (rows written from now on)

A logged decision is about 2.4 KB once its JSON is compressed (0012: LZ4), over PostgreSQL's 2 KB
TOAST target, so with the default ``EXTENDED`` storage the largest value of most rows (its
reasons) was moved out of the row into the TOAST table. Every row an impact job reads then cost
a lookup in the TOAST index and a second heap fetch: measured with ``COPY … TO STDOUT`` over
200,000 rows, 1.9–2.1 s against 1.4–1.5 s with the same rows stored ``MAIN`` (compressed, kept in
the row; moved out only when a row would not fit in a page). Every variable-length column is
``MAIN``, not only the JSON: with the JSON alone ``MAIN``, PostgreSQL moved the small text columns
(hashes, times) out of the row instead, to get it under the target. The table holds the same
bytes, in the heap (523 MB for those rows against 386 + 139 MB of heap and TOAST). Nothing changes
for SQLite; rows already written keep their place until rewritten, and both read the same.

Revision ID: 0014
Revises: 0013
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

#: the variable-length columns of ``decisions`` (the others are integers)
COLUMNS = ("tenant_code", "kind", "actor", "created_at", "decided_on", "outcome", "prev_hash", "hash",
           "input", "target", "history", "pack", "reasons", "requirements", "items")


def _set(storage: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE decisions {', '.join(f'ALTER COLUMN {c} SET STORAGE {storage}' for c in COLUMNS)}")


def upgrade() -> None:
    _set("MAIN")


def downgrade() -> None:
    _set("EXTENDED")
