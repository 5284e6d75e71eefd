"""What a command says when the database cannot serve it: never a traceback.

Any command may be the first one run against a new database, or run with a
``JICENG_DATABASE_URL`` that points nowhere. The commands do not check this up
front (most would pay a round trip for nothing); the ``jiceng`` group catches
the database's error instead, looks at the database once more to tell the cases
apart, and says what to do, exit 2:

* ``database_unreachable`` — no connection (server down, wrong host or port, a file that cannot be opened);
* ``database_not_initialised`` — connected, but the schema was never migrated: run ``jiceng init``;
* ``database_outdated`` — migrated by an older release: run ``jiceng init`` to upgrade;
* ``database_error`` — anything else, with the database's own first line.
"""
from __future__ import annotations

from typing import Callable

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from jiceng.platform.db.engine import Database
from jiceng.platform.db.migrate import alembic_config, current_revision
from jiceng.platform.errors import ServiceError

def explain(error: SQLAlchemyError, database: Callable[[], Database]) -> ServiceError:
    """The :class:`ServiceError` to report for ``error``, found by probing ``database()`` again."""
    try:
        db = database()
    except SQLAlchemyError as e:  # a URL SQLAlchemy cannot even parse or load a driver for
        return ServiceError("database_unreachable", f"数据库地址不可用:{_first_line(e)}。请检查 JICENG_DATABASE_URL")
    where = _shown(db)
    try:
        revision = current_revision(db)
    except SQLAlchemyError as e:
        return ServiceError("database_unreachable",
                            f"无法连接数据库 {where}:{_first_line(e)}。请检查 JICENG_DATABASE_URL,"
                            "以及数据库服务是否在运行、能否从本机访问")
    finally:
        db.dispose()
    if revision is None:
        return ServiceError("database_not_initialised", f"数据库尚未初始化:请先运行 jiceng init(数据库 {where})")
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if revision not in heads:
        return ServiceError("database_outdated",
                            f"数据库结构不是最新版本(第 {revision} 版):请运行 jiceng init 升级(数据库 {where})")
    return ServiceError("database_error", f"数据库出错:{_first_line(error)}(数据库 {where})")


def _shown(db: Database) -> str:
    """The database's URL without its password."""
    return make_url(db.url).render_as_string(hide_password=True)


def _first_line(e: Exception) -> str:
    orig = getattr(e, "orig", None) or e  # the driver's own message, without SQLAlchemy's SQL and links
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
