"""Issue 11.2: `jiceng token list`, and the admin API that lists, issues and revokes the tokens
in reach (the tenant and its descendants; anything else answers 404)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jiceng.platform.auth import tokens
from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands

LISTS = "/api/v1/tenants/changsha/lists"


def ids(api, tenant: str, role: str, as_=None) -> set[int]:
    r = api.get(f"/api/v1/tenants/{tenant}/tokens", as_ or (tenant, role))
    assert r.status_code == 200, r.json
    return {t["id"] for t in r.json["tokens"]}


def token_id(api, key) -> int:
    with api.app.extensions["jiceng"].db.read() as session:
        return tokens.token_id(session, api.tokens[key])


def test_an_admin_lists_the_tokens_of_its_tenant_and_below_never_the_token_itself(api):
    seen = api.get("/api/v1/tenants/hunan/tokens", ("hunan", "admin"))
    assert seen.status_code == 200
    listed = seen.json["tokens"]
    assert {t["tenant"] for t in listed} == {"hunan", "changsha", "zhuzhou"}  # not heilongjiang
    text = seen.get_data(as_text=True)
    assert not any(token in text for token in api.tokens.values()) and "hash" not in text
    first = listed[0]
    assert set(first) == {"id", "tenant", "role", "unit", "label", "issued_at", "expires_at", "revoked_at"}
    changsha = ids(api, "changsha", "admin")
    assert token_id(api, ("changsha", "auditor")) in changsha and token_id(api, ("hunan", "admin")) not in changsha
    assert ids(api, "changsha", "admin", ("hunan", "admin")) == changsha  # a Hunan admin reads Changsha's too


def test_outside_reach_is_404_and_only_admins_manage(api):
    assert api.get("/api/v1/tenants/hunan/tokens", ("changsha", "admin")).status_code == 404  # an ancestor
    assert api.get("/api/v1/tenants/zhuzhou/tokens", ("changsha", "admin")).status_code == 404  # a sibling
    hunan_token = token_id(api, ("hunan", "auditor"))
    r = api.post(f"/api/v1/tenants/changsha/tokens/{hunan_token}/revoke", ("changsha", "admin"))
    assert r.status_code == 404 and r.json["error"]["code"] == "token_not_found"
    assert api.post("/api/v1/tenants/changsha/tokens/999999/revoke", ("changsha", "admin")).status_code == 404
    for role in ("designer", "department", "township", "auditor"):
        for call in (api.get("/api/v1/tenants/changsha/tokens", ("changsha", role)),
                     api.post("/api/v1/tenants/changsha/tokens", ("changsha", role), json={"role": "auditor"})):
            assert call.status_code == 403 and call.json["error"]["details"]["permission"] == "tokens.manage"
    assert api.get(LISTS, headers={"Authorization": f"Bearer {api.tokens[('hunan', 'auditor')]}"}).status_code == 200


def test_issue_shows_the_token_once_and_revoke_stops_it_at_the_next_request(api, units):
    admin = ("hunan", "admin")
    r = api.post("/api/v1/tenants/changsha/tokens", admin,
                 json={"role": "township", "unit": units.cs_street, "label": "街道", "days": 30})
    assert r.status_code == 201, r.json
    issued = r.json
    assert issued["token"].startswith("jc_") and issued["tenant"] == "changsha" and issued["unit"] == units.cs_street
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert api.get(LISTS, headers=bearer).status_code == 200
    listed = api.get("/api/v1/tenants/changsha/tokens", admin).json["tokens"]
    assert [t for t in listed if t["id"] == issued["id"]] == [{k: v for k, v in issued.items() if k != "token"}]

    revoked = api.post(f"/api/v1/tenants/changsha/tokens/{issued['id']}/revoke", admin)
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert api.get(LISTS, headers=bearer).status_code == 401
    again = api.post(f"/api/v1/tenants/changsha/tokens/{issued['id']}/revoke", admin)
    assert again.status_code == 200 and again.json["revoked_at"] == revoked.json["revoked_at"]


@pytest.mark.parametrize("body", [{}, {"role": "root"}, {"role": "auditor", "days": 0},
                                  {"role": "auditor", "expires": "2020-01-01"},
                                  {"role": "auditor", "days": 3, "expires": "2099-01-01"},
                                  {"role": "auditor", "unit": "230102001000"},  # Heilongjiang's: out of reach
                                  {"role": "auditor", "token": "jc_mine"}])
def test_an_unusable_issue_request_is_422(api, body):
    r = api.post("/api/v1/tenants/changsha/tokens", ("changsha", "admin"), json=body)
    assert r.status_code == 422 and r.json["error"]["message"], (body, r.json)


def test_jiceng_token_list(fresh_database, fresh_api, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: fresh_database)
    cli = CliRunner()
    issued = cli.invoke(main, ["token", "issue", "--tenant", "hunan", "--role", "admin"])
    hunan = issued.stdout.strip().splitlines()[-1]
    cli.invoke(main, ["token", "revoke", hunan])
    everything = cli.invoke(main, ["token", "list"])
    assert everything.exit_code == 0 and "hunan" in everything.output and "changsha" in everything.output
    assert hunan not in everything.output and not any(t in everything.output for t in fresh_api.tokens.values())
    listed = cli.invoke(main, ["token", "list", "--tenant", "changsha", "--json"])
    rows = json.loads(listed.output)
    assert {r["tenant"] for r in rows} == {"changsha"} and len(rows) == len(fresh_api.tokens)
    assert all(r["revoked_at"] is None and r["expires_at"] for r in rows)
    as_json = json.loads(cli.invoke(main, ["token", "list", "--json"]).output)
    assert [r["revoked_at"] is not None for r in as_json if r["tenant"] == "hunan"] == [True]
    missing = cli.invoke(main, ["token", "list", "--tenant", "nowhere"])
    assert missing.exit_code == 2 and "tenant_not_found" in missing.output
