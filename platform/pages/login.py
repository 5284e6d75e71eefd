"""``/login`` and ``/logout``: a browser exchanges a token for a session cookie.

The login form takes the token in a POST body (never in the address), checks
it as any request's token is checked (unknown, revoked, expired), and starts
a session (:mod:`~jiceng.platform.auth.sessions`) that the pages then
authenticate from. A failed login answers 401 and counts against the
client's address (:mod:`~jiceng.platform.auth.ratelimit`). Both forms carry
the CSRF token: a login is a POST like any other, so another site cannot log
a browser in with a token of its choosing.

``next`` leads back to the page that sent the browser here; only a path on
this site is followed, never another address.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, redirect, request

from jiceng.platform.auth import ratelimit, sessions
from jiceng.platform.auth.tokens import ROLE_LABEL, Principal, hash_token
from jiceng.platform.api.auth import UNAUTHENTICATED, CsrfRefused, public_page
from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.pages.access import csrf_page, render_page

bp = Blueprint("login", __name__)
bp.register_error_handler(CsrfRefused, csrf_page)
#: why the browser was sent here -> what the login page says about it
REASONS = {"invalid": "登录已失效:令牌无效或已吊销,请重新登录。", "expired": "登录已失效:令牌已过期,请重新登录。",
           "token_in_url": "网址中的令牌不被接受(网址会留在浏览记录和日志中),请在这里输入令牌。"}
HTML = {"content": {"text/html": {}}}


def _next_path(value: Optional[str]) -> str:
    """Where to go after logging in: a path on this site, else the home page. ``//host`` and
    ``/\\host`` are other sites to a browser, so they are refused too."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 2000:
        return "/"
    return value


def _current() -> Optional[Principal]:
    """Who the session is logged in as (None: nobody, or a token that stopped working)."""
    digest = sessions.logged_in_token()
    principal = runtime().principal(digest) if digest else None
    return principal if isinstance(principal, Principal) else None


def _page(status: int, message: str = "", error: str = ""):
    principal = _current()
    return render_page("login.html", status, next=_next_path(request.values.get("next")), message=message,
                       error=error, principal=principal,
                       role_label=ROLE_LABEL.get(principal.role, "") if principal else "")


@bp.route("/login", methods=["GET", "POST"])
@operation("登录页面:输入身份令牌,换取浏览器会话(之后各页面不再需要令牌)", ["页面"], errors=(),
           description="POST 为 HTML 表单:token(令牌)、csrf_token(页面中的隐藏字段)、next(登录后回到的页面路径)。"
                       "成功时 303 转到 next;令牌无效、已吊销或已过期时 401,并计入该地址的失败次数。",
           extra={"responses": {"200": {"description": "登录页面", **HTML},
                                "303": {"description": "已登录,转到 next"},
                                "401": {"description": "令牌无效、已吊销或已过期", **HTML},
                                "403": {"description": "缺少或不符的 csrf_token", **HTML},
                                "429": {"description": "该地址身份验证失败次数过多(程序要 JSON 时为 JSON 错误体)",
                                        "content": {"text/html": {}, "application/json": {"schema": "Error"}}}}})
@public_page
def login():
    if request.method == "GET":
        return _page(200, message=REASONS.get(request.args.get("reason", ""), ""))
    token = (request.form.get("token") or "").strip()
    if not token:
        return _page(401, error="请输入身份令牌。")
    principal = runtime().principal(hash_token(token))
    if not isinstance(principal, Principal):
        ratelimit.note_failure()
        return _page(401, error=UNAUTHENTICATED[principal] + "。")
    sessions.log_in(hash_token(token))
    return redirect(_next_path(request.form.get("next")), 303)


@bp.post("/logout")
@operation("退出登录(结束浏览器会话)", ["页面"], errors=(),
           description="HTML 表单,须带 csrf_token;303 转到登录页。",
           extra={"responses": {"303": {"description": "已退出,转到登录页"},
                                "403": {"description": "缺少或不符的 csrf_token", **HTML}}})
@public_page
def logout():
    sessions.log_out()
    return redirect("/login", 303)
