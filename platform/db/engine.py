"""The database handle: engine, sessions and write transactions.

SQLite (the default) and PostgreSQL behave alike for the service:

* a *write* transaction on SQLite starts with ``BEGIN IMMEDIATE``, so writers
  queue on the database lock before they read anything they will decide on;
* on PostgreSQL writers take row locks (``SELECT … FOR UPDATE``) through
  :meth:`Database.lock`, which is a no-op on SQLite where the whole database is
  already held.

Either way a decision that depends on counts (history facts) is made on data
no concurrent writer can change before the decision is committed.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///instance/jiceng.db"
SQLITE_BUSY_TIMEOUT_S = 30


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` means psycopg 3 here (the only PostgreSQL driver we depend on)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


class Database:
    """One engine plus the session factories the services use."""

    def __init__(self, url: str | URL = DEFAULT_URL, *, schema: Optional[str] = None, pool_size: int = 10):
        self.url = normalise_url(url)
        self.schema = schema
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = self._create_engine(pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    # ------------------------------------------------------------------ engine
    def _create_engine(self, pool_size: int) -> Engine:
        if self.is_sqlite:
            path = self.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                                           "check_same_thread": False})
            _configure_sqlite(engine)
            return engine
        connect_args = {}
        if self.schema:
            connect_args["options"] = f"-csearch_path={self.schema}"
        return create_engine(self.url, connect_args=connect_args, pool_size=pool_size,
                             max_overflow=pool_size, pool_pre_ping=False)

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; closed (its transaction rolled back) at the end.

        Objects read stay usable afterwards, detached with the values they were read with.
        """
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends normally, else rolled back."""
        session = self._sessions()
        if self.is_sqlite:
            session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def lock(self, session: Session, column, keys: Sequence) -> None:
        """Row-lock the rows whose ``column`` is in ``keys``, in key order (no deadlocks).

        On SQLite the write transaction already holds the database.
        """
        if self.is_sqlite or not keys:
            return
        session.execute(select(column).where(column.in_(sorted(set(keys)))).order_by(column)
                        .with_for_update()).all()


def _configure_sqlite(engine: Engine) -> None:
    """Let us issue BEGIN ourselves (pysqlite's own transaction handling would
    start deferred transactions), and set WAL, foreign keys and the busy wait."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
