"""Responses: every body goes out through its marshmallow schema."""
from __future__ import annotations

from flask import Response, current_app
from marshmallow import Schema


def respond(schema: Schema, data, status: int = 200) -> Response:
    """``data`` dumped through ``schema`` as a JSON response."""
    return respond_plain(schema.dump(data), status)


def respond_plain(data, status: int = 200) -> Response:
    """``data`` as it is: for the admission check, the hot path, whose body is exactly
    ``Decision.to_dict()`` plus a few fields (the response schema documents it, and
    ``tests/platform/test_openapi.py`` checks real answers against that schema)."""
    return current_app.response_class(current_app.json.dumps(data) + "\n", status=status,
                                      mimetype="application/json")
