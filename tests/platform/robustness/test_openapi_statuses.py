"""The OpenAPI document tells the truth about statuses: for every documented route, a few
malformed requests are sent and each status that comes back must be listed for that
operation (a small home-grown check instead of a schema fuzzer: it runs in seconds).

Every answer of 400 and above must also be the JSON error body of SPEC §7.
"""
from __future__ import annotations

import re

import pytest

#: a value for each path parameter: the tenant in reach, well-formed but unknown ids and names
SAMPLE = {"tenant": "changsha", "code": "430102001001", "name": "task"}
MISSING_ID = "999999"


def _operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            yield path, method, op


def _fill(path: str, op: dict, **override) -> str:
    def value(m):
        name = m.group(1)
        if name in override:
            return override[name]
        param = next(p for p in op["parameters"] if p.get("in") == "path" and p["name"] == name)
        return MISSING_ID if param["schema"]["type"] == "integer" else SAMPLE.get(name, "x")
    return re.sub(r"\{(\w+)\}", value, path)


def _requests(api, path: str, method: str, op: dict):
    """(what was tried, response) for the malformed requests that apply to the operation."""
    url = _fill(path, op)
    needs_token = "security" in op
    admin = api.headers("changsha", "admin")
    auditor = api.headers("changsha", "auditor")
    yield "no token", api.call(method, url)
    yield "bad token", api.call(method, url, headers={"Authorization": "Bearer jc_nonsense"})
    if not needs_token:
        return
    if "{tenant}" in path:
        yield "tenant out of reach", api.call(method, _fill(path, op, tenant="heilongjiang"), headers=admin)
    yield "role without permission", api.call(method, url, headers=auditor)
    for p in op["parameters"]:
        if p.get("in") == "path" and p["schema"]["type"] == "integer":
            yield f"fullwidth {p['name']}", api.call(method, _fill(path, op, **{p["name"]: "１２"}), headers=admin)
    yield "unknown query parameter", api.call(method, url + "?nonsense=1", headers=admin)
    yield "fullwidth limit", api.call(method, url + "?limit=１０", headers=admin)
    if method in ("post", "put", "patch"):
        yield "not JSON", api.call(method, url, headers=admin, data=b"{oops", content_type="application/json")
        yield "text body", api.call(method, url, headers=admin, data=b"a=1", content_type="text/plain")
        yield "form body", api.call(method, url, headers=admin, data={"a": "1"})
        yield "wrong shape", api.call(method, url, headers=admin, json=[1, 2])
        yield "unknown field", api.call(method, url, headers=admin, json={"nonsense": True})


def test_every_status_a_route_answers_is_documented(api):
    spec = api.get("/api/v1/openapi.json").json
    undocumented = []
    for path, method, op in _operations(spec):
        for tried, resp in _requests(api, path, method, op):
            if str(resp.status_code) not in op["responses"]:
                undocumented.append(f"{method.upper()} {path} — {tried}: {resp.status_code}")
            if resp.status_code >= 400 and resp.mimetype == "application/json":
                error = resp.json["error"]
                assert set(error) == {"code", "message", "details"}, (path, tried)
            elif resp.status_code >= 400:  # pages answer HTML; the API always JSON
                assert not path.startswith("/api/"), (method, path, tried, resp.status_code)
    assert not undocumented, "\n".join(undocumented)


def test_integer_path_parameters_are_integers(api):
    spec = api.get("/api/v1/openapi.json").json
    for path, method, op in _operations(spec):
        for p in op["parameters"]:
            if p.get("in") == "path" and re.search(r"(_id|number|decision_id)$", p["name"]):
                assert p["schema"]["type"] == "integer", (method, path, p["name"])


@pytest.mark.parametrize("status", [414, 415, 431])
def test_limits_are_documented_for_the_api(api, status):
    spec = api.get("/api/v1/openapi.json").json
    check = spec["paths"]["/api/v1/tenants/{tenant}/admission/check"]["post"]
    assert str(status) in check["responses"]
