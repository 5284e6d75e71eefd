"""The application factory: ``create_app(config=None)``.

Wires the database (``JICENG_DATABASE_URL``, SQLite by default), the shared
runtime, one blueprint per resource, the JSON error handlers, the docs, the
pages' login session, the limit on failed authentications
(:mod:`~jiceng.platform.auth.ratelimit`), and the one request hook that
authenticates and authorizes every request
(:func:`~jiceng.platform.api.auth.load_caller`).
The schema is not migrated here: `jiceng init` does that.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Optional

from flask import Flask, request
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import IntegerConverter

from jiceng.dsl import clock
from jiceng.platform.api import admission, decisions, forms, grids, packs, site, standards, tasks, tenants, units
from jiceng.platform.api import departments, editor, impact, limits
from jiceng.platform.api import lists as list_api
from jiceng.platform.api import tokens as token_api
from jiceng.platform.auth import ratelimit, sessions
from jiceng.platform.pages import form_pages, login
from jiceng.platform.pages import operator_pages
from jiceng.platform.pages import console, console_audit, console_forms, console_packs, console_tasks
from jiceng.platform.api.auth import load_caller, needs_no_login, require_declarations
from jiceng.platform.api.errors import register_error_handlers
from jiceng.platform.api.context import EXTENSION
from jiceng.platform.config import load_config, token_days
from jiceng.platform.db.engine import Database
from jiceng.platform.runtime import Runtime

BLUEPRINTS = (site.bp, admission.bp, tenants.bp, packs.bp, impact.bp, tasks.bp, forms.bp, decisions.bp, decisions.checkpoints_bp,
              standards.bp, form_pages.bp, units.bp, grids.bp, operator_pages.bp, departments.bp, token_api.bp, login.bp,
              list_api.bp, console.bp, console_packs.bp, console_tasks.bp, console_forms.bp, console_audit.bp,
              editor.bp)


class IdConverter(IntegerConverter):
    """Ids and version numbers: at most 9 digits, so they always fit an integer column."""

    regex = r"[0-9]{1,9}"  # not \d: it matches fullwidth and other Unicode digits, which int() reads


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """A configured Flask app. ``config`` may hold ``DATABASE`` (a ready :class:`Database`)."""
    here = Path(__file__).resolve().parent
    # no /static route: pages carry their styles, /docs its assets; every route declares its access
    app = Flask(__name__, root_path=str(here), template_folder=str(here / "templates"), static_folder=None,
                instance_path=str(Path.cwd() / "instance"))
    settings = load_config(config)
    app.config.update({k: v for k, v in settings.items() if k != "DATABASE"})
    token_days(app.config)  # a misconfigured JICENG_TOKEN_DAYS stops the start, not the first issue
    app.config.update(SECRET_KEY=settings["SECRET_KEY"] or sessions.secret_key(Path(app.instance_path)),
                      SESSION_COOKIE_NAME="jiceng_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=sessions.LIFETIME)
    app.jinja_env.globals.update(csrf_token=sessions.csrf_token, csrf_field_name=sessions.CSRF_FIELD)
    app.jinja_env.filters["china_time"] = clock.china_time  # stored times are UTC; pages show Beijing time
    db = settings.get("DATABASE") or Database(settings["DATABASE_URL"], schema=settings["DATABASE_SCHEMA"])
    app.extensions[EXTENSION] = Runtime(db)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.converters["id"] = IdConverter
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    register_error_handlers(app)
    require_declarations(app)
    app.before_request(_refuse_control_characters)
    ratelimit.init_app(app, needs_no_login)  # before load_caller: an address over the limit is refused before any lookup
    app.before_request(load_caller)
    limits.install(app)  # first of the hooks: an over-long request is refused before anything reads it
    return app


_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\ud800-\udfff]")


def _refuse_control_characters() -> None:
    """Paths with control characters or broken text name nothing (and must never reach SQL)."""
    if _CONTROL_OR_SURROGATE.search(request.path):
        raise HTTPNotFound()
