"""The app's own request limits answer with the JSON error body (issue 11, item 1): over-long
URLs (414) and headers (431), bodies that are not JSON (415), fullwidth digits in numbers."""
from __future__ import annotations

from jiceng.platform.api import limits
from jiceng.platform.serving import gunicorn_conf

CHECK = "/api/v1/tenants/changsha/admission/check"
TASK = {"task": {"title": "协助入户调查", "item_code": "CS-001", "role": "assist"}}


def _error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/json"
    error = resp.json["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == code
    return error


def test_an_over_long_url_is_414_json(api):
    resp = api.get("/api/v1/tenants/changsha/units?under=" + "1" * limits.MAX_URL_BYTES, as_=("changsha", "admin"))
    error = _error(resp, 414, "uri_too_long")
    assert error["details"]["limit"] == limits.MAX_URL_BYTES and "请求地址过长" in error["message"]


def test_over_large_headers_are_431_json(api):
    big = {"X-Padding": "a" * limits.MAX_HEADER_BYTES}
    _error(api.get("/healthz", headers=big), 431, "headers_too_large")
    many = {f"X-Field-{i}": "1" for i in range(limits.MAX_HEADER_FIELDS + 1)}
    _error(api.get("/healthz", headers=many), 431, "headers_too_large")


def test_limits_come_before_authentication(api):
    # no token: the size is refused first, so nothing reads an over-long request
    _error(api.get("/api/v1/tenants/changsha/units?x=" + "1" * limits.MAX_URL_BYTES), 414, "uri_too_long")


def test_bodies_that_are_not_json_are_415(api):
    admin = ("changsha", "admin")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/csv"):
        resp = api.post(CHECK, as_=admin, data=b'{"task": {}}', content_type=content_type)
        error = _error(resp, 415, "unsupported_media_type")
        assert error["details"]["accepted"] == ["application/json"]
    # no Content-Type at all (curl -d without -H) is not JSON either
    resp = api.client.post(CHECK, headers=api.headers(*admin), data=b'{"task": {}}',
                           environ_overrides={"CONTENT_TYPE": ""})
    _error(resp, 415, "unsupported_media_type")
    assert api.post(CHECK, as_=admin, json=TASK).status_code != 415
    assert api.post(CHECK, as_=admin, data=b"{}", content_type="application/json; charset=utf-8").status_code != 415


def test_upload_endpoints_take_their_file_types(api):
    admin = ("changsha", "admin")
    for what in ("units", "departments"):
        url = f"/api/v1/tenants/changsha/{what}/import?dry_run=true"
        resp = api.post(url, as_=admin, data="代码,名称\n".encode(), content_type="text/csv")
        assert resp.status_code != 415, resp.json
        error = _error(api.post(url, as_=admin, data=b"x", content_type="text/plain"), 415, "unsupported_media_type")
        assert "text/csv" in error["details"]["accepted"]


def test_an_empty_body_needs_no_content_type(api):
    resp = api.post("/api/v1/tenants/changsha/packs/999999/test", as_=("changsha", "admin"))
    assert resp.status_code == 404


def test_fullwidth_digits_in_a_query_number_are_refused(api):
    resp = api.get("/api/v1/tenants/changsha/decisions?limit=１０", as_=("changsha", "auditor"))
    error = _error(resp, 422, "invalid_request")
    assert [d["path"] for d in error["details"]] == ["?limit"]
    for written in ("1_0", " 10", "+10", "١٠"):
        resp = api.get(f"/api/v1/tenants/changsha/decisions?limit={written}", as_=("changsha", "auditor"))
        assert resp.status_code == 422, written
    assert api.get("/api/v1/tenants/changsha/decisions?limit=10", as_=("changsha", "auditor")).status_code == 200


def test_fullwidth_digits_in_a_path_id_name_nothing(api):
    ok = api.get("/api/v1/tenants/changsha/packs/1", as_=("changsha", "admin"))
    assert ok.status_code == 200
    _error(api.get("/api/v1/tenants/changsha/packs/１", as_=("changsha", "admin")), 404, "not_found")


def test_form_posts_have_their_own_bounds(api):
    app = api.app
    assert app.config["MAX_FORM_MEMORY_SIZE"] == limits.MAX_FORM_MEMORY_SIZE
    assert app.config["MAX_FORM_PARTS"] == limits.MAX_FORM_PARTS
    # Werkzeug bounds multipart fields; a urlencoded post is bounded by MAX_CONTENT_LENGTH only
    big = {"title": "x" * (limits.MAX_FORM_MEMORY_SIZE + 1)}
    resp = api.post("/forms/changsha/task", data=big, content_type="multipart/form-data",
                    headers={**api.headers("changsha", "admin"), "Accept": "application/json"})
    error = _error(resp, 413, "payload_too_large")
    assert error["details"]["limit_field"] == limits.MAX_FORM_MEMORY_SIZE
    # a browser posting the form reads the same refusal as a page
    resp = api.post("/forms/changsha/task", data=big, content_type="multipart/form-data",
                    headers={**api.headers("changsha", "admin"), "Accept": "text/html,*/*;q=0.8"})
    page = resp.get_data(as_text=True)
    assert (resp.status_code, resp.mimetype) == (413, "text/html")
    assert "payload_too_large" in page and f"每个字段上限 {limits.MAX_FORM_MEMORY_SIZE} 字节" in page


def test_gunicorn_answers_only_beyond_the_apps_bounds():
    conf = gunicorn_conf.settings()
    request_line_overhead = len("OPTIONS  HTTP/1.1")
    assert conf["limit_request_line"] - request_line_overhead > limits.MAX_URL_BYTES
    assert conf["limit_request_line"] <= 8190  # gunicorn's maximum
    assert conf["limit_request_field_size"] > limits.MAX_HEADER_BYTES
    assert conf["limit_request_fields"] > limits.MAX_HEADER_FIELDS
