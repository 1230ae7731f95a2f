"""Fail fast, never hang: a request that waited too long behind busy workers, or expensive work beyond a small
number at a time in this process, is answered 503 with ``Retry-After`` at once instead of late (a client's timeout
is worse than an honest "try again": it holds the client and, when it retries, the queue grows)."""
import logging
import re
import threading
import time

from flask import g, request
from flask_babel import lazy_gettext

from mapservice.web.errors import unavailable

logger = logging.getLogger(__name__)
BUSY = lazy_gettext("The service is busy. Please try again in a few seconds.")
BUSY_RETRY_AFTER_S, EXPENSIVE_RETRY_AFTER_S = 2, 10
BIG_OGC_PAGE = 1000  # features; smaller pages cost about what a layer does


def _big_ogc_page(args):
    limit = (args.get("limit") or "").strip()
    return limit.isdigit() and int(limit) > BIG_OGC_PAGE


# (path pattern, and the query that makes it expensive: None = always). Files of every project, rendered maps,
# OC4IDS packages (built from every record when not cached) and OGC pages of thousands of features.
EXPENSIVE = [
    (re.compile(r"/api/v1/downloads/projects\.\w+"), None),
    (re.compile(r"/api/v1/projects"), lambda args: args.get("format") == "csv"),
    (re.compile(r"/maps/view\.(png|html)"), None),
    (re.compile(r"/api/v1/oc4ids/projects\.\w+"), None),
    (re.compile(r"/ogc/collections/[^/]+/items"), _big_ogc_page),
]


def is_expensive(path, args):
    """Whether a request is one of the EXPENSIVE kinds."""
    return any(pattern.fullmatch(path) and (when is None or when(args)) for pattern, when in EXPENSIVE)


def queue_wait_ms(header, now=None):
    """Milliseconds since the front received the request (``X-Request-Start: t=<seconds since the epoch>``, as
    nginx's ``$msec``); None without a readable header."""
    match = re.fullmatch(r"t=(\d+(?:\.\d+)?)", (header or "").strip())
    if not match:
        return None
    return ((now if now is not None else time.time()) - float(match.group(1))) * 1000


def init_app(app):
    """Shed requests that queued too long; run at most MAPSERVICE_EXPENSIVE_CONCURRENCY expensive ones at a time."""
    longest_wait_ms = app.config["MAPSERVICE_QUEUE_WAIT_MS"]
    slots = app.extensions["expensive_slots"] = threading.BoundedSemaphore(
        max(1, app.config["MAPSERVICE_EXPENSIVE_CONCURRENCY"]))
    slot_wait_s = app.config["MAPSERVICE_EXPENSIVE_WAIT_MS"] / 1000

    @app.before_request
    def shed_late_request():
        waited = queue_wait_ms(request.headers.get("X-Request-Start"))
        if longest_wait_ms and waited is not None and waited > longest_wait_ms:
            logger.info("503 after %.0f ms in the queue: %s", waited, request.full_path)
            return unavailable(BUSY, BUSY_RETRY_AFTER_S)
        return None

    @app.before_request
    def take_expensive_slot():
        if not is_expensive(request.path, request.args):
            return None
        if not slots.acquire(timeout=slot_wait_s):
            logger.info("503, every expensive slot busy: %s", request.full_path)
            return unavailable(BUSY, EXPENSIVE_RETRY_AFTER_S)
        g.expensive_slot = slots
        return None

    @app.teardown_request
    def release_expensive_slot(_exc):
        held = g.pop("expensive_slot", None)
        if held is not None:
            held.release()
