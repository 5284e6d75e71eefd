"""The database handle: engine, sessions and write transactions.

SQLite (the default) and PostgreSQL behave alike for the service:

* a *write* transaction on SQLite starts with ``BEGIN IMMEDIATE``, so writers
  queue on the database lock before they read anything they will decide on.
  They queue first on a lock file (``flock``) and a thread lock: SQLite's own
  busy handler sleeps 1, 2, 5, 10 … ms between retries, which under load
  costs far more than the write itself; a kernel lock wakes the next writer
  at once;
* on PostgreSQL writers take row locks (``SELECT … FOR UPDATE``) through
  :meth:`Database.lock`, which is a no-op on SQLite where the whole database is
  already held.

Either way a decision that depends on counts (history facts) is made on data
no concurrent writer can change before the decision is committed.

The admission check's hot path skips the ORM session, not SQLAlchemy:
:meth:`Database.autocommit` and :meth:`Database.transaction` hand out a Core
:class:`~sqlalchemy.engine.Connection` from the engine's pool. Before the pool
hands out a PostgreSQL connection it looks whether the server has closed it
(:func:`_refuse_closed_connections`: a zero-timeout ``poll`` of its socket, no
round trip), so connections a server restart has cut are replaced instead of
failing the request; and it hands out the most recently used one first
(``pool_use_lifo``): under light load the same few stay warm and the rest time
out at the server.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from select import POLLIN, POLLPRI, poll
from typing import Iterator, Optional, Sequence

import psycopg
from sqlalchemy import bindparam, create_engine, event, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///instance/jiceng.db"
#: how long a statement waits for a lock before it fails: SQLite's busy timeout (a writer
#: waiting for the database), PostgreSQL's ``lock_timeout`` (a row or table lock: an append to
#: the same chain head, an assignment to the same unit, a person's open transaction in psql)
LOCK_TIMEOUT_S = 30


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` means psycopg 3 here (the only PostgreSQL driver we depend on)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


class Database:
    """One engine plus the session factories the services use.

    ``lock_timeout_s``: how long a statement waits for a lock before it fails (:data:`LOCK_TIMEOUT_S`).
    """

    def __init__(self, url: str | URL = DEFAULT_URL, *, schema: Optional[str] = None, pool_size: int = 10,
                 lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.url = normalise_url(url)
        self.schema = schema
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._writer = _WriterQueue(self._lock_file()) if self.is_sqlite else None
        self.engine = self._create_engine(pool_size, lock_timeout_s)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # PostgreSQL: reads in READ ONLY transactions (psycopg puts it in the BEGIN it sends),
        # ended with COMMIT — see :meth:`read`
        self._readers = self._sessions if self.is_sqlite else sessionmaker(
            self.engine.execution_options(postgresql_readonly=True), expire_on_commit=False, autoflush=False)

    # ------------------------------------------------------------------ engine
    def _create_engine(self, pool_size: int, lock_timeout_s: float) -> Engine:
        if self.is_sqlite:
            path = self.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # no pre-ping: a file has no server that could drop the connection
            engine = create_engine(self.url, connect_args={"timeout": lock_timeout_s,
                                                           "check_same_thread": False}, pool_use_lifo=True)
            _configure_sqlite(engine, lock_timeout_s)
            return engine
        # a lock never waited for without end: past lock_timeout the statement fails (SQLSTATE
        # 55P03, an OperationalError: the API answers 503 database_unavailable) and the
        # transaction is rolled back, instead of the request's thread waiting for good
        given = self.url.query.get("options", ())  # libpq options in the URL itself come first
        options = [given] if isinstance(given, str) else list(given)
        options.append(f"-clock_timeout={max(1, round(lock_timeout_s * 1000))}")
        if self.schema:
            options.append(f"-csearch_path={self.schema}")
        engine = create_engine(self.url, connect_args={"options": " ".join(options)}, pool_size=pool_size,
                               max_overflow=pool_size, pool_use_lifo=True)
        event.listen(engine, "checkout", _refuse_closed_connections)
        return engine

    def _lock_file(self) -> Optional[Path]:
        path = self.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        return Path(path).with_name(Path(path).name + ".write-lock")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer is not None:
            self._writer.close()

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading, closed at the end.

        Objects read stay usable afterwards, detached with the values they were read with.
        On SQLite each statement reads the latest commit: there is no transaction to open and close.
        The session is opened on first use: a request served from the runtime's caches opens none.

        On PostgreSQL its transaction is ``READ ONLY`` (a write in it fails) and ends with
        ``COMMIT``, also when the block raises an error of its own (a 404, a refusal); only
        after a database error is it rolled back. Its objects are detached before the commit,
        so an object changed in a read is not written (nor an error). A read-only transaction
        has nothing to commit or undo, but psycopg forgets every statement it prepared on the
        connection at a rollback (and sends ``DEALLOCATE ALL``): one read rolled back between
        two checks on a pooled connection made the checks' statements be parsed and planned
        anew, three times the server CPU per check (``tests/platform/db/test_connections.py``).
        """
        session = _LazySession(self._readers)
        commit = not self.is_sqlite
        try:
            yield session  # type: ignore[misc] - a Session to every caller
        except DBAPIError:
            commit = False
            raise
        finally:
            session.close_if_opened(commit=commit)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends normally, else rolled back."""
        with self._writer if self._writer is not None else _NO_QUEUE:
            session = self._sessions()
            if self.is_sqlite:
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    # ------------------------------------------------------------------ the hot path: Core connections
    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A pooled connection in autocommit mode: each statement is a transaction of its own
        (a read sees the latest commit; a write is durable when the statement returns) and
        costs one round trip, with no BEGIN and ROLLBACK around it.

        SQLite's connections are in autocommit mode already (nothing but a write issues BEGIN
        there). A PostgreSQL connection is switched for this checkout only, on the connection:
        an engine made with ``execution_options(isolation_level=...)`` would do it through an
        event listener, and any listener makes SQLAlchemy dispatch events around every statement.
        """
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def transaction(self, via: Optional[Connection] = None) -> Iterator[Connection]:
        """A pooled connection inside a write transaction, committed when the block ends normally,
        else rolled back. SQLite: ``BEGIN IMMEDIATE`` behind the writer queue, as :meth:`write`.

        ``via``: a connection the caller already holds from :meth:`autocommit` (SQLite only: the
        admission check's, whose reads are over), used instead of checking out another one."""
        with self._writer if self._writer is not None else _NO_QUEUE:
            if via is None:
                with self.engine.connect() as conn, conn.begin():
                    if self.is_sqlite:
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    yield conn
                return
            if not self.is_sqlite:
                raise ValueError("transaction(via=...) is for SQLite's autocommit connections")
            if via.in_transaction():  # SQLAlchemy's own autobegin of the reads: nothing is open in SQLite
                via.commit()
            with via.begin():
                via.exec_driver_sql("BEGIN IMMEDIATE")
                yield via

    @contextmanager
    def joined(self, conn: Connection) -> Iterator[Session]:
        """A session inside ``conn``'s transaction (:meth:`transaction`), opened on first use:
        a request served from the runtime's caches opens none. Closing it leaves the
        transaction to ``conn``'s owner (SQLAlchemy's "join an external transaction")."""
        session = _LazySession(partial(self._sessions, bind=conn))
        try:
            yield session  # type: ignore[misc] - a Session to every caller
        finally:
            session.close_if_opened()

    def lock_then_read(self, conn: Connection, column, keys: Sequence, read, params: dict) -> list:
        """Row-lock the rows whose ``column`` is in ``keys`` (as :meth:`lock`), then run ``read``
        and return its rows.

        The read is a statement of its own, after the lock: under READ COMMITTED its snapshot
        is taken once the locks are held, so it sees every write committed by whoever held
        them before (one statement doing both would read a snapshot taken before waiting).
        On PostgreSQL the transaction's BEGIN, the lock and the read still cost one round
        trip: they are sent together in psycopg's pipeline mode on ``conn``'s pooled driver
        connection (``read`` is compiled once; it must take no expanding parameters — pass
        lists to ``= ANY(...)``, or, for one key, compare with ``=``: PostgreSQL keeps a generic plan
        for that, and re-plans ``= ANY`` on every run). A database error is raised as SQLAlchemy
        raises it.
        """
        if self.is_sqlite:
            return conn.execute(read, params).all()
        keys = sorted(set(keys))
        one = len(keys) == 1
        lock = _LOCKS.get((column, one))
        if lock is None:
            # one key: "= %(key)s", whose generic plan PostgreSQL keeps for the prepared statement;
            # with "= ANY(array)" it plans every execution anew (its custom plan looks cheaper)
            name, table = column.name, column.table.name
            lock = _LOCKS[(column, one)] = (f"SELECT {name} FROM {table} WHERE {name} = "
                                            f"{'%(key)s' if one else 'ANY(%(keys)s)'} ORDER BY {name} FOR UPDATE")
        sql, values = _driver_sql(conn, read, params)
        driver = conn.connection.driver_connection
        with _raised_as_sqlalchemy(conn, sql, values):
            with driver.pipeline():
                driver.execute(lock, {"key": keys[0]} if one else {"keys": keys})
                cursor = driver.execute(sql, values)
            return cursor.fetchall()

    def lock(self, session: Session, column, keys: Sequence) -> None:
        """Row-lock the rows whose ``column`` is in ``keys``, in key order (no deadlocks).

        On SQLite the write transaction already holds the database.
        """
        if self.is_sqlite or not keys:
            return
        stmt = (select(column).where(column.in_(bindparam("keys", expanding=True))).order_by(column)
                .with_for_update())
        session.connection().execute(stmt, {"keys": sorted(set(keys))}).all()


def execute_and_commit(conn: Connection, statement, params: dict) -> list:
    """Run ``statement`` (the last of ``conn``'s transaction, :meth:`Database.transaction`) and
    commit the transaction; its rows.

    On PostgreSQL the statement and the COMMIT go in one round trip (psycopg's pipeline mode on
    the pooled driver connection; when the statement fails, the COMMIT is not run and the
    transaction is rolled back as usual); the commit that ends ``conn``'s transaction block then
    finds nothing left to do. ``statement`` is compiled once and must take no expanding
    parameters. On SQLite it runs as usual and the block's end commits."""
    if conn.dialect.name == "sqlite":
        return conn.execute(statement, params).all()
    sql, values = _driver_sql(conn, statement, params)
    driver = conn.connection.driver_connection
    with _raised_as_sqlalchemy(conn, sql, values):
        with driver.pipeline():
            cursor = driver.execute(sql, values)
            driver.commit()
        return cursor.fetchall()


_LOCKS: dict[tuple, str] = {}  # lock_then_read's lock statement per (column, one key)
_COMPILED: dict[tuple, object] = {}  # statements run on the driver connection, compiled per dialect


def _driver_sql(conn: Connection, statement: ClauseElement, params: dict) -> tuple[str, dict]:
    """``statement`` as the driver runs it: its SQL text (compiled once) and its parameters."""
    key = (statement, conn.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = statement.compile(dialect=conn.dialect)
    return compiled.string, compiled.construct_params(params)


@contextmanager
def _raised_as_sqlalchemy(conn: Connection, sql: str, values: dict) -> Iterator[None]:
    """A driver error raised as SQLAlchemy raises it (``OperationalError`` … : the API answers
    a busy or unreachable database with 503 whichever way the statement ran)."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as e:
        raise DBAPIError.instance(sql, values, e, base) from e


def _refuse_closed_connections(dbapi_connection, _record, _proxy) -> None:
    """Pool ``checkout`` event (PostgreSQL): a connection the server has closed is not handed out.

    An idle connection has nothing to read: the server speaks only when asked (we use no
    LISTEN). When a restart, ``pg_terminate_backend`` or ``idle_session_timeout`` ends its
    backend, the server's goodbye (an error message, then end of file) makes the socket
    readable. So a zero-timeout ``poll`` of the socket finds those connections without a
    round trip, where ``pool_pre_ping`` sent a query on every checkout (a third of a check's
    round trips). :class:`~sqlalchemy.exc.DisconnectionError` is SQLAlchemy's way for a
    checkout listener to have the connection discarded and a fresh one handed out instead.
    Anything unexpected on the socket is treated the same way: a fresh connection costs a
    connect, never a failed request.

    Like the ping, this cannot see a server that vanished without closing its sockets (a
    host losing power behind a silent network): the statement then fails when TCP gives up,
    as the ping would have. A server that closes the connection after this look and before
    the first statement fails that statement, as it would right after a ping; SQLAlchemy
    then invalidates every connection the pool held at that moment.
    """
    try:
        socket = dbapi_connection.fileno()
    except psycopg.Error:  # closed on this side already: psycopg has no socket to give
        raise DisconnectionError("PostgreSQL 连接已关闭") from None
    poller = poll()
    poller.register(socket, POLLIN | POLLPRI)
    if poller.poll(0):  # readable, or POLLHUP / POLLERR / POLLNVAL: not a usable idle connection
        raise DisconnectionError("PostgreSQL 已关闭该连接")


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    """Put every connection in autocommit mode, so that only our own ``BEGIN IMMEDIATE``
    (:meth:`Database.write`, :meth:`Database.transaction`) opens a transaction: pysqlite's
    implicit transactions would start deferred, before the first write rather than before
    the first read. Set WAL, foreign keys and the busy wait.

    SQLAlchemy's transaction calls still end what BEGIN started (the driver's ``commit()``
    and ``rollback()`` act on whatever transaction is open). No connection event is used
    for BEGIN: one listener makes SQLAlchemy dispatch events around every statement.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={max(1, round(busy_timeout_s * 1000))}")
        cur.close()


class _LazySession:
    """Stands for a :class:`Session` and opens it when first used."""

    __slots__ = ("_factory", "_session")

    def __init__(self, factory: sessionmaker):
        self._factory = factory
        self._session: Optional[Session] = None

    def __getattr__(self, name: str):
        if self._session is None:
            self._session = self._factory()
        return getattr(self._session, name)

    def close_if_opened(self, commit: bool = False) -> None:
        """Close the session if it was opened; ``commit`` ends its transaction with COMMIT
        instead of a rollback. Its objects are detached first, so the commit flushes nothing:
        an object changed in a read is not written, as it was not when reads rolled back."""
        if self._session is not None:
            try:
                if commit:
                    self._session.expunge_all()
                    self._session.commit()
            finally:
                self._session.close()


class _WriterQueue:
    """Serialises SQLite writers: a thread lock within the process, ``flock`` across processes."""

    def __init__(self, path: Optional[Path]):
        self._thread_lock = threading.Lock()
        self._path = path
        self._fd: Optional[int] = None

    def __enter__(self):
        self._thread_lock.acquire()
        if self._path is not None and _flock is not None:
            try:
                if self._fd is None:
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                _flock(self._fd, _LOCK_EX)
            except OSError:  # a read-only folder: SQLite's own locking still holds
                pass
        return self

    def __exit__(self, *exc):
        try:
            if self._fd is not None and _flock is not None:
                _flock(self._fd, _LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class _NoQueue:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


_NO_QUEUE = _NoQueue()

try:  # POSIX; elsewhere SQLite's busy timeout alone orders writers
    from fcntl import LOCK_EX as _LOCK_EX, LOCK_UN as _LOCK_UN, flock as _flock
except ImportError:  # pragma: no cover - Windows
    _flock = None
