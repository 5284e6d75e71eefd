"""How an HTML page declares who may open it, and how it refuses a request: as a page.

A page declares its permission with :func:`page`, like an API view with
:func:`~jiceng.platform.api.auth.requires`, and the same request hook checks
it. The caller comes with the login session (``/login``, :mod:`.login`) —
or ``Authorization: Bearer`` — never with a token in the address
(:func:`~jiceng.platform.api.auth.page_credential`).

What the hook or the view refuses is answered as a zh-CN page, not JSON:
without a login, with a token that no longer works, or with ``?token=``, a
redirect (303) to the login page, which then leads back; out of reach, or
not there, a "not found" page (404) — the same for both; a role without the
permission 403; a POST without the session's CSRF token 403; unusable input
422. :func:`answer_refusals_as_pages` installs this on a pages blueprint.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from jiceng.platform.auth import sessions
from jiceng.platform.errors import Forbidden, Invalid, NotFound, ServiceError
from jiceng.platform.api.auth import CsrfRefused, TokenInUrl, Unauthenticated, requires
from jiceng.platform.api.errors import PAGE_HEADERS as HEADERS


def render_page(template: str, status: int, **context):
    """An HTML page answer, never cached nor leaking its address to other sites."""
    return render_template(template, **context), status, HEADERS


@dataclass(frozen=True)
class Refusals:
    """A page's own words for a refusal: the 404 page's title and message, the 403 and 422 titles."""

    not_found: tuple[str, str]
    forbidden: str
    invalid: str


def page(permission: str, *, not_found: tuple[str, str], forbidden: str, invalid: str = "无法处理该请求",
         **by_method: str) -> Callable:
    """Declare an HTML page: the permission it needs (``by_method`` as for
    :func:`~jiceng.platform.api.auth.requires`), its caller coming with the login session, and its
    refusals."""
    def attach(view):
        view = requires(permission, token_in_page=True, **by_method)(view)
        view.refusals = Refusals(not_found, forbidden, invalid)
        return view
    return attach


def answer_refusals_as_pages(bp: Blueprint) -> None:
    """Answer ``bp``'s refusals — the request hook's and its views' — with the page's own words."""
    bp.register_error_handler(Unauthenticated, to_login)
    bp.register_error_handler(TokenInUrl, to_login)
    bp.register_error_handler(CsrfRefused, csrf_page)
    for error in (NotFound, Forbidden, Invalid):
        bp.register_error_handler(error, _refusal_page)


def to_login(e: Unauthenticated | TokenInUrl):
    """303 to the login page, which leads back to this page (its path only: a ``?token=`` is
    dropped unread). A session whose token stopped working is ended."""
    if isinstance(e, Unauthenticated) and e.reason != "missing":
        sessions.log_out()
    return redirect(url_for("login.login", next=request.path, reason=e.details["reason"]), 303)


def csrf_page(e: CsrfRefused):
    """403: a POST without this session's CSRF token; the page can be opened again."""
    return render_page("form_message.html", 403, title="页面已过期", message=e.message, code=e.code, login_again=True)


def _refusal_page(e: ServiceError):
    refusals: Refusals = current_app.view_functions[request.url_rule.endpoint].refusals
    if isinstance(e, NotFound):
        title, message = refusals.not_found
        return render_page("form_message.html", 404, title=title, message=message, code=e.code)
    if isinstance(e, Forbidden):
        return render_page("form_message.html", 403, title=refusals.forbidden, message=e.message, code=e.code)
    return render_page("form_message.html", 422, title=refusals.invalid, message=e.message, code=e.code)
