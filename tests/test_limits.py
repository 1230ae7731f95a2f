"""Fail fast and refuse what would be expensive for nothing, in the app itself (the nginx front is
tests/test_front.py): blank and repeated parameter values are 400s naming the parameter; a request that queued too
long, or expensive work beyond its slots, is 503 with Retry-After; /healthz and /readyz; PostGIS statement_timeout
answered 503; the read side on a replica when MAPSERVICE_READ_DATABASE_URL is set."""
import json
import time

import pytest
import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import MultiDict

from mapservice.ingest.pipelines import import_sample
from mapservice.read.filters import FilterError, parse_filters
from mapservice.web import create_app
from mapservice.web.limits import is_expensive, queue_wait_ms
from tests.test_pages import make_client, site  # noqa: F401 (fixtures)

BLANK = "a value (leave the parameter out for all)"
TWICE = "one value (several codes or choices go comma-separated)"
BUSY_EN = "The service is busy. Please try again in a few seconds."


@pytest.mark.parametrize("args, parameter, value, expected", [
    ({"sector": ""}, "sector", "", BLANK),
    ({"sector": " "}, "sector", " ", BLANK),
    ({"province": ","}, "province", ",", BLANK),
    ({"year": "\t"}, "year", "\t", BLANK),
    ({"q": " "}, "q", " ", BLANK),
    ({"eia_required": ""}, "eia_required", "", BLANK),
    (MultiDict([("year", ""), ("year", "2016")]), "year", "&2016", TWICE),
    (MultiDict([("sector", "well"), ("sector", "school")]), "sector", "well&school", TWICE),
])
def test_blank_and_repeated_filter_values_are_errors(args, parameter, value, expected):
    with pytest.raises(FilterError) as raised:
        parse_filters(args, {"01"})
    assert (raised.value.parameter, str(raised.value)) == (parameter, f'{parameter} was "{value}"; expected {expected}')


def test_an_absent_filter_means_all():
    assert parse_filters({}, {"01"}).as_params() == {}
    assert parse_filters({"sector": "well , school"}, {"01"}).sector == ("school", "well")


@pytest.mark.parametrize("url, parameter, value, expected, mimetype", [
    ("/api/v1/projects?sector=", "sector", "", BLANK, "application/json"),
    ("/api/v1/projects?sector=%20", "sector", " ", BLANK, "application/json"),
    ("/api/v1/projects?year=&year=2016", "year", "&2016", TWICE, "application/json"),
    ("/api/v1/downloads/projects.csv?status=", "status", "", BLANK, "application/json"),
    ("/api/v1/layers/expenditure?level=province&province=%2C", "province", ",", BLANK, "application/json"),
    ("/api/v1/statistics?level=", "level", "", BLANK, "application/json"),
    ("/api/v1/oc4ids/projects.json?sector=%20", "sector", " ", BLANK, "application/json"),
    ("/maps/view.png?sector=", "sector", "", BLANK, "text/html"),
    ("/?lang=en&sector=%20", "sector", " ", BLANK, "text/html"),
])
def test_blank_and_repeated_values_are_400_naming_the_parameter(site, url, parameter, value, expected, mimetype):
    response = site.client.get(url)
    message = f'{parameter} was "{value}"; expected {expected}'
    assert (response.status_code, response.mimetype) == (400, mimetype)
    if mimetype == "application/json":
        assert response.get_json() == {"ok": False, "error": message, "status": 400}
    else:
        assert message.replace('"', "&#34;") in response.get_data(as_text=True)


@pytest.mark.parametrize("path, query, expected", [
    ("/api/v1/downloads/projects.csv", {}, True),
    ("/api/v1/downloads/projects.gpkg", {"year": "2016"}, True),
    ("/api/v1/downloads", {}, False),
    ("/api/v1/projects", {"format": "csv"}, True),
    ("/api/v1/projects", {"format": "geojson"}, False),
    ("/maps/view.png", {}, True),
    ("/maps/view.html", {}, True),
    ("/api/v1/oc4ids/projects.json", {}, True),
    ("/api/v1/oc4ids/projects/X-1.json", {}, False),
    ("/ogc/collections/projects/items", {"limit": "5000"}, True),
    ("/ogc/collections/projects/items", {"limit": "100"}, False),
    ("/ogc/collections/projects/items", {}, False),
    ("/api/v1/layers/expenditure", {}, False),
])
def test_which_requests_are_expensive(path, query, expected):
    assert is_expensive(path, query) is expected


@pytest.mark.parametrize("header, expected", [
    ("t=1000.5", 1500.0), ("t=1001", 1000.0), (" t=1001.75 ", 250.0), (None, None), ("", None), ("1000", None),
    ("t=abc", None),
])
def test_queue_wait_from_the_fronts_header(header, expected):
    assert queue_wait_ms(header, now=1002.0) == expected


@pytest.fixture(scope="module")
def strict(site):
    """An app with one expensive slot and a 50 ms wait for it, on the site's database."""
    return make_client(site.db, MAPSERVICE_EXPENSIVE_CONCURRENCY=1, MAPSERVICE_EXPENSIVE_WAIT_MS=50)


def test_expensive_work_beyond_its_slots_is_503_with_retry_after(strict):
    slots = strict.application.extensions["expensive_slots"]
    assert slots.acquire(timeout=1)  # another request holds the only slot
    try:
        started = time.monotonic()
        busy = [strict.get(url) for url in ("/api/v1/downloads/projects.csv", "/maps/view.png?lang=en",
                                            "/api/v1/oc4ids/projects.json")]
        assert time.monotonic() - started < 2  # each waited 50 ms, not for the slot
        assert [(r.status_code, r.headers["Retry-After"], r.mimetype) for r in busy] == [
            (503, "10", "application/json"), (503, "10", "text/html"), (503, "10", "application/json")]
        assert busy[0].get_json() == {"ok": False, "error": BUSY_EN, "status": 503}
        assert BUSY_EN in busy[1].get_data(as_text=True)
        assert strict.get("/api/v1/layers/expenditure?level=province").status_code == 200  # cheap work goes on
    finally:
        slots.release()
    assert strict.get("/api/v1/downloads/projects.csv").status_code == 200
    assert slots.acquire(timeout=0) and slots.release() is None  # the slot was given back


def test_a_request_that_queued_too_long_is_503_at_once(strict):
    late = strict.get("/api/v1/layers", headers={"X-Request-Start": f"t={time.time() - 5:.3f}"})
    assert (late.status_code, late.headers["Retry-After"], late.get_json()) == (
        503, "2", {"ok": False, "error": BUSY_EN, "status": 503})
    assert strict.get("/api/v1/layers", headers={"X-Request-Start": f"t={time.time():.3f}"}).status_code == 200
    assert strict.get("/api/v1/layers", headers={"X-Request-Start": "garbage"}).status_code == 200


def test_health_endpoints(site):
    alive, ready = site.client.get("/healthz"), site.client.get("/readyz")
    assert (alive.status_code, alive.get_json(), alive.headers["Cache-Control"]) == (200, {"ok": True}, "no-store")
    version = site.db.scalar("SELECT version FROM data_version")
    assert (ready.status_code, ready.get_json(), ready.headers["Cache-Control"]) == (
        200, {"ok": True, "data_version": version}, "no-store")


def test_readyz_is_503_without_boundaries(empty_db):
    ready = make_client(empty_db).get("/readyz")
    assert (ready.status_code, ready.headers["Retry-After"], ready.get_json()) == (
        503, "5", {"ok": False, "status": 503,
                   "error": "no boundaries are loaded yet (mapservice import-boundaries)"})


def test_postgis_statement_timeout_is_a_503(make_db):
    db = make_db("postgis")
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True,
                      "MAPSERVICE_STATEMENT_TIMEOUT_MS": 300})

    def slow():
        with current_app.extensions["session_factory"]() as session:
            session.execute(sa.text("SELECT pg_sleep(3)"))
        return "never"

    app.add_url_rule("/api/v1/slow", view_func=slow)  # a query slower than the limit, through the real handler
    client = app.test_client()
    with app.extensions["session_factory"]() as session:
        assert session.execute(sa.text("SHOW statement_timeout")).scalar() == "300ms"
    started = time.monotonic()
    answer = client.get("/api/v1/slow")
    assert time.monotonic() - started < 2
    assert (answer.status_code, answer.headers["Retry-After"], answer.get_json()["error"]) == (
        503, "5", "This request took too long to answer. Please try again in a moment, or ask for less.")
    assert client.get("/readyz").status_code == 200  # a slow query is not an outage


def test_postgis_lock_timeout_is_a_503_not_an_outage(make_db):
    """A first import holds the project table locked (it loads it without its secondary indexes and builds them at
    the end, store/tables.py): a request waits MAPSERVICE_LOCK_TIMEOUT_MS for it, not the statement timeout,
    then answers 503 with Retry-After; the database is not marked unreachable."""
    db = make_db("postgis")
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True,
                      "MAPSERVICE_LOCK_TIMEOUT_MS": 300})
    client = app.test_client()
    assert client.get("/api/v1/projects").status_code == 200  # the snapshot is built before the lock
    engine = sa.create_engine(db.config["DATABASE_URL"])
    with engine.connect() as importer:
        importer.execute(sa.text("LOCK TABLE project IN ACCESS EXCLUSIVE MODE"))  # what DROP INDEX takes
        started = time.monotonic()
        answer = client.get("/api/v1/projects?year=2016")
        assert time.monotonic() - started < 2
        assert (answer.status_code, answer.headers["Retry-After"], answer.get_json()["error"]) == (
            503, "5", "The data are being imported just now. Please try again in a few seconds.")
        importer.rollback()
    engine.dispose()
    assert client.get("/api/v1/projects?year=2016").status_code == 200
    assert app.extensions["database_state"].down_since is None  # no outage was declared


def test_a_request_on_a_connection_the_server_closed_reconnects(make_db):
    """The read engine pings no pooled connection before use (a round trip more per request, where a bbox page
    makes two): when the server has closed them (a restart, an administrator), the request's first statement
    fails, the pool is renewed and the request tried once more, so it answers 200 and no outage is declared."""
    db = make_db("postgis")
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True})
    client = app.test_client()
    assert client.get("/api/v1/projects").status_code == 200  # the pool holds a connection now
    name = sa.engine.make_url(db.config["DATABASE_URL"]).database
    closed = db.scalar(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}' "
                       "AND pid <> pg_backend_pid()")
    assert closed >= 1
    answer = client.get("/api/v1/projects?year=2016")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert app.extensions["database_state"].down_since is None


def test_the_read_side_uses_the_replica_url(make_db):
    primary, replica = make_db("postgis"), make_db("postgis")
    import_sample(replica.sessions, replica.config, 200, 1)  # the replica is ahead: the answers must be its own
    client = make_client(primary, MAPSERVICE_READ_DATABASE_URL=replica.config["DATABASE_URL"])
    index = json.loads(client.get("/api/v1/").data)
    assert index["data_version"] == replica.scalar("SELECT version FROM data_version")
    assert index["data_version"] != primary.scalar("SELECT coalesce(max(version), 0) FROM data_version")
    assert client.get("/api/v1/projects?limit=1").get_json()["total"] == 200
