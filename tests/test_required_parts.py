"""The suite fails rather than skips when a real part is missing: a PostGIS that cannot be reached and a missing
Chromium fail their tests naming the part (CI set to "false", or not set, changes nothing); only
MAPSERVICE_TEST_SKIP skips them, and the run then says how many tests were skipped and why."""
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# one test that needs PostGIS and one that needs Chromium
TESTS = ["tests/test_boundaries.py::test_real_boundaries_three_levels_with_khmer_names[postgis]",
         "tests/browser/test_vector_tiles.py"]


def run_pytest(tmp_path, **env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "MAPSERVICE_TEST_SKIP")} | {
        "MAPSERVICE_TEST_POSTGRES": f"postgresql+psycopg://postgres@127.0.0.1:{port}",
        "MAPSERVICE_CHROMIUM": str(tmp_path / "no-chromium"), **env}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_missing_parts_fail_naming_them(tmp_path):
    code, out = run_pytest(tmp_path, CI="false")
    assert code == 1, out
    assert "postgis is missing: PostGIS server" in out and "MAPSERVICE_TEST_SKIP=postgis" in out
    assert "chromium is missing" in out and "MAPSERVICE_TEST_SKIP=chromium" in out
    assert "2 errors" in out and "skipped" not in out  # they fail in their fixtures: errors, exit status 1


def test_opted_out_parts_skip_and_the_run_says_so(tmp_path):
    code, out = run_pytest(tmp_path, MAPSERVICE_TEST_SKIP="postgis,chromium")
    assert code == 0, out
    assert "2 test(s) SKIPPED" in out
    assert "1 skipped: postgis opted out (MAPSERVICE_TEST_SKIP)" in out
    assert "1 skipped: chromium opted out (MAPSERVICE_TEST_SKIP)" in out
