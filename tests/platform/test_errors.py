"""No input yields a 500: malformed bodies, wrong types, oversized payloads on every write endpoint;
unknown routes and wrong methods answer the JSON error body too."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.platform.config import MAX_CONTENT_LENGTH

ADMIN = ("changsha", "admin")


@pytest.fixture(scope="module")
def write_routes(api, units):
    sender = ("changsha", "admin")
    task = api.post("/api/v1/tenants/changsha/tasks", sender,
                    json={"task": {"title": "优待证", "item_code": "X01", "source_unit": units.cs_city}}).json
    res = api.post(f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", sender,
                   json={"targets": [units.cs_communities[0]]}).json["results"][0]
    values = {"tenant": "changsha", "task_id": task["id"], "assignment_id": res["assignment"]["id"],
              "number": 1, "name": "task", "token_id": 1, "proposal_id": 1, "file": "console.css", "job_id": 1}
    out = []
    for rule in api.app.url_map.iter_rules():
        if rule.endpoint.startswith("login."):
            continue  # HTML forms that refuse (403) a POST without the session's CSRF token, whatever its body
        for method in rule.methods & {"POST", "PUT", "PATCH"}:
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
            out.append((method, path))
    assert len(out) >= 9
    return out


def assert_error(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.is_json, (r.request.method, r.request.path, r.status_code, r.get_data(as_text=True)[:300])
    body = r.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"]), body  # zh-CN
    return body["error"]


MALFORMED = [b"{bad json", b"\xff\xfe", b'{"a": NaN}', b'{"a": 1e999}', b'{"task": "\\ud800"}',
             b'{"task": {"title": "a\\u0000b"}}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 100 + b"1" + b"}" * 100]
WRONG_TYPES = [[], "text", 5, None, True, {"task": 5}, {"task": []}, {"files": "x"}, {"files": {"a.jc": 5}},
               {"targets": "430102001001"}, {"targets": [5]}, {"schema": []}, {"effective_from": "tomorrow"},
               {"expected_current": "1"}, {"expected_current": 10**30}, {"limit": -1}, {"limit": 1.5},
               {"explain": "yes"}, {"task": {"title": "x"}, "unknown_field": 1}, {"on": 20240101},
               {"task": {"title": ["x"], "deadline": 5, "funding_provided": "yes"}},
               {"task": {"title": "x", "target_unit": {"code": 1}}}, {"children_of": 5},
               {"task": {"title": "x", "kind": "a" * 5000}}, {"data": None}]


def test_malformed_json_is_400_everywhere(api, write_routes):
    for method, path in write_routes:
        for raw in MALFORMED:
            r = api.call(method, path, ADMIN, data=raw, content_type="application/json")
            err = assert_error(r, 400)
            assert err["code"] == "invalid_json"


def test_wrong_types_are_4xx_everywhere(api, write_routes):
    for method, path in write_routes:
        for body in WRONG_TYPES:
            r = api.call(method, path, ADMIN, json=body)
            if r.status_code < 400:
                continue  # a body some endpoint accepts (e.g. {} for publish): fine, as long as no 500
            assert_error(r, 400, 403, 404, 409, 422)


def test_oversized_payload_is_413(api, write_routes):
    big = json.dumps({"task": {"title": "x" * (MAX_CONTENT_LENGTH + 10)}}).encode()
    for method, path in write_routes:
        err = assert_error(api.call(method, path, ADMIN, data=big, content_type="application/json"), 413)
        assert err["code"] == "payload_too_large" and err["details"]["limit"] == MAX_CONTENT_LENGTH


def test_unknown_route_and_wrong_method(api):
    assert assert_error(api.get("/api/v1/nothing-here"), 404)["code"] == "not_found"
    err = assert_error(api.call("DELETE", "/api/v1/tenants/changsha/admission/check", ADMIN), 405)
    assert err["code"] == "method_not_allowed" and "POST" in err["details"]["allowed"]
    assert assert_error(api.get("/api/v1/tenants/changsha/tasks/99999999999999", ADMIN), 404)
    assert assert_error(api.get("/api/v1/tenants/chang%00sha/units", ADMIN), 404)
    assert assert_error(api.get("/api/v1/tenants/changsha/units/" + "9" * 300, ADMIN), 404)


def test_validation_messages_are_zh_with_paths(api):
    r = api.post("/api/v1/tenants/changsha/admission/check", ADMIN, json={"task": 5, "explain": "yes", "x": 1})
    err = assert_error(r, 422)
    assert err["code"] == "invalid_request"
    assert {d["path"]: d["message"] for d in err["details"]} == {
        "/task": "应为对象", "/explain": "应为真假值(true 或 false)", "/x": "未知字段"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
task_like = st.dictionaries(st.sampled_from(["title", "kind", "role", "item_code", "category", "deadline",
                                             "funding_provided", "target_unit", "approval", "one_vote_veto"]),
                            json_values, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(json_values, st.fixed_dictionaries({"task": task_like}, optional={
    "target": st.one_of(st.none(), st.dictionaries(st.sampled_from(["level", "households", "staffing_gap"]),
                                                   json_values, max_size=3)),
    "on": st.one_of(st.none(), st.text(max_size=12)), "explain": json_values})))
def test_random_bodies_never_500(api, body):
    r = api.post("/api/v1/tenants/changsha/admission/check", ADMIN, json=body)
    assert r.status_code in (200, 400, 409, 422), (r.status_code, body, r.get_data(as_text=True)[:300])
    if r.status_code != 200:
        assert_error(r, r.status_code)
