"""The OC4IDS endpoints: a filtered package, one project, the flattened CSV/XLSX; valid against the schema."""
import io

import openpyxl
import pytest

from mapservice.formats.oc4ids import validate_package
from mapservice.ingest.pipelines import import_projects
from mapservice.web import create_app
from tests.conftest import DATA_DIR
from tests.test_bad_input import FIXTURES


@pytest.fixture
def client(db):
    import_projects(db.sessions, db.config, FIXTURES / "template_en.csv")
    return create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True}).test_client()


def test_filtered_package_is_valid_and_filtered(client):
    everything = client.get("/api/v1/oc4ids/projects.json").get_json()
    only_2017 = client.get("/api/v1/oc4ids/projects.json?year=2017").get_json()
    assert validate_package(everything, DATA_DIR) == []
    assert [p["id"] for p in everything["projects"]] == [
        "oc4ids-kh1odc-OC-2016-010501-001", "oc4ids-kh1odc-OC-2016-010502-002", "oc4ids-kh1odc-OC-2017-010902-001"]
    assert [p["id"] for p in only_2017["projects"]] == ["oc4ids-kh1odc-OC-2017-010902-001"]
    assert everything["uri"] == "http://localhost/api/v1/oc4ids/projects.json"
    assert (everything["publisher"], everything["license"], everything["publicationPolicy"]) == (
        {"name": "Open Development Cambodia", "uri": "https://opendevelopmentcambodia.net/"},
        "https://creativecommons.org/licenses/by/4.0/", "http://localhost/about")


def test_publisher_license_and_policy_are_settings(db):
    settings = {"MAPSERVICE_PUBLISHER_NAME": "Ou Chrov District", "MAPSERVICE_PUBLISHER_SCHEME": "XI-EXAMPLE",
                "MAPSERVICE_PUBLISHER_UID": "12345", "MAPSERVICE_PUBLISHER_URI": "https://ouchrov.example.org/",
                "MAPSERVICE_DATA_LICENSE": "https://opendatacommons.org/licenses/odbl/1-0/",
                "MAPSERVICE_PUBLICATION_POLICY": "https://ouchrov.example.org/policy"}
    import_projects(db.sessions, db.config, FIXTURES / "template_en.csv")
    app = create_app({"DATABASE_URL": db.config["DATABASE_URL"], "TESTING": True, **settings})
    package = app.test_client().get("/api/v1/oc4ids/projects.json").get_json()
    assert validate_package(package, DATA_DIR) == []
    assert package["publisher"] == {"name": "Ou Chrov District", "scheme": "XI-EXAMPLE", "uid": "12345",
                                    "uri": "https://ouchrov.example.org/"}
    assert (package["license"], package["publicationPolicy"]) == (
        "https://opendatacommons.org/licenses/odbl/1-0/", "https://ouchrov.example.org/policy")


def test_one_project_and_unknown_project(client):
    one = client.get("/api/v1/oc4ids/projects/OC-2016-010501-001.json").get_json()
    assert [p["title"] for p in one["projects"]] == ["Laterite road, Changha village"]
    missing = client.get("/api/v1/oc4ids/projects/nope.json")
    assert missing.status_code == 404 and missing.get_json()["error"] == 'project "nope" does not exist'


def test_flattened_csv_and_xlsx_keep_khmer(client):
    csv_text = client.get("/api/v1/oc4ids/projects.csv").get_data().decode("utf-8")
    assert csv_text.startswith("\ufeff") and "ផ្លូវក្រួសក្រហម ភូមិចង្ហា" in csv_text
    assert len(csv_text.strip().splitlines()) == 4  # header + 3 projects
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/oc4ids/projects.xlsx").get_data()))
    assert book["projects"].max_row == 4
    bad = client.get("/api/v1/oc4ids/projects.pdf")
    assert bad.status_code == 400 and bad.get_json()["error"] == 'format was "pdf"; expected json, csv or xlsx'


def test_only_sample_projects_are_marked_sample(db, client):
    from mapservice.ingest.pipelines import import_sample

    import_sample(db.sessions, db.config, 20, seed=3)
    package = client.get("/api/v1/oc4ids/projects.json").get_json()
    marks = {p["id"].removeprefix("oc4ids-kh1odc-"): p.get("x_isSample") for p in package["projects"]}
    real = {"OC-2016-010501-001", "OC-2016-010502-002", "OC-2017-010902-001"}
    assert {pid: mark for pid, mark in marks.items() if pid in real} == dict.fromkeys(real)
    assert len(marks) == 23 and all(mark is True for pid, mark in marks.items() if pid not in real)
    assert package["x_isSample"] is True  # the package holds sample projects
    assert validate_package(package, DATA_DIR) == []


def test_flattened_csv_has_one_charset(client):
    assert client.get("/api/v1/oc4ids/projects.csv").headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_filter_matching_nothing_is_404_not_an_invalid_package(client):
    for url in ("/api/v1/oc4ids/projects.json?year=2014", "/api/v1/oc4ids/projects.csv?year=2014"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json() == {
            "ok": False, "status": 404,
            "error": "no project matches these filters (an OC4IDS package holds at least one project)"}
