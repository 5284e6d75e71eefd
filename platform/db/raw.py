"""Core statements compiled once and run on a DBAPI cursor (the hot path).

A statement stays defined once, in SQLAlchemy Core, next to the code that
means it; :class:`Prepared` renders it for the database at hand and turns
parameters into what the driver takes (the bind processors SQLAlchemy would
have applied, e.g. dates as ISO text on SQLite), so running it costs what the
driver costs and nothing more.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from sqlalchemy.engine import Dialect
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
        row = cursor.fetchone()
        if row is None:
            raise LookupError("the prepared statement returned no row")
        return tuple(row)
