"""Benchmark: import and join of generated projects on SpatiaLite and PostGIS, and the vectorised join
against a naive per-row loop, in the same run. Prints rows/s and seconds per step (the streaming import's steps
add up over its chunks), and the import against the target of issue 13: import + join of 1M projects <= 60 s on
PostGIS. The records are generated in memory first (not timed); bench/import_memory.py imports a CSV file.

    .venv/bin/python bench/import_join.py                 # 50k and 1M projects, both databases
    .venv/bin/python bench/import_join.py --sizes 50000 --backends spatialite

PostGIS: a database `mapservice_bench` is (re)created on MAPSERVICE_BENCH_POSTGRES
(default postgresql+psycopg://postgres@127.0.0.1:5432).
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapservice.config import load_config  # noqa: E402
from mapservice.ingest import gazetteer  # noqa: E402
from mapservice.ingest.pipelines import import_boundaries, import_records  # noqa: E402
from mapservice.ingest.sample import generate_sample  # noqa: E402
from mapservice.store import tables  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402
from mapservice.store.spatial import locate_points  # noqa: E402

SERVER = os.environ.get("MAPSERVICE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGET_SECONDS = 60
NAIVE_ROWS = 2000  # the naive loop is measured on this many points and its rate reported


def database_url(backend, workdir):
    if backend == "spatialite":
        path = Path(workdir) / "bench.sqlite"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS mapservice_bench WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE mapservice_bench"))
    return f"{SERVER}/mapservice_bench"


def naive_locate(lon, lat, communes):
    """The per-row loop the vectorised join replaces: test each point against every commune."""
    polygons = list(zip(communes["code"], communes.geometry))
    found = []
    for x, y in zip(lon, lat):
        point = shapely.Point(x, y)
        found.append(next((code for code, polygon in polygons if polygon.covers(point)), None))
    return found


def run(backend, n_projects, workdir):
    config = load_config({"DATABASE_URL": database_url(backend, workdir)})
    engine = create_db_engine(config)
    init_schema(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    import_boundaries(sessions, config)
    boundaries_s = time.perf_counter() - started
    with sessions() as session:
        communes = tables.load_areas(session, "commune")
    villages = gazetteer.read_gazetteer(config["MAPSERVICE_DATA_DIR"], "village")
    started = time.perf_counter()
    raw = generate_sample(communes, villages, n_projects, seed=7)
    generate_s = time.perf_counter() - started
    summary = import_records(sessions, config, raw, "bench", "sample", "bench", is_sample=True, replace_sample=True)
    lon, lat = raw["lon"].astype(float).to_numpy(), raw["lat"].astype(float).to_numpy()
    points = ~np.isnan(lon)
    started = time.perf_counter()
    vectorised = locate_points(lon[points], lat[points], communes)
    vector_s = time.perf_counter() - started
    # evenly spread over the rows (which come commune by commune): the first rows would all sit in the first
    # communes the loop tries, and flatter it
    spread = np.linspace(0, int(points.sum()) - 1, NAIVE_ROWS).astype(int)
    sample_lon, sample_lat = lon[points][spread], lat[points][spread]
    started = time.perf_counter()
    naive = naive_locate(sample_lon, sample_lat, communes)
    naive_s = time.perf_counter() - started
    expected = list(vectorised[spread])
    assert expected == naive or _only_border_ties(expected, naive)
    engine.dispose()
    steps = {"boundaries (3 levels)": (boundaries_s, None), "generate": (generate_s, n_projects)}
    steps.update({f"import: {k}": (v, n_projects) for k, v in summary.seconds.items()})
    steps["import: total"] = (sum(summary.seconds.values()), n_projects)
    steps["import: total"] += (summary.rows_loaded,)
    steps[f"join vectorised ({points.sum():,} points)"] = (vector_s, int(points.sum()))
    steps[f"join naive loop ({len(naive):,} points)"] = (naive_s, len(naive))
    return steps, vector_s / points.sum(), naive_s / len(naive)


def _only_border_ties(vectorised, naive):
    return sum(a != b for a, b in zip(vectorised, naive)) <= 2  # naive takes the first polygon, we take the lowest code


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50000,1000000")
    parser.add_argument("--backends", default="spatialite,postgis")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for n_projects in map(int, args.sizes.split(",")):
            for backend in args.backends.split(","):
                steps, vector_per_row, naive_per_row = run(backend, n_projects, workdir)
                print(f"\n## {backend}, {n_projects:,} projects")
                print(f"{'step':<40} {'seconds':>9} {'rows/s':>12}")
                for name, (seconds, rows, *_loaded) in steps.items():
                    rate = f"{rows / seconds:,.0f}" if rows else ""
                    print(f"{name:<40} {seconds:>9.2f} {rate:>12}")
                total, _rows, loaded = steps["import: total"]
                verdict = ("MET" if total <= TARGET_SECONDS else "MISSED") if n_projects >= 1_000_000 and \
                    backend == "postgis" else "target is for 1M on PostGIS"
                print(f"import + join of {loaded:,} projects: {total:,.1f} s (target <= {TARGET_SECONDS} s at 1M on "
                      f"PostGIS: {verdict}); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
                      "(2 cores, shared)")
                print(f"vectorised join is {naive_per_row / vector_per_row:,.0f}x faster per point than the naive loop "
                      f"(naive at this size would take {naive_per_row * n_projects:,.0f} s)")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
