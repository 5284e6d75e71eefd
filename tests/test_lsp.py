"""`jiceng lsp` spoken to as an editor speaks to it: a subprocess, LSP JSON-RPC over its stdin and
stdout (initialize, didOpen, publishDiagnostics, didChange, completion, hover, shutdown, exit).

The packs are the repository's own (rule_packs/ with tenants/ and form_schemas/ beside it), so
the server has to find the pack, its registered chain and its task form from a file's path.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
JICENG = Path(sys.executable).with_name("jiceng")
PACK = REPO / "rule_packs" / "changsha" / "pack.jc"
TIMEOUT = 60  # seconds for one answer: the machine is shared, a first check loads the grammar


class Client:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's pipes."""

    def __init__(self, cwd: Path):
        self.proc = subprocess.Popen([str(JICENG), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.inbox: "queue.Queue[dict]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            self.inbox.put(json.loads(out.read(int(headers["content-length"])).decode("utf-8")))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode("utf-8")
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        answer = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)
        assert "error" not in answer, answer
        return answer["result"]

    def wait(self, wanted, timeout: float = TIMEOUT) -> dict:
        """The next message ``wanted`` accepts (others, e.g. log messages, are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.proc.kill()  # then its stderr ends, and says why
                raise AssertionError("the language server did not answer in time; stderr: "
                                     + self.proc.stderr.read().decode("utf-8", "replace")[-4000:])
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            if wanted(message):
                return message

    def diagnostics(self, uri: str, version=None) -> list[dict]:
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri
                            and (version is None or m["params"].get("version") == version))
        return message["params"]["diagnostics"]


@pytest.fixture
def client():
    c = Client(REPO)
    init = c.request("initialize", {"processId": None, "rootUri": REPO.as_uri(), "capabilities": {}})
    c.capabilities = init["capabilities"]
    c.notify("initialized", {})
    yield c
    if c.proc.poll() is None:
        c.proc.kill()
    c.proc.wait(timeout=10)
    for pipe in (c.proc.stdin, c.proc.stdout, c.proc.stderr):
        pipe.close()


def _open(c: Client, text: str, path: Path = PACK) -> str:
    uri = path.as_uri()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jiceng", "version": 1,
                                                      "text": text}})
    return uri


def test_diagnostics_on_open_and_change_then_completion_hover_and_a_clean_exit(client):
    caps = client.capabilities
    assert "." in caps["completionProvider"]["triggerCharacters"] and caps["hoverProvider"]
    good = PACK.read_text(encoding="utf-8")
    # a character outside the BMP before the error, on its line: UTF-16 counts it twice, the engine once
    bad = good.replace("when target.level == street", 'when task.title != "😀" and target.levl == street')
    assert bad.count("levl") == 1
    uri = _open(client, bad)
    found = client.diagnostics(uri)
    # the unknown field, then the bare word its unknown type cannot place (as `jiceng lint` says)
    assert [(d["code"], d["severity"], d["source"]) for d in found] == [("E205", 1, "jiceng"), ("E201", 1, "jiceng")]
    lines = bad.split("\n")
    row = next(i for i, line in enumerate(lines) if "levl" in line)
    start = lines[row].index("target.levl")
    assert found[0]["range"] == {"start": {"line": row, "character": start + 1},
                                 "end": {"line": row, "character": start + 1 + len("target.levl")}}
    assert "您是不是要写 level" in found[0]["message"]

    # the fix: diagnostics go away (version 2 is published after the pause in typing)
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": good}]})
    assert client.diagnostics(uri, version=2) == []

    text = good + "\nrule 新规则 \"😀\" when target.\n"
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                             "contentChanges": [{"text": text}]})
    last = len(text.split("\n")) - 2
    line_text = text.split("\n")[last]
    # the client counts UTF-16 units: the emoji is two of them
    character = len(line_text.encode("utf-16-le")) // 2
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": {"line": last, "character": character}})
    items = {i["label"]: i for i in result["items"]}
    assert {"level", "population", "parent", "staffing_gap"} <= set(items)  # staffing_gap: exported by a standard
    assert items["level"]["kind"] == 5  # Field
    assert items["level"]["textEdit"]["range"]["start"] == {"line": last, "character": character}
    diags = client.diagnostics(uri, version=3)
    assert [d["code"] for d in diags] == ["E103"]

    row = next(i for i, line in enumerate(good.split("\n")) if line.startswith("rule "))
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": row, "character": 7}})
    assert "依据:S003" in hover["contents"]["value"] and "赋予街道党工委相应职权" in hover["contents"]["value"]

    client.request("shutdown", {})
    client.notify("exit", {})
    assert client.proc.wait(timeout=TIMEOUT) == 0


def test_partial_completion_filters_by_the_typed_part_and_names_units(client):
    text = PACK.read_text(encoding="utf-8") + "\nrule 新规则 when target.population > 3 万\n"
    uri = _open(client, text)
    last = len(text.split("\n")) - 2
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": {"line": last, "character": len(text.split("\n")[last])}})
    labels = [(i["label"], i["kind"]) for i in result["items"]]
    assert labels == [("万元", 11)]  # Unit; nothing else starts with 万
