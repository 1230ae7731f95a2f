"""Health for operators and load balancers (``/healthz``: the process answers; ``/readyz``: the database answers
and holds data), and what a database outage looks like from outside: 503 with ``Retry-After`` in the one error
body, one log line when an outage starts and one when it ends (not a traceback per request), recovery without a
restart. ``mapservice serve`` may start before PostgreSQL: the schema is then prepared by a retrying thread and
every request but ``/healthz`` answers 503 until it is."""
import logging
import threading
import time

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext

from mapservice.store.db import init_schema, release_session
from mapservice.web.errors import unavailable
from mapservice.web.openapi import documented

logger = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)
RETRY_AFTER_S = 5
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout cuts a query off
LOCK_NOT_AVAILABLE = "55P03"  # ... when lock_timeout does (a first import holds the project table)
UNREACHABLE = lazy_gettext("The database cannot be reached just now. Please try again in a few seconds.")
TOO_SLOW = lazy_gettext("This request took too long to answer. Please try again in a moment, or ask for less.")
BEING_IMPORTED = lazy_gettext("The data are being imported just now. Please try again in a few seconds.")
NO_DATA = "no boundaries are loaded yet (mapservice import-boundaries)"


class DatabaseState:
    """Whether the schema is ready and whether an outage is on. ``schema_engine`` creates the schema (the primary);
    a new connection on ``engine`` (the one requests use) ends an outage."""

    def __init__(self, engine, schema_engine):
        self.schema_engine = schema_engine
        self.ready = False
        self.down_since = None
        self.lock = threading.Lock()
        sa.event.listen(engine, "connect", self.connected)

    def prepare_schema(self):
        """One try at creating the schema; False while the database cannot be reached."""
        try:
            init_schema(self.schema_engine)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            self.failed(exc)
            return False
        self.ready = True
        return True

    def retry_schema(self, first_wait=0.5, longest_wait=10.0):
        """Keep trying in a daemon thread, the wait doubling up to ``longest_wait`` seconds, until the schema is ready
        (gunicorn calls this in each worker after the fork: threads do not survive one)."""
        def run():
            wait = first_wait
            while not self.prepare_schema():
                time.sleep(wait)
                wait = min(wait * 2, longest_wait)

        if not self.ready:
            threading.Thread(target=run, name="schema-retry", daemon=True).start()

    def failed(self, exc):
        with self.lock:
            starting, self.down_since = self.down_since is None, self.down_since or time.monotonic()
        if starting:
            logger.warning("database unreachable, answering 503 until it is back: %s", _first_line(exc))
        else:
            logger.debug("database still unreachable: %s", _first_line(exc))

    def connected(self, *_connection):
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            logger.warning("database reachable again after %.1f s", time.monotonic() - since)


class PoolTracebacksDuringOutages(logging.Filter):
    """SQLAlchemy's pool logs a traceback each time it cannot reset or close a connection whose server went away;
    an outage is already said once (``DatabaseState.failed``), so these go to DEBUG as one line."""

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (sa.exc.DBAPIError, ConnectionError)) or type(exc).__module__.startswith("psycopg"):
            logger.debug("connection dropped (%s): %s", record.getMessage()[:60], _first_line(exc))
            return False
        return True


def _first_line(exc):
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def init_app(app, engine, schema_engine):
    """Prepare the schema (one try; ``retry_schema`` keeps trying), refuse requests until it is ready, and answer
    database errors with 503."""
    state = app.extensions["database_state"] = DatabaseState(engine, schema_engine)
    pool_logger = logging.getLogger(f"{type(engine.pool).__module__}.{type(engine.pool).__name__}")
    if not any(isinstance(f, PoolTracebacksDuringOutages) for f in pool_logger.filters):
        pool_logger.addFilter(PoolTracebacksDuringOutages())
    state.prepare_schema()

    @app.before_request
    def refuse_until_ready():
        if not state.ready and request.endpoint != "health.healthz":
            return unavailable(UNREACHABLE, RETRY_AFTER_S)
        return None

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(exc):
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if sqlstate == QUERY_CANCELED:
            logger.warning("statement_timeout on %s", request.full_path)
            return unavailable(TOO_SLOW, RETRY_AFTER_S)
        if sqlstate == LOCK_NOT_AVAILABLE:  # not an outage: the database answers, an import holds the table
            logger.warning("lock_timeout on %s (an import holds the table)", request.full_path)
            return unavailable(BEING_IMPORTED, RETRY_AFTER_S)
        state.failed(exc)
        return unavailable(UNREACHABLE, RETRY_AFTER_S)

    @app.errorhandler(sa.exc.TimeoutError)
    def no_free_connection(_exc):
        logger.warning("no free database connection for %s", request.full_path)
        return unavailable(TOO_SLOW, RETRY_AFTER_S)


def not_cached(response):
    response.headers["Cache-Control"] = "no-store"  # a health answer is about now
    return response


@blueprint.get("/healthz")
@documented("Liveness: the process answers", tags=("operations",))
def healthz():
    """200 while the process can answer; it asks nothing of the database."""
    return not_cached(jsonify({"ok": True}))


@blueprint.get("/readyz")
@documented("Readiness: the database answers and holds data", tags=("operations",))
def readyz():
    """200 when the database answers and boundaries are loaded (with the data version); 503 otherwise."""
    session = current_app.extensions["session_factory"]()
    try:
        snapshot = current_app.extensions["data_state"].current(session)
    finally:
        release_session(session)
    if not snapshot.area_codes:
        return not_cached(unavailable(NO_DATA, RETRY_AFTER_S))
    return not_cached(jsonify({"ok": True, "data_version": snapshot.version}))
