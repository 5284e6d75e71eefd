"""Responses: every body goes out through its marshmallow schema."""
from __future__ import annotations

from flask import Response, current_app
from marshmallow import Schema


def respond(schema: Schema, data, status: int = 200) -> Response:
    """``data`` dumped through ``schema`` as a JSON response."""
    return current_app.response_class(current_app.json.dumps(schema.dump(data)) + "\n", status=status,
                                      mimetype="application/json")
