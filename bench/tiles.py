"""Benchmark: vector tile requests (p50/p99 ms per tile, bytes) at zoom 6, 10 and 14 for the `projects` and
`communes` layers, over tiles covering populated areas (the tiles of randomly drawn projects), with 1,000,000
sample projects on PostGIS. Real HTTP requests to the app served on 127.0.0.1; nothing else is contacted.

    .venv/bin/python bench/tiles.py                      # 1M projects, PostGIS (about 10 minutes with the load)
    .venv/bin/python bench/tiles.py --projects 50000 --backend spatialite
    .venv/bin/python bench/tiles.py --reuse              # keep the database of an earlier run if it matches

"cold" is a tile rendered for the request (the tile cache emptied before each pass; per-area totals included
for the first area tile of a pass), "warm" the same request answered from the cache. PostGIS: the database
`mapservice_bench_tiles` is (re)created on MAPSERVICE_BENCH_POSTGRES
(default postgresql+psycopg://postgres@127.0.0.1:5432).
"""
import argparse
import gzip
import math
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapservice.config import load_config  # noqa: E402
from mapservice.ingest.pipelines import import_boundaries, import_sample  # noqa: E402
from mapservice.read.cache import LRU  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402
from mapservice.web import create_app  # noqa: E402
from mapservice.web.tiles import TILE_CACHE_SIZE  # noqa: E402

SERVER = os.environ.get("MAPSERVICE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATABASE = "mapservice_bench_tiles"
ZOOMS = (6, 10, 14)
LAYERS = ("projects", "communes")


def database_url(backend, workdir, reuse):
    if backend == "spatialite":
        return f"sqlite:///{Path(workdir) / 'bench_tiles.sqlite'}"
    if not reuse:
        admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
        admin.dispose()
    return f"{SERVER}/{DATABASE}"


def prepare(config, n_projects):
    """Schema, boundaries and n sample projects, unless the database already holds exactly that."""
    engine = create_db_engine(config)
    init_schema(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        held = session.scalar(sa.text("SELECT count(*) FROM project WHERE is_sample"))
    if held == n_projects:
        print(f"reusing the {held:,} sample projects already loaded")
    else:
        started = time.perf_counter()
        import_boundaries(sessions, config)
        import_sample(sessions, config, n_projects, seed=7)
        print(f"loaded boundaries and {n_projects:,} sample projects in {time.perf_counter() - started:.0f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))  # what autovacuum does some time after an import; plans depend on it
    engine.dispose()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):
        pass  # one line per tile would bury the table


def tile_of(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def populated_tiles(config, count, seed=11):
    """Per zoom, the distinct tiles holding `count` randomly drawn projects (so denser areas weigh more)."""
    engine = create_db_engine(config)
    with engine.connect() as conn:
        points = conn.execute(sa.text("SELECT lon, lat FROM project WHERE lon IS NOT NULL ORDER BY project_id")).all()
    engine.dispose()
    picked = np.random.default_rng(seed).choice(len(points), size=min(count, len(points)), replace=False)
    return {z: sorted({tile_of(*points[i], z) for i in picked}) for z in ZOOMS}


def fetch(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def measure(app, base, tiles, passes):
    """Rows of the result table: per layer and zoom, cold and warm timings and sizes."""
    rows = []
    for layer in LAYERS:
        for z in ZOOMS:
            urls = [f"{base}/tiles/{layer}/{z}/{x}/{y}.mvt" for x, y in tiles[z]]
            cold, warm, sizes, gzipped = [], [], [], []
            for _ in range(passes):
                app.extensions["tile_cache"] = LRU(TILE_CACHE_SIZE)  # every tile of this pass is rendered
                cold += [fetch(url)[0] for url in urls]
            for url in urls:
                ms, body = fetch(url)
                warm.append(ms)
                sizes.append(len(body))
                gzipped.append(len(gzip.compress(body, 6)))
            rows.append((layer, z, len(urls), np.percentile(cold, 50), np.percentile(cold, 99),
                         np.percentile(warm, 50), np.percentile(sizes, 50), max(sizes), np.percentile(gzipped, 50)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--tiles", type=int, default=60, help="projects drawn to pick the tiles (default 60)")
    parser.add_argument("--passes", type=int, default=3, help="cold passes over the tiles (default 3)")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it holds --projects projects")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        config = load_config({"DATABASE_URL": database_url(args.backend, workdir, args.reuse)})
        prepare(config, args.projects)
        tiles = populated_tiles(config, args.tiles)
        app = create_app({"DATABASE_URL": config["DATABASE_URL"]})
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            fetch(f"{base}/tiles/communes.json")  # builds the data snapshot once, outside the timings
            rows = measure(app, base, tiles, args.passes)
        finally:
            server.shutdown()
            thread.join()
    print(f"\n## Vector tiles, {args.backend}, {args.projects:,} projects ({args.passes} cold passes)")
    print(f"{'layer':<9} {'zoom':>4} {'tiles':>5} {'cold p50 ms':>11} {'cold p99 ms':>11} {'warm p50 ms':>11} "
          f"{'bytes p50':>10} {'bytes max':>10} {'gzip p50':>9}")
    for layer, z, n, c50, c99, w50, b50, bmax, g50 in rows:
        print(f"{layer:<9} {z:>4} {n:>5} {c50:>11.1f} {c99:>11.1f} {w50:>11.1f} {b50:>10,.0f} {bmax:>10,} {g50:>9,.0f}")


if __name__ == "__main__":
    main()
