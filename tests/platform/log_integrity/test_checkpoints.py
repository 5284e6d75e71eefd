"""Signed checkpoints through their interfaces: `jiceng decisions keygen | public-key | checkpoint |
verify --checkpoint` and ``/api/v1/checkpoints`` — keys, documents, exit codes, permissions."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from click.testing import CliRunner

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import issue
from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.decisions import checkpoint as cp
from jiceng.platform.tenants.directory import TenantDirectory

from log_tampering import append, rechain, rows, set_row

CS = "changsha"


@pytest.fixture
def cli(fresh_database, monkeypatch, tmp_path):
    """The CLI on a fresh database with a few entries, and a key configured as JICENG_CHECKPOINT_KEY."""
    monkeypatch.setattr(commands, "_database", lambda: fresh_database)
    append(fresh_database, CS, 4)
    append(fresh_database, "zhuzhou", 1)
    runner = CliRunner()
    key = tmp_path / "keys" / "checkpoint.key"
    key.parent.mkdir()
    assert runner.invoke(main, ["decisions", "keygen", "--out", str(key)]).exit_code == 0
    monkeypatch.setenv("JICENG_CHECKPOINT_KEY", str(key))
    return runner


def run(runner, *args):
    return runner.invoke(main, ["decisions", *args])


# ----------------------------------------------------------------------- keys
def test_keygen_writes_a_private_key_only_its_owner_reads_and_the_public_key_beside_it(tmp_path):
    key = tmp_path / "k.pem"
    r = CliRunner().invoke(main, ["decisions", "keygen", "--out", str(key)])
    assert r.exit_code == 0, r.output
    assert "已生成密钥" in r.output and "JICENG_CHECKPOINT_KEY" in r.output
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    private = cp.load_signing_key(str(key))
    public = cp.load_public_key(cp.public_key_path(key))
    assert cp.key_id(private.public_key()) == cp.key_id(public) and cp.key_id(public) in r.output
    again = CliRunner().invoke(main, ["decisions", "keygen", "--out", str(key)])
    assert again.exit_code == 2 and "checkpoint_key_exists" in again.output
    assert cp.load_signing_key(str(key)).private_bytes_raw() == private.private_bytes_raw()  # not overwritten


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_key_others_can_read_is_refused(tmp_path):
    key = tmp_path / "k.pem"
    cp.generate_key(key)
    key.chmod(0o644)
    with pytest.raises(cp.KeyUnavailable) as e:
        cp.load_signing_key(str(key))
    assert e.value.code == "checkpoint_key_exposed" and "chmod 600" in e.value.message


def test_key_problems_are_usage_errors(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("JICENG_CHECKPOINT_KEY")
    r = run(cli, "checkpoint")
    assert r.exit_code == 2 and "checkpoint_key_not_configured" in r.output and "keygen" in r.output
    monkeypatch.setenv("JICENG_CHECKPOINT_KEY", str(tmp_path / "missing.key"))
    assert "checkpoint_key_unreadable" in run(cli, "checkpoint").output
    not_a_key = tmp_path / "not_a_key"
    not_a_key.write_text("hello")
    not_a_key.chmod(0o600)
    monkeypatch.setenv("JICENG_CHECKPOINT_KEY", str(not_a_key))
    r = run(cli, "checkpoint")
    assert r.exit_code == 2 and "checkpoint_key_invalid" in r.output


def test_public_key_prints_the_pem_auditors_keep(cli, tmp_path):
    r = run(cli, "public-key")
    assert r.exit_code == 0 and r.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert r.stdout == cp.public_key_path(tmp_path / "keys" / "checkpoint.key").read_text()


# ----------------------------------------------------------------------- checkpoint and verify
def make(cli, path):
    r = run(cli, "checkpoint", "--out", str(path))
    assert r.exit_code == 0, r.output
    assert "已签发检查点" in r.stderr
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_checkpoint_signs_every_tenant_s_size_and_head(cli, fresh_database, tmp_path):
    doc = make(cli, tmp_path / "cp.json")
    st = doc["checkpoint"]
    assert st["format"] == "jiceng-checkpoint/1" and st["issued_at"].endswith("Z")
    by_tenant = {t["tenant"]: t for t in st["tenants"]}
    assert set(by_tenant) == {"national", "hunan", CS, "zhuzhou", "heilongjiang"}
    assert (by_tenant[CS]["size"], by_tenant[CS]["head"]) == (4, rows(fresh_database, CS)[-1].hash)
    assert by_tenant["hunan"]["size"] == 0
    public = cp.load_public_key(tmp_path / "keys" / "checkpoint.key.pub")
    public.verify(base64.b64decode(doc["signature"]),
                  json.dumps(st, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    stdout = run(cli, "checkpoint")
    assert stdout.exit_code == 0 and json.loads(stdout.stdout)["checkpoint"]["format"] == "jiceng-checkpoint/1"


def test_verify_against_a_checkpoint(cli, fresh_database, tmp_path):
    path = tmp_path / "cp.json"
    make(cli, path)
    pub = str(tmp_path / "keys" / "checkpoint.key.pub")
    ok = run(cli, "verify", "--checkpoint", str(path), "--public-key", pub)
    assert ok.exit_code == 0, ok.output
    assert "签名有效" in ok.output and "全部完好" in ok.output and "检查点:第 4 条" in ok.output
    # the chain rewritten from entry 2 on, the head moved: the links hold, the checkpoint does not
    second = rows(fresh_database, CS)[1]
    set_row(fresh_database, second.id, actor="token:999 admin@changsha")
    rechain(fresh_database, CS)
    assert run(cli, "verify").exit_code == 0
    bad = run(cli, "verify", "--checkpoint", str(path))  # the public key of JICENG_CHECKPOINT_KEY
    assert bad.exit_code == 1 and "[log_rewritten]" in bad.output and "共发现 1 处问题" in bad.output
    report = json.loads(run(cli, "verify", "--checkpoint", str(path), "--json").stdout)
    assert report["ok"] is False and report["checkpoint"]["signature_valid"] is True
    [chain] = [c for c in report["chains"] if c["tenant"] == CS]
    assert chain["checkpoint"]["size"] == 4 and [p["code"] for p in chain["problems"]] == ["log_rewritten"]
    only = run(cli, "verify", "--checkpoint", str(path), "--tenant", "zhuzhou")
    assert only.exit_code == 0, only.output


def test_a_tampered_log_is_refused_a_checkpoint(cli, fresh_database, tmp_path):
    set_row(fresh_database, rows(fresh_database, CS)[1].id, outcome="admit")
    r = run(cli, "checkpoint", "--out", str(tmp_path / "cp.json"))
    assert r.exit_code == 1 and "log_broken" in r.output and "[edited]" in r.output
    assert not (tmp_path / "cp.json").exists()


def test_a_rewrite_after_a_stored_checkpoint_is_refused_the_next(cli, fresh_database, tmp_path):
    """The table's newest copy (signed by this key) guards the next signature: a rewrite done
    between two checkpoints is not blessed by the second."""
    make(cli, tmp_path / "first.json")
    set_row(fresh_database, rows(fresh_database, CS)[0].id, actor="someone else")
    rechain(fresh_database, CS)
    r = run(cli, "checkpoint")
    assert r.exit_code == 1 and "log_rewritten" in r.output


def test_an_altered_checkpoint_file_fails_its_signature(cli, tmp_path):
    path = tmp_path / "cp.json"
    doc = make(cli, path)
    for t in doc["checkpoint"]["tenants"]:
        if t["tenant"] == CS:
            t["size"] = 3  # e.g. to make a truncation look signed
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = run(cli, "verify", "--checkpoint", str(path))
    assert r.exit_code == 1 and "checkpoint_signature_invalid" in r.output


@pytest.mark.parametrize("text, code", [
    ("not json", "checkpoint_invalid"),
    ('{"checkpoint": {}, "signature": ""}', "checkpoint_invalid"),
    ('{"checkpoint": {"format": "jiceng-checkpoint/1", "issued_at": "x", "key_id": "k", "tenants": '
     '[{"tenant": "a", "size": -1, "head": "00"}]}, "signature": "AA=="}', "checkpoint_invalid"),
])
def test_unusable_checkpoint_files_are_usage_errors(cli, tmp_path, text, code):
    path = tmp_path / "cp.json"
    path.write_text(text, encoding="utf-8")
    r = run(cli, "verify", "--checkpoint", str(path))
    assert r.exit_code == 2 and code in r.output


def test_other_usage_errors(cli, tmp_path):
    assert run(cli, "verify", "--checkpoint", str(tmp_path / "none.json")).exit_code == 2
    path = tmp_path / "cp.json"
    make(cli, path)
    r = run(cli, "verify", "--public-key", str(tmp_path / "keys" / "checkpoint.key.pub"))
    assert r.exit_code == 2 and "--checkpoint" in r.output
    other = tmp_path / "other.key"
    cp.generate_key(other)
    r = run(cli, "verify", "--checkpoint", str(path), "--public-key", str(cp.public_key_path(other)))
    assert r.exit_code == 2 and "checkpoint_key_mismatch" in r.output
    r = run(cli, "verify", "--checkpoint", str(path), "--public-key", str(other))  # a private key, not a public one
    assert r.exit_code == 2 and "public_key_invalid" in r.output


# ----------------------------------------------------------------------- API
@pytest.fixture
def checkpoint_api(fresh_database, tmp_path):
    key = tmp_path / "checkpoint.key"
    cp.generate_key(key)
    app = create_app({"DATABASE": fresh_database, "CHECKPOINT_KEY": str(key)})
    tokens = {}
    with fresh_database.write() as session:
        directory = TenantDirectory.load(session)
        for tenant in ("national", CS):
            for role in ("admin", "auditor", "department"):
                tokens[(tenant, role)] = issue(session, directory, tenant, role)[0]
    append(fresh_database, CS, 2)
    client = app.test_client()

    def call(method, path, who, **kw):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {tokens[who]}"}, **kw)
    return call, key, app


def test_the_root_admin_or_auditor_signs_a_checkpoint_through_the_api(checkpoint_api):
    call, key, _app = checkpoint_api
    for role in ("admin", "auditor"):
        r = call("POST", "/api/v1/checkpoints", ("national", role))
        assert r.status_code == 201, r.json
        signed = cp.open_document(cp.parse(r.get_data(as_text=True)), cp.load_public_key(cp.public_key_path(key)))
        assert signed.heads[CS].size == 2
    listing = call("GET", "/api/v1/checkpoints?limit=1", ("national", "auditor")).json["checkpoints"]
    assert len(listing) == 1 and listing[0]["created_by"].endswith("auditor@national")
    pub = call("GET", "/api/v1/checkpoints/public-key", ("national", "auditor")).json
    assert pub["public_key"] == cp.public_key_path(key).read_text() and pub["key_id"] == signed.key_id


def test_only_the_root_tenant_s_admin_or_auditor_may(checkpoint_api):
    call, _key, _app = checkpoint_api
    r = call("POST", "/api/v1/checkpoints", (CS, "admin"))
    assert r.status_code == 403 and r.json["error"]["code"] == "checkpoint_root_only"
    assert call("GET", "/api/v1/checkpoints", (CS, "auditor")).status_code == 403
    r = call("POST", "/api/v1/checkpoints", ("national", "department"))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert call("GET", "/api/v1/checkpoints?limit=0", ("national", "admin")).status_code == 422


def test_api_without_a_usable_key_or_with_a_broken_log(checkpoint_api, fresh_database):
    call, _key, app = checkpoint_api
    app.config["CHECKPOINT_KEY"] = None
    r = call("POST", "/api/v1/checkpoints", ("national", "admin"))
    assert r.status_code == 503 and r.json["error"]["code"] == "checkpoint_key_not_configured"
    assert call("GET", "/api/v1/checkpoints/public-key", ("national", "admin")).status_code == 503
    app.config["CHECKPOINT_KEY"] = str(_key)
    set_row(fresh_database, rows(fresh_database, CS)[0].id, outcome="reject")
    r = call("POST", "/api/v1/checkpoints", ("national", "admin"))
    assert r.status_code == 409 and r.json["error"]["code"] == "log_broken"
    assert {d["code"] for d in r.json["error"]["details"]} == {"edited"}
