"""Persistence: SQLAlchemy models and the database handle (no Flask here)."""
