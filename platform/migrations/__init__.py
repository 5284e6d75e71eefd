"""Alembic migrations of the service's schema (run by `jiceng init`)."""
