"""Benchmark: the /api/v1 endpoints under gunicorn, measured with wrk (requests/s, latency p50/p99), their
bytes raw/gzip/brotli, the ceiling of the same commune choropleth served as a static file by nginx, and the
filtered project query timed inside Python. One table per database, with the targets.

    .venv/bin/python bench/api_load.py                       # 50k projects, SpatiaLite and PostGIS
    .venv/bin/python bench/api_load.py --backends spatialite --duration 5

Needs `wrk` and `nginx` on PATH (Debian: wrk, nginx-light; libnginx-mod-http-brotli-static lets nginx
serve the precompressed .br file, otherwise it serves the .gz with gzip_static) and gunicorn in this Python.
PostGIS: a database `mapservice_bench_api` is (re)created on MAPSERVICE_BENCH_POSTGRES
(default postgresql+psycopg://postgres@127.0.0.1:5432) and dropped at the end. Everything it starts
(gunicorn, nginx) listens on 127.0.0.1 only and is stopped at the end, also on error.
"""
import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import brotli
import requests

import common

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapservice.config import load_config  # noqa: E402
from mapservice.ingest import pipelines  # noqa: E402
from mapservice.read import projects  # noqa: E402
from mapservice.read.filters import parse_filters  # noqa: E402
from mapservice.read.snapshot import DataState  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402

SERVER = common.SERVER
PG_DATABASE = "mapservice_bench_api"
ACCEPT = "br, gzip"
CHOROPLETH = "/api/v1/layers/expenditure?level=commune"
BROTLI_STATIC_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
TARGET_RATIO, TARGET_BYTES, TARGET_P99_MS = 0.5, 300 * 1024, 50.0


def endpoints(project_id):
    """(label, path) of every endpoint measured."""
    return [
        ("(a) commune choropleth (cached)", CHOROPLETH),
        ("(b) projects GeoJSON 2016, prov 01", "/api/v1/projects?year=2016&province=01&format=geojson&limit=1000"),
        ("(c) one project", f"/api/v1/projects/{project_id}"),
        ("(d) area 01", "/api/v1/areas/01"),
        ("(d) statistics district 2016", "/api/v1/statistics?level=district&year=2016"),
    ]


# --- the database -------------------------------------------------------------------------------------

def database_url(backend, workdir):
    """A fresh, empty database of this backend."""
    return common.fresh_database(backend, workdir, PG_DATABASE)


def load(url, n_projects):
    """Schema, the 2014 boundaries and the SAMPLE projects; returns seconds per step."""
    config = load_config({"DATABASE_URL": url})
    engine = create_db_engine(config)
    sessions = make_session_factory(engine)
    seconds = {}
    started = time.perf_counter()
    init_schema(engine)
    pipelines.import_boundaries(sessions, config)
    seconds["boundaries"] = time.perf_counter() - started
    started = time.perf_counter()
    summary = pipelines.import_sample(sessions, config, n_projects, seed=1)
    seconds[f"sample ({summary.rows_loaded:,} projects)"] = time.perf_counter() - started
    engine.dispose()
    return seconds


def time_filtered_query(url, runs):
    """p50/p99 (ms) of projects.list_projects, and of list + count (what the view runs), for year=2016&province=01."""
    config = load_config({"DATABASE_URL": url})
    engine = create_db_engine(config)
    sessions = make_session_factory(engine)
    with sessions() as session:
        codes = DataState().current(session).area_codes
        filters = parse_filters({"year": "2016", "province": "01"}, codes)
        rows = len(projects.list_projects(session, filters, limit=1000))
        timings = {"list_projects": [], "list_projects + count_projects": []}
        for _ in range(runs):
            started = time.perf_counter()
            projects.list_projects(session, filters, limit=1000)
            middle = time.perf_counter()
            projects.count_projects(session, filters)
            ended = time.perf_counter()
            timings["list_projects"].append((middle - started) * 1000)
            timings["list_projects + count_projects"].append((ended - started) * 1000)
    engine.dispose()
    return rows, {name: (percentile(values, 50), percentile(values, 99)) for name, values in timings.items()}


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


# --- the servers --------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(command, url, log_path, env=None, timeout=180):
    """Start a server in its own process group, wait until ``url`` answers, and always stop it."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_until_up(process, url, log_path, timeout)
        yield process
    finally:
        _stop(process)


def _wait_until_up(process, url, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}:\n{Path(log_path).read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=60).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url}: no answer within {timeout} s:\n{Path(log_path).read_text()[-3000:]}")


def _stop(process):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the group we started: the master and its workers, nothing else
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def gunicorn(url, port, workdir, workers, threads):
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--timeout", "120", "mapservice.web:create_app()"]
    return running(command, f"http://127.0.0.1:{port}/api/v1/", Path(workdir) / "gunicorn.log", env=env)


def nginx(body, ports, app_port, workdir, name, workers):
    """nginx on two ports: ``body`` as a static file, precompressed (.br with the brotli_static module, else .gz),
    and a caching reverse proxy in front of the app (it keeps what the app's Cache-Control allows)."""
    prefix = Path(workdir) / f"nginx_{name}"
    site = prefix / "site"
    site.mkdir(parents=True)
    (site / "choropleth.geojson").write_bytes(body)
    (site / "choropleth.geojson.gz").write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    with_brotli = BROTLI_STATIC_MODULE.exists()
    if with_brotli:
        (site / "choropleth.geojson.br").write_bytes(brotli.compress(body, quality=10))
    for path in (Path(workdir), prefix, site, *site.iterdir()):
        path.chmod(0o755)  # nginx workers run as nobody when started by root
    config = prefix / "nginx.conf"
    http = NGINX_HTTP.format(brotli_static="brotli_static on;" if with_brotli else "", prefix=prefix,
                             static_port=ports[0], proxy_port=ports[1], app_port=app_port, site=site)
    config.write_text(common.nginx_config(prefix, http, "application/geo+json geojson;", workers,
                                          f"load_module {BROTLI_STATIC_MODULE};" if with_brotli else ""))
    mode = "brotli_static + gzip_static (precompressed .br/.gz)" if with_brotli else "gzip_static (precompressed .gz)"
    command = ["nginx", "-p", str(prefix), "-c", str(config)]
    return running(command, f"http://127.0.0.1:{ports[0]}/choropleth.geojson", prefix / "nginx.log"), mode


NGINX_HTTP = """    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=api:10m max_size=1g inactive=10m use_temp_path=off;
    server {{
        listen 127.0.0.1:{static_port};
        root {site};
        gzip_static on;
        {brotli_static}
        add_header Cache-Control "public, max-age=300";
        add_header Vary Accept-Encoding;
    }}
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache api;
            proxy_cache_key "$request_uri|$http_accept_encoding";
            proxy_cache_lock on;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status;
        }}
    }}"""


# --- measuring ----------------------------------------------------------------------------------------

def sizes(url):
    """Bytes on the wire without compression, with gzip and with brotli, and the caching headers."""
    found = {}
    for name, accept in (("raw", "identity"), ("gzip", "gzip"), ("br", "br")):
        response = requests.get(url, headers={"Accept-Encoding": accept}, stream=True, timeout=120)
        response.raise_for_status()
        found[name] = len(response.raw.read(decode_content=False))
        found[f"{name}_encoding"] = response.headers.get("Content-Encoding", "identity")
        found["etag"] = response.headers.get("ETag")
        found["cache_control"] = response.headers.get("Cache-Control")
    return found


def wrk(url, duration, threads, connections, accept=ACCEPT):
    """requests/s, p50 and p99 (ms), requests and non-2xx/3xx responses and socket errors, from wrk --latency."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
               "--latency", "-H", f"Accept-Encoding: {accept}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    return parse_wrk(output)


def parse_wrk(output):
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    if len(latency) < 2:
        raise RuntimeError(f"wrk gave no latency distribution:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(latency["50"]), "p99": _ms(latency["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "failed": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def _ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def first_project_id(base):
    response = requests.get(f"{base}/api/v1/projects?limit=1&sort=project_id", timeout=60)
    response.raise_for_status()
    return response.json()["projects"][0]["project_id"]


def warm(url, accept=ACCEPT, parallel=16):
    """Parallel requests on fresh connections, so that every gunicorn worker has built its data snapshot and
    cached this response (each worker process has its own caches)."""
    def get(_):
        response = requests.get(url, headers={"Accept-Encoding": accept}, timeout=300)
        response.raise_for_status()
        return response

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(get, range(parallel)))[-1]


def measure_backend(backend, args, workdir):
    """Load, time the query in Python, then wrk the app, the static ceiling and a cache in front of the app."""
    url = database_url(backend, workdir)
    result = {"load": load(url, args.projects), "loadavg_before": os.getloadavg()}
    result["query_rows"], result["query"] = time_filtered_query(url, args.runs)
    port, static_port, proxy_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    run = {"duration": args.duration, "threads": args.wrk_threads, "connections": args.connections}
    started = time.perf_counter()
    with gunicorn(url, port, workdir, args.workers, args.threads):
        result["startup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        warm(base + "/api/v1/")
        result["snapshots_s"] = time.perf_counter() - started
        project_id = first_project_id(base)
        started = time.perf_counter()
        requests.get(base + CHOROPLETH, headers={"Accept-Encoding": ACCEPT}, timeout=300).raise_for_status()
        result["choropleth_first_s"] = time.perf_counter() - started
        result["endpoints"] = []
        for label, path in endpoints(project_id):
            warm(base + path)
            found = sizes(base + path)
            found.update(wrk(base + path, **run), label=label, path=path)
            result["endpoints"].append(found)
        warm(base + CHOROPLETH, accept="gzip")
        result["choropleth_gzip_only"] = wrk(base + CHOROPLETH, **run, accept="gzip")
        body = requests.get(base + CHOROPLETH, headers={"Accept-Encoding": "identity"}, timeout=120).content
        server, result["static_mode"] = nginx(body, (static_port, proxy_port), port, workdir, backend, args.workers)
        with server:
            static_url = f"http://127.0.0.1:{static_port}/choropleth.geojson"
            result["static_sizes"] = sizes(static_url)
            result["static"] = wrk(static_url, **run)
            result["static_gzip_only"] = wrk(static_url, **run, accept="gzip")
            cached = warm(f"http://127.0.0.1:{proxy_port}{CHOROPLETH}")
            result["proxy_status"] = cached.headers.get("X-Cache-Status")
            result["proxy"] = wrk(f"http://127.0.0.1:{proxy_port}{CHOROPLETH}", **run)
    result["loadavg_after"] = os.getloadavg()
    return result


# --- printing -----------------------------------------------------------------------------------------

def print_report(backend, args, r):
    print(f"\n## {backend}, {args.projects:,} SAMPLE projects "
          f"(gunicorn -w {args.workers} -k gthread --threads {args.threads}; "
          f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s, Accept-Encoding: {ACCEPT})")
    print("load: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["load"].items())
          + f"; gunicorn up {r['startup_s']:.1f} s, every worker's data snapshot {r['snapshots_s']:.1f} s, "
          f"first (uncached) choropleth {r['choropleth_first_s']:.2f} s")
    print("machine load average (1/5/15 min) before: {:.1f} {:.1f} {:.1f}".format(*r["loadavg_before"])
          + ", after: {:.1f} {:.1f} {:.1f}".format(*r["loadavg_after"]))
    header = (f"{'endpoint':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'raw B':>10} {'gzip B':>9} "
              f"{'br B':>9} {'errors':>6}")
    print(header)
    print("-" * len(header))
    for e in r["endpoints"]:
        print(_row(e["label"], e, e))
    print(_row("static file, nginx", r["static"], r["static_sizes"]))
    print(_row("(a) choropleth via nginx proxy_cache", r["proxy"], r["endpoints"][0]))
    for label, key in (("(a) choropleth, Accept-Encoding: gzip", "choropleth_gzip_only"),
                       ("static file, Accept-Encoding: gzip", "static_gzip_only")):
        print(_row(label, r[key], None))
    print(f"static file served by nginx with {r['static_mode']}; nginx proxy_cache status after warming: "
          f"{r['proxy_status']}")
    choropleth = r["endpoints"][0]
    print(f"choropleth headers: ETag {choropleth['etag']}, Cache-Control {choropleth['cache_control']}")
    print(f"filtered query in Python ({args.runs} runs, year=2016&province=01, {r['query_rows']:,} rows): "
          + "; ".join(f"{name} p50 {p50:.1f} ms, p99 {p99:.1f} ms" for name, (p50, p99) in r["query"].items()))
    print_targets(r)
    sys.stdout.flush()


def _row(label, measured, sized):
    errors = measured["failed"] + measured["socket_errors"]
    byte_columns = f"{sized['raw']:>10,} {sized['gzip']:>9,} {sized['br']:>9,}" if sized else f"{'':>10} {'':>9} {'':>9}"
    return (f"{label:<40} {measured['rps']:>8,.0f} {measured['p50']:>8.2f} {measured['p99']:>8.2f} "
            f"{byte_columns} {errors:>6}")


def targets(r):
    """(target, measured, met) for each target."""
    choropleth = r["endpoints"][0]
    ratio = choropleth["rps"] / r["static"]["rps"]
    gzip_ratio = r["choropleth_gzip_only"]["rps"] / r["static_gzip_only"]["rps"]
    smallest = min(choropleth["gzip"], choropleth["br"])
    p99 = r["query"]["list_projects"][1]
    return [
        ("cached choropleth >= 50% of the static file's req/s",
         f"{ratio:.0%} ({choropleth['rps']:,.0f} vs {r['static']['rps']:,.0f}; gzip only: {gzip_ratio:.0%})",
         ratio >= TARGET_RATIO),
        ("1,633-commune choropleth <= 300 KB compressed",
         f"br {choropleth['br'] / 1024:,.0f} KB, gzip {choropleth['gzip'] / 1024:,.0f} KB",
         smallest <= TARGET_BYTES),
        ("filtered project queries p99 <= 50 ms", f"list_projects p99 {p99:.1f} ms", p99 <= TARGET_P99_MS),
    ]


def print_targets(r):
    print("targets:")
    for target, measured, met in targets(r):
        print(f"  {'MET   ' if met else 'MISSED'} {target}: {measured}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--projects", type=int, default=50000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (and nginx workers)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--runs", type=int, default=200, help="runs of the filtered query timed in Python")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (Debian: apt-get install -y wrk nginx-light)")
    with ExitStack() as cleanup:
        workdir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="api_load_"))
        for backend in args.backends.split(","):
            if backend == "postgis":
                cleanup.callback(common.pg_admin, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            print_report(backend, args, measure_backend(backend, args, workdir))


if __name__ == "__main__":
    main()
