"""Who is calling, and may they: declared once per route, checked by one request hook.

Each view names the permission it needs with :func:`requires` (a permission
of :data:`~jiceng.platform.auth.tokens.PERMISSIONS`), or says it needs none
with :func:`public`. :func:`load_caller`, the app's ``before_request`` hook,
does the rest before any view runs, in this order:

1. the bearer token (401 without a valid one: unknown, revoked or expired) —
   for HTML pages, the login session (:func:`page_credential`);
2. the tenant in the URL must be within the token's reach: 404 otherwise,
   exactly as a tenant that does not exist, so a token learns nothing about
   tenants it cannot see;
3. the role must hold the declared permission (403);
4. a page's POST must carry the session's CSRF token (:class:`CsrfRefused`).

A route declared ``token_read_by_view`` (the admission check) has its token's
row read by the view's own database statement, one round trip fewer: the hook
refuses a request without a token, and the view makes checks 1–3 with
:func:`confirm_caller` before it does anything else.
The caller is then :func:`caller` (``g.principal``). A unit-bound token's
narrower reach depends on the task or assignment at hand, so the services
check it (:meth:`~jiceng.platform.auth.tokens.Principal.require_unit`).
Failed authentications are counted per client address (:mod:`.ratelimit`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Union

from flask import Flask, current_app, g, request

from jiceng.platform.errors import NotFound
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth import ratelimit, sessions
from jiceng.platform.auth.tokens import PERMISSIONS, Principal, Refusal, hash_token
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.context import runtime


@dataclass(frozen=True)
class Access:
    """What a view declares: the permission it needs (None: public), per method where they differ,
    and whether it is an HTML page (``token_in_page``): the caller comes with the page's login
    session rather than the ``Authorization`` header, and every POST is CSRF-checked.
    ``token_read_by_view``: the view reads the token's row in its own database query and
    completes the checks with :func:`confirm_caller` before it does anything else."""

    permission: Optional[str]
    by_method: Mapping[str, str] = field(default_factory=dict)
    token_in_page: bool = False
    token_read_by_view: bool = False

    def permission_for(self, method: str) -> Optional[str]:
        """The permission a request with ``method`` needs (HEAD is a GET)."""
        return self.by_method.get("GET" if method == "HEAD" else method, self.permission)


PUBLIC = Access(None)


def requires(permission: str, *, token_in_page: bool = False, token_read_by_view: bool = False,
             **by_method: str) -> Callable:
    """Declare the permission a view needs, e.g. ``@requires("pack.write")``; a method that needs
    another one names it: ``@requires("read", POST="form.validate")``. ``token_read_by_view``: see
    :class:`Access` (an API view only)."""
    if token_read_by_view and (token_in_page or by_method):
        raise ValueError("token_read_by_view is for an API view with one permission")
    for p in (permission, *by_method.values()):
        if p not in PERMISSIONS:
            raise ValueError(f"unknown permission {p!r}")

    def attach(view):
        view.access = Access(permission, dict(by_method), token_in_page, token_read_by_view)
        return view
    return attach


def public(view):
    """Declare that a view needs no token (health check, documentation, landing page)."""
    view.access = PUBLIC
    return view


def public_page(view):
    """Declare an HTML page that needs no login but whose POSTs are CSRF-checked (login, logout)."""
    view.access = Access(None, token_in_page=True)
    return view


def access_of(app: Flask, endpoint: str) -> Optional[Access]:
    """The declaration of ``endpoint``'s view, None when it has none."""
    return getattr(app.view_functions.get(endpoint), "access", None)


def require_declarations(app: Flask) -> None:
    """Refuse to build an app with a route that declares neither a permission nor :func:`public`:
    :func:`load_caller` would have nothing to check it against."""
    missing = sorted(rule.endpoint for rule in app.url_map.iter_rules() if access_of(app, rule.endpoint) is None)
    if missing:
        raise RuntimeError(f"routes without @requires or @public: {', '.join(missing)}")


#: said with every unknown tenant, in reach or not (so it tells nothing about other tenants)
TENANT_HINT = ";新的省、市租户由其上级的管理员建立:POST /api/v1/tenants,或 jiceng tenant new"

#: why a request is unauthenticated -> the zh-CN message of its 401
UNAUTHENTICATED = {"missing": "需要身份令牌(Authorization: Bearer <token>)",
                   "invalid": "身份令牌无效或已吊销",
                   "expired": "身份令牌已过期,请重新签发(jiceng token issue)"}


class Unauthenticated(ApiError):
    """401: no token (``reason`` "missing"), an unknown or revoked one ("invalid") or an expired
    one ("expired"); the code is ``unauthorized`` for all, ``details.reason`` tells which."""

    def __init__(self, reason: str):
        super().__init__(401, "unauthorized", UNAUTHENTICATED[reason], {"reason": reason})
        self.reason = reason


class TokenInUrl(ApiError):
    """A page asked for with ``?token=``: refused (pages answer with a redirect to the login
    page), because an address ends up in histories, logs and Referer headers."""

    def __init__(self):
        super().__init__(401, "token_in_url", "网址中不接受身份令牌,请在登录页输入", {"reason": "token_in_url"})


class CsrfRefused(ApiError):
    """403: a page's POST without this session's CSRF token (a form from another site, or one
    opened before the session began)."""

    def __init__(self):
        super().__init__(403, "csrf_failed", "页面已过期或不是从本站提交的,请重新打开页面后再提交")


def load_caller() -> None:
    """The ``before_request`` hook: authenticate the request and check it against its view's
    declaration (see the module's docstring); the caller goes to ``g.principal``."""
    if request.url_rule is None:  # no route: Flask answers 404 or 405 itself
        return
    if request.method == "OPTIONS" and request.url_rule.provide_automatic_options:
        return  # Flask's own answer: the methods the route allows, nothing of any tenant
    access = access_of(current_app, request.url_rule.endpoint)
    permission = access.permission_for(request.method)
    if permission is None:
        if access.token_in_page and request.method == "POST":
            _require_csrf()
        return
    if access.token_in_page:
        digest, from_session = page_credential()
    else:
        token = bearer_token(request.headers.get("Authorization", ""))
        digest, from_session = (hash_token(token) if token else None), False
    if access.token_read_by_view:
        if not digest:
            raise Unauthenticated("missing")
        g.token_digest = digest  # the view reads the row and calls confirm_caller
        return
    g.principal = authorize(runtime(), digest, (request.view_args or {}).get("tenant"), permission)
    if from_session and request.method == "POST":
        _require_csrf()


def needs_no_login() -> bool:
    """Whether nobody authenticates on this request's route: it declares no permission for the
    method and is not a page with a login form (``/login``, whose failures count). Such routes are
    exempt from the limit on failed authentications (:mod:`~jiceng.platform.auth.ratelimit`)."""
    if request.url_rule is None:
        return True
    access = access_of(current_app, request.url_rule.endpoint)
    return access is None or (access.permission_for(request.method) is None and not access.token_in_page)


def _require_csrf() -> None:
    if not sessions.csrf_valid(request.form.get(sessions.CSRF_FIELD)):
        raise CsrfRefused()


def caller() -> Principal:
    """The principal :func:`load_caller` authenticated for this request."""
    return g.principal


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer`` header's value ("" when there is none)."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def page_credential() -> tuple[Optional[str], bool]:
    """The hash of the token an HTML page request comes with, and whether it came from the login
    session: ``Authorization: Bearer`` (a program; a browser form cannot set it, so it needs no
    CSRF token), else the session. A ``token`` query parameter or form field is refused
    (:class:`TokenInUrl`) rather than ignored, so that an old bookmark leads to the login page."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if token:
        return hash_token(token), False
    if "token" in request.args or (request.method == "POST" and "token" in request.form):
        raise TokenInUrl()
    return sessions.logged_in_token(), True


def token_digest() -> str:
    """The hash of the bearer token of a request to a ``token_read_by_view`` route."""
    return g.token_digest


def confirm_caller(found: Union[Principal, Refusal, None] = None) -> Principal:
    """For a ``token_read_by_view`` route: complete :func:`load_caller`'s checks with what the
    view's query ``found`` for :func:`token_digest` (None: look the token up now), exactly as the
    hook would have made them — 401, then 404 for a tenant out of reach, then 403; the caller then
    is :func:`caller`. The view calls it before anything it answers could depend on the request."""
    rt = runtime()
    if found is None:
        found = rt.principal(g.token_digest)
    g.principal = admit(rt, found, (request.view_args or {}).get("tenant"),
                        access_of(current_app, request.url_rule.endpoint).permission)
    return g.principal


def authorize(rt: Runtime, digest: Optional[str], tenant: Optional[str], permission: str) -> Principal:
    """The principal behind the token hashed ``digest``, who must reach ``tenant`` (when the route
    names one) and hold ``permission``: :class:`Unauthenticated`, :class:`NotFound`,
    :class:`Forbidden` otherwise."""
    if not digest:
        raise Unauthenticated("missing")
    return admit(rt, rt.principal(digest), tenant, permission)


def admit(rt: Runtime, principal: Union[Principal, Refusal], tenant: Optional[str], permission: str) -> Principal:
    """:func:`authorize` once the token is looked up: ``principal``, or why there is none."""
    if not isinstance(principal, Principal):
        ratelimit.note_failure()
        raise Unauthenticated(principal)
    if tenant is not None:
        with rt.db.read() as session:
            directory = rt.directory(session, need=tenant)
        if not directory.reaches(principal.tenant, tenant):
            raise NotFound("tenant_not_found", f"找不到租户 {tenant}{TENANT_HINT}")
    principal.require(permission)
    return principal
