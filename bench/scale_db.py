"""The databases of bench/scale.py, built once and kept: the 50k SAMPLE projects (seed 1) imported by the pipeline,
and larger sizes made from them in SQL (every project repeated under new ids ``<id>~<n>``, bench/items.py ``grow``),
which takes a minute or two instead of an import's many minutes at 1M.

A database is reused when its key matches: the size, the generator and the schema (the tables' columns). PostGIS:
the database ``<prefix>_<n>`` on MAPSERVICE_BENCH_POSTGRES; SpatiaLite: ``<cache>/<prefix>_<n>.sqlite`` (cache: /var/tmp/mapservice-bench, MAPSERVICE_BENCH_CACHE). The key is
kept in a table ``bench_scale_key`` beside the app's tables (the app never reads it).

    .venv/bin/python bench/scale_db.py --sizes 50000,1000000 --backends postgis,spatialite   # build what is missing
"""
import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_load  # noqa: E402
import common  # noqa: E402
from items import grow  # noqa: E402

from mapservice.config import load_config  # noqa: E402
from mapservice.store.db import create_db_engine  # noqa: E402
from mapservice.store.models import Base  # noqa: E402

SERVER = common.SERVER
PREFIX = os.environ.get("MAPSERVICE_BENCH_SCALE_PREFIX", "mapservice_bench_scale")
# under /var/tmp (kept across runs): nginx's workers (nobody) must reach the artefact files (--files)
CACHE = Path(os.environ.get("MAPSERVICE_BENCH_CACHE", "/var/tmp/mapservice-bench"))
BASE_SIZE = 50_000  # the SAMPLE import; larger sizes are copies of it
GENERATOR = "sample seed 1, copies in SQL, v1"


def schema_fingerprint():
    columns = sorted(f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables for column in table.columns)
    return hashlib.sha1("\n".join(columns).encode()).hexdigest()[:12]


def key(size):
    return f"{size} projects; {GENERATOR}; schema {schema_fingerprint()}"


def database_url(backend, size, prefix=PREFIX, cache=CACHE):
    if backend == "spatialite":
        return f"sqlite:///{Path(cache) / f'{prefix}_{size}.sqlite'}"
    return f"{SERVER}/{prefix}_{size}"


def stored_key(url):
    """The key of the database at ``url``, None when it does not exist or has none."""
    if url.startswith("sqlite"):
        if not Path(sa.engine.make_url(url).database).exists():
            return None
    elif not _pg_database_exists(url):
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT key FROM bench_scale_key")).scalar()
    except sa.exc.DBAPIError:
        return None
    finally:
        engine.dispose()


def _pg_database_exists(url):
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(f"{SERVER}/postgres")
    with admin.connect() as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar()
    admin.dispose()
    return bool(found)


def ensure(backend, size, prefix=PREFIX, cache=CACHE, rebuild=False):
    """The URL of a database of ``size`` projects, built unless a matching one exists; (url, seconds to build or
    None when reused)."""
    url = database_url(backend, size, prefix, cache)
    if not rebuild and stored_key(url) == key(size):
        return url, None
    started = time.perf_counter()
    if backend == "spatialite":
        path = Path(sa.engine.make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        path.unlink(missing_ok=True)
    else:
        name = sa.engine.make_url(url).database
        common.pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    api_load.load(url, min(size, BASE_SIZE))
    if size > BASE_SIZE:
        if size % BASE_SIZE:
            raise SystemExit(f"sizes above {BASE_SIZE:,} must be multiples of it (got {size:,})")
        grow(url, size // BASE_SIZE)
    engine = create_db_engine(load_config({"DATABASE_URL": url}))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bench_scale_key (key TEXT)"))
        conn.execute(sa.text("INSERT INTO bench_scale_key VALUES (:key)"), {"key": key(size)})
    engine.dispose()
    return url, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,1000000")
    parser.add_argument("--backends", default="postgis,spatialite")
    parser.add_argument("--rebuild", action="store_true", help="build again even when a matching database exists")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            url, seconds = ensure(backend, size, rebuild=args.rebuild)
            print(f"{backend} {size:,}: {url} ({'reused' if seconds is None else f'built in {seconds:.0f} s'})",
                  flush=True)


if __name__ == "__main__":
    main()
