"""bench/scale.py --files: the same precomputed file (the commune choropleth, gzip; the full XLSX download) served
three ways: by a plain nginx from the artefact folder (gzip_static), by the service through its public front
(nginx + the app answering X-Accel-Redirect or the file), and by the app alone (send_file). Requests/s, p50/p99 and
server CPU ms per request (the app's and nginx's processes; PostgreSQL is not involved), against the issue's target
(through the front >= 50% of nginx's requests/s)."""
import os
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

import requests

import api_load
import common
from common import cpu_seconds
from tests.front import running_front

from mapservice.artefacts.directory import CURRENT, MANIFEST

LIFTED = {"rate": 100000, "burst": 100000, "connections": 60000}  # one load generator is not many people
FILES = (("commune choropleth", "/api/v1/layers/expenditure?level=commune", "layers/expenditure/commune/all.geojson",
          "gzip"),
         ("full XLSX", "/api/v1/downloads/projects.xlsx?lang=en", "downloads/projects-en.xlsx", "identity"))
TARGET_RATIO = 0.5

STATIC_HTTP = """    server {{
        listen 127.0.0.1:{port};
        root {site};
        gzip_static on;
        {brotli_static}
        add_header Cache-Control "public, max-age=300";
        add_header Vary Accept-Encoding;
    }}"""


def _children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def wrk(url, duration, accept, server_pids, connections=16):
    """wrk on one URL with ``Accept-Encoding: accept``; its figures and the servers' CPU ms per request."""
    pids = [p for root in server_pids for p in tree(root)]
    before = cpu_seconds(pids, children=False)
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s", "--latency",
               "-H", f"Accept-Encoding: {accept}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    result = api_load.parse_wrk(output)
    result["cpu_ms"] = (cpu_seconds(pids, children=False) - before) * 1000 / max(result["requests"], 1)
    return result


def static_nginx(folder, port, workdir):
    """A plain nginx serving the version folder (the same files) with gzip_static."""
    prefix = Path(workdir) / f"static_{port}"
    prefix.mkdir()
    with_brotli = api_load.BROTLI_STATIC_MODULE.exists()
    http = STATIC_HTTP.format(port=port, site=folder, brotli_static="brotli_static on;" if with_brotli else "")
    types = "application/geo+json geojson; application/vnd.openxmlformats-officedocument.spreadsheetml.sheet xlsx;"
    (prefix / "nginx.conf").write_text(common.nginx_config(
        prefix, http, types, load_module=f"load_module {api_load.BROTLI_STATIC_MODULE};" if with_brotli else ""))
    command = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    return api_load.running(command, f"http://127.0.0.1:{port}/{MANIFEST}", prefix / "nginx.log")


def measure(url, artefacts, manifest, seconds):
    """(name, value, unit) rows: each prebuilt file of FILES three ways, and the front's ratio to nginx."""
    rows = []
    folder = Path(artefacts) / os.readlink(Path(artefacts) / CURRENT)
    with tempfile.TemporaryDirectory(prefix="mapservice-files-") as workdir, ExitStack() as stack:
        for path in (Path(workdir), Path(artefacts), folder):
            path.chmod(0o755)  # nginx's workers run as nobody under root
        app_port, static_port = api_load.free_port(), api_load.free_port()
        front = stack.enter_context(running_front(url, limits=LIFTED, artefact_dir=artefacts))
        env_before = dict(os.environ)
        os.environ["MAPSERVICE_ARTEFACT_DIR"] = str(artefacts)
        try:
            app = stack.enter_context(api_load.gunicorn(url, app_port, workdir, 2, 4))
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        static = stack.enter_context(static_nginx(folder, static_port, workdir))
        ways = {"nginx": (f"http://127.0.0.1:{static_port}", [static.pid]),
                "front": (f"http://127.0.0.1:{front.port}", [front.nginx.pid, *(a.process.pid for a in front.apps)]),
                "app": (f"http://127.0.0.1:{app_port}", [app.pid])}
        for label, path, name, accept in FILES:
            if name not in manifest["artefacts"]:
                rows.append((f"{label}: not prebuilt at this size", 0, ""))
                continue
            results = {}
            for way, (base, pids) in ways.items():
                target = f"{base}/{name}" if way == "nginx" else base + path
                requests.get(target, headers={"Accept-Encoding": accept}, timeout=300).raise_for_status()  # warm
                results[way] = wrk(target, seconds, accept, pids)
            for way, title in (("nginx", "nginx, the file from disk"), ("front", "the service through its front"),
                               ("app", "the app alone")):
                rows += [(f"{label} ({accept}), {title}: requests/s", results[way]["rps"], "req/s"),
                         (f"{label}, {title}: p99", results[way]["p99"], "ms"),
                         (f"{label}, {title}: server CPU per request", results[way]["cpu_ms"], "ms")]
            rows.append((f"{label}: through the front, share of nginx's requests/s (target >= {TARGET_RATIO:.0%})",
                         100 * results["front"]["rps"] / results["nginx"]["rps"], "%"))
    return rows

