"""How an HTML page declares who may open it, and how it refuses a request: as a page.

A page declares its permission with :func:`page`, like an API view with
:func:`~jiceng.platform.api.auth.requires`, and the same request hook checks
it. The token comes in the page itself, because a browser form cannot set an
``Authorization`` header (:func:`~jiceng.platform.api.auth.page_token`).

What the hook or the view refuses is answered as a zh-CN page, not JSON:
without a usable token a page asking for one (401); out of reach, or not
there, a "not found" page (404) — the same for both; a role without the
permission 403; unusable input 422. :func:`answer_refusals_as_pages`
installs this on a pages blueprint.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, current_app, render_template, request

from jiceng.platform.errors import Forbidden, Invalid, NotFound, ServiceError
from jiceng.platform.api.auth import Unauthenticated, requires

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def render_page(template: str, status: int, **context):
    """An HTML page answer, never cached nor leaking its address (it may hold a token)."""
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
    :func:`~jiceng.platform.api.auth.requires`), its token carried in the page, and its refusals."""
    def attach(view):
        view = requires(permission, token_in_page=True, **by_method)(view)
        view.refusals = Refusals(not_found, forbidden, invalid)
        return view
    return attach


def answer_refusals_as_pages(bp: Blueprint) -> None:
    """Answer ``bp``'s refusals — the request hook's and its views' — with the page's own words."""
    bp.register_error_handler(Unauthenticated, _token_page)
    for error in (NotFound, Forbidden, Invalid):
        bp.register_error_handler(error, _refusal_page)


def _token_page(e: Unauthenticated):
    """The 401 page: why, and a field to enter a token and open the same page again."""
    if e.missing:
        title, message = "需要身份令牌", "请输入身份令牌(jiceng token issue 签发)后打开页面。"
    else:
        title, message = "身份令牌无效", "身份令牌无效或已吊销,请重新输入。"
    return render_page("form_message.html", 401, title=title, message=message, ask_token=True)


def _refusal_page(e: ServiceError):
    refusals: Refusals = current_app.view_functions[request.url_rule.endpoint].refusals
    if isinstance(e, NotFound):
        title, message = refusals.not_found
        return render_page("form_message.html", 404, title=title, message=message)
    if isinstance(e, Forbidden):
        return render_page("form_message.html", 403, title=refusals.forbidden, message=e.message)
    return render_page("form_message.html", 422, title=refusals.invalid, message=e.message)
