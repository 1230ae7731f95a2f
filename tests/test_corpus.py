"""The bad-input corpus (tests/corpus/files, written by tests/corpus/make_corpus.py): every file is imported with
`mapservice import-projects` on both databases; each refused file exits with its status and prints its message,
and the database (already holding projects, so there is something to lose) is unchanged, byte for byte.

The files a careful import accepts are checked for what they store: a formula-like title is kept as text (and
neutralised in every CSV the service writes), an XLSX formula cell is read as the value Excel saved, and a stated
commune with a point in another keeps the money (join "conflict")."""
import json
from pathlib import Path

import pytest

from mapservice.cli import main
from tests.conftest import BACKENDS, DATA_DIR, copied_database
from tests.test_pages import make_client

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
REFUSED = [name for name, case in MANIFEST.items() if case["status"] != 0]
GOOD = Path(__file__).parent / "fixtures" / "readers" / "template_km.csv"
MAX_BYTES = "20000000"  # the XLSX bomb unpacks to 40 MB and is 130 KB on disk


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, templates, tmp_path_factory):
    """One database per backend holding the good Khmer template's projects; no refused import may change it."""
    with copied_database(templates, request.param, tmp_path_factory.mktemp("corpus")) as database:
        assert main(["--database-url", database.config["DATABASE_URL"], "import-projects", str(GOOD)]) == 0
        yield database


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)
    monkeypatch.setenv("MAPSERVICE_MAX_IMPORT_BYTES", MAX_BYTES)


def test_the_corpus_is_whole():
    assert len(MANIFEST) >= 25
    assert sorted(path.name for path in (CORPUS / "files").iterdir()) == sorted(MANIFEST)


def test_every_refused_file_is_named_and_changes_nothing(loaded, capsys):
    before = loaded.fingerprint()
    failures = []
    for name in REFUSED:
        capsys.readouterr()
        path = CORPUS / "files" / name
        code = main(["--database-url", loaded.config["DATABASE_URL"], "import-projects", str(path)])
        err = capsys.readouterr().err
        expected = MANIFEST[name]
        if code != expected["status"] or expected["message"] not in err or f"{path}" not in err:
            failures.append(f"{name}: exit {code}, printed {err[:400]!r}; expected exit {expected['status']} "
                            f"and {expected['message']!r}")
        if "Traceback" in err:
            failures.append(f"{name}: a traceback")
    assert failures == []
    assert loaded.fingerprint() == before


def test_formula_text_is_kept_and_neutralised_in_csv(db, monkeypatch):
    assert main(["--database-url", db.config["DATABASE_URL"], "import-projects",
                 str(CORPUS / "files" / "formula-title.csv")]) == 0
    title = '=HYPERLINK("http://evil.example/","Click")'
    assert db.scalar("SELECT title_en FROM project WHERE project_id = 'OC-2016-010501-001'") == title
    client = make_client(db)
    for url in ("/api/v1/downloads/projects.csv?lang=en", "/api/v1/projects/OC-2016-010501-001?format=csv",
                "/api/v1/projects?format=csv&lang=en", "/api/v1/oc4ids/projects.csv"):
        body = client.get(url).get_data(as_text=True)
        assert '"\'=HYPERLINK(""http://evil.example/"",""Click"")"' in body, url
        assert '",=HYPERLINK' not in body and ',=HYPERLINK' not in body, url


def test_xlsx_formula_cell_reads_its_saved_value(db):
    assert main(["--database-url", db.config["DATABASE_URL"], "import-projects",
                 str(CORPUS / "files" / "xlsx-formula-with-value.xlsx")]) == 0
    assert db.scalar("SELECT budget FROM project WHERE project_id = 'OC-2016-010501-001'") == 48_000_000


def test_a_stated_commune_and_a_point_in_another_keep_the_stated_commune(db):
    assert main(["--database-url", db.config["DATABASE_URL"], "import-projects",
                 str(CORPUS / "files" / "code-point-conflict.csv")]) == 0
    where = "FROM project WHERE project_id = 'OC-2016-010501-001'"
    point_commune = db.scalar("SELECT commune_code FROM project WHERE project_id = 'OC-2017-010902-001'")
    assert point_commune != "010501"  # the point lies in another commune (the third row's point, joined alone)
    assert db.scalar(f"SELECT join_status {where}") == "conflict"
    assert db.scalar(f"SELECT commune_code {where}") == "010501"  # the money stays with the stated commune
    assert db.scalar(f"SELECT location_precision {where}") == "exact"  # and the point where the publisher put it


def test_a_column_that_is_none_of_the_templates_is_named(db, capsys):
    case = MANIFEST["extra-column.csv"]
    assert main(["--database-url", db.config["DATABASE_URL"], "import-projects",
                 str(CORPUS / "files" / "extra-column.csv")]) == 0
    assert case["message"] in capsys.readouterr().out
    assert db.scalar("SELECT count(*) FROM project WHERE project_id = 'OC-2016-010501-001'") == 1


def test_every_unreadable_file_is_explained_in_the_readers_language(make_db):
    """What the upload page says of each file that cannot be read at all: a sentence of its own (translated by
    the catalogues, tests/test_i18n.py), not the importer's English words."""
    from mapservice.ingest.pipelines import read_project_file
    from mapservice.ingest.records import SourceError
    from mapservice.web.reasons import FILE_TEXTS

    database = make_db("spatialite")
    config = {**database.config, "MAPSERVICE_MAX_IMPORT_BYTES": int(MAX_BYTES)}
    codes = {}
    for name, case in MANIFEST.items():
        if case["status"] == 2:
            with pytest.raises(SourceError) as refused:
                read_project_file(database.sessions, config, CORPUS / "files" / name)
            codes[name] = refused.value.code
    assert {name: code for name, code in codes.items() if code not in FILE_TEXTS} == {}
