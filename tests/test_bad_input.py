"""The bad-input corpus: every importer, every way a file can be wrong, each with its named error,
and the database byte-for-byte unchanged afterwards (a project is stored first, so there is something to lose)."""
import json
from pathlib import Path

import pytest

from mapservice.cli import main
from tests.conftest import BACKENDS, DATA_DIR, copied_database

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
TEMPLATE = (FIXTURES / "template_en.csv").read_text(encoding="utf-8")
PACKAGE = json.loads((FIXTURES / "package.json").read_text(encoding="utf-8"))
PID = (FIXTURES / "pid_report.csv").read_text(encoding="utf-8")


def template(old, new):
    return TEMPLATE.replace(old, new, 1).encode("utf-8")


def package(change):
    copy = json.loads(json.dumps(PACKAGE))
    change(copy["projects"][0])
    return json.dumps(copy, ensure_ascii=False).encode("utf-8")


def pid(old, new):
    return PID.replace(old, new, 1).encode("utf-8")


def _set(path, value):
    def change(project):
        target = project
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _drop(key):
    return lambda project: project.pop(key)


CASES = {
    # name: (suffix, content, exit status, the named error)
    "template-empty": (".csv", b"", 2, "the file is empty"),
    "template-utf16": (".csv", TEMPLATE.encode("utf-16"), 2, "the file is UTF-16 encoded"),
    "template-cp1252": (".csv", TEMPLATE.replace("checked by district", "vérifié").encode("cp1252", errors="replace"), 2,
                        "not UTF-8: byte 0xe9 at byte"),
    "template-missing-column": (".csv", template("Project ID,", "Project,"), 2, "missing column"),
    "template-unknown-code": (".csv", template(",010501,", ",999999,"), 1,
                              'commune_code was "999999"; it is not a commune of the NCDD 2014 gazetteer'),
    "template-bad-date": (".csv", template("2016-03-15", "15/03/2016"), 1,
                          'actual_start was "15/03/2016"; expected a date as YYYY-MM-DD'),
    "template-bad-amount": (".csv", template("48000000", "48 million"), 1,
                            'budget was "48 million"; expected an amount in riel'),
    "template-negative-amount": (".csv", template("48000000", "-48000000"), 1,
                                 'budget was "-48000000"; an amount cannot be negative'),
    "template-duplicate-id": (".csv", template("OC-2016-010502-002", "OC-2016-010501-001"), 1,
                              'project_id "OC-2016-010501-001" appears more than once in this file (first on line 2)'),
    "template-long-id": (".csv", template("OC-2016-010502-002", "OC-" + "9" * 62), 1,
                         f'project_id was "OC-{"9" * 62}", 65 characters; expected at most 64'),
    "template-point-outside": (".csv", template("102.6051,13.4823", "13.4823,102.6051"), 1,
                               "point (13.4823, 102.6051) is outside Cambodia"),
    "template-invalid-geometry": (".csv", template("102.6051,13.4823", "POINT(102.6 13.4),"), 1,
                                  'lon was "POINT(102.6 13.4)"; expected a decimal degree'),
    "oc4ids-empty": (".json", b"", 2, "the file is empty"),
    "oc4ids-utf16": (".json", json.dumps(PACKAGE).encode("utf-16"), 2, "the file is UTF-16 encoded"),
    "oc4ids-not-json": (".json", b'{"projects": [', 2, "not valid JSON"),
    "oc4ids-missing-id": (".json", package(_drop("id")), 1, "project_id is required"),
    "oc4ids-unknown-code": (".json", package(_set(["locations", 0, "gazetteer", "identifiers"], ["999999"])), 1,
                            'commune_code was "999999"'),
    "oc4ids-bad-date": (".json", package(_set(["implementationPeriod", "startDate"], "2016-13-45")), 1,
                        'actual_start was "2016-13-45"; expected a date as YYYY-MM-DD'),
    "oc4ids-bad-amount": (".json", package(_set(["budget", "amount", "amount"], "lots")), 1,
                          'budget was "lots"; expected an amount in riel'),
    "oc4ids-negative-amount": (".json", package(_set(["budget", "amount", "amount"], -5)), 1,
                               'budget was "-5"; an amount cannot be negative'),
    "oc4ids-duplicate-id": (".json", json.dumps({"projects": [PACKAGE["projects"][0]] * 2}).encode(), 1,
                            "appears more than once in this file (first on line 1)"),
    "oc4ids-point-outside": (".json", package(_set(["locations", 0, "geometry"],
                                                   {"type": "Point", "coordinates": [13.5, 103.0]})), 1,
                             "is outside Cambodia"),
    "oc4ids-invalid-geometry": (".json", package(_set(["locations", 0, "geometry"],
                                                      {"type": "Polygon", "coordinates": [[1, 2]]})), 1,
                                "lon was \"Polygon [[1, 2]]\"; expected a decimal degree"),
    "pid-empty": (".csv", b"", 2, "the file is empty"),
    "pid-utf16": (".csv", PID.encode("utf-16"), 2, "the file is UTF-16 encoded"),
    "pid-missing-column": (".csv", pid("total_value", "value"), 2, "missing column"),
    "pid-unknown-commune": (".csv", pid("010501 Changha", "Nowhere"), 1, 'commune_code was "Nowhere"'),
    "pid-bad-date": (".csv", pid("15/03/2016", "32/13/2016"), 1, 'actual_start was "32/13/2016"'),
    "pid-bad-amount": (".csv", pid('"45,500,000 R"', "lots"), 1, 'budget was "lots"'),
    "pid-negative-amount": (".csv", pid('"45,500,000 R"', '"-45,500,000 R"'), 1, "an amount cannot be negative"),
}
PID_ARGS = ["--format", "pid", "--year", "2016", "--province", "01"]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded_db(request, templates, tmp_path_factory):
    """A database holding one project already (from the good template fixture), one per backend for the module: a
    refused file changes nothing, which each test checks against the fingerprint it takes just before."""
    with copied_database(templates, request.param, tmp_path_factory.mktemp("bad-input")) as db:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)
            assert main(["--database-url", db.config["DATABASE_URL"], "import-projects",
                         str(FIXTURES / "template_en.csv")]) == 0
        yield db


@pytest.mark.parametrize("name", CASES)
def test_bad_file_gets_its_named_error_and_changes_nothing(loaded_db, tmp_path, capsys, name):
    suffix, content, status, message = CASES[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(content)
    before = loaded_db.fingerprint()
    capsys.readouterr()
    args = ["--database-url", loaded_db.config["DATABASE_URL"], "import-projects", str(path)]
    code = main(args + (PID_ARGS if name.startswith("pid") else []))
    err = capsys.readouterr().err
    assert code == status, err
    assert message in err
    assert loaded_db.fingerprint() == before


@pytest.mark.parametrize("fmt, fixture", [("template", "template_en.csv"), ("oc4ids", "package.json"),
                                          ("pid", "pid_report.csv")])
def test_oversized_file_is_refused_before_reading(loaded_db, monkeypatch, capsys, fmt, fixture):
    monkeypatch.setenv("MAPSERVICE_MAX_IMPORT_BYTES", "100")
    before = loaded_db.fingerprint()
    args = ["--database-url", loaded_db.config["DATABASE_URL"], "import-projects", str(FIXTURES / fixture),
            "--format", fmt] + (PID_ARGS[2:] if fmt == "pid" else [])
    assert main(args) == 2
    assert "is larger than MAPSERVICE_MAX_IMPORT_BYTES (100)" in capsys.readouterr().err
    assert loaded_db.fingerprint() == before


@pytest.mark.parametrize("fmt, fixture, args", [("template", "template_en.csv", []), ("oc4ids", "package.json", []),
                                                ("pid", "pid_report.csv", PID_ARGS)])
def test_each_good_fixture_imports_and_reimports_idempotently(db, monkeypatch, capsys, fmt, fixture, args):
    monkeypatch.setenv("MAPSERVICE_DATA_DIR", DATA_DIR)
    run = ["--database-url", db.config["DATABASE_URL"], "import-projects", str(FIXTURES / fixture)] + args
    assert main(run) == 0, capsys.readouterr().err
    count = db.scalar("SELECT count(*) FROM project")
    assert main(run) == 0
    assert db.scalar("SELECT count(*) FROM project") == count > 0
    assert db.scalar("SELECT count(*) FROM import_batch") == 2
