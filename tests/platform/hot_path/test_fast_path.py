"""The admission fast path answers exactly as the Flask view does, for answers and for errors
(errors are always Flask's), and stands aside when the app has hooks it would skip."""
from __future__ import annotations

import json

import pytest

from jiceng.platform.app import create_app

CHECK = "/api/v1/tenants/{}/admission/check"


@pytest.fixture(scope="module")
def apps(api):
    """(fast, reference): the app as built, and the same app without the fast path."""
    ref = create_app({"DATABASE": api.app.extensions["jiceng"].db})
    ref.wsgi_app = ref.wsgi_app.flask_wsgi
    return api.app, ref


def cases(api, units):
    dept = api.headers("changsha", "department")
    big = api.app.config["MAX_CONTENT_LENGTH"]
    yield "conditional", dept, {"task": {"title": "初审", "item_code": "X01", "target_unit": units.cs_communities[0]}}
    yield "what-if", dept, {"task": {"title": "招商", "category": "协税护税"}, "target": {"level": "street"}}
    yield "what-if history", dept, {"task": {"title": "考核", "kind": "assessment", "item_code": "Z01"},
                                    "target": {"level": "community"}, "history": {"assessments_this_year": 2}}
    yield "explain", dept, {"task": {"title": "招商", "category": "招商引资"}, "target": {"level": "street"},
                            "explain": True}
    yield "dated", dept, {"task": {"title": "初审", "item_code": "X01", "target_unit": units.cs_street},
                          "on": "2024-07-01"}
    yield "no token", {}, {"task": {"title": "x"}}
    yield "bad token", {"Authorization": "Bearer nope"}, {"task": {"title": "x"}}
    yield "not bearer", {"Authorization": "Basic abc"}, {"task": {"title": "x"}}
    yield "auditor", api.headers("changsha", "auditor"), {"task": {"title": "x"}}
    yield "out of reach", api.headers("zhuzhou", "department"), {"task": {"title": "x"}}
    yield "bad json", dept, b'{"task": '
    yield "not an object", dept, b"[1, 2]"
    yield "task not an object", dept, {"task": 5}
    yield "unknown field", dept, {"task": {"title": "x"}, "x": 1}
    yield "empty body", dept, b""
    yield "NUL in text", dept, b'{"task": {"title": "\\u0000"}}'
    yield "form refuses", dept, {"task": {"title": "x", "kind": "survey"}}
    yield "unknown unit", dept, {"task": {"title": "x", "target_unit": "nope"}}
    yield "history without what-if", dept, {"task": {"title": "x", "target_unit": units.cs_street},
                                            "history": {"assessments_this_year": 0}}
    yield "too large", dept, b'{"task": {"title": "' + b"x" * big + b'"}}'


def answer(app, path, headers, body, method="POST"):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    r = app.test_client().open(path, method=method, headers={**headers, "Content-Type": "application/json"},
                               data=raw)
    data = r.get_json(silent=True)
    if isinstance(data, dict):
        data.pop("decision_id", None)
    return r.status_code, r.headers.get("Content-Type"), r.headers.get("WWW-Authenticate"), data


def test_every_answer_is_the_flask_views_answer(apps, api, units):
    fast, ref = apps
    for name, headers, body in cases(api, units):
        served = fast.wsgi_app.served
        got, want = answer(fast, CHECK.format("changsha"), headers, body), answer(ref, CHECK.format("changsha"),
                                                                                 headers, body)
        assert got == want, name
        assert fast.wsgi_app.served == served + (got[0] == 200), name  # errors are always Flask's
    for path in (CHECK.format("nowhere"), CHECK.format("changsha") + "/", CHECK.format("长沙")):
        assert answer(fast, path, api.headers("changsha", "department"), {"task": {"title": "x"}}) == \
            answer(ref, path, api.headers("changsha", "department"), {"task": {"title": "x"}})
    assert answer(fast, CHECK.format("changsha"), api.headers("changsha", "department"), b"", "GET")[0] == 405


def test_the_fast_path_logs_exactly_one_entry_per_answer(apps, api, units):
    fast, _ref = apps
    body = {"task": {"title": "初审", "item_code": "X01", "target_unit": units.cs_communities[1]}}
    r = api.post(CHECK.format("changsha"), ("changsha", "department"), json=body)
    log = api.get("/api/v1/tenants/changsha/decisions?limit=1", ("changsha", "auditor")).json["decisions"]
    assert log[0]["id"] == r.json["decision_id"] and log[0]["input"]["task"] == body["task"]
    assert api.get("/api/v1/tenants/changsha/decisions/verify", ("changsha", "auditor")).json["ok"] is True


def test_it_stands_aside_for_hooks_it_would_skip(database):
    app = create_app({"DATABASE": database})
    assert app.wsgi_app.enabled
    app.after_request(lambda response: response)
    again = type(app.wsgi_app)(app)
    assert not again.enabled
