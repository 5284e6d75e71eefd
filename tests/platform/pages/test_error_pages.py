"""Errors that come before or outside a page's view are answered as a page on the pages' paths
(``api/errors.py``, ``error_answer``): an address that matches no page, a wrong method, a
database that does not answer, an internal error. The API's paths, and a program on a page's
path (a JSON body, or asking for JSON first), keep the JSON error body of SPEC §7."""
from __future__ import annotations

import functools

import pytest
from sqlalchemy.exc import OperationalError

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
#: page paths that name nothing: a non-number id, an unknown page, control characters
NO_PAGE = ("/console/changsha/tasks/abc", "/console/changsha/nosuch", "/nosuch", "/check/x%01y",
           "/console/cha%09ngsha/tasks", "/healthz/x")


def _page(resp, status: int, code: str) -> str:
    assert (resp.status_code, resp.mimetype) == (status, "text/html"), resp.get_data(as_text=True)[:300]
    assert resp.headers["Cache-Control"] == "no-store"
    text = resp.get_data(as_text=True)
    assert f"<code>{code}</code>" in text and "Traceback" not in text
    # a way on: the console (which sends a visitor without a session to the login page) and the home page
    assert '<a href="/console">控制台</a>' in text and '<a href="/">首页</a>' in text
    return text


def _json(resp, status: int, code: str) -> dict:
    assert (resp.status_code, resp.mimetype) == (status, "application/json"), resp.get_data(as_text=True)[:300]
    error = resp.json["error"]
    assert error["code"] == code, error
    return error


@pytest.mark.parametrize("path", NO_PAGE)
def test_an_address_that_matches_no_page_is_answered_as_a_page(api, path):
    text = _page(api.get(path, headers=BROWSER), 404, "not_found")
    assert "<title>页面不存在</title>" in text and "资源不存在" in text
    # curl and the test client send no Accept (*/*): a page's path is still a page
    _page(api.get(path), 404, "not_found")


@pytest.mark.parametrize("path", NO_PAGE[:3])
def test_a_program_on_a_pages_path_reads_json(api, path):
    _json(api.get(path, headers={"Accept": "application/json"}), 404, "not_found")
    _json(api.get(path, headers={"Accept": "application/json, text/html;q=0.5"}), 404, "not_found")
    _json(api.post(path, json={"task": {}}, headers=BROWSER), 404, "not_found")  # it sends JSON
    _json(api.post(path, headers=BROWSER), 404, "not_found")  # a POST that is no form: a program's


@pytest.mark.parametrize("path", ["/api/v1/nosuch", "/api/v1/tenants/changsha/packs/abc", "/api/v1/x%01"])
def test_the_apis_paths_answer_json_even_to_a_browser(api, path):
    _json(api.get(path, headers=BROWSER), 404, "not_found")


def test_a_wrong_method_on_a_page_says_which_ones_it_takes(api):
    resp = api.call("DELETE", "/login", headers=BROWSER)
    text = _page(resp, 405, "method_not_allowed")
    assert "<title>不支持此操作</title>" in text
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    resp = api.call("DELETE", "/api/v1/tenants/changsha/lists", ("changsha", "admin"), headers=BROWSER)
    assert "GET" in _json(resp, 405, "method_not_allowed")["details"]["allowed"]


def _failing(monkeypatch, app, endpoint: str, error: Exception) -> None:
    """Make the view behind ``endpoint`` raise ``error`` (its access declarations kept)."""
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def failing(*args, **kwargs):
        raise error
    monkeypatch.setitem(app.view_functions, endpoint, failing)


@pytest.mark.parametrize("error, status, code, title", [
    (RuntimeError("boom: secret detail"), 500, "internal_error", "服务器内部错误"),
    (OperationalError("SELECT 1", {}, Exception("database is locked")), 503, "database_unavailable", "服务暂时不可用"),
])
def test_a_failure_behind_a_page_is_a_page_and_behind_the_api_json(api, monkeypatch, error, status, code, title):
    _failing(monkeypatch, api.app, "site.index", error)
    _failing(monkeypatch, api.app, "site.healthz", error)
    text = _page(api.get("/", headers=BROWSER), status, code)
    assert f"<title>{title}</title>" in text and "secret detail" not in text and "database is locked" not in text
    _json(api.get("/healthz", headers=BROWSER), status, code)


@pytest.fixture
def auditor_session(api):
    """The module's client logged in as Changsha's auditor, logged out again afterwards."""
    api.log_in("changsha", "auditor")
    yield api
    api.client.delete_cookie("jiceng_session")


def test_a_pages_own_refusals_carry_their_codes_too(auditor_session):
    api = auditor_session
    out_of_reach = api.get("/console/heilongjiang/tasks", headers=BROWSER)
    missing = api.get("/console/nosuch/tasks", headers=BROWSER)
    for resp in (out_of_reach, missing):  # the same page, code included, for both
        assert resp.status_code == 404 and "<code>tenant_not_found</code>" in resp.get_data(as_text=True)
    forbidden = api.get("/console/changsha/packs", headers=BROWSER)  # an auditor does not author packs
    assert forbidden.status_code == 403 and "<code>forbidden</code>" in forbidden.get_data(as_text=True)


def test_the_openapi_document_says_a_pages_errors_come_as_pages_or_json(api):
    paths = api.get("/api/v1/openapi.json").json["paths"]
    login_429 = paths["/login"]["post"]["responses"]["429"]["content"]
    assert set(login_429) == {"text/html", "application/json"}
    check_429 = paths["/api/v1/tenants/{tenant}/admission/check"]["post"]["responses"]["429"]["content"]
    assert set(check_429) == {"application/json"}
    assert set(paths["/healthz"]["get"]["responses"]["414"]["content"]) == {"application/json"}
    assert set(paths["/console/{tenant}/tasks"]["get"]["responses"]["414"]["content"]) == {"text/html", "application/json"}
    # a page's own refusals are pages; a 404 (an address naming nothing) or a 422 (a POST that is no form) can be JSON
    test_run = paths["/console/{tenant}/packs/{number}/test"]["post"]["responses"]
    assert set(test_run["404"]["content"]) == {"text/html", "application/json"}
    assert set(test_run["403"]["content"]) == {"text/html"}
    assert set(paths["/forms/{tenant}/{name}"]["post"]["responses"]["422"]["content"]) == {"text/html", "application/json"}


def test_a_page_refusing_a_programs_post_answers_json(api):
    """The check page takes HTML forms only; a POST without one is told, as JSON, which API to use."""
    resp = api.post("/check/changsha", ("changsha", "township"), headers=BROWSER)
    error = _json(resp, 422, "invalid_request")
    assert "/api/v1/tenants/<租户>/admission/check" in error["message"]
