"""The 12 ODC datasets (projects and expenditure by province, 2014-2019) on both databases: stable URLs in CSV,
XLSX and JSON, bilingual metadata, SAMPLE labelling, and figures equal to the sums over the project table."""
import csv
import io
import json
import re

import openpyxl
import pytest

from mapservice.formats import datasets
from tests import test_downloads as downloads_tests
from tests.test_pages import make_client

BOM = "\ufeff".encode()
YEARS = range(2014, 2020)
IDS = [f"{kind}-by-province-{year}" for kind in ("projects", "expenditure") for year in YEARS]
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "json": "application/json"}
ROWS = [
    {"project_id": "A-2016", "title_km": "ផ្លូវក្រួសក្រហម", "title_en": "Laterite road", "sector": "rural_road",
     "fiscal_year": "2016", "expenditure": "108500000", "commune_code": "010501"},
    # conflict: stated commune in Banteay Meanchey, point in Battambang; Banteay Meanchey keeps the money
    {"project_id": "B-2016", "title_km": "លូ", "sector": "culvert", "fiscal_year": "2016", "expenditure": "50000000",
     "commune_code": "010201", "lon": "103.16687", "lat": "12.870057"},
    # no expenditure recorded: counted as a project, 0 riel
    {"project_id": "C-2017", "title_km": "អណ្តូងទឹក", "sector": "well", "fiscal_year": "2017", "commune_code": "010502"},
    {"project_id": "D-2016", "title_km": "ស្ពាន", "sector": "bridge", "fiscal_year": "2016", "expenditure": "70000000",
     "commune_code": "020101"},
    {"project_id": "E-2017", "title_km": "ផ្សារ", "sector": "market", "fiscal_year": "2017", "expenditure": "10000000",
     "lon": "103.12225", "lat": "12.921849"},
    # outside every commune: in no province, so in no dataset row
    {"project_id": "F-2017", "title_km": "សាលា", "sector": "school", "fiscal_year": "2017", "expenditure": "5000000",
     "lon": "103.2", "lat": "10.5"},
]
# the non-zero figures (every other province and year is 0)
EXPECTED = {
    ("projects", 2016): {"01": 2, "02": 1}, ("expenditure", 2016): {"01": 158500000, "02": 70000000},
    ("projects", 2017): {"01": 1, "02": 1}, ("expenditure", 2017): {"01": 0, "02": 10000000},
}


def load(db, rows, is_sample=False):
    downloads_tests.load(db, rows, is_sample, source="datasets.csv")


@pytest.fixture
def client(db):
    load(db, ROWS)
    return make_client(db)


def provinces(db):
    return db.rows("SELECT code, name_km, name_en FROM admin_area WHERE level = 'province' ORDER BY code")


def project_sums(db, year):
    """Count and expenditure per province straight from the project table."""
    rows = db.rows("SELECT province_code, count(*), sum(expenditure) FROM project WHERE fiscal_year = :year "
                   "GROUP BY province_code", year=year)
    return {code: (count, int(money or 0)) for code, count, money in rows}


def parse(fmt, body):
    """The data rows of a dataset file as lists of strings and numbers, header first."""
    if fmt == "csv":
        assert body.startswith(BOM)
        rows = list(csv.reader(io.StringIO(body[len(BOM):].decode("utf-8"))))
        return [rows[0]] + [row[:3] + [int(row[3])] for row in rows[1:]]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert book.sheetnames == ["data", "about"]
        return [list(row) for row in book["data"].iter_rows(values_only=True)]
    payload = json.loads(body)
    names = [column["name"] for column in payload["metadata"]["columns"]]
    return [names] + [[row[name] for name in names] for row in payload["rows"]]


def test_the_twelve_datasets_equal_the_sums_over_the_projects_in_every_format(client, db):
    areas = provinces(db)
    assert len(areas) == 25
    for dataset_id in IDS:
        kind, year = dataset_id.split("-by-province-")[0], int(dataset_id[-4:])
        measure = "project_count" if kind == "projects" else "expenditure_riel"
        sums = project_sums(db, year)
        from_projects = [[code, km, en, sums.get(code, (0, 0))[0 if kind == "projects" else 1]] for code, km, en in areas]
        expected = EXPECTED.get((kind, year), {})
        assert {row[0]: row[3] for row in from_projects if row[3]} == {k: v for k, v in expected.items() if v}
        for fmt, mimetype in FORMATS.items():
            response = client.get(f"/api/v1/datasets/{dataset_id}.{fmt}")
            assert (response.status_code, response.headers["Content-Type"]) == (200, mimetype), (dataset_id, fmt)
            assert response.headers["Content-Disposition"] == f'attachment; filename="{dataset_id}.{fmt}"'
            assert parse(fmt, response.data) == [
                ["province_code", "province_name_km", "province_name_en", measure]] + from_projects
    # the unmatched project is in no province; the conflict counts where it was stated
    assert project_sums(db, 2017)[None] == (1, 5000000)
    assert db.rows("SELECT province_code, point_code FROM project WHERE project_id = 'B-2016'") == [("01", "020101")]


def test_dataset_metadata_is_bilingual_with_licence_source_version_and_coverage(client):
    meta = client.get("/api/v1/datasets/expenditure-by-province-2017").get_json()
    files = meta["source"].pop("files")
    assert [(f["file"], f["format"], f["sample"], f["projects"]) for f in files] == [("datasets.csv", "template", False, 6)]
    assert meta == {
        "id": "expenditure-by-province-2017", "kind": "expenditure", "year": 2017, "sample": False,
        "title": {"km": "ការចំណាយជាក់ស្តែងតាមខេត្ត ឆ្នាំ 2017", "en": "Actual expenditure by province, 2017"},
        "description": {
            "km": "ការចំណាយជាក់ស្តែង (រៀល) នៃគម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ក្នុងឆ្នាំសារពើពន្ធ 2017 សម្រាប់ខេត្តទាំង 25 "
                  "(0 ប្រសិនបើគ្មាន)។ គម្រោងដែលគ្មានកំណត់ត្រាការចំណាយ ត្រូវរាប់ 0 រៀល។ "
                  "ថវិកាត្រូវបានរាប់នៅក្នុងខេត្តនៃឃុំដែលបានបញ្ជាក់។",
            "en": "Actual expenditure in riel of sub-national infrastructure projects in fiscal year 2017 for each of "
                  "the 25 provinces (0 where none). A project without a recorded expenditure counts as 0 riel. "
                  "The money counts in the province of the stated commune."},
        "licence": {"id": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
                    "url": "https://creativecommons.org/licenses/by/4.0/"},
        "source": {
            "km": "គណនាដោយសេវានេះ ពីស្ថិតិតាមតំបន់ (area_statistic) នៃកំណត់ត្រាគម្រោងរបស់ឃុំ និងស្រុក (គំរូតារាងគម្រោង "
                  "របាយការណ៍ PID របស់ គ.ជ.អ.ប ឬកញ្ចប់ OC4IDS) ដែលបាននាំចូលសេវានេះ ហើយភ្ជាប់ទៅព្រំដែនឃុំ គ.ជ.អ.ប ឆ្នាំ 2014",
            "en": "Computed by this service from the per-area statistics (area_statistic) of the project records of "
                  "the communes and districts (project template, NCDD PID reports or OC4IDS packages) loaded into "
                  "this service and joined to the NCDD 2014 commune boundaries"},
        "version": 2,
        "temporal_coverage": {"year": 2017, "start": "2017-01-01", "end": "2017-12-31"},
        "spatial_coverage": {"country": "KH", "provinces": 25, "km": "កម្ពុជា (ខេត្ត 25)", "en": "Cambodia (25 provinces)"},
        "columns": [
            {"name": "province_code", "type": "string", "title": {"km": "លេខកូដខេត្ត", "en": "Province code"},
             "description": {"km": "លេខកូដខេត្ត គ.ជ.អ.ប (2 ខ្ទង់) នៃឃុំដែលមានគម្រោង",
                             "en": "NCDD province code (2 digits) of the commune that holds the project"}},
            {"name": "province_name_km", "type": "string",
             "title": {"km": "ឈ្មោះខេត្ត (ខ្មែរ)", "en": "Province name (Khmer)"},
             "description": {"km": "ឈ្មោះខេត្តជាអក្សរខ្មែរ", "en": "Province name in Khmer script"}},
            {"name": "province_name_en", "type": "string",
             "title": {"km": "ឈ្មោះខេត្ត (អង់គ្លេស)", "en": "Province name (English)"},
             "description": {"km": "ឈ្មោះខេត្តជាអក្សរឡាតាំង", "en": "Province name in Latin script"}},
            {"name": "expenditure_riel", "type": "integer",
             "title": {"km": "ការចំណាយជាក់ស្តែង (រៀល)", "en": "Actual expenditure (riel)"},
             "description": {"km": "ផលបូកការចំណាយជាក់ស្តែង គិតជារៀល (ទទេ = 0)",
                             "en": "Sum of the actual expenditure, in riel (not recorded = 0)"}}],
        "links": {"csv": "http://localhost/api/v1/datasets/expenditure-by-province-2017.csv",
                  "xlsx": "http://localhost/api/v1/datasets/expenditure-by-province-2017.xlsx",
                  "json": "http://localhost/api/v1/datasets/expenditure-by-province-2017.json",
                  "metadata": "http://localhost/api/v1/datasets/expenditure-by-province-2017"},
    }
    listed = client.get("/api/v1/datasets").get_json()["datasets"]
    assert [d["id"] for d in listed] == IDS
    assert listed[IDS.index("expenditure-by-province-2017")] | {"source": meta["source"]} == meta | {
        "source": meta["source"]}
    for entry in listed:
        assert entry["title"]["km"] and entry["title"]["en"] and entry["title"]["km"] != entry["title"]["en"]
        assert re.search("[\u1780-\u17ff]", entry["description"]["km"]) and entry["temporal_coverage"]["year"] == entry["year"]
        assert entry["links"] == {fmt: f"http://localhost/api/v1/datasets/{entry['id']}.{fmt}" for fmt in FORMATS} | {
            "metadata": f"http://localhost/api/v1/datasets/{entry['id']}"}
    # the JSON file carries the same metadata; the XLSX file an about sheet in both languages
    assert client.get("/api/v1/datasets/expenditure-by-province-2017.json").get_json()["metadata"]["title"] == meta["title"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/datasets/projects-by-province-2016.xlsx").data))
    about = {row[0]: row[1:] for row in book["about"].iter_rows(values_only=True)}
    assert about["title"] == ("ចំនួនគម្រោងតាមខេត្ត ឆ្នាំ 2016", "Number of projects by province, 2016")
    assert about["licence"] == ("Creative Commons Attribution 4.0 International (CC BY 4.0) "
                                "https://creativecommons.org/licenses/by/4.0/",) * 2
    assert about["column: project_count"] == ("ចំនួនគម្រោង: ចំនួនគម្រោងក្នុងខេត្ត ក្នុងឆ្នាំនេះ",
                                              "Number of projects: Number of projects in the province in this year")
    assert "notice" not in about


def test_sample_data_is_labelled_in_the_years_it_covers(db):
    load(db, ROWS[:2], is_sample=True)  # 2016 only
    client = make_client(db)
    sample = client.get("/api/v1/datasets/projects-by-province-2016").get_json()
    assert sample["sample"] is True
    assert sample["title"] == {"km": "ទិន្នន័យគំរូ (SAMPLE DATA)៖ ទិន្នន័យបង្កើតឡើង មិនមែនជាកំណត់ត្រាគម្រោងពិតទេ · "
                                     "ចំនួនគម្រោងតាមខេត្ត ឆ្នាំ 2016",
                               "en": "SAMPLE DATA: generated data, not real project records · "
                                     "Number of projects by province, 2016"}
    assert sample["description"]["en"].startswith("SAMPLE DATA: generated data, not real project records · ")
    response = client.get("/api/v1/datasets/projects-by-province-2016.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="projects-by-province-2016_sample.csv"'
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/datasets/projects-by-province-2016.xlsx").data))
    assert [list(row) for row in book["about"].iter_rows(values_only=True)][2] == [
        "notice", "ទិន្នន័យគំរូ (SAMPLE DATA)៖ ទិន្នន័យបង្កើតឡើង មិនមែនជាកំណត់ត្រាគម្រោងពិតទេ",
        "SAMPLE DATA: generated data, not real project records"]
    not_sample = client.get("/api/v1/datasets/projects-by-province-2017").get_json()
    assert (not_sample["sample"], not_sample["title"]["en"]) == (False, "Number of projects by province, 2017")


def test_unknown_datasets_and_formats_get_the_json_error(client):
    cases = {
        "/api/v1/datasets/projects-by-province-2020": 'dataset "projects-by-province-2020" does not exist; '
                                                      "see /api/v1/datasets",
        "/api/v1/datasets/budget-by-province-2016.csv": 'dataset "budget-by-province-2016" does not exist; '
                                                        "see /api/v1/datasets",
        "/api/v1/datasets/projects-by-province-2016.gpkg": 'format "gpkg" is not available; expected one of csv, '
                                                           "xlsx, json",
    }
    for url, message in cases.items():
        response = client.get(url)
        assert (response.status_code, response.get_json()) == (404, {"ok": False, "error": message, "status": 404})


def test_dataset_ids_are_stable():
    assert datasets.dataset_ids(2014, 2019) == IDS
    assert datasets.parse_id("expenditure-by-province-2014", 2014, 2019) == ("expenditure", 2014)
    assert [datasets.parse_id(i, 2014, 2019) for i in ("projects-by-province-2013", "projects-by-province-16",
                                                         "projects-by-district-2016")] == [None, None, None]
