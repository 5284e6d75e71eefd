"""The landing page, health check, OpenAPI document and its readable form at ``/docs``.

``/docs`` is Swagger UI served from the ``swagger-ui-bundle`` package's own
files: nothing is fetched from the network.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound as HTTPNotFound

from jiceng.platform.api.auth import public
from jiceng.platform.api.openapi import build_spec, operation
from jiceng.platform.api.schemas import HealthSchema

bp = Blueprint("site", __name__)
SWAGGER_FILES = Path(swagger_ui_path)
SWAGGER_ALLOWED = {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
                   "favicon-32x32.png", "favicon-16x16.png"}


@bp.get("/")
@public
def index():
    return render_template("index.html")


@bp.get("/healthz")
@operation("健康检查", ["服务"], response=HealthSchema, errors=())
@public
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/api/v1/openapi.json")
@public
def openapi():
    spec = current_app.extensions.get("jiceng.openapi")
    if spec is None:
        spec = current_app.extensions["jiceng.openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/docs")
@public
def docs():
    return render_template("docs.html")


@bp.get("/docs/assets/<path:name>")
@public
def docs_asset(name: str):
    if name not in SWAGGER_ALLOWED:
        raise HTTPNotFound()
    return send_from_directory(SWAGGER_FILES, name, max_age=86400)
