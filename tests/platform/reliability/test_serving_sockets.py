"""Each gunicorn worker listens on a socket of its own (``reuse_port``), so the kernel spreads
connections over the workers: with one shared socket a handful of keep-alive connections could
all land on one worker and leave the other core idle. A second server on the same port still
refuses to start. Linux only: sockets are found through /proc."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from jiceng.platform.serving.gunicorn_conf import refuse_a_taken_port
from live_server import ESTABLISHED, LISTEN, Client, LiveServer, free_port, server_sockets

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads sockets from Linux /proc")

CONNECTIONS = 16  # all on one of two workers by chance: 2 in 65,536


def _sockets_of(pid: int) -> set[int]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    return inodes


def test_workers_listen_on_their_own_sockets_and_share_the_connections(database, tmp_path):
    server = LiveServer(database, tmp_path).start()
    clients = []
    try:
        workers = server.worker_pids()
        listening = server_sockets(server.port, LISTEN)
        assert len(listening) == len(workers) == 2
        assert all(len(_sockets_of(pid) & listening) == 1 for pid in workers)  # one each, none shared
        clients = [Client(server.port) for _ in range(CONNECTIONS)]
        assert all(c.request("GET", "/healthz")[0] == 200 for c in clients)  # kept alive, each on a worker
        established = server_sockets(server.port, ESTABLISHED)
        taken = {pid: len(_sockets_of(pid) & established) for pid in workers}
        assert sum(taken.values()) == CONNECTIONS and all(taken.values()), taken

        # a second server on the port would silently share it: it refuses to start instead
        (tmp_path / "second").mkdir()
        second = LiveServer(database, tmp_path / "second")
        second.port = server.port
        with pytest.raises(RuntimeError) as refused:
            second.start(timeout=30)
        assert "port_in_use" in str(refused.value) and f"127.0.0.1:{server.port} 端口已被占用" in str(refused.value)
        assert all(c.request("GET", "/healthz")[0] == 200 for c in clients[:2])  # the first one serves on
    finally:
        for c in clients:
            c.close()
        server.stop()


def test_an_address_that_cannot_be_listened_on_is_refused_with_its_own_code():
    refuse_a_taken_port([("127.0.0.1", free_port()), "/tmp/jiceng.sock"])  # free, and a Unix socket: no error
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"port_in_use:127.0.0.1:{port} 端口已被占用"):
            refuse_a_taken_port([("127.0.0.1", port)])
    with pytest.raises(RuntimeError, match="port_unavailable:无法监听 192.0.2.1:"):  # not an address of this host
        refuse_a_taken_port([("192.0.2.1", free_port())])
