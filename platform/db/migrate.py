"""Schema migrations: `jiceng init` and the tests upgrade through Alembic."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from jiceng.platform.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped with the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with database.transaction() as conn:  # one transaction: a failed migration leaves nothing half done
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(database: Database) -> str | None:
    """The schema revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
