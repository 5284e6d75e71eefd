"""Issue 11.5: the pages authenticate from a login session, never from ``?token=``; every POST
a page takes is CSRF-checked."""
from __future__ import annotations

from jiceng.platform.app import create_app
from jiceng.platform.auth import tokens

PAGE = "/check/changsha"


def cookie_header(r) -> str:
    return next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("jiceng_session="))


def test_without_a_login_a_page_leads_to_the_login_page_and_back(fresh_api):
    api = fresh_api
    r = api.client.get(PAGE)
    assert r.status_code == 303 and r.location == "/login?next=/check/changsha&reason=missing"
    form = api.client.get(r.location).get_data(as_text=True)
    assert 'name="next" value="/check/changsha"' in form and 'type="password"' in form and "csrf_token" in form
    r = api.client.post("/login", data={"token": api.tokens[("changsha", "township")], "csrf_token": api.csrf(),
                                        "next": "/check/changsha"})
    assert r.status_code == 303 and r.location == "/check/changsha"
    cookie = cookie_header(r)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert api.client.get(PAGE).status_code == 200
    assert api.tokens[("changsha", "township")] not in cookie  # the session holds the token's hash only


def test_a_token_in_the_address_is_not_taken(fresh_api):
    api = fresh_api
    token = api.tokens[("changsha", "township")]
    r = api.client.get(f"{PAGE}?token={token}")
    assert r.status_code == 303 and r.location.startswith("/login?next=/check/changsha&reason=token_in_url")
    assert token not in r.location
    assert "网址中的令牌不被接受" in api.client.get(r.location).get_data(as_text=True)
    api.log_in("changsha", "township")
    assert api.client.get(f"{PAGE}?token={token}").status_code == 303  # refused even with a session


def test_a_failed_login_says_why(fresh_api):
    api = fresh_api
    for token, why in (("jc_wrong", "无效或已吊销"), ("", "请输入身份令牌")):
        r = api.client.post("/login", data={"token": token, "csrf_token": api.csrf()})
        assert r.status_code == 401 and why in r.get_data(as_text=True)
    assert api.client.get(PAGE).status_code == 303


def test_page_posts_need_the_sessions_csrf_token(fresh_api):
    api = fresh_api
    csrf = api.log_in("changsha", "township")
    for data in ({}, {"csrf_token": "forged"}):
        r = api.client.post(PAGE, data={"/title": "某任务", **data})
        assert r.status_code == 403 and "页面已过期" in r.get_data(as_text=True)
    assert api.client.post(PAGE, data={"/title": "某任务", "csrf_token": csrf}).status_code == 422  # checked
    bearer = {"Authorization": f"Bearer {api.tokens[('changsha', 'township')]}"}
    other = api.app.test_client()  # a program with a bearer token has no session, and needs no CSRF token
    assert other.post(PAGE, data={"/title": "某任务"}, headers=bearer).status_code == 422
    assert api.client.post("/login", data={"token": api.tokens[("changsha", "admin")]}).status_code == 403
    assert api.client.post("/logout").status_code == 403  # another site cannot log the browser out either


def test_logout_and_a_revoked_login(fresh_api):
    api = fresh_api
    csrf = api.log_in("changsha", "township")
    r = api.client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.location == "/login"
    assert api.client.get(PAGE).status_code == 303
    api.log_in("changsha", "township")
    with api.app.extensions["jiceng"].db.write() as session:
        assert tokens.revoke(session, tokens.token_id(session, api.tokens[("changsha", "township")]))
    r = api.client.get(PAGE)  # the very next request
    assert r.status_code == 303 and r.location.endswith("reason=invalid")
    assert "令牌无效或已吊销" in api.client.get(r.location).get_data(as_text=True)
    with api.client.session_transaction() as session:
        assert "token_sha256" not in session  # the session was ended


def test_next_never_leads_off_the_site(fresh_api):
    api = fresh_api
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "check"):
        r = api.client.post("/login", data={"token": api.tokens[("changsha", "auditor")], "csrf_token": api.csrf(),
                                            "next": target})
        assert r.status_code == 303 and r.location == "/", target


def test_the_cookie_is_secure_when_configured(fresh_api):
    app = create_app({"DATABASE": fresh_api.app.extensions["jiceng"].db, "SESSION_COOKIE_SECURE": True})
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    r = client.post("/login", data={"token": fresh_api.tokens[("changsha", "auditor")], "csrf_token": csrf})
    assert r.status_code == 303 and "Secure" in cookie_header(r)
