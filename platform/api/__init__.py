"""The HTTP layer: one blueprint per resource, marshmallow schemas, errors, OpenAPI."""
