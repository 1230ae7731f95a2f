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
