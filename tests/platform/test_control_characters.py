"""A request path with a control character names nothing: a 404, never a 500 — the JSON error on
the API's paths and to a program, the "not found" page to a browser on a page's path.

On PostgreSQL a NUL that reached SQL (a unit code looked up in the database)
would fail the query; on SQLite the same lookup just finds nothing, which is why
these requests run on both databases (the ``api`` fixture is parametrised by
backend) and why the answer must be the path refusal itself (``not_found``),
given before any route looks anything up.
"""
from __future__ import annotations

import re

import pytest

from jiceng.platform.api.errors import is_page_path

ADMIN = ("changsha", "admin")
#: percent-encoded in the path, as a client would send them
CONTROL = ["%00", "%01", "%09", "%0A", "%0D", "%1B", "%1F"]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes_with_a_bad_segment(app):
    """(method, path, which parameter) for every route and each of its parameters, the others valid."""
    out = []
    for rule in app.url_map.iter_rules():
        names = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        for bad in names:
            for method in sorted(rule.methods & set(METHODS)):
                def value(m, bad=bad):
                    name = m.group(1)
                    if name == bad:
                        return "{bad}"
                    return "changsha" if name == "tenant" else "1"
                out.append((method, re.sub(r"<(?:\w+:)?(\w+)>", value, rule.rule), bad))
    return out


def test_every_route_with_a_parameter_is_tried(api):
    tried = routes_with_a_bad_segment(api.app)
    assert {("GET", "/api/v1/tenants/{bad}/units", "tenant"), ("GET", "/api/v1/tenants/changsha/units/{bad}", "code"),
            ("POST", "/api/v1/tenants/{bad}/admission/check", "tenant")} <= set(tried)


@pytest.mark.parametrize("char", CONTROL)
def test_a_control_character_in_any_path_segment_is_a_404(api, char):
    failures = []
    for method, template, param in routes_with_a_bad_segment(api.app):
        for bad in (char, f"a{char}b", f"4301{char}02", f"changsha{char}"):
            path = template.replace("{bad}", bad)
            r = api.call(method, path, ADMIN, json={} if method in ("POST", "PUT", "PATCH") else None)
            if is_page_path(template) and method in ("GET", "DELETE"):  # a browser's request: the page
                if r.status_code != 404 or r.mimetype != "text/html" or "<code>not_found</code>" not in r.get_data(as_text=True):
                    failures.append((method, path, r.status_code, r.get_data(as_text=True)[:200]))
                continue
            body = r.get_json(silent=True) or {}
            error = body.get("error") if isinstance(body, dict) else None
            if r.status_code != 404 or not isinstance(error, dict) or error.get("code") != "not_found" \
                    or not re.search(r"[\u4e00-\u9fff]", error.get("message", "")):
                failures.append((method, path, r.status_code, r.get_data(as_text=True)[:200]))
    assert not failures, failures[:10]


@pytest.mark.parametrize("code", ["a%00b", "%00", "430102%00001000"])
def test_a_unit_code_with_a_nul_answers_404_on_every_database(api, units, code):
    """Such a code reached SQL on PostgreSQL (a 500) when the path check was missing."""
    r = api.get(f"/api/v1/tenants/changsha/units/{code}", ADMIN)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/tenants/changsha/units/{units.cs_street}", ADMIN).status_code == 200
