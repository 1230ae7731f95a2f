"""Whole processes, as a user runs them: the console script exits cleanly on both import orders; scripts/run.sh
--public starts the service run after run (killed while serving, killed during its imports, stopped); a gunicorn
worker freezes what its app holds for good."""
import gc
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mapservice import server
from mapservice.web import create_app, security
from tests.conftest import DATA_DIR
from tests.front import ROOT, free_port, wait_until

ENGINE_THEN_GEOPANDAS = """
from mapservice.config import load_config
from mapservice.store.db import create_db_engine, init_schema
engine = create_db_engine(load_config({"DATABASE_URL": "sqlite:///%s"}))
init_schema(engine)
import geopandas, pyogrio
print("ok")
"""


def test_spatialite_and_pyogrio_coexist_until_exit(tmp_path):
    """mod_spatialite and pyogrio's bundled GDAL/SQLite once crashed the process at exit (double free)."""
    result = subprocess.run([sys.executable, "-c", ENGINE_THEN_GEOPANDAS % (tmp_path / "x.sqlite")],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


@pytest.mark.parametrize("backend", ["spatialite", "postgis"])
def test_console_script_report_exits_zero(make_db, tmp_path, backend):
    db = make_db(backend)
    result = subprocess.run([sys.executable, "-m", "mapservice.cli", "--database-url", db.config["DATABASE_URL"],
                             "report", "--output", str(tmp_path / "r.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Projects: 0 (0 sample)")


SMALL_PROVINCE = "23"  # Kep: 1 province, 2 districts, 5 communes of the real boundaries (the full set takes minutes)
BOUNDARY_FILES = ["boundaries/adm1_provinces/khm_adm1_provinces_2014_dissolved_from_adm3.geojson",
                  "boundaries/adm2_districts/khm_adm2_districts_2014_dissolved_from_adm3.geojson",
                  "boundaries/adm3_communes/khm_adm3_communes_2014_with_codes.geojson"]


def small_data_dir(target):
    """A data directory of one small province: its real boundaries at every level and the whole gazetteer."""
    source = Path(DATA_DIR)
    shutil.copytree(source / "gazetteer", target / "gazetteer")
    for name in BOUNDARY_FILES:
        document = json.loads((source / name).read_text(encoding="utf-8"))
        document["features"] = [feature for feature in document["features"]
                                if str(feature["properties"]["PROV_CODE"]) == SMALL_PROVINCE]
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(json.dumps(document), encoding="utf-8")
    return target


def start_run_sh(env, log):
    """``scripts/run.sh --public`` as a user starts it, in a process group of its own (nginx and gunicorn in it)."""
    return subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh"), "--public"], cwd=ROOT, env=env,
                            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)


def answers(port, path):
    """The status, body and headers of a GET through the front, or None while nothing listens."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers
    except OSError:
        return None


def wait_for_service(process, port, log, timeout=300):
    """Wait until the front answers /readyz with 200 (the boundaries and SAMPLE data imported, the app up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"scripts/run.sh exited {process.returncode}:\n{log.read_text()[-3000:]}"
        if (answers(port, "/readyz") or (0,))[0] == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"scripts/run.sh did not start the service in {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process, sig):
    """Send ``sig`` to every process of the run (Ctrl-C: SIGINT; a crash or the OOM killer: SIGKILL)."""
    os.killpg(process.pid, sig)
    process.wait(timeout=60)


@pytest.mark.serial  # its scripts/setup.sh compiles again the catalogues (translations/) that other tests read
def test_run_sh_public_starts_the_service_again_after_a_stop_and_after_a_kill(tmp_path):
    """The README says every step of scripts/run.sh is idempotent: run after run (killed while serving, killed during
    its imports, stopped with Ctrl-C), each starts the service, with the same SAMPLE projects, none twice."""
    port = free_port()
    env = os.environ | {"MAPSERVICE_DATA_DIR": str(small_data_dir(tmp_path / "data")), "PORT": str(port),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "SAMPLE_PROJECTS": "120"}
    log = tmp_path / "run.log"

    def served():
        status, body, _ = answers(port, "/api/v1/projects?limit=1")
        assert status == 200 and json.loads(body)["total"] == 120, body[:300]
        assert answers(port, "/?lang=en")[0] == 200
        # what nginx answers itself, a static file and its 404, carries the app's headers (web/security.py)
        for path, expected in (("/static/js/map-page.js", 200), ("/static/js/no-such.js", 404)):
            status, _, headers = answers(port, path)
            assert status == expected and headers["X-Frame-Options"] == "SAMEORIGIN", path
            assert {name: headers[name] for name in security.front_headers()} == security.front_headers(), path

    process = start_run_sh(env, log)
    try:
        wait_for_service(process, port, log)
        served()
        stop(process, signal.SIGKILL)  # the first run, killed while serving: its socket and nginx's files stay behind
        process = start_run_sh(env, log)
        assert wait_until(lambda: "imported 1 provinces" in log.read_text().split("schema ready")[-1], 300), \
            log.read_text()[-3000:]
        stop(process, signal.SIGKILL)  # the second, killed in the middle of its imports (the SAMPLE's is next)
        process = start_run_sh(env, log)
        wait_for_service(process, port, log)
        served()
        stop(process, signal.SIGINT)  # the third, stopped with Ctrl-C
        assert process.returncode in (0, -signal.SIGINT, 130), log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            stop(process, signal.SIGINT)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_two_servers_on_one_host_claim_no_shared_control_socket(make_db, tmp_path):
    """Two `mapservice serve` of one user both run: neither takes gunicorn's per-user control socket
    (~/.gunicorn/gunicorn.ctl), which the second would take over from the first."""
    db = make_db("spatialite")
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"} | {"HOME": str(tmp_path)}
    ports, servers = [free_port(), free_port()], []
    try:
        for port in ports:
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "mapservice.cli", "--database-url", db.config["DATABASE_URL"], "serve",
                 "--port", str(port), "--workers", "1", "--threads", "1"], env=env, cwd=tmp_path,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True))
        for port in ports:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert time.monotonic() < deadline, f"no answer on port {port}"
                    time.sleep(0.5)
        assert all(server.poll() is None for server in servers)
        assert not (tmp_path / ".gunicorn").exists()
    finally:
        for server in servers:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)


def test_a_worker_keeps_no_connection_between_requests(make_db, tmp_path):
    """`mapservice serve` answers each request with `Connection: close`, even when the
    client asks to keep it: a request waits in the listen backlog that every worker takes from, instead of on a
    connection that stays with the worker that accepted it. Eight clients at once on two workers of one thread
    each all get their answer."""
    db = make_db("spatialite")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mapservice.cli", "--database-url", db.config["DATABASE_URL"], "serve",
         "--port", str(port), "--workers", "2", "--threads", "1"], env=dict(os.environ, HOME=str(tmp_path)),
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200,
                          120), "the server did not answer"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/ogc/collections/projects?f=json", headers={"Connection": "keep-alive"})
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Connection") == "close"
        response.read()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: urllib.request.urlopen(
                f"http://127.0.0.1:{port}/ogc/collections/projects?f=json", timeout=30).status, range(8)))
        assert statuses == [200] * 8
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_worker_keeps_what_it_holds_for_good_out_of_the_collectors_reach(make_db):
    """After the app is built in a gunicorn worker (server.after_worker_start), the objects it holds for good are
    frozen: a full collection no longer walks the ~300,000 objects of the modules and the app."""
    db = make_db("spatialite")
    app = create_app({**db.config, "TESTING": True})
    try:
        server.after_worker_start(types.SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 100_000
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
