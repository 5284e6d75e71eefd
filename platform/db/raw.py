"""The hot path's DBAPI access: Core statements compiled once, and connections of its own.

A statement stays defined once, in SQLAlchemy Core, next to the code that
means it; :class:`Prepared` renders it for the database at hand and turns
parameters into what the driver takes (the bind processors SQLAlchemy would
have applied, e.g. dates as ISO text on SQLite), so running it costs what the
driver costs and nothing more.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import Executable


class Prepared:
    """``stmt`` compiled for ``dialect``; :meth:`one` runs it and returns its single row."""

    def __init__(self, stmt: Executable, dialect: Dialect):
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self._defaults: dict[str, Any] = {}
        self._processors: dict[str, Any] = {}
        self._keys: dict[str, str] = {}
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError(f"expanding parameter {name!r} cannot be prepared once")
            name = compiled.escaped_bind_names.get(name, name)
            self._keys[bind.key] = name
            self._defaults[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._order: Optional[tuple[str, ...]] = tuple(compiled.positiontup) if compiled.positional else None

    def parameters(self, values: Mapping[str, Any]):
        """The driver's parameters for ``values`` (keyed by the statement's ``bindparam`` names)."""
        params = dict(self._defaults)
        for key, value in values.items():
            params[self._keys[key]] = value
        for name, processor in self._processors.items():
            params[name] = processor(params[name])
        return [params[n] for n in self._order] if self._order is not None else params

    def one(self, cursor, values: Mapping[str, Any]) -> tuple:
        """Run on ``cursor`` and return the one row the statement yields."""
        cursor.execute(self.sql, self.parameters(values))
        rows = cursor.fetchall()  # to the end: a SQLite statement left unfinished holds a read snapshot
        if len(rows) != 1:
            raise LookupError(f"the prepared statement returned {len(rows)} rows, not one")
        return tuple(rows[0])


class RawConnections:
    """DBAPI connections for the hot path, in autocommit mode, handed out most recent first.

    Each is opened through the engine (so it is configured like every other connection:
    SQLite's pragmas, PostgreSQL's ``search_path``) and then detached from the engine's pool:
    taking one costs a list pop instead of a pool checkout and its events (~10 us each way).
    A connection that failed is closed, never reused; after a fork the parent's connections
    are left alone (their sockets and locks belong to the parent).
    """

    def __init__(self, engine: Engine, keep: int = 32):
        self._engine = engine
        self._keep = keep
        self._free: list = []
        self._pid = os.getpid()
        self._postgresql = engine.dialect.name == "postgresql"

    def take(self):
        """A connection for this thread's exclusive use until :meth:`give_back` or :meth:`discard`."""
        if self._pid != os.getpid():
            self._free, self._pid = [], os.getpid()
        try:
            return self._free.pop()
        except IndexError:
            pooled = self._engine.raw_connection()
            conn = pooled.driver_connection
            pooled.detach()
            if self._postgresql:
                conn.autocommit = True  # SQLite's connections have no implicit transactions already
            return conn

    def give_back(self, conn) -> None:
        if len(self._free) < self._keep and self._pid == os.getpid():
            self._free.append(conn)
        else:
            self.discard(conn)

    @staticmethod
    def discard(conn, cursor=None) -> None:
        """Close ``conn`` after a failure: its cursor first, then whatever transaction is open is
        rolled back (a SQLite connection closed with a statement still open lingers, holding its
        locks), then the connection itself. A broken connection may fail at each step."""
        for step in ((cursor.close if cursor is not None else None), conn.rollback, conn.close):
            if step is None:
                continue
            try:
                step()
            except Exception:  # noqa: BLE001 - nothing more can be done for this connection
                pass

    def close_all(self) -> None:
        free, self._free = self._free, []
        for conn in free:
            self.discard(conn)
