"""Who is calling, and may they: declared once per route, checked by one request hook.

Each view names the permission it needs with :func:`requires` (a permission
of :data:`~jiceng.platform.auth.tokens.PERMISSIONS`), or says it needs none
with :func:`public`. :func:`load_caller`, the app's ``before_request`` hook,
does the rest before any view runs, in this order:

1. the bearer token (401 without a valid one) — for HTML pages, the token the
   page carries (:func:`page_token`);
2. the tenant in the URL must be within the token's reach: 404 otherwise,
   exactly as a tenant that does not exist, so a token learns nothing about
   tenants it cannot see;
3. the role must hold the declared permission (403).

The caller is then :func:`caller` (``g.principal``). A unit-bound token's
narrower reach depends on the task or assignment at hand, so the services
check it (:meth:`~jiceng.platform.auth.tokens.Principal.require_unit`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from flask import Flask, current_app, g, request

from jiceng.platform.errors import NotFound
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import PERMISSIONS, Principal
from jiceng.platform.api.errors import ApiError
from jiceng.platform.api.context import runtime


@dataclass(frozen=True)
class Access:
    """What a view declares: the permission it needs (None: public), per method where they differ,
    and whether its token comes in the page (HTML pages) rather than the ``Authorization`` header."""

    permission: Optional[str]
    by_method: Mapping[str, str] = field(default_factory=dict)
    token_in_page: bool = False

    def permission_for(self, method: str) -> Optional[str]:
        """The permission a request with ``method`` needs (HEAD is a GET)."""
        return self.by_method.get("GET" if method == "HEAD" else method, self.permission)


PUBLIC = Access(None)


def requires(permission: str, *, token_in_page: bool = False, **by_method: str) -> Callable:
    """Declare the permission a view needs, e.g. ``@requires("pack.write")``; a method that needs
    another one names it: ``@requires("read", POST="form.validate")``."""
    for p in (permission, *by_method.values()):
        if p not in PERMISSIONS:
            raise ValueError(f"unknown permission {p!r}")

    def attach(view):
        view.access = Access(permission, dict(by_method), token_in_page)
        return view
    return attach


def public(view):
    """Declare that a view needs no token (health check, documentation, landing page)."""
    view.access = PUBLIC
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


class Unauthenticated(ApiError):
    """401: no token, or one that is unknown or revoked (``missing`` tells which)."""

    def __init__(self, missing: bool):
        super().__init__(401, "unauthorized", "需要身份令牌(Authorization: Bearer <token>)" if missing
                         else "身份令牌无效或已吊销")
        self.missing = missing


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
        return
    token = page_token() if access.token_in_page else bearer_token(request.headers.get("Authorization", ""))
    g.principal = authorize_token(runtime(), token, (request.view_args or {}).get("tenant"), permission)


def caller() -> Principal:
    """The principal :func:`load_caller` authenticated for this request."""
    return g.principal


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer`` header's value ("" when there is none)."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def page_token() -> str:
    """The token an HTML page request carries, since a browser form cannot set a header:
    ``Authorization: Bearer``, else the ``token`` query parameter (GET) or form field (POST)."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if token:
        return token
    source = request.form if request.method == "POST" else request.args
    return (source.get("token") or "").strip()


def authorize_token(rt: Runtime, token: str, tenant: Optional[str], permission: str) -> Principal:
    """The principal behind ``token``, who must reach ``tenant`` (when the route names one) and
    hold ``permission``: :class:`Unauthenticated`, :class:`NotFound`, :class:`Forbidden` otherwise."""
    if not token:
        raise Unauthenticated(missing=True)
    with rt.db.read() as session:
        principal = rt.principal(session, token)
        if principal is None:
            raise Unauthenticated(missing=False)
        directory = rt.directory(session, need=tenant) if tenant is not None else None
    if directory is not None and not directory.reaches(principal.tenant, tenant):
        raise NotFound("tenant_not_found", f"找不到租户 {tenant}")
    principal.require(permission)
    return principal
