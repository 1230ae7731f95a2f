"""Benchmark: the read path at 50k and 1M projects, side by side, in one run. Per database and size:

- paged bbox items (OGC API, 100 features, a distinct random box per request, uncached): req/s, p50/p99 and server
  CPU ms per page (app + database), and the rest of bench/items.py ``run`` (filtered /api/v1/projects and OGC items
  p50/p99, deep pages by offset and by the keyset ``next`` link, the collection document);
- vector tiles of the projects at z6-z10 (the light layer): prebuilt (files of the data version, unfiltered and
  for one year) and rendered for the request (cold: a year and a sector, each URL asked once; warm: the same URLs
  again), p50/p99, bytes, and server CPU ms per tile;
- downloads: the full files (prebuilt up to 200,000 projects) and a filtered one (year and province, built for
  the request) in each format: ms and bytes;
- with ``--files``: the same precomputed file served by nginx, through the public front and by the app alone
  (bench/scale_files.py).

    .venv/bin/python bench/scale.py                                    # PostGIS and SpatiaLite, 50k and 1M
    .venv/bin/python bench/scale.py --backends postgis --sizes 50000 --seconds 5

The databases and their artefact folders are built once (bench/scale_db.py: the 1M projects are the 50k SAMPLE
repeated in SQL) and kept for the next run under /var/tmp/mapservice-bench (MAPSERVICE_BENCH_CACHE) and as PostGIS
databases ``mapservice_bench_scale_<n>`` (MAPSERVICE_BENCH_SCALE_PREFIX) on MAPSERVICE_BENCH_POSTGRES; a schema
change rebuilds them. Needs `wrk`. The server is `mapservice serve` (2 workers x 4 threads) on 127.0.0.1, stopped at
the end (also on error). CPU is counted from /proc: the gunicorn workers and the PostgreSQL backends they hold.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_load  # noqa: E402
import items  # noqa: E402
import scale_db  # noqa: E402
import scale_files  # noqa: E402

from mapservice.artefacts.build import build_artefacts, database_identity  # noqa: E402
from mapservice.artefacts.directory import CURRENT, MANIFEST  # noqa: E402
from mapservice.config import load_config  # noqa: E402
from mapservice.store import tables  # noqa: E402
from mapservice.store.db import create_db_engine, make_session_factory  # noqa: E402

TARGET_TILE_P99_MS = 100
TILE_ZOOMS = range(6, 11)  # the light projects layer
FORMATS = ("csv", "geojson", "gpkg", "xlsx")
FILTERED = "year=2016&province=01"


# --- the artefacts ---------------------------------------------------------------------------------------------

def ensure_artefacts(url, folder):
    """The artefact folder of the database's current data version, built unless it is there; (manifest, seconds to
    build or None when reused)."""
    config = load_config({"DATABASE_URL": url, "MAPSERVICE_ARTEFACT_DIR": str(folder)})
    engine = create_db_engine(config)
    with make_session_factory(engine)() as session:
        version = tables.data_version(session)
    manifest = _manifest(folder)
    seconds = None
    if manifest is None or (manifest["data_version"], manifest["database"]) != (version, database_identity(config)):
        started = time.perf_counter()
        report = build_artefacts(make_session_factory(engine), config)
        seconds = time.perf_counter() - started
        print(f"  {report}", flush=True)
        manifest = _manifest(folder)
    engine.dispose()
    return manifest, seconds


def _manifest(folder):
    link = Path(folder) / CURRENT
    if not link.exists():
        return None
    return json.loads((link / MANIFEST).read_text(encoding="utf-8"))


# --- measuring -------------------------------------------------------------------------------------------------

class ServerCpu:
    """CPU seconds of the server on ``port`` (its workers and their PostgreSQL backends) since it was made; a
    backend that appears meanwhile counts whole."""

    def __init__(self, port):
        self.port = port
        self.before = self._now()

    def _now(self):
        return {pid: items.cpu_seconds([pid]) for group in items.server_processes(self.port) for pid in group}

    def ms_per(self, count):
        spent = sum(value - self.before.get(pid, 0.0) for pid, value in self._now().items())
        return spent * 1000 / max(count, 1)


def timed(session, url, headers=None):
    started = time.perf_counter()
    response = session.get(url, headers=headers or {"Accept-Encoding": "gzip"}, timeout=600, stream=True)
    body = response.raw.read(decode_content=False)  # the bytes on the wire
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, len(body), response.headers


def tile_paths(manifest, rng, count):
    """``count`` prebuilt project tiles at z6-z10 that hold points (sampled), as URL paths."""
    paths = [f"/{name}" for name, entry in manifest["artefacts"].items()
             if name.startswith("tiles/projects/") and entry["bytes"] > 0
             and int(name.split("/")[2]) in TILE_ZOOMS]
    return rng.sample(paths, min(count, len(paths)))


RENDERED_FILTER = "sector=rural_road"  # with a year: a filter no file answers (rendered per request)


def measure_tiles(base, port, manifest, args):
    """The same z6-z10 tiles unfiltered and for one year (both files), then with a year and a sector (rendered:
    cold, then warm from the app's cache)."""
    rows = []
    rng = random.Random(1)
    prebuilt = tile_paths(manifest, rng, args.tiles)
    if not prebuilt:
        return [("tiles: no prebuilt z6-z10 project tile holds points", 0, "")]
    with requests.Session() as session:
        served = [timed(session, base + path) for path in prebuilt]
        cpu = ServerCpu(port)
        years = [timed(session, f"{base}{path}?year={2014 + i % 6}") for i, path in enumerate(prebuilt)]
        years_cpu = cpu.ms_per(len(years))
        cpu = ServerCpu(port)
        cold = [timed(session, f"{base}{path}?year={2014 + i % 6}&{RENDERED_FILTER}") for i, path in enumerate(prebuilt)]
        cold_cpu = cpu.ms_per(len(cold))
        warm = [timed(session, f"{base}{path}?year={2014 + i % 6}&{RENDERED_FILTER}") for i, path in enumerate(prebuilt)]
    for label, results in (("prebuilt (files)", served), ("year-filtered (files)", years),
                           (f"cold (year & {RENDERED_FILTER}, rendered)", cold),
                           ("warm (the same again, from the cache)", warm)):
        ms, sizes = [r[0] for r in results], [r[1] for r in results]
        rows += [(f"tiles z6-z10 {label}: p50", api_load.percentile(ms, 50), "ms"),
                 (f"tiles z6-z10 {label}: p99", api_load.percentile(ms, 99), "ms")]
        if not label.startswith("warm"):
            rows += [(f"tiles z6-z10 {label}: gzip bytes p50", api_load.percentile(sizes, 50), "B"),
                     (f"tiles z6-z10 {label}: gzip bytes max", max(sizes), "B")]
    rows.append(("tiles z6-z10 year-filtered (files): server CPU per tile", years_cpu, "ms"))
    rows.append(("tiles z6-z10 cold (rendered): server CPU per tile (app + database)", cold_cpu, "ms"))
    if not all(r[2].get("X-Artefact") for r in years):
        rows.append(("tiles: year-filtered tiles rendered, not from a file (files of the year missing)",
                     sum(not r[2].get("X-Artefact") for r in years), ""))
    if any(r[2].get("X-Artefact") for r in cold):
        rows.append(("tiles: a tile of year & sector came from a file (unexpected)", 1, ""))
    return rows


def measure_downloads(base, n_projects):
    rows = []
    with requests.Session() as session:
        for fmt in FORMATS:
            if n_projects <= 200_000:
                ms, size, headers = timed(session, f"{base}/api/v1/downloads/projects.{fmt}?lang=en")
                source = "file" if headers.get("X-Artefact") else "built"
                rows += [(f"download {fmt}, all projects ({source}): time", ms, "ms"),
                         (f"download {fmt}, all projects: bytes on the wire", size / 1e6, "MB")]
            ms, size, _headers = timed(session, f"{base}/api/v1/downloads/projects.{fmt}?lang=en&{FILTERED}")
            rows += [(f"download {fmt}, {FILTERED} (built): time", ms, "ms"),
                     (f"download {fmt}, {FILTERED}: bytes", size / 1e6, "MB")]
    return rows


def measure(backend, size, args, workdir):
    """(name, value, unit) rows of one database and size."""
    url, built = scale_db.ensure(backend, size)
    rows = [("database built (s; 0 = reused)", built or 0, "s")]
    folder = scale_db.CACHE / f"{scale_db.PREFIX}_{backend}_{size}_artefacts"
    manifest, seconds = ensure_artefacts(url, folder)
    rows.append(("artefacts built (s; 0 = reused)", seconds or 0, "s"))
    port = items.free_port()
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), MAPSERVICE_ARTEFACT_DIR=str(folder),
               MAPSERVICE_PUBLIC_URL=f"http://127.0.0.1:{port}")
    command = [sys.executable, "-m", "mapservice.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with api_load.running(command, f"{base}/readyz", Path(workdir) / f"serve_{backend}_{size}.log", env=env):
        api_load.warm(f"{base}/ogc/collections/projects?f=json", accept="identity")
        rows += items.run(base, args.seconds)
        rows += measure_tiles(base, port, manifest, args)
        rows += measure_downloads(base, size)
    if args.files:
        rows += scale_files.measure(url, folder, manifest, args.seconds)
    return rows


# --- printing --------------------------------------------------------------------------------------------------

def print_side_by_side(results):
    columns = list(results)
    names = list(dict.fromkeys(name for rows in results.values() for name, _value, _unit in rows))
    units = {name: unit for rows in results.values() for name, _value, unit in rows}
    values = {column: {name: value for name, value, _unit in rows} for column, rows in results.items()}
    width = max(len(name) for name in names) + 2
    header = "".join(f"{column:>22}" for column in columns)
    print(f"\n{'':<{width}}{header}")
    for name in names:
        cells = "".join(f"{_cell(values[column].get(name)):>22}" for column in columns)
        print(f"{name:<{width}}{cells}  {units[name]}")


def _cell(value):
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def print_targets(results):
    print("\nTargets (issue 13):")
    for column, rows in results.items():
        values = {name: value for name, value, _unit in rows}
        size = int(column.split()[1].replace(",", ""))
        cpu = values.get("bbox items: server CPU per page (app + database)")
        print(f"  {column}: bbox page <= {items.TARGET_CPU_MS} ms server CPU: "
              f"{'MET' if cpu <= items.TARGET_CPU_MS else 'MISSED'} ({cpu:.1f} ms)")
        if size >= 1_000_000:
            for name in ("projects year & province, one client: p99", "OGC items year & province, one client: p99"):
                p99 = values[name]
                print(f"  {column}: {name.split(',')[0]} p99 <= {items.TARGET_P99_MS} ms: "
                      f"{'MET' if p99 <= items.TARGET_P99_MS else 'MISSED'} ({p99:.1f} ms)")
            year = values.get("tiles z6-z10 year-filtered (files): p99")
            cold = values.get(f"tiles z6-z10 cold (year & {RENDERED_FILTER}, rendered): p99")
            if year is not None and column.startswith("postgis"):
                print(f"  {column}: year-filtered tile p99 <= {TARGET_TILE_P99_MS} ms: "
                      f"{'MET' if year <= TARGET_TILE_P99_MS else 'MISSED'} ({year:.1f} ms; files of the data "
                      f"version, as the unfiltered z0-z10 tiles); other filters, rendered cold: "
                      f"{'within' if cold <= TARGET_TILE_P99_MS else 'above'} it ({cold:.1f} ms)")


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50000,1000000", help="projects, comma-separated (multiples of 50,000)")
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--tiles", type=int, default=60, help="project tiles at z6-z10 asked (prebuilt, cold, warm)")
    parser.add_argument("--files", action="store_true", help="also the same precomputed file served by nginx, "
                        "through the front and by the app alone (bench/scale_files.py; needs nginx)")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {git_commit()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} at the start")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mapservice-scale-") as workdir:
        for backend in args.backends.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                started, cpu = time.perf_counter(), time.process_time()
                print(f"\n== {backend}, {size:,} projects ==", flush=True)
                rows = measure(backend, size, args, workdir)
                rows.append(("load average (1 min) after this column", os.getloadavg()[0], ""))
                results[f"{backend} {size:,}"] = rows
                print(f"  measured in {time.perf_counter() - started:.0f} s (this script's own CPU "
                      f"{time.process_time() - cpu:.0f} s)", flush=True)
    print_side_by_side(results)
    print_targets(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
