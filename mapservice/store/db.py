"""Database engines for the two backends (SpatiaLite file, PostGIS server) and the schema."""
import logging
from pathlib import Path

import pyogrio  # noqa: F401  (see below)
import sqlalchemy as sa
from geoalchemy2 import Geometry
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy.orm import sessionmaker
from sqlalchemy.schema import CreateIndex

from mapservice.store import accounts  # noqa: F401  (its tables are on the same Base)
from mapservice.store.models import Base

logger = logging.getLogger(__name__)
READ_STATEMENTS = ("SELECT", "WITH", "EXPLAIN", "SHOW")  # what a read session runs
SCHEMA_LOCK_KEY = 7_100_013  # the PostgreSQL advisory lock held while indexes are added to an existing database
# pyogrio bundles its own GDAL, PROJ and SQLite. Loaded after mod_spatialite (which links the system's),
# the process crashes at exit ("double free"); imported first, both coexist. Hence the import above.


def is_spatialite(engine_or_url):
    url = getattr(engine_or_url, "url", engine_or_url)
    return sa.engine.make_url(str(url)).get_backend_name() == "sqlite"


SQLITE_MMAP_BYTES = 1 << 30  # up to 1 GiB of a SpatiaLite file mapped (1M projects take about that)


def create_db_engine(config, url=None, limits=None, pre_ping=True):
    """Build the engine ``url`` (default ``DATABASE_URL``) names; SQLite connections get SpatiaLite loaded.
    ``limits`` (PostGIS only): {"statement_timeout_ms", "lock_timeout_ms", "connect_timeout_s"} for the web's
    connections. ``pre_ping`` (PostGIS): a pooled connection is checked with a round trip before each use (the web's
    read engine does without: ``web.api.open_session`` tries its first statement again on a new connection)."""
    url = sa.engine.make_url(url or config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=pre_ping, **_postgres_limits(limits))
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
        # pages read from the OS's page cache through a mapping, not a read() call each: a bbox page touches
        # hundreds of them (0.3 ms of system CPU per page at 50k projects); the file is shared, not copied
        dbapi_conn.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    return engine


def create_read_engine(config):
    """The web app's engine: the read-only replica when ``MAPSERVICE_READ_DATABASE_URL`` is set, else
    ``DATABASE_URL``; on PostGIS with a statement timeout and short connection waits, so that a slow query or an
    unreachable server answers 503 instead of holding a worker thread. Its pooled connections are not pinged
    before each request (a round trip more per request, where a bbox page makes two): a request whose connection
    the server closed (a restart) finds out by its first statement and tries once more (``web.api.open_session``)."""
    limits = {"statement_timeout_ms": config["MAPSERVICE_STATEMENT_TIMEOUT_MS"],
              "lock_timeout_ms": config["MAPSERVICE_LOCK_TIMEOUT_MS"],
              "connect_timeout_s": config["MAPSERVICE_CONNECT_TIMEOUT_S"]}
    return create_db_engine(config, config.get("MAPSERVICE_READ_DATABASE_URL") or None, limits, pre_ping=False)


def _postgres_limits(limits):
    if not limits:
        return {}
    connect_args = {"connect_timeout": max(1, int(limits["connect_timeout_s"]))}
    options = [f"-c {name}={int(limits[key])}" for name, key in (("statement_timeout", "statement_timeout_ms"),
                                                                  ("lock_timeout", "lock_timeout_ms"))
               if limits.get(key)]
    if options:
        connect_args["options"] = " ".join(options)
    # a thread waits at most this long for a pooled connection (the default 30 s is a hang, not an answer)
    return {"connect_args": connect_args, "pool_timeout": max(1, int(limits["connect_timeout_s"]))}


def init_schema(engine):
    """Create every table (and spatial index) that does not exist yet, and the indexes an existing database lacks
    (``create_all`` makes a table's indexes only with the table)."""
    if not is_spatialite(engine):
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    Base.metadata.create_all(engine)
    _create_missing_indexes(engine)
    logger.debug("schema ready on %s", engine.url.render_as_string(hide_password=True))


def _create_missing_indexes(engine):
    # spatial indexes come with their tables (a SpatiaLite one is an R*Tree table, not an index)
    wanted = [index for table in Base.metadata.sorted_tables for index in table.indexes
              if not any(isinstance(column.type, Geometry) for column in index.columns)]
    with engine.begin() as conn:
        existing = set(conn.scalars(sa.text(  # by name: SQLAlchemy does not reflect SQLite's indexes on expressions
            "SELECT name FROM sqlite_master WHERE type = 'index'" if is_spatialite(engine) else
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")))
        missing = [index for index in wanted if index.name not in existing]
        if missing and not is_spatialite(engine):  # the workers of a server start together: one builds, once
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))  # a large table takes a while
        for index in missing:
            logger.info("creating the missing index %s on %s", index.name, index.table.name)
            conn.execute(CreateIndex(index, if_not_exists=True))
    _create_missing_spatial_indexes(engine)


def _create_missing_spatial_indexes(engine):
    # GeoAlchemy2's SQLite DDL takes the spatial Index objects off the shared tables: a process that made a SpatiaLite
    # schema first (a test session, a benchmark of both databases) would make PostGIS tables without their GiST index
    spatial = [(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.columns
               if isinstance(column.type, Geometry) and column.type.spatial_index]
    with engine.begin() as conn:
        for table, column in spatial:
            if is_spatialite(engine):
                if conn.execute(sa.text("SELECT count(*) FROM sqlite_master WHERE name = :name"),
                                {"name": f"idx_{table}_{column}"}).scalar() == 0:
                    conn.execute(sa.text("SELECT CreateSpatialIndex(:table, :column)"),
                                 {"table": table, "column": column})
            elif conn.execute(sa.text("SELECT to_regclass(:name)"), {"name": f"idx_{table}_{column}"}).scalar() is None:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
                logger.info("creating the missing spatial index idx_%s_%s", table, column)
                conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}" ON "{table}" '
                                     f'USING gist ("{column}")'))


def release_session(session):
    """Close ``session``; when its database went away mid-request the rollback fails, and the connection is
    dropped instead (the request has its answer, a 503, already)."""
    try:
        session.close()
    except sa.exc.DBAPIError:
        session.invalidate()


def make_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_session_factory(engine):
    """Sessions for the web's requests, which only read. On PostGIS in autocommit: no BEGIN and ROLLBACK around
    each request's statements, two of the four round trips of a trivial request (each statement still reads one
    committed state, and an import commits in one transaction). A write through them is refused, not committed
    statement by statement."""
    if is_spatialite(engine):  # in-process: a transaction costs no round trip
        return make_session_factory(engine)
    reading = engine.execution_options(isolation_level="AUTOCOMMIT")

    @sa.event.listens_for(reading, "before_cursor_execute")
    def _refuse_writes(_conn, _cursor, statement, _parameters, _context, _many):
        if not statement.lstrip()[:7].upper().startswith(READ_STATEMENTS):
            raise sa.exc.InvalidRequestError(
                "the web's read sessions (make_read_session_factory) run in autocommit and only read; write through "
                f"a session of make_session_factory: {statement[:60]}")

    return sessionmaker(bind=reading, expire_on_commit=False)
