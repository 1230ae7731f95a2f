"""Whole processes, as a user runs them: the console script exits cleanly on both import orders."""
import subprocess
import sys

import pytest

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


def test_two_servers_on_one_host_claim_no_shared_control_socket(make_db, tmp_path):
    """Two `mapservice serve` of one user both run: neither takes gunicorn's per-user control socket
    (~/.gunicorn/gunicorn.ctl), which the second would take over from the first."""
    import os
    import socket
    import time
    import urllib.request

    db = make_db("spatialite")
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"} | {"HOME": str(tmp_path)}
    ports, servers = [], []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
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
