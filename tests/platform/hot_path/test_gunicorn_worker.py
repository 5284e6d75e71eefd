"""The service's gunicorn settings spread simultaneous kept-alive connections over the workers:
a worker whose threads are all busy leaves new connections to the others."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(sock: socket.socket, pause: float) -> None:
    sock.sendall(f"GET /?{pause} HTTP/1.1\r\nHost: x\r\n\r\n".encode())


def answer(sock: socket.socket) -> str:
    """The body of the answer to the request sent last (a worker's pid)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
            data.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0]):
        chunk = sock.recv(4096)
        assert chunk, "connection closed"
        data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


def test_simultaneous_connections_are_shared_between_the_workers():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:jiceng.platform.serving.gunicorn_conf",
                             "-w", "2", "--threads", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                             "--pythonpath", str(Path(__file__).parent), "pid_wsgi:app"],
                            env=dict(os.environ), stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    send(s, 0)
                    answer(s)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        time.sleep(0.5)  # both workers up
        conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
        for c in conns:
            send(c, 0.5)
        start = time.monotonic()
        pids = [answer(c) for c in conns]
        took = time.monotonic() - start
        assert sorted(Counter(pids).values()) == [2, 2], pids  # two threads busy in each worker
        assert took < 0.9  # all four at once, none waiting for a busy worker's thread
        for c, pid in zip(conns, pids):  # kept alive, each stays with its worker
            send(c, 0)
            assert answer(c) == pid
            c.close()
    finally:
        proc.terminate()
        proc.wait(15)
