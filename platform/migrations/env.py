"""Alembic environment: runs on the connection handed over by
:func:`jiceng.platform.db.migrate.upgrade` (no URL in any ini file)."""
from alembic import context

from jiceng.platform.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
