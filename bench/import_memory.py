"""Peak memory of `mapservice import-projects` on a template CSV of N generated projects (SpatiaLite).

Writes the SAMPLE generator's records to a CSV once (as a user's file would be), then imports it with the CLI in a
child process and prints its peak resident memory (ru_maxrss of the child) and wall time. Prints figures, asserts
nothing; the issue's target is a 1M-row import below 1 GB.

    .venv/bin/python bench/import_memory.py --rows 200000
    .venv/bin/python bench/import_memory.py --rows 1000000
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapservice.config import load_config  # noqa: E402
from mapservice.ingest import gazetteer, sample  # noqa: E402
from mapservice.ingest.pipelines import import_boundaries  # noqa: E402
from mapservice.store import tables  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402


def write_csv(database_url, rows, path):
    config = load_config({"DATABASE_URL": database_url})
    engine = create_db_engine(config)
    init_schema(engine)
    factory = make_session_factory(engine)
    import_boundaries(factory, config)
    with factory() as session:
        communes = tables.load_areas(session, "commune")
    villages = gazetteer.read_gazetteer(config["MAPSERVICE_DATA_DIR"], "village")
    raw = sample.generate_sample(communes, villages, rows, seed=1)
    raw.drop(columns="line").to_csv(path, index=False, encoding="utf-8")
    engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite"
        url = f"sqlite:///{database}"
        csv_path = Path(tmp) / "projects.csv"
        write_csv(url, args.rows, csv_path)
        size = csv_path.stat().st_size
        env = os.environ | {"MAPSERVICE_MAX_IMPORT_BYTES": str(max(size + 1, 200 * 1024 * 1024))}
        started = time.perf_counter()
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "mapservice"), "--database-url", url, "import-projects",
                                 str(csv_path)], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
        print(f"rows {args.rows:,}  file {size / 1e6:,.0f} MB  exit {result.returncode}  "
              f"import {seconds:,.0f} s  peak RSS {peak_mb:,.0f} MB")
        if result.returncode:
            print(result.stderr[-2000:], file=sys.stderr)


if __name__ == "__main__":
    main()
