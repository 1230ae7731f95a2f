"""Database outages, for real: our own throwaway PostgreSQL cluster (initdb on a free port under a temporary
directory; the system server on 5432 is never touched) stopped and started under load, behind the nginx front.
While it is down: cached layers and pages are still served (stale), the rest is 503 with Retry-After in the one
error body (JSON for the API, the HTML page in Khmer or English), and each app process logs one line, not a
traceback per request; it recovers without a restart. `mapservice serve` started while it is down answers /readyz
503 until it is up, then serves."""
import json
import re
import shutil
import subprocess
import time

import pytest

from tests.conftest import POSTGRES_SERVER
from tests.front import PG_BIN, Cluster, Load, get, running_front, start_app, stop, wait_until

pytestmark = [pytest.mark.skipif(not (PG_BIN / "initdb").exists() or not shutil.which("nginx"),
                                 reason="needs PostgreSQL 15 binaries and nginx (scripts/setup.sh test)"),
              pytest.mark.serial]  # recovery times under load: alone on the machine (tests/conftest.py)
CACHED = ["/api/v1/layers/expenditure?level=province", "/api/v1/layers/project_count?level=district",
          "/?lang=en", "/areas/01?lang=en"]
UNREACHABLE_EN = "The database cannot be reached just now. Please try again in a few seconds."


@pytest.fixture(scope="module")
def cluster(templates):
    """Our cluster holding a copy of the PostGIS boundary template (pg_dump from the test server)."""
    template = templates("postgis").rsplit("/", 1)[1]
    cluster = Cluster()
    try:
        cluster.start()
        psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        subprocess.run([*psql, "-c", "CREATE DATABASE mapservice"], check=True, capture_output=True)
        source = POSTGRES_SERVER.replace("postgresql+psycopg://", "postgresql://") + f"/{template}"
        dump = subprocess.run(["pg_dump", "--no-owner", source], check=True, capture_output=True, timeout=120)
        subprocess.run([*psql, "-d", "mapservice"], input=dump.stdout, check=True, capture_output=True, timeout=120)
        yield cluster
    finally:
        cluster.remove()


def outage_lines(log):
    return len(re.findall(r"database unreachable, answering 503", log))


def test_database_stopped_and_started_under_load(cluster):
    with running_front(cluster.url) as front:
        for path in CACHED:
            assert get(front.port, path).status == 200, path
        uncached = [f"/api/v1/projects?limit=1&offset={n}" for n in range(100000)]  # each asked once
        with Load(front.port, CACHED, clients=3, pause=0.05, timeout=10) as load, \
                Load(front.port, uncached, clients=3, pause=0.05, timeout=10, first_address=(127, 0, 7, 1)) as fresh:
            time.sleep(1)
            cluster.stop()
            time.sleep(1.5)  # the front's copies are now past their 1 s: only stale ones are left to serve
            during = {path: get(front.port, path) for path in CACHED}
            api = get(front.port, "/api/v1/projects?year=2015&sector=well")
            page_en, page_km = get(front.port, "/areas/02?lang=en"), get(front.port, "/areas/02?lang=km")
            ready = get(front.port, "/readyz")
            cluster.start()
            back_at = time.monotonic()
            recovered = wait_until(lambda: get(front.port, "/api/v1/projects?year=2016&sector=well").status == 200, 10,
                                   step=0.05)
            recovery = time.monotonic() - back_at
            time.sleep(1)
        logs = "".join(app.log_text() for app in front.apps)

    # served from the front's copy (STALE; UPDATING while another request tries the app; HIT if just refreshed)
    assert {path: (a.status, a.headers["x-cache-status"] in ("STALE", "UPDATING", "HIT")) for path, a in during.items()} == \
        {path: (200, True) for path in CACHED}
    assert (api.status, api.headers["retry-after"], json.loads(api.body)) == (
        503, "5", {"ok": False, "error": UNREACHABLE_EN, "status": 503})
    assert (page_en.status, page_en.headers["content-type"].split(";")[0]) == (503, "text/html")
    assert UNREACHABLE_EN in page_en.body.decode() and page_en.headers["retry-after"] == "5"
    assert page_km.status == 503 and 'lang="km"' in page_km.body.decode()
    assert UNREACHABLE_EN not in page_km.body.decode()  # said in Khmer
    assert ready.status == 503
    assert recovered and recovery < 5, recovery  # the target is < 2 s (bench/front_load.py measures it)
    assert set(load.statuses()) == {200}, load.statuses()  # the cached ones never failed
    statuses = fresh.statuses()
    assert set(statuses) == {200, 503}, (statuses, logs[logs.find("Traceback") - 500:][:5000])  # no 500, no timeout
    assert "Traceback" not in logs, logs[logs.find("Traceback") - 300:][:4000]
    assert 1 <= outage_lines(logs) <= 2, logs[-3000:]  # one line per app process that saw the outage
    assert "database reachable again" in logs


def test_serve_started_while_the_database_is_down_waits_for_it(cluster, tmp_path):
    cluster.stop()
    app = start_app(cluster.url, tmp_path / "app.sock", tmp_path / "app.log", workers=1, threads=2)
    try:
        assert wait_until(lambda: get(app.socket, "/healthz").status == 200, 60, step=0.2), app.log_text()
        waiting = get(app.socket, "/readyz")
        assert (waiting.status, json.loads(waiting.body)["error"], waiting.headers["retry-after"]) == (
            503, UNREACHABLE_EN, "5")
        assert get(app.socket, "/api/v1/layers").status == 503
        cluster.start()
        ready = wait_until(lambda: (lambda a: a if a.status == 200 else None)(get(app.socket, "/readyz")), 20, 0.2)
        assert ready and json.loads(ready.body)["ok"] is True, app.log_text()[-2000:]
        assert get(app.socket, "/api/v1/layers").status == 200
    finally:
        stop(app.process)
    log = app.log_text()
    assert "Traceback" not in log and "database unreachable" in log and "database reachable again" in log
