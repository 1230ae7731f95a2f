"""Benchmark: the read path at 50k and 1M projects. Uncached paged bbox items (OGC API, 100 features, a distinct
bbox per request) in requests/s and server CPU ms per page (the gunicorn workers plus the PostgreSQL backends
serving them, from /proc), the filtered project query (/api/v1/projects, area and year filters) p50/p99, and the
collection document (/ogc/collections/projects) p50/p99.

    .venv/bin/python bench/items.py                                  # PostGIS at 50k and 1M, SpatiaLite at 50k
    .venv/bin/python bench/items.py --sizes 50000 --backends postgis --seconds 5

The 50k projects are the SAMPLE generator's (seed 1, as bench/api_load.py); 1M repeats them 20 times under new ids
(same points, same fields) in SQL, which takes seconds instead of an import's minutes. Needs `wrk`. PostGIS: the
database `mapservice_bench_items` on MAPSERVICE_BENCH_POSTGRES (default postgresql+psycopg://postgres@127.0.0.1:5432),
dropped at the end. The server is `mapservice serve` (2 workers x 4 threads) on 127.0.0.1; everything started is
stopped at the end, also on error.

``run(base_url, seconds)`` measures a server that is already running (bench/scale.py calls it) and returns
(name, value, unit) rows.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_load
import common
from common import cpu_seconds

from mapservice.config import load_config
from mapservice.store.db import create_db_engine

SERVER = common.SERVER
PG_DATABASE = "mapservice_bench_items"
EXTENT = (102.35, 10.4, 107.6, 14.65)  # the communes' extent, where the points are
BOX_DEGREES = 0.5  # about 500 of 50k projects per box, 10k of 1M
CONNECTIONS = 8
TARGET_CPU_MS, TARGET_P99_MS = 5.0, 50.0

BBOX_SCRIPT = """
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
request = function()
  local x = %(x0)f + math.random() * %(width)f
  local y = %(y0)f + math.random() * %(height)f
  return wrk.format("GET", string.format("/ogc/collections/projects/items?f=json&limit=100&bbox=%%.5f,%%.5f,%%.5f,%%.5f",
                                         x, y, x + %(size)f, y + %(size)f))
end
"""
FILTER_SCRIPT = """
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
provinces = {%(provinces)s}
request = function()
  local year = 2014 + math.random(0, 5)
  local province = provinces[math.random(#provinces)]
  return wrk.format("GET", string.format("/api/v1/projects?year=%%d&province=%%s&limit=100", year, province))
end
"""
PROVINCES = [f"{code:02d}" for code in range(1, 26)]


# --- measuring a running server --------------------------------------------------------------------------

def run(base_url, seconds):
    """Measure the server at ``base_url`` for ``seconds`` per row: [(name, value, unit), ...]."""
    port = urlsplit(base_url).port or 80
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        script = Path(workdir) / "bbox.lua"
        x0, y0, x1, y1 = EXTENT
        script.write_text(BBOX_SCRIPT % {"x0": x0, "y0": y0, "width": x1 - x0 - BOX_DEGREES,
                                         "height": y1 - y0 - BOX_DEGREES, "size": BOX_DEGREES})
        before = {pid: cpu_seconds([pid]) for group in server_processes(port) for pid in group}
        result = wrk(base_url, seconds, script)
        # found again: a connection opened during the run has a backend of its own (its CPU all counts)
        app, database = (sum(cpu_seconds([pid]) - before.get(pid, 0) for pid in group)
                         for group in server_processes(port))
        pages = max(result["requests"], 1)
        rows += [("bbox items (100 features, uncached): requests/s", result["rps"], "req/s"),
                 ("bbox items: p50", result["p50"], "ms"), ("bbox items: p99", result["p99"], "ms"),
                 ("bbox items: server CPU per page (app + database)", (app + database) * 1000 / pages, "ms"),
                 ("bbox items: of which the app (gunicorn workers)", app * 1000 / pages, "ms"),
                 ("bbox items: of which PostgreSQL (their backends)", database * 1000 / pages, "ms"),
                 ("bbox items: failed responses", result["failed"] + result["socket_errors"], "")]
        script = Path(workdir) / "filter.lua"
        script.write_text(FILTER_SCRIPT % {"provinces": ", ".join(f'"{p}"' for p in PROVINCES)})
        result = wrk(base_url, seconds, script)
        rows += [("projects year & province (100 per page): p50", result["p50"], "ms"),
                 ("projects year & province: p99", result["p99"], "ms"),
                 ("projects year & province: requests/s", result["rps"], "req/s")]
        alone = one_client(base_url, [f"/api/v1/projects?year={2014 + i % 6}&province={PROVINCES[i % 25]}&limit=100"
                                      for i in range(150)])
        rows += [("projects year & province, one client: p50", alone[0], "ms"),
                 ("projects year & province, one client: p99", alone[1], "ms")]
        alone = one_client(base_url, [f"/ogc/collections/projects/items?f=json&limit=100&year={2014 + i % 6}"
                                      f"&province={PROVINCES[i % 25]}" for i in range(150)])  # 150 distinct: uncached
        rows += [("OGC items year & province, one client: p50", alone[0], "ms"),
                 ("OGC items year & province, one client: p99", alone[1], "ms")]
        rows += deep_pages(base_url)
        result = wrk(base_url + "/ogc/collections/projects?f=json", seconds)
        rows += [("collection document: p50", result["p50"], "ms"), ("collection document: p99", result["p99"], "ms"),
                 ("collection document: requests/s", result["rps"], "req/s")]
    return rows


def deep_pages(base_url, pages=20):
    """p50/p99 (ms) of OGC item pages (100 features, no filter) from half-way through the projects on, asked by
    offset, then by the next link each of them gave (keyset, ``after``, from offset 10,000): one client, each URL
    once (uncached)."""
    timings = {"offset": [], "next": []}
    with requests.Session() as session:
        total = session.get(f"{base_url}/ogc/collections/projects/items?f=json&limit=1",
                            timeout=60).json()["numberMatched"]
        follow = []
        for i in range(pages):
            path = f"/ogc/collections/projects/items?f=json&limit=100&offset={total // 2 + i * total // (3 * pages)}"
            started = time.perf_counter()
            body = session.get(base_url + path, headers={"Accept-Encoding": "identity"}, timeout=60).json()
            timings["offset"].append((time.perf_counter() - started) * 1000)
            follow += [link["href"] for link in body["links"] if link["rel"] == "next"]
        for href in follow:
            started = time.perf_counter()
            session.get(href, headers={"Accept-Encoding": "identity"}, timeout=60).raise_for_status()
            timings["next"].append((time.perf_counter() - started) * 1000)
    kind = "after" if follow and "after=" in follow[0] else "offset"
    return [("OGC items deep pages by offset, one client: p50", api_load.percentile(timings["offset"], 50), "ms"),
            ("OGC items deep pages by offset, one client: p99", api_load.percentile(timings["offset"], 99), "ms"),
            (f"OGC items deep pages by their next link ({kind}): p50", api_load.percentile(timings["next"], 50), "ms"),
            ("OGC items deep pages by their next link: p99", api_load.percentile(timings["next"], 99), "ms")]


def one_client(base_url, paths):
    """p50 and p99 (ms) of ``paths`` asked one after the other on one connection: the query's own time, without the
    queue that concurrent clients make on a busy machine."""
    timings = []
    with requests.Session() as session:
        for path in paths:
            started = time.perf_counter()
            session.get(base_url + path, headers={"Accept-Encoding": "identity"}, timeout=60).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return api_load.percentile(timings, 50), api_load.percentile(timings, 99)


def wrk(url, seconds, script=None):
    """wrk's figures (bench/api_load.py parse_wrk), no compression asked for."""
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s", "--latency",
               *(["-s", str(script)] if script else []), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return api_load.parse_wrk(output)


def server_processes(port):
    """Pids of the processes listening on ``port`` (the gunicorn master and workers), and of the PostgreSQL backends
    their connections lead to (found by matching the two ends of each TCP connection in /proc/net/tcp*)."""
    sockets = _tcp_sockets()
    owners = _socket_owners()
    listening = {inode for (local, remote, state, inode) in sockets if local[1] == port and state == "0A"}
    server = {pid for inode in listening for pid in owners.get(inode, ())}
    ends = {(local, remote): inode for (local, remote, _state, inode) in sockets}
    backends = set()
    for local, remote, _state, inode in sockets:
        if remote[1] == 5432 and owners.get(inode, set()) & server:
            backends |= owners.get(ends.get((remote, local)), set())
    return server, backends


def _tcp_sockets():
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(name).read_text().splitlines()[1:]:
            parts = line.split()
            local, remote = (_address(text) for text in parts[1:3])
            found.append((local, remote, parts[3], parts[9]))
    return found


def _address(text):
    host, port = text.split(":")
    return host, int(port, 16)


def _socket_owners():
    owners = {}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    owners.setdefault(target[8:-1], set()).add(int(fd_dir.parent.name))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return owners


# --- the databases ------------------------------------------------------------------------------------------

def database_url(backend, workdir):
    return common.fresh_database(backend, workdir, PG_DATABASE)


def grow(url, copies):
    """Repeat every project ``copies - 1`` more times under new ids (``<id>~<n>``), then refresh the planner's
    statistics (and PostgreSQL's visibility map, for index-only counts)."""
    engine = create_db_engine(load_config({"DATABASE_URL": url}))
    sqlite = url.startswith("sqlite")
    with engine.begin() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("project") if c["name"] != "project_id"]
        others = ", ".join(columns)
        numbers = ("(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < :n) SELECT n FROM k) "
                   "AS copy" if sqlite else "generate_series(1, :n) AS copy(n)")
        conn.execute(sa.text(f"INSERT INTO project (project_id, {others}) "
                             f"SELECT project_id || '~' || copy.n, {others} FROM project, {numbers}"), {"n": copies - 1})
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE" if sqlite else "VACUUM ANALYZE project"))
    engine.dispose()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(backend, sizes, seconds, workdir):
    """Yield (size, seconds to load, rows) for each size, ascending: the 50k SAMPLE loaded once, then grown."""
    url = database_url(backend, workdir)
    started = time.perf_counter()
    api_load.load(url, 50_000)
    held = 50_000
    for size in sorted(sizes):
        if size > held:
            grow(url, size // 50_000)  # from the 50k rows
            held = size
        loaded = time.perf_counter() - started
        port = free_port()
        env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "mapservice.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        base = f"http://127.0.0.1:{port}"
        with api_load.running(command, f"{base}/readyz", Path(workdir) / f"serve_{backend}_{size}.log", env=env):
            api_load.warm(f"{base}/ogc/collections/projects?f=json", accept="identity")
            rows = run(base, seconds)
        yield size, loaded, rows
        started = time.perf_counter()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,1000000", help="project counts (multiples of 50,000)")
    parser.add_argument("--backends", default="postgis,spatialite", help="postgis and/or spatialite")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of wrk per row")
    parser.add_argument("--spatialite-sizes", default="50000", help="the sizes SpatiaLite runs (1M takes long)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for backend in args.backends.split(","):
                sizes = args.sizes if backend == "postgis" else args.spatialite_sizes
                for size, loaded, rows in measure(backend, [int(s) for s in sizes.split(",") if s], args.seconds,
                                                  workdir):
                    print(f"\n{backend}, {size:,} projects (loaded in {loaded:.0f} s; wrk -t2 -c{CONNECTIONS} "
                          f"-d{args.seconds}s, no compression; load average {os.getloadavg()[0]:.1f})")
                    for name, value, unit in rows:
                        print(f"  {name:<58} {value:>10.1f} {unit}")
                    report_targets(rows, size)
        finally:
            if "postgis" in args.backends:
                common.pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def report_targets(rows, size):
    values = {name: value for name, value, _unit in rows}
    cpu = values["bbox items: server CPU per page (app + database)"]
    print(f"  target <= {TARGET_CPU_MS} ms server CPU per bbox page: {'MET' if cpu <= TARGET_CPU_MS else 'MISSED'}")
    if size >= 1_000_000:
        p99 = values["projects year & province, one client: p99"]
        print(f"  target filtered project query p99 <= {TARGET_P99_MS} ms at 1M: "
              f"{'MET' if p99 <= TARGET_P99_MS else 'MISSED'}")
    collection = values["collection document: p99"] / max(values["collection document: p50"], 0.001)
    print(f"  target collection document p99 within 3x of p50: {'MET' if collection <= 3 else 'MISSED'} "
          f"({collection:.1f}x)")


if __name__ == "__main__":
    main()
