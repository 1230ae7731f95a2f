"""Re-runs and concurrency on both databases: re-importing the boundaries into a database that holds projects
(with and without stated codes and points) keeps every project's codes; one import at a time, the second one
waiting, or refused with who holds the lock; a CLI failure is one line (the traceback only with --debug)."""
import os
import re
import threading
import time

import pandas as pd
import pytest

from mapservice.cli import main
from mapservice.ingest.pipelines import import_boundaries, import_records
from mapservice.store.locks import ImportLocked, import_lock
from tests.conftest import DATA_DIR

# every join status: a code and a point that agree, a code only, a point only, a conflict, neither in a commune
ROWS = [
    {"project_id": "AGREE", "commune_code": "010501", "lon": "102.9", "lat": "13.65"},
    {"project_id": "CODE-ONLY", "commune_code": "020101"},
    {"project_id": "VILLAGE-CODE", "commune_code": "01050101"},
    {"project_id": "POINT-ONLY", "lon": "102.9", "lat": "13.65"},
    {"project_id": "CONFLICT", "commune_code": "010201", "lon": "103.16687", "lat": "12.870057"},
    {"project_id": "UNMATCHED", "lon": "103.2", "lat": "10.5"},
]
CODES = "project_id, stated_code, commune_code, district_code, province_code, point_code, join_status, " \
        "location_precision, lon, lat"


def load(db, rows=ROWS, **settings):
    raw = pd.DataFrame([{"line": i + 2, "title_en": "Works", "sector": "well", "fiscal_year": "2016", **row}
                        for i, row in enumerate(rows)])
    return import_records(db.sessions, db.config | settings, raw, "reimport.csv", "template", "0" * 64)


def project_codes(db):
    return {row[0]: tuple(row[1:]) for row in db.rows(f"SELECT {CODES} FROM project ORDER BY project_id")}


def test_boundary_reimport_keeps_every_projects_codes(db):
    load(db)
    before = project_codes(db)
    assert {codes[5] for codes in before.values()} == {"agree", "code_only", "point_only", "conflict", "unmatched"}
    import_boundaries(db.sessions, db.config)
    assert project_codes(db) == before
    # and once more, as a second `scripts/run.sh` does
    import_boundaries(db.sessions, db.config)
    assert project_codes(db) == before
    assert db.scalar("SELECT sum(project_count) FROM area_statistic WHERE level = 'province'") == 5


def test_a_second_import_is_refused_naming_the_first(db, capsys, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_IMPORT_WAIT_SECONDS", "0")
    with import_lock(db.engine):
        with pytest.raises(ImportLocked, match=rf"another import is running since \d\d:\d\d \(pid {os.getpid()}\)"):
            load(db, MAPSERVICE_IMPORT_WAIT_SECONDS=0)
        with pytest.raises(ImportLocked):
            import_boundaries(db.sessions, db.config | {"MAPSERVICE_IMPORT_WAIT_SECONDS": 0})
        code = main(["--database-url", db.config["DATABASE_URL"], "import-boundaries"])
    assert code == 2
    assert re.match(rf"error: another import is running since \d\d:\d\d \(pid {os.getpid()}\)", capsys.readouterr().err)
    assert db.scalar("SELECT count(*) FROM project") == 0


def test_a_second_import_waits_for_the_first(make_db):
    for backend in ("spatialite", "postgis"):
        db = make_db(backend, MAPSERVICE_IMPORT_WAIT_SECONDS=20)
        held, release = threading.Event(), threading.Event()

        def hold():
            with import_lock(db.engine):
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(10)
        threading.Timer(0.6, release.set).start()
        started = time.monotonic()
        load(db)
        holder.join()
        assert time.monotonic() - started >= 0.5
        assert db.scalar("SELECT count(*) FROM project") == len(ROWS)


def test_cli_error_is_one_line_and_the_traceback_only_with_debug(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)
    directory = tmp_path / "not-a-database"
    directory.mkdir()
    url = f"sqlite:///{directory}"  # a directory: SQLite cannot open it
    assert main(["--database-url", url, "init"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: init failed: OperationalError: ") and "--debug" in err
    assert main(["--debug", "--database-url", url, "init"]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_every_command_refuses_a_bad_setting_the_same_way(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_USD_RATE", "abc")
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    for command in (["report", "--output", str(tmp_path / "r.json")], ["init"], ["import-boundaries"], ["serve"]):
        assert main(["--database-url", url, *command]) == 2, command
        assert capsys.readouterr().err.startswith('error: MAPSERVICE_USD_RATE was "abc"'), command
    assert not (tmp_path / "r.json").exists()
