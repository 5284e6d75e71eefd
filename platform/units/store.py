"""Writing many org units at once, inside the caller's transaction.

PostgreSQL gets ``COPY … FROM STDIN`` for new units (one stream instead of a statement
per row); SQLite gets ``executemany`` of one prepared statement. Changed units are updated
with ``executemany`` on both. Nothing here commits: the caller's transaction makes an
import all or nothing.

Each write also adds a :class:`~jiceng.platform.db.models.UnitChange` per tenant, listing the
codes written (up to :data:`MAX_LISTED`), in the same transaction: standards kept in memory
read it and re-evaluate only the counties those units are in.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from jiceng.platform.db.models import OrgUnit, UnitChange
from jiceng.platform.tenants.files import FLOAT_COLUMNS, INT_COLUMNS

#: the org_units columns in table order, as tuples are written
COLUMNS = ("code", "tenant_code", "parent_code", "level", "name") + INT_COLUMNS + FLOAT_COLUMNS
_CHUNK = 50_000
#: an import writing more units than this to one tenant is recorded as "everything changed"
MAX_LISTED = 20_000


class _Written:
    """The codes written, per tenant, as the rows stream past."""

    def __init__(self):
        self.codes: dict[str, list] = {}

    def watch(self, rows: Iterable[Sequence]) -> Iterator[Sequence]:
        for row in rows:
            codes = self.codes.setdefault(row[1], [])
            if codes is not None:
                codes.append(row[0])
                if len(codes) > MAX_LISTED:
                    self.codes[row[1]] = None
            yield row

    def record(self, session: Session) -> None:
        if self.codes:
            session.connection().execute(insert(UnitChange), [{"tenant_code": t, "codes": c}
                                                                for t, c in sorted(self.codes.items())])


def insert_units(session: Session, rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in :data:`COLUMNS` order); returns how many."""
    written = _Written()
    count = _insert(session, written.watch(rows))
    written.record(session)
    return count


def _insert(session: Session, rows: Iterable[Sequence]) -> int:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection, rows)
    sql = f"INSERT INTO org_units ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    raw = connection.connection.driver_connection
    count, chunk = 0, []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) >= _CHUNK:
            raw.executemany(sql, chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        raw.executemany(sql, chunk)
        count += len(chunk)
    return count


def _copy(connection, rows: Iterable[Sequence]) -> int:
    cursor = connection.connection.driver_connection.cursor()
    count = 0
    with cursor.copy(f"COPY org_units ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def update_units(session: Session, rows: Sequence[Sequence]) -> int:
    """Update the units ``rows`` (tuples in :data:`COLUMNS` order, matched by code)."""
    if not rows:
        return 0
    written = _Written()
    rows = list(written.watch(rows))
    written.record(session)
    table = OrgUnit.__table__
    values = {c: bindparam(f"v_{c}") for c in COLUMNS[1:]}
    stmt = update(table).where(table.c.code == bindparam("v_code")).values(
        {getattr(table.c, c): v for c, v in values.items()})
    params = [{f"v_{c}": v for c, v in zip(COLUMNS, row)} for row in rows]
    for start in range(0, len(params), _CHUNK):
        session.connection().execute(stmt, params[start:start + _CHUNK])
    return len(rows)
