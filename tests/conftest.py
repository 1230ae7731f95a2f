"""Fixtures: real SpatiaLite and real PostGIS databases, each test on its own copy.

A template database per backend gets the schema and the real 2014 boundaries once per session;
each test gets a fresh copy (a file copy for SpatiaLite, CREATE DATABASE ... TEMPLATE for PostGIS).

A real part the tests need (PostgreSQL/PostGIS, Chromium, the OC4IDS validator libcoveoc4ids) that is missing or does
not start FAILS the tests that need it, naming the part: a green run means every part was really there. Only an
explicit opt-out skips them: MAPSERVICE_TEST_SKIP="postgis,chromium,oc4ids-validator" (any of the three), and the
run's summary then says how many tests were skipped and why.

scripts/test.sh runs the suite in two passes: MAPSERVICE_TEST_PASS=parallel (pytest-xdist, two workers) runs every
test but those marked ``serial``, MAPSERVICE_TEST_PASS=serial then runs those alone: the tests that measure the
front's latency under load or take the machine (tests/test_front.py, tests/test_outage.py) and scripts/run.sh
--public's (its scripts/setup.sh compiles again the catalogues that other tests read). Unset, a run has every
test. Each xdist worker has its own process id, so its PostGIS databases (named with it) and its temporary
folders never meet another's.
"""
import contextlib
import hashlib
import itertools
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from mapservice.artefacts import directory
from mapservice.config import load_config
from mapservice.ingest.pipelines import import_boundaries
from mapservice.store.db import create_db_engine, init_schema, make_session_factory
from mapservice.store.models import Base

DATA_DIR = os.environ.get("MAPSERVICE_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
# No prebuilt files unless a test asks for them (tests/test_artefacts.py, the front's): building them after every
# import of every test would write into the checkout's var/artefacts and take most of the suite's time
os.environ.setdefault("MAPSERVICE_ARTEFACT_DIR", "")
POSTGRES_SERVER = os.environ.get("MAPSERVICE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
BACKENDS = ["spatialite", "postgis"]
PARTS = {"postgis", "chromium", "oc4ids-validator"}  # what MAPSERVICE_TEST_SKIP may name
_counter = itertools.count()


class Database:
    """A test database: its config, engine and session factory."""

    def __init__(self, config):
        self.config = config
        self.engine = create_db_engine(config)
        self.sessions = make_session_factory(self.engine)

    @property
    def backend(self):
        return "spatialite" if self.config["DATABASE_URL"].startswith("sqlite") else "postgis"

    def scalar(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def fingerprint(self):
        """The file's SHA-256 on SpatiaLite; an MD5 of every table's rows on PostGIS (byte-for-byte checks)."""
        if self.backend == "spatialite":
            self.engine.dispose()
            return hashlib.sha256(Path(self.config["DATABASE_URL"].removeprefix("sqlite:///")).read_bytes()).hexdigest()
        tables = [t.name for t in Base.metadata.sorted_tables]
        return {t: self.scalar(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x")
                for t in tables}

    def rows(self, sql, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()


def make_config(url, **extra):
    return load_config({"DATABASE_URL": url, "MAPSERVICE_DATA_DIR": DATA_DIR, **extra})


def _admin_engine():
    engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        require("postgis", f"PostGIS server {POSTGRES_SERVER} not reachable: {exc.orig}")
    return engine


def opted_out_parts(value=None):
    """The parts MAPSERVICE_TEST_SKIP names (comma-separated); "", "0", "false", "no" name none."""
    value = os.environ.get("MAPSERVICE_TEST_SKIP", "") if value is None else value
    if value.strip().lower() in ("", "0", "false", "no"):
        return set()
    parts = {part.strip().lower() for part in value.split(",") if part.strip()}
    unknown = parts - PARTS
    if unknown:
        raise pytest.UsageError(f"MAPSERVICE_TEST_SKIP names {', '.join(sorted(unknown))}; "
                                f"expected some of {', '.join(sorted(PARTS))}")
    return parts


def require(part, message, module_level=False):
    """A part the test needs is missing: fail, naming it; skip only when MAPSERVICE_TEST_SKIP names the part."""
    if part in opted_out_parts():
        pytest.skip(f"{part} opted out (MAPSERVICE_TEST_SKIP): {message}", allow_module_level=module_level)
    pytest.fail(f"{part} is missing: {message} (to skip these tests instead: MAPSERVICE_TEST_SKIP={part})",
                pytrace=False)


TEST_PASSES = {"parallel": False, "serial": True}  # MAPSERVICE_TEST_PASS -> whether it keeps the serial tests


def pytest_collection_modifyitems(config, items):
    """In a pass of scripts/test.sh (MAPSERVICE_TEST_PASS), keep only that pass's tests: the others are deselected."""
    test_pass = os.environ.get("MAPSERVICE_TEST_PASS", "")
    if not test_pass:
        return
    if test_pass not in TEST_PASSES:
        raise pytest.UsageError(f"MAPSERVICE_TEST_PASS was {test_pass!r}; expected parallel, serial or nothing")
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("serial") is not None) == TEST_PASSES[test_pass] else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    """Say how many tests were skipped, and why, in one place at the end of the run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason.removeprefix("Skipped: ")] = reasons.get(reason.removeprefix("Skipped: "), 0) + 1
    terminalreporter.write_sep("=", f"{len(skipped)} test(s) SKIPPED", yellow=True)
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count:5d} skipped: {reason}")


def _recreate_database(admin, name, template=None):
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    return f"{POSTGRES_SERVER}/{name}"


def _build_template(backend, tmp_root, with_boundaries):
    suffix = "boundaries" if with_boundaries else "empty"
    if backend == "spatialite":
        url = f"sqlite:///{tmp_root / f'template-{suffix}.sqlite'}"
    else:
        url = _recreate_database(_admin_engine(), f"mapservice_test_template_{suffix}_{os.getpid()}")
    config = make_config(url)
    engine = create_db_engine(config)
    init_schema(engine)
    if with_boundaries:
        import_boundaries(make_session_factory(engine), config)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """Lazily built template URLs keyed by (backend, with_boundaries)."""
    built = {}
    root = tmp_path_factory.mktemp("templates")

    def get(backend, with_boundaries=True):
        key = (backend, with_boundaries)
        if key not in built:
            built[key] = _build_template(backend, root, with_boundaries)
        return built[key]

    yield get
    admin = None
    for (backend, _), url in built.items():
        if backend == "postgis":
            admin = admin or _admin_engine()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def _copy_database(backend, template_url, tmp_path):
    if backend == "spatialite":
        target = tmp_path / f"test-{next(_counter)}.sqlite"
        shutil.copy(template_url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}", None
    name = f"mapservice_test_{os.getpid()}_{next(_counter)}"
    return _recreate_database(_admin_engine(), name, template=template_url.rsplit("/", 1)[1]), name


@contextlib.contextmanager
def copied_database(templates, backend, tmp_path, with_boundaries=True, **extra):
    """A Database copied from the backend's template (the real boundaries, or the schema only), dropped after: what
    ``make_db`` makes per test and a module's shared fixture (``scope="module"``) makes once per backend."""
    url, pg_name = _copy_database(backend, templates(backend, with_boundaries), tmp_path)
    database = Database(make_config(url, **extra))
    try:
        yield database
    finally:
        database.engine.dispose()
        if pg_name:
            with _admin_engine().connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


@pytest.fixture
def make_db(templates, tmp_path):
    """Factory: a fresh database of a backend, with the real boundaries or empty (schema only)."""
    with contextlib.ExitStack() as created:
        yield lambda backend, with_boundaries=True, **extra: created.enter_context(
            copied_database(templates, backend, tmp_path, with_boundaries, **extra))


@pytest.fixture
def quick_brotli(monkeypatch):
    """The prebuilt files' brotli at quality 5 instead of 9-11 (mapservice/artefacts/directory.py: seconds per MB, a
    third of a full build's time): the tests check that each .br file is brotli of its file, not how small it is."""
    monkeypatch.setattr(directory, "BROTLI_QUALITY_BY_SIZE", ((None, 5),))


@pytest.fixture(params=BACKENDS)
def db(request, make_db):
    """A fresh database with the real 2014 boundaries, once per backend."""
    return make_db(request.param)


@pytest.fixture(params=BACKENDS)
def empty_db(request, make_db):
    """A fresh database with the schema and nothing else, once per backend."""
    return make_db(request.param, with_boundaries=False)
