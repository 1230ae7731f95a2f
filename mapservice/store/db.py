"""Database engines for the two backends (SpatiaLite file, PostGIS server) and the schema."""
import logging
from pathlib import Path

import pyogrio  # noqa: F401  (see below)
import sqlalchemy as sa
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy.orm import sessionmaker

from mapservice.store import accounts  # noqa: F401  (its tables are on the same Base)
from mapservice.store.models import Base

logger = logging.getLogger(__name__)
# pyogrio bundles its own GDAL, PROJ and SQLite. Loaded after mod_spatialite (which links the system's),
# the process crashes at exit ("double free"); imported first, both coexist. Hence the import above.


def is_spatialite(engine_or_url):
    url = getattr(engine_or_url, "url", engine_or_url)
    return sa.engine.make_url(str(url)).get_backend_name() == "sqlite"


def create_db_engine(config, url=None, limits=None):
    """Build the engine ``url`` (default ``DATABASE_URL``) names; SQLite connections get SpatiaLite loaded.
    ``limits`` (PostGIS only): {"statement_timeout_ms", "connect_timeout_s"} for the web's connections."""
    url = sa.engine.make_url(url or config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **_postgres_limits(limits))
    import sqlean  # this Python's sqlite3 cannot load extensions; sqlean's can

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # pooled (QueuePool, connections shared across threads): loading mod_spatialite takes milliseconds per connection
    engine = sa.create_engine(url, module=sqlean, connect_args={"check_same_thread": False})
    library = config["MAPSERVICE_SPATIALITE_LIBRARY"]

    @sa.event.listens_for(engine, "connect")
    def _load_spatialite(dbapi_conn, _record):
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(library)
        dbapi_conn.enable_load_extension(False)
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    return engine


def create_read_engine(config):
    """The web app's engine: the read-only replica when ``MAPSERVICE_READ_DATABASE_URL`` is set, else
    ``DATABASE_URL``; on PostGIS with a statement timeout and short connection waits, so that a slow query or an
    unreachable server answers 503 instead of holding a worker thread."""
    limits = {"statement_timeout_ms": config["MAPSERVICE_STATEMENT_TIMEOUT_MS"],
              "connect_timeout_s": config["MAPSERVICE_CONNECT_TIMEOUT_S"]}
    return create_db_engine(config, config.get("MAPSERVICE_READ_DATABASE_URL") or None, limits)


def _postgres_limits(limits):
    if not limits:
        return {}
    connect_args = {"connect_timeout": max(1, int(limits["connect_timeout_s"]))}
    if limits["statement_timeout_ms"]:
        connect_args["options"] = f"-c statement_timeout={int(limits['statement_timeout_ms'])}"
    # a thread waits at most this long for a pooled connection (the default 30 s is a hang, not an answer)
    return {"connect_args": connect_args, "pool_timeout": max(1, int(limits["connect_timeout_s"]))}


def init_schema(engine):
    """Create every table (and spatial index) that does not exist yet."""
    if not is_spatialite(engine):
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    Base.metadata.create_all(engine)
    logger.debug("schema ready on %s", engine.url.render_as_string(hide_password=True))


def release_session(session):
    """Close ``session``; when its database went away mid-request the rollback fails, and the connection is
    dropped instead (the request has its answer, a 503, already)."""
    try:
        session.close()
    except sa.exc.DBAPIError:
        session.invalidate()


def make_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)
