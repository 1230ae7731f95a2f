"""The public mode for real: nginx (deploy/nginx.conf.template) in front of `mapservice serve --socket` processes,
on 127.0.0.1 only, with bounded loops. Slow and idle clients do not hold the service, 64 clients get every answer,
one client's flood is answered 429 in the one error body, cached answers come from the front, and a new import is
seen through every app process at once (the data version decides, not a per-process cache).
The database outage (PostgreSQL stopped and started under load) is tests/test_outage.py."""
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mapservice.artefacts.build import build_artefacts
from mapservice.config import load_config
from mapservice.ingest.pipelines import import_sample
from mapservice.store.db import create_db_engine, make_session_factory
from tests.front import Load, get, idle_connections, percentile, running_front, wait_until

pytestmark = [pytest.mark.skipif(not shutil.which("nginx") and not shutil.which("/usr/sbin/nginx"),
                                 reason="nginx is not installed (scripts/setup.sh test installs nginx-light)"),
              pytest.mark.serial]  # latency under load: alone on the machine (tests/conftest.py)

# What a day of visitors asks: pages in both languages, layers at every level, statistics, projects, tiles, OGC,
# static files; a few vary (so that some reach the app, not only the front's cache).
MIXED = ["/", "/?lang=en", "/areas?lang=en", "/areas/01?lang=km", "/about?lang=en", "/data?lang=km",
         "/api/v1/", "/api/v1/layers", "/api/v1/layers/expenditure?level=province",
         "/api/v1/layers/project_count?level=district", "/api/v1/layers/expenditure?level=commune",
         "/api/v1/layers/budget_vs_actual?level=province&year=2016", "/api/v1/statistics?level=district&year=2016",
         "/api/v1/areas/01", "/api/v1/areas/0102", "/api/v1/projects?province=01&limit=50",
         "/api/v1/projects?year=2017&sector=well", "/api/v1/places?q=Battambang", "/tiles/districts/7/100/59.mvt",
         "/ogc/collections?f=json", "/ogc/collections/projects/items?f=json&limit=20",
         "/static/js/map-page.js", "/static/css/site.css", "/healthz"]


@pytest.fixture(scope="module")
def database(templates, tmp_path_factory):
    """A SpatiaLite copy of the boundary template with 1,000 SAMPLE projects."""
    target = tmp_path_factory.mktemp("front") / "front.sqlite"
    shutil.copy(templates("spatialite").removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    config = load_config({"DATABASE_URL": url})
    engine = create_db_engine(config)
    import_sample(make_session_factory(engine), config, 1000, 1)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def front(database):
    with running_front(database) as running:
        running.database_url, running.artefact_dir = database, running.prefix / "artefacts"
        yield running


def test_prebuilt_files_are_sent_by_nginx(front, quick_brotli):
    """After a build the files answer: downloads and datasets with X-Accel-Redirect (the app sends no bytes, nginx
    sends the file in the coding asked for, with the app's ETag, type and disposition), layers and tiles sent by the
    app and kept in the front's cache; the app answers the 304s."""
    config = load_config({"DATABASE_URL": front.database_url, "MAPSERVICE_ARTEFACT_DIR": str(front.artefact_dir),
                          "MAPSERVICE_PUBLIC_URL": f"http://127.0.0.1:{front.port}", "MAPSERVICE_ARTEFACT_TILE_MAXZOOM": 2})
    engine = create_db_engine(config)
    build_artefacts(make_session_factory(engine), config)
    engine.dispose()
    manifest = json.loads((front.artefact_dir / "current" / "manifest.json").read_text(encoding="utf-8"))
    folder = front.artefact_dir / "current"
    for path, name, encoding in (("/api/v1/layers/expenditure?level=province&year=2016",
                                  "layers/expenditure/province/2016.geojson", "br"),
                                 ("/api/v1/downloads/projects.csv?lang=en", "downloads/projects-en.csv", "gzip"),
                                 ("/api/v1/downloads/projects.xlsx?lang=km", "downloads/projects-km.xlsx", None),
                                 ("/api/v1/datasets/projects-by-province-2016.json",
                                  "datasets/projects-by-province-2016.json", "br"),
                                 ("/tiles/projects.json", "tiles/projects.json", "br"),
                                 ("/tiles/communes/2/3/1.mvt", "tiles/communes/2/3/1.mvt", "br")):
        entry = manifest["artefacts"][name]
        accept = {"br": "br, gzip", "gzip": "gzip", None: "br"}[encoding]
        answer = wait_until(lambda path=path, accept=accept: (a := get(front.port, path, headers={
            "Accept-Encoding": accept})).headers.get("x-artefact") and a, 5)  # past the front's 1 s cache
        assert answer and answer.status == 200, path
        assert answer.headers["x-artefact"] == f'{manifest["folder"]}/{name}'
        assert "x-accel-redirect" not in answer.headers  # nginx consumed it
        suffix = {"br": ".br", "gzip": ".gz", None: ""}[encoding]
        assert answer.body == (folder / (name + suffix)).read_bytes(), path
        assert answer.headers.get("content-encoding") == encoding, path
        assert answer.headers["etag"] == (f'"{entry["etag"]}-{encoding}"' if encoding else f'"{entry["etag"]}"')
        assert answer.headers["content-type"] == entry["content_type"], path
        assert answer.headers.get("content-disposition") == entry["headers"].get("Content-Disposition"), path
        assert "Accept-Encoding" in answer.headers["vary"] and answer.headers["access-control-allow-origin"] == "*"
        again = get(front.port, path, headers={"Accept-Encoding": accept, "If-None-Match": answer.headers["etag"]})
        assert (again.status, again.body) == (304, b""), path
        if "Content-Disposition" in entry["headers"]:  # an attachment: the app names the file, nginx sends it
            assert "x-cache-status" not in answer.headers  # from the internal location, not the proxied one
        else:  # sent by the app, so that the front keeps it in its cache
            assert get(front.port, path, headers={"Accept-Encoding": accept}).headers["x-cache-status"] in (
                "HIT", "REVALIDATED", "EXPIRED"), path


def test_a_blank_or_repeated_filter_is_a_400_through_the_front(front):
    for path, parameter, value in (("/api/v1/projects?sector=%20", "sector", " "),
                                   ("/api/v1/layers/expenditure?level=province&year=", "year", ""),
                                   ("/api/v1/downloads/projects.csv?year=&year=2016", "year", "&2016")):
        answer = get(front.port, path)
        expected = "one value (several codes or choices go comma-separated)" if "&" in value else \
            "a value (leave the parameter out for all)"
        assert (answer.status, json.loads(answer.body)) == (
            400, {"ok": False, "error": f'{parameter} was "{value}"; expected {expected}', "status": 400}), path


def test_cacheable_answers_come_from_the_front(front):
    path = "/api/v1/layers/expenditure?level=district&year=2015-2016"  # filtered: built by the app, kept by the front
    first, second = get(front.port, path), get(front.port, path)
    assert (first.status, second.status) == (200, 200)
    assert second.headers["x-cache-status"] in ("HIT", "REVALIDATED")
    assert second.body == first.body and second.headers["etag"] == first.headers["etag"]
    static = get(front.port, "/static/js/map-page.js", headers={"Accept-Encoding": "gzip"})
    assert (static.status, static.headers.get("content-encoding")) == (200, "gzip")  # gzip_static, precompressed
    assert static.headers["x-content-type-options"] == "nosniff"  # the front serves it, with the app's headers


def test_idle_and_trickling_connections_do_not_hold_the_service(front):
    """300 connections that never finish their request header, held for 20 s: others are answered, in < 1 s (before
    the front, none was answered at all)."""
    latencies = []
    with idle_connections(front.port, 300):
        deadline = time.monotonic() + 20
        turn = 0
        while time.monotonic() < deadline:
            answer = get(front.port, MIXED[turn % len(MIXED)] if turn % 3 else f"/api/v1/areas/0{1 + turn % 9}",
                         source="127.0.3.1", timeout=5)
            assert answer.status == 200, (answer.status, answer.body[:200])
            latencies.append(answer.seconds)
            turn += 1
            time.sleep(0.2)
    assert len(latencies) >= 50 and percentile(latencies, 0.99) < 1.0, sorted(latencies)[-5:]


def test_64_clients_get_every_answer(front):
    """64 clients, each from its own address, a request every 0.1 s for 30 s over the mixed set: all 200, none
    timed out (10 s), p99 < 1 s."""
    with Load(front.port, MIXED, clients=64, pause=0.1, timeout=10) as load:
        time.sleep(30)
    seconds = [s for _, s, _ in load.results]
    assert load.statuses() == {200: len(load.results)}, \
        [(status, path) for status, _, path in load.results if status != 200][:10]
    assert len(load.results) > 64 * 50
    assert percentile(seconds, 0.99) < 1.0, percentile(seconds, 0.99)


def test_one_address_flooding_gets_429_in_the_error_body(front):
    """An overload test: one address asking far beyond its rate (20/s, bursts of 100) is told 429 with
    Retry-After in the one error body, while another address is answered as usual."""
    with ThreadPoolExecutor(8) as pool:  # 8 at a time from one address, as a flooding script would
        answers = list(pool.map(lambda _: get(front.port, "/api/v1/layers", source="127.0.4.1"), range(240)))
    refused = [answer for answer in answers if answer.status == 429]
    assert refused and {answer.status for answer in answers} == {200, 429}
    assert {answer.body for answer in refused} == {json.dumps(
        {"ok": False, "error": "too many requests from this address; slow down and retry in a second",
         "status": 429}).encode()}
    assert {answer.headers["retry-after"] for answer in refused} == {"1"}
    assert get(front.port, "/api/v1/layers", source="127.0.4.2").status == 200


def test_a_new_import_is_seen_by_every_app_process(make_db, tmp_path):
    """Two app processes on one PostGIS database behind the front: after an import (a new data version), both
    answer the new version at once, and the front within its short validity."""
    db = make_db("postgis")
    url = db.config["DATABASE_URL"]
    with running_front(url, n_apps=2, workers=1, threads=2) as two:
        before = [json.loads(get(app.socket, "/api/v1/").body)["data_version"] for app in two.apps]
        layer_before = get(two.port, "/api/v1/layers/project_count?level=province")
        import_sample(db.sessions, db.config, 300, 2)  # what `mapservice sample` does: one transaction, version + 1
        after = [json.loads(get(app.socket, "/api/v1/").body)["data_version"] for app in two.apps]
        assert before[0] == before[1] and after == [before[0] + 1] * 2
        through_front = wait_until(lambda: json.loads(get(two.port, "/api/v1/").body)["data_version"] == after[0], 3)
        layer_after = wait_until(lambda: (lambda a: a if a.headers["etag"] != layer_before.headers["etag"] else None)(
            get(two.port, "/api/v1/layers/project_count?level=province")), 3)
        assert through_front and layer_after and layer_after.status == 200
