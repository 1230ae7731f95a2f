"""Peak memory of `mapservice import-projects` on a template CSV of N generated projects, per database.

Writes the SAMPLE generator's records to a CSV once (as a user's file would be), then imports it with the CLI in a
child process per database and prints the child's peak resident memory (VmHWM, and apart from it the peak of the
memory it holds itself: a SpatiaLite database file mapped by SQLite counts in VmHWM), its wall and CPU seconds, its
per-step seconds, the CPU seconds of the PostgreSQL backends serving it (the server on this machine) and how busy
the machine's cores were, and the load average, against the targets of issues 11 and 13: a 1M-row import peaks
below 1 GB, and takes at most 60 s on PostGIS. Prints figures, asserts nothing.

    .venv/bin/python bench/import_memory.py --rows 200000
    .venv/bin/python bench/import_memory.py --rows 1000000 --backends spatialite,postgis
    .venv/bin/python bench/import_memory.py --rows 1000000 --backends postgis --csv /tmp/projects-1m.csv

The child is the `mapservice` command of the interpreter that runs this script, with this environment (so a
``PYTHONPATH`` reaches it); the script prints the package the child imports. ``--csv``: the generated file is kept
there and reused by later runs of the same ``--rows`` (generating 1M rows takes a few minutes).

PostGIS: a database `mapservice_bench_memory` is (re)created on MAPSERVICE_BENCH_POSTGRES
(default postgresql+psycopg://postgres@127.0.0.1:5432) and dropped at the end.
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import common  # noqa: E402
from mapservice.config import load_config  # noqa: E402
from mapservice.ingest import gazetteer, sample  # noqa: E402
from mapservice.ingest.pipelines import import_boundaries  # noqa: E402
from mapservice.store import tables  # noqa: E402
from mapservice.store.db import create_db_engine, init_schema, make_session_factory  # noqa: E402

SERVER = common.SERVER
PG_NAME = "mapservice_bench_memory"
TARGET_BYTES = 10 ** 9  # 1 GB
TARGET_SECONDS = 60  # import + join of 1M projects on PostGIS
# `mapservice` as its console script runs it, in the interpreter of this script (a worktree's PYTHONPATH reaches it)
CLI = [sys.executable, "-c", "import sys; from mapservice.cli import main; sys.argv[0] = 'mapservice'; sys.exit(main())"]


def prepare(backend, workdir, pg_name=PG_NAME):
    """A database of ``backend`` holding the 2014 boundaries; its URL."""
    if backend == "spatialite":
        url = f"sqlite:///{Path(workdir) / 'bench.sqlite'}"
    else:
        common.pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)", f"CREATE DATABASE {pg_name}")
        url = f"{SERVER}/{pg_name}"
    config = load_config({"DATABASE_URL": url})
    engine = create_db_engine(config)
    init_schema(engine)
    import_boundaries(make_session_factory(engine), config)
    engine.dispose()
    return url


def write_csv(url, rows, path):
    config = load_config({"DATABASE_URL": url})
    engine = create_db_engine(config)
    with make_session_factory(engine)() as session:
        communes = tables.load_areas(session, "commune")
    engine.dispose()
    villages = gazetteer.read_gazetteer(config["MAPSERVICE_DATA_DIR"], "village")
    raw = sample.generate_sample(communes, villages, rows, seed=1)
    raw.drop(columns="line").to_csv(path, index=False, encoding="utf-8")


def _in_fresh_process(function, *args):
    """``function(*args)`` in a spawned interpreter (nothing of it stays in this process); its result."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def import_in_child(url, csv_path):
    """(exit status, wall seconds, CPU seconds, Memory, stdout, stderr, Servers) of `mapservice import-projects`
    in a child. The CPU seconds are the child's user + system time; its memory, the database server's and the
    machine's CPU are sampled every 0.2 s alongside (``Memory``, ``Servers``)."""
    size = csv_path.stat().st_size
    # the import alone: no prebuilt files after it (their build is the read path's, bench/scale.py times it)
    env = os.environ | {"MAPSERVICE_MAX_IMPORT_BYTES": str(max(size + 1, 200 * 1024 * 1024)),
                        "MAPSERVICE_ARTEFACT_DIR": ""}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([*CLI, "--database-url", url, "import-projects", str(csv_path)], env=env,
                                 stdout=out, stderr=err, text=True)
        memory, servers = Memory(), Servers(url)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            memory.sample(child.pid)
            servers.sample()
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        servers.finish()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        memory.peak = max(usage.ru_maxrss * 1024, memory.peak)  # ru_maxrss: kB
        return child.returncode, seconds, usage.ru_utime + usage.ru_stime, memory, out.read(), err.read(), servers


class Memory:
    """A process's resident memory, from /proc/PID/status: ``peak`` its high-water mark (VmHWM: everything resident,
    the pages of files it maps too), ``own`` and ``mapped`` the largest of its samples of the memory it holds
    itself (RssAnon + RssShmem) and of the file pages it maps (RssFile: a SpatiaLite database that SQLite maps,
    ``PRAGMA mmap_size``, which the kernel can drop at any time and other processes share)."""

    def __init__(self):
        self.peak = self.own = self.mapped = 0

    def sample(self, pid):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = {name: value for name, _, value in (line.partition(":") for line in status)}
        except OSError:  # gone
            return
        kib = {name: int(fields[name].split()[0]) * 1024 for name in ("VmHWM", "RssAnon", "RssFile", "RssShmem")
               if name in fields}
        self.peak = max(self.peak, kib.get("VmHWM", 0))
        self.own = max(self.own, kib.get("RssAnon", 0) + kib.get("RssShmem", 0))
        self.mapped = max(self.mapped, kib.get("RssFile", 0))


class Servers:
    """What the machine did while the import ran: the CPU seconds of the PostgreSQL backends serving its database
    (found in ``pg_stat_activity``, their CPU read from /proc: the server runs on this machine), and the share of
    the machine's cores that were busy (/proc/stat). A backend's last sample is at most 0.2 s before it ends, so
    its figure is a floor. SpatiaLite: no backend, the machine's share only."""

    def __init__(self, url):
        self.database = None if url.startswith("sqlite") else sa.engine.make_url(url).database
        self.backend_cpu = {}
        self._watch = sa.create_engine(f"{SERVER}/postgres") if self.database else None
        self._start = _machine_ticks()

    def sample(self):
        if self._watch is None:
            return
        with self._watch.connect() as conn:
            pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name "
                                        "AND pid <> pg_backend_pid()"), {"name": self.database}).scalars().all()
        for pid in pids:
            seconds = common.cpu_seconds([pid], children=False)
            if seconds:
                self.backend_cpu[pid] = max(seconds, self.backend_cpu.get(pid, 0))

    def finish(self):
        busy, total = (end - start for end, start in zip(_machine_ticks(), self._start))
        self.busy_share = busy / total if total else 0.0
        if self._watch is not None:
            self._watch.dispose()

    def line(self):
        database = (f"the PostgreSQL backends at least {sum(self.backend_cpu.values()):,.1f} s CPU; "
                    if self.database else "")
        return f"{database}the machine's {os.cpu_count()} cores {self.busy_share:.0%} busy meanwhile"


def _machine_ticks():
    """(busy, total) clock ticks of every core since boot, from the first line of /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def _holds_rows(path, rows):
    """True when ``path`` is a CSV file kept from a run of ``rows`` rows (a header and one line per row: the
    generator writes no line breaks inside cells)."""
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) == rows + 1


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--pg-name", default=PG_NAME, help="the PostgreSQL database to (re)create and drop")
    parser.add_argument("--csv", type=Path, help="keep the generated CSV here, and reuse it when it holds --rows rows")
    args = parser.parse_args()
    print(f"load average before: {_load()} ({os.cpu_count()} cores)")
    package = subprocess.run([sys.executable, "-c", "import mapservice; print(mapservice.__file__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"the child imports {package}")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = args.csv or Path(tmp) / "projects.csv"
        for number, backend in enumerate(args.backends.split(",")):
            # in a spawned process: a forked child's ru_maxrss counts the parent's memory at the fork, so the
            # parent must never hold the boundaries or the generated records
            url = _in_fresh_process(prepare, backend, tmp, args.pg_name)
            if number == 0 and not _holds_rows(csv_path, args.rows):
                _in_fresh_process(write_csv, url, args.rows, csv_path)
            load_before = _load()
            code, seconds, cpu, memory, stdout, stderr, servers = import_in_child(url, csv_path)
            judged = args.rows == 1_000_000  # the targets are for 1M rows (the time: on PostGIS)
            # the target is the memory the import holds: the pages of a database file it maps are the OS's cache
            held = ("MET" if memory.own < TARGET_BYTES else "MISSED") if judged else "not judged at these rows"
            speed = (("MET" if seconds <= TARGET_SECONDS else "MISSED") if backend == "postgis"
                     else "as fast as it can on SpatiaLite") if judged else "not judged at these rows"
            print(f"{backend:<10} rows {args.rows:,}  file {csv_path.stat().st_size / 1e6:,.0f} MB  exit {code}  "
                  f"load average before {load_before}, after {_load()}")
            print(f"{'':<10} import + join {seconds:,.1f} s wall (target <= {TARGET_SECONDS} s at 1M rows on PostGIS: "
                  f"{speed}), {cpu:,.1f} s CPU of the import process")
            print(f"{'':<10} {servers.line()}")
            print(f"{'':<10} memory held at most {memory.own / 1e6:,.0f} MB (RssAnon + RssShmem of the import "
                  f"process; target < 1 GB at 1M rows: {held}); peak resident {memory.peak / 1e6:,.0f} MB (VmHWM), "
                  f"of which the mapped files at most {memory.mapped / 1e6:,.0f} MB")
            steps = next((line for line in stdout.splitlines() if line.startswith("seconds:")), "")
            print(f"{'':<10} the CLI's {steps}")
            if code:
                print(stderr[-2000:], file=sys.stderr)
            if backend == "postgis":
                common.pg_admin(f"DROP DATABASE IF EXISTS {args.pg_name} WITH (FORCE)")
            sys.stdout.flush()
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
