"""The real server for reliability tests and the soak (``benchmarks/soak.py``): ``jiceng serve``
(gunicorn with the service's settings) in its own process group on a free loopback port, and a
keep-alive HTTP client. Nothing here reaches into gunicorn: processes are found through /proc."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

CHECK = "/api/v1/tenants/{tenant}/admission/check"


LISTEN, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp writes them
LINUX_SOCKETS = Path("/proc/net/tcp").exists()


def server_sockets(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets bound locally to ``port`` in ``state`` (Linux: from /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(int(fields[9]))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``jiceng serve`` on ``db`` (a :class:`~jiceng.platform.db.engine.Database`), started by :meth:`start`."""

    def __init__(self, db, workdir: Path, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.workdir, self.workers, self.threads = workdir, workers, threads
        self.env = dict(os.environ, JICENG_DATABASE_URL=db.url.render_as_string(hide_password=False),
                        JICENG_SECRET_KEY="live-server-test-key", PYTHONUNBUFFERED="1")
        if db.schema:
            self.env["JICENG_DATABASE_SCHEMA"] = db.schema
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 20.0) -> "LiveServer":
        """Start the server and wait until ``/healthz`` answers 200 (RuntimeError with its log otherwise)."""
        log = open(self.workdir / f"serve-{time.monotonic_ns()}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jiceng.platform.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                status, _ = Client(self.port, timeout=1).request("GET", "/healthz")
                # every worker opens its own listening socket after it forks: a worker already
                # forked may not listen yet, and the kernel would give its share to the others
                if status == 200 and len(self.worker_pids()) == self.workers and \
                        (not LINUX_SOCKETS or len(server_sockets(self.port, LISTEN)) == self.workers):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"jiceng serve did not start: {self.log_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        """The master's child processes (the workers), from /proc."""
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(p) for p in children]

    def kill(self) -> list[int]:
        """kill -9 the master and every worker at once (the whole process group); returns their pids."""
        if self.proc is None:
            return []
        pids = [self.proc.pid, *self.worker_pids()]
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._reap(pids[1:])
        self.proc = None
        return pids

    def stop(self) -> None:
        """A graceful stop (SIGTERM to the master, which stops its workers)."""
        if self.proc is None:
            return
        pids = self.worker_pids()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._reap(pids)
        self.proc = None

    @staticmethod
    def _reap(pids: list[int], timeout: float = 10.0) -> None:
        """Wait until the workers are gone (orphans of a killed master are not our children)."""
        deadline = time.monotonic() + timeout
        for pid in pids:
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and \
                    "Z" not in _state(pid):
                time.sleep(0.05)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("serve-*.log")))


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


#: the server closes a keep-alive connection idle this long (gunicorn's ``keepalive``, 5 s): a
#: client reopens one idle for nearly as long instead of racing the close
IDLE_REOPEN_SECONDS = 4.0


class Client:
    """One keep-alive connection; :meth:`request` returns (status, parsed JSON or None)."""

    def __init__(self, port: int, token: Optional[str] = None, timeout: float = 10.0):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.last_used = time.monotonic()
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, Optional[dict]]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        if time.monotonic() - self.last_used > IDLE_REOPEN_SECONDS:
            self.conn.close()  # http.client reconnects on the next request
        self.last_used = time.monotonic()
        try:
            self.conn.request(method, path, body=data, headers=self.headers if data else
                              {k: v for k, v in self.headers.items() if k != "Content-Type"})
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        try:
            parsed = json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith("application/json") \
                else None
        except ValueError:
            parsed = None
        return resp.status, parsed

    def close(self) -> None:
        self.conn.close()
