"""The streaming import on both databases: a file bigger than one chunk stores what it stores read whole; an id
repeated across chunks is refused naming both lines; an invalid row or a broken file in a later chunk leaves the
database byte for byte unchanged; the readers' chunks add up to the whole file; the PID reader's communes are read
under the import lock; `sample --output` writes its cells through the neutralising CSV writer."""
import csv
import gc
import json
import os
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from mapservice.cli import main
from mapservice.ingest import pipelines, readers, template
from mapservice.ingest.pipelines import ImportRefused, import_projects
from mapservice.store.locks import ADVISORY_KEY

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
COLUMNS = ["project_id", "title_en", "sector", "fiscal_year", "budget", "commune_code", "lon", "lat"]
PROJECTS = "SELECT project_id, title_en, sector, fiscal_year, budget, stated_code, commune_code, point_code, " \
           "join_status, location_precision, lon, lat, is_sample, batch_id, quality_flags FROM project ORDER BY 1"
STATISTICS = "SELECT level, area_code, fiscal_year, sector, project_count, budget FROM area_statistic ORDER BY 1, 2, 3, 4"


def row(project_id, **values):
    base = {"project_id": project_id, "title_en": f"Road {project_id}", "sector": "rural_road",
            "fiscal_year": "2016", "budget": "1000", "commune_code": "010201"}
    return {**base, **values}


# every join status, over several chunks of 2 rows (lines 2..)
ROWS = [
    row("AGREE", commune_code="010501", lon="102.9", lat="13.65"),
    row("CODE-ONLY", commune_code="020101"),
    row("POINT-ONLY", commune_code="", lon="102.9", lat="13.65"),
    row("CONFLICT", commune_code="010201", lon="103.16687", lat="12.870057"),
    row("UNMATCHED", commune_code="", lon="103.2", lat="10.5"),
    row("VILLAGE", commune_code="01050101", budget="2500"),
    row("RECODED", commune_code="120608"),
]


def write_csv(path, rows):
    labels = dict(zip(["project_id", "title_en", "sector", "fiscal_year", "budget", "commune_code", "lon", "lat",
                       "pid_reference"],
                      ["Project ID", "Title (English)", "Sector", "Fiscal year", "Budget (riel)", "Commune code",
                       "Longitude", "Latitude", "PID reference"]))
    columns = COLUMNS + (["pid_reference"] if any("pid_reference" in r for r in rows) else [])
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([labels[c] for c in columns])
        writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    return path


def stored(db):
    return db.rows(PROJECTS), db.rows(STATISTICS)


def test_a_file_bigger_than_a_chunk_stores_what_it_stores_whole(db, make_db, tmp_path):
    rows = [*ROWS, row("BAD-AMOUNT", budget="lots"), row("AGREE", title_en="again")]  # two rejected, chunk 4 and 5
    path = write_csv(tmp_path / "projects.csv", rows)
    chunked = import_projects(db.sessions, db.config, path, skip_invalid=True, chunk_rows=2)
    whole_db = make_db(db.backend)
    whole = import_projects(whole_db.sessions, whole_db.config, path, skip_invalid=True)
    assert stored(db) == stored(whole_db)
    assert len(stored(db)[0]) == 7
    for summary in (chunked, whole):
        summary.seconds = {}
    assert chunked == whole
    assert chunked.join_status == {"code_only": 3, "agree": 1, "conflict": 1, "point_only": 1, "unmatched": 1}
    assert [(r["line"], r["column"]) for r in chunked.rejected] == [(9, "budget"), (10, "project_id")]
    # the geometry is made in SQL from lon/lat: the same point as the stored coordinates
    assert db.rows("SELECT project_id FROM project WHERE geom IS NULL") == []
    assert db.rows("SELECT ST_X(geom), ST_Y(geom) FROM project WHERE project_id = 'AGREE'") == [(102.9, 13.65)]


def test_an_id_repeated_across_chunks_is_refused_naming_both_lines(db, tmp_path):
    path = write_csv(tmp_path / "repeated.csv", [*ROWS[:4], row("AGREE", title_en="the same id again")])
    before = db.fingerprint()
    with pytest.raises(ImportRefused) as refused:
        import_projects(db.sessions, db.config, path, chunk_rows=2)
    assert refused.value.rejected == [{
        "line": 6, "project_id": "AGREE", "column": "project_id",
        "reason": 'project_id "AGREE" appears more than once in this file (first on line 2)'}]
    assert refused.value.rows_read == 5
    assert db.fingerprint() == before


def test_an_invalid_row_in_a_later_chunk_leaves_the_database_unchanged(db, tmp_path):
    import_projects(db.sessions, db.config, write_csv(tmp_path / "first.csv", ROWS[:2]))
    before = db.fingerprint()
    rows = [row(f"NEW-{n}") for n in range(7)] + [row("LATE", fiscal_year="2099")]
    with pytest.raises(ImportRefused) as refused:
        import_projects(db.sessions, db.config, write_csv(tmp_path / "late.csv", rows), chunk_rows=3)
    assert refused.value.rejected == [{"line": 9, "project_id": "LATE", "column": "fiscal_year",
                                       "reason": 'fiscal_year was "2099"; expected a year from 2014 to 2019'}]
    assert db.fingerprint() == before


def test_a_file_broken_after_stored_chunks_leaves_the_database_unchanged(db, tmp_path):
    """With --skip-invalid the first chunks are written before the broken end is read: all rolled back."""
    import_projects(db.sessions, db.config, write_csv(tmp_path / "first.csv", ROWS[:2]))
    before = db.fingerprint()
    path = write_csv(tmp_path / "truncated.csv", [row(f"NEW-{n}") for n in range(6)])
    path.write_text(path.read_text(encoding="utf-8") + 'NEW-6,"Road that never ends\n', encoding="utf-8")
    with pytest.raises(pipelines.SourceError, match=r"line 8 cannot be read as CSV \(unexpected end of data\)"):
        import_projects(db.sessions, db.config, path, skip_invalid=True, chunk_rows=2)
    assert db.fingerprint() == before


def _workbook(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "projects"
    sheet.append(["Project ID", "Title (English)", "Sector", "Fiscal year", "Commune code"])
    for n in range(5):
        sheet.append([f"X-{n}", f"Road {n}", "rural_road", 2016, "010201"])
    book.save(path)
    return path


@pytest.mark.parametrize("name, source_format, context", [
    ("template_en.csv", "template", {}),
    ("pid_report.csv", "pid", {"fiscal_year": 2016}),
    ("package.json", "oc4ids", {}),
    ("projects.xlsx", "template", {}),
])
def test_the_chunks_of_every_reader_add_up_to_the_whole_file(name, source_format, context, tmp_path):
    path = _workbook(tmp_path / name) if name.endswith(".xlsx") else FIXTURES / name
    whole = readers.read(path, source_format, 10**7, **context)
    chunks = list(readers.read_chunks(path, source_format, 10**7, chunk_rows=1, **context))
    assert len(chunks) == len(whole) > 1
    assert pd.concat(chunks, ignore_index=True).equals(whole)
    assert [int(part["line"].iloc[0]) for part in chunks] == whole["line"].tolist()


def test_the_pid_reader_reads_the_communes_under_the_import_lock(db, monkeypatch):
    held = []
    load_areas = pipelines.tables.load_areas

    def spying(session, level, display=False):
        if db.backend == "spatialite":
            lock_file = Path(db.config["DATABASE_URL"].removeprefix("sqlite:///") + ".import-lock")
            held.append(lock_file.read_text(encoding="utf-8").split(" ")[0])
        else:
            held.append(str(session.execute(pipelines.sa.text(  # this database's import lock (not another test's)
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key AND "
                "database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"key": ADVISORY_KEY}).scalar()))
        return load_areas(session, level, display)

    monkeypatch.setattr(pipelines.tables, "load_areas", spying)
    import_projects(db.sessions, db.config, FIXTURES / "pid_report.csv", context={"fiscal_year": 2016})
    assert held and all(value == (str(os.getpid()) if db.backend == "spatialite" else "1") for value in held)


def test_sample_output_cells_go_through_the_neutralising_writer(db, tmp_path, monkeypatch):
    from mapservice.ingest import sample

    generate = sample.generate_sample

    def with_a_formula(*args, **kwargs):
        raw = generate(*args, **kwargs)
        raw.loc[0, "title_en"] = '=HYPERLINK("http://evil.example/","Click")'
        return raw

    monkeypatch.setattr(sample, "generate_sample", with_a_formula)
    output = tmp_path / "sample.csv"
    assert main(["--database-url", db.config["DATABASE_URL"], "sample", "--projects", "20", "--output",
                 str(output)]) == 0
    with open(output, encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == 20
    assert records[0]["title_en"] == '\'=HYPERLINK("http://evil.example/","Click")'
    assert json.dumps(records[0])  # plain text cells
    assert db.scalar("SELECT count(*) FROM project") == 20


def test_a_file_of_many_bad_rows_is_counted_whole_and_reported_in_part(db, tmp_path, monkeypatch):
    """Millions of bad rows (an XLSX bomb of empty-ish rows) must not keep a reason per cell in memory: the refusal
    counts every invalid row (rows, not reasons) and keeps the reasons of the first REPORTED_ROWS."""
    monkeypatch.setattr(pipelines, "REPORTED_ROWS", 3)
    path = write_csv(tmp_path / "bad.csv", [row(f"B{i}", budget="lots", fiscal_year="1900") for i in range(7)])
    before = stored(db)
    with pytest.raises(ImportRefused) as refused:
        import_projects(db.sessions, db.config, path, chunk_rows=2)
    assert refused.value.invalid_rows == 7
    assert str(refused.value).startswith(f"{path}: 7 invalid row(s) of 7; nothing was imported")
    assert sorted({r["line"] for r in refused.value.rejected}) == [2, 3, 4]
    assert len(refused.value.rejected) == 6  # two reasons of each reported row
    assert stored(db) == before


INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'project' ORDER BY 1"
HISTORY = "SELECT project_id, kind, fields::text, before::text, after::text, province_code, district_code, " \
          "commune_code FROM project_change ORDER BY project_id"


def test_a_first_import_in_chunks_records_the_history_and_indexes_of_an_import_whole(make_db, tmp_path):
    """PostGIS loads an empty table a chunk at a time from a writer thread, recording each chunk's added rows and
    building the secondary indexes once at the end: the same history and indexes as a whole-file import."""
    db = make_db("postgis")  # the writer thread and the index rebuild are PostGIS's
    indexes = db.rows(INDEXES)
    path = write_csv(tmp_path / "projects.csv", ROWS)
    chunked = import_projects(db.sessions, db.config, path, chunk_rows=2)
    whole_db = make_db("postgis")
    import_projects(whole_db.sessions, whole_db.config, path, chunk_rows=len(ROWS))
    assert db.rows(INDEXES) == indexes and len(indexes) == 10
    history = db.rows(HISTORY)
    assert len(history) == len(ROWS) and {kind for _id, kind, *_ in history} == {"added"}
    assert history == whole_db.rows(HISTORY)
    counts = db.scalar(f"SELECT counts::text FROM version_record WHERE id = {chunked.version_id}")
    assert json.loads(counts)["added"] == len(ROWS)
    assert db.scalar(f"SELECT data_version FROM version_record WHERE id = {chunked.version_id}") == chunked.data_version


def test_an_error_in_the_writer_thread_rolls_the_whole_import_back(make_db, tmp_path):
    """A chunk the database refuses (here a row that a CHECK constraint added to the table forbids; validation
    passes it) fails in the writer thread while the next chunk is read: the error reaches the caller, nothing is
    stored, and the indexes dropped for the bulk load are there again."""
    db = make_db("postgis")  # the writer thread and the index rebuild are PostGIS's
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE project ADD CONSTRAINT refuse_x CHECK (project_id <> 'REFUSED')"))
    indexes, before = db.rows(INDEXES), db.fingerprint()
    rows = [row(f"NEW-{n}") for n in range(4)] + [row("REFUSED")] + [row(f"MORE-{n}") for n in range(5)]
    with pytest.raises(Exception, match="refuse_x"):
        import_projects(db.sessions, db.config, write_csv(tmp_path / "refused.csv", rows), chunk_rows=2)
    assert db.fingerprint() == before
    assert db.rows(INDEXES) == indexes
    assert db.rows("SELECT count(*) FROM project") == [(0,)]


def test_an_id_too_long_for_its_column_is_refused_by_its_line(make_db, tmp_path):
    """project_id and pid_reference have columns of 64 characters: a longer one is a rejected row naming its line
    (not a database error on PostGIS, nor stored whole on SpatiaLite), and nothing of the file is stored."""
    for backend in ("postgis", "spatialite"):
        db = make_db(backend)
        rows = [row("NEW-1"), row("X" * 65), row("NEW-2", pid_reference="P" * 70)]
        with pytest.raises(ImportRefused) as refused:
            import_projects(db.sessions, db.config, write_csv(tmp_path / f"long-{backend}.csv", rows))
        assert [(r["line"], r["column"], r["reason"]) for r in refused.value.rejected] == [
            (3, "project_id", f'project_id was "{"X" * 65}", 65 characters; expected at most 64'),
            (4, "pid_reference", f'pid_reference was "{"P" * 70}", 70 characters; expected at most 64')]
        assert db.rows("SELECT count(*) FROM project") == [(0,)]


def test_a_first_import_does_not_wait_for_a_reader_of_the_table(make_db, tmp_path):
    """A first import drops the empty table's secondary indexes only if it can lock the table at once: a
    transaction reading it (an artefact build, a request) is neither waited for nor made to wait; the import then
    keeps the indexes and stores everything while the reader's transaction is still open."""
    db = make_db("postgis")  # the index rebuild is PostGIS's
    indexes = db.rows(INDEXES)
    engine = sa.create_engine(db.config["DATABASE_URL"])
    done = []
    with engine.connect() as reader:
        reader.execute(sa.text("SELECT count(*) FROM project")).scalar()  # its transaction holds the table
        worker = threading.Thread(target=lambda: done.append(import_projects(
            db.sessions, db.config, write_csv(tmp_path / "first.csv", ROWS), chunk_rows=2)))
        worker.start()
        worker.join(timeout=60)
        assert done, "the import waited for the reader's transaction"
        reader.rollback()
    engine.dispose()
    assert db.rows("SELECT count(*) FROM project") == [(len(ROWS),)]
    assert db.rows(INDEXES) == indexes


def test_a_template_file_begins_with_a_smaller_chunk(tmp_path, monkeypatch):
    """The first chunk of a template file holds FIRST_CHUNK_ROWS rows (the writer begins early), the others
    chunk_rows; together they are the whole file, lines and all."""
    monkeypatch.setattr(template, "FIRST_CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "seven.csv", ROWS)
    chunks = list(readers.read_chunks(path, "template", 10**7, chunk_rows=3))
    assert [len(part) for part in chunks] == [2, 3, 2]
    assert pd.concat(chunks, ignore_index=True).equals(readers.read(path, "template", 10**7))


def test_an_import_gives_the_garbage_collector_back(db, tmp_path):
    """The collector, paused while the chunks are stored (and the objects before them frozen), runs on its own
    again after an import, and after a refused one; nothing stays frozen."""
    frozen = gc.get_freeze_count()
    import_projects(db.sessions, db.config, write_csv(tmp_path / "good.csv", ROWS), chunk_rows=2)
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    with pytest.raises(ImportRefused):
        import_projects(db.sessions, db.config, write_csv(tmp_path / "bad.csv", [row("BAD", fiscal_year="20x9")]))
    assert gc.isenabled() and gc.get_freeze_count() == frozen
