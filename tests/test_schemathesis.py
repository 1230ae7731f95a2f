"""The OpenAPI document matches the server: Schemathesis (`st run --checks all`, bounded and seeded) against the
app on a live server with known projects: no server error, no response that breaks the document, no request valid
by the document that is refused, no invalid one that is accepted. SpatiaLite (the queries run on both elsewhere)."""
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mapservice.web import create_app
from tests.conftest import DATA_DIR
from tests.test_pages import load_projects

HOOKS = "tests.schemathesis.hooks"
ROOT = Path(__file__).resolve().parents[1]
MAX_EXAMPLES = 8  # per operation and phase: about 30 s for the 23 operations on this machine


@pytest.fixture
def live_api(make_db):
    db = make_db("spatialite")
    load_projects(db)
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "MAPSERVICE_DATA_DIR": DATA_DIR})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # thousands of requests
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_server_keeps_to_its_openapi_document(live_api, tmp_path):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st, "schemathesis is part of the test extra (pip install -e .[test])"
    result = subprocess.run(
        [st, "run", f"{live_api}/api/v1/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
         "--seed", "1", "--phases", "examples,fuzzing", "--no-color",
         "--report", "junit", "--report-dir", str(tmp_path)],
        cwd=tmp_path, env=os.environ | {"SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)},  # its cache there
        capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-6000:]
    assert "No issues found" in out or " passed" in out, out[-3000:]
