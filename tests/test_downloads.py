"""Project downloads (/api/v1/downloads) on both databases: whole CSV payloads in Khmer and English, XLSX and
GeoPackage read back with openpyxl and pyogrio, RFC 7946 GeoJSON, the API's filters, the 400/404 JSON errors,
SAMPLE labelling and file names."""
import csv
import io
import json
import re
from datetime import date, datetime, timezone

import openpyxl
import pandas as pd
import pyogrio
import pytest

from mapservice.formats import downloads
from mapservice.ingest.pipelines import import_records
from mapservice.read.projects import RECORD_FIELDS
from tests.test_pages import make_client

BOM = "\ufeff".encode()
ROWS = [
    {"project_id": "BMC-2016-001", "pid_reference": "PID-1001", "title_km": "ផ្លូវក្រួសក្រហម",
     "title_en": "Laterite road in Changha", "sector": "rural_road", "project_type": "construction",
     "status": "completion", "fiscal_year": "2016", "funding_source": "cs_fund", "planned_start": "2016-03-01",
     "planned_end": "2016-06-30", "actual_start": "2016-03-15", "actual_end": "2016-07-20", "budget": "120000000",
     "contract_value": "110000000", "expenditure": "108500000", "cs_fund": "100000000",
     "local_contribution": "8500000", "contract_number": "C-0105-16-01", "awarded_tenderer": "ក្រុមហ៊ុន សុខ សំណង់",
     "number_of_bidders": "3", "eia_required": "no", "eia_status": "not_required", "commune_code": "010501",
     "lon": "102.9", "lat": "13.65"},
    # conflict: stated Banteay Neang (province 01), point in Kantueu Muoy (province 02); 01 keeps the money
    {"project_id": "BMC-2016-002", "title_km": "លូបង្ហូរទឹក", "title_en": "Culvert", "sector": "culvert",
     "fiscal_year": "2016", "budget": "60000000", "expenditure": "50000000", "commune_code": "010201",
     "lon": "103.16687", "lat": "12.870057"},
    # completed, no expenditure recorded: counted, 0 riel
    {"project_id": "BMC-2017-003", "title_km": "អណ្តូងទឹក", "title_en": "Well in Koub", "sector": "well",
     "status": "completion", "fiscal_year": "2017", "budget": "4000000", "commune_code": "010502"},
    {"project_id": "BTB-2016-004", "title_km": "ស្ពានបេតុង", "sector": "bridge", "fiscal_year": "2016",
     "budget": "80000000", "expenditure": "70000000", "eia_required": "yes", "eia_status": "approved",
     "commune_code": "020101"},
    {"project_id": "BTB-2017-005", "title_km": "ផ្សារឃុំ", "title_en": "Commune market", "sector": "market",
     "fiscal_year": "2017", "expenditure": "10000000", "commune_code": "020102"},
    # no commune code and a point in the sea: unmatched, in no province
    {"project_id": "XXX-2017-006", "title_km": "សាលារៀន", "title_en": "School, place unknown", "sector": "school",
     "fiscal_year": "2017", "expenditure": "5000000", "lon": "103.2", "lat": "10.5"},
]
BMC = {"province_code": "01", "province_name_km": "បន្ទាយមានជ័យ", "province_name_en": "Banteay Meanchey", "currency": "KHR",
       "is_sample": "false"}
BTB = {"province_code": "02", "province_name_km": "បាត់ដំបង", "province_name_en": "Battambang", "currency": "KHR",
       "is_sample": "false", "district_code": "0201", "district_name_km": "បាណន់", "district_name_en": "Banan",
       "join_status": "code_only", "location_precision": "commune"}
# Every non-empty CSV value of every project (the rest of the 43 columns are empty)
EXPECTED = {
    "BMC-2016-001": BMC | {
        "project_id": "BMC-2016-001", "pid_reference": "PID-1001",
        "pid_url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=PID-1001",
        "title_km": "ផ្លូវក្រួសក្រហម", "title_en": "Laterite road in Changha", "sector": "rural_road",
        "project_type": "construction", "status": "completion", "fiscal_year": "2016", "funding_source": "cs_fund",
        "planned_start": "2016-03-01", "planned_end": "2016-06-30", "actual_start": "2016-03-15",
        "actual_end": "2016-07-20", "budget": "120000000", "contract_value": "110000000", "expenditure": "108500000",
        "cs_fund": "100000000", "local_contribution": "8500000", "contract_number": "C-0105-16-01",
        "awarded_tenderer": "ក្រុមហ៊ុន សុខ សំណង់", "number_of_bidders": "3", "eia_required": "false",
        "eia_status": "not_required", "district_code": "0105", "district_name_km": "អូរជ្រៅ", "district_name_en": "Ou Chrov",
        "commune_code": "010501", "commune_name_km": "ចង្ហា", "commune_name_en": "Changha", "stated_code": "010501",
        "join_status": "agree", "location_precision": "exact", "lon": "102.9", "lat": "13.65"},
    "BMC-2016-002": BMC | {
        "project_id": "BMC-2016-002", "title_km": "លូបង្ហូរទឹក", "title_en": "Culvert", "sector": "culvert",
        "fiscal_year": "2016", "budget": "60000000", "expenditure": "50000000", "district_code": "0102",
        "district_name_km": "មង្គលបូរី", "district_name_en": "Mongkol Borei", "commune_code": "010201",
        "commune_name_km": "បន្ទាយនាង", "commune_name_en": "Banteay Neang", "stated_code": "010201",
        "join_status": "conflict", "location_precision": "exact", "lon": "103.16687", "lat": "12.870057"},
    "BMC-2017-003": BMC | {
        "project_id": "BMC-2017-003", "title_km": "អណ្តូងទឹក", "title_en": "Well in Koub", "sector": "well",
        "status": "completion", "fiscal_year": "2017", "budget": "4000000", "district_code": "0105",
        "district_name_km": "អូរជ្រៅ", "district_name_en": "Ou Chrov", "commune_code": "010502", "commune_name_km": "កូប",
        "commune_name_en": "Koub", "stated_code": "010502", "join_status": "code_only", "location_precision": "commune",
        "quality_flags": "completed_without_expenditure", "lon": "102.772722", "lat": "13.622543"},
    "BTB-2016-004": BTB | {
        "project_id": "BTB-2016-004", "title_km": "ស្ពានបេតុង", "sector": "bridge", "fiscal_year": "2016",
        "budget": "80000000", "expenditure": "70000000", "eia_required": "true", "eia_status": "approved",
        "commune_code": "020101", "commune_name_km": "កន្ទឺ ១", "commune_name_en": "Kantueu Muoy", "stated_code": "020101",
        "lon": "103.16687", "lat": "12.870057"},
    "BTB-2017-005": BTB | {
        "project_id": "BTB-2017-005", "title_km": "ផ្សារឃុំ", "title_en": "Commune market", "sector": "market",
        "fiscal_year": "2017", "expenditure": "10000000", "commune_code": "020102", "commune_name_km": "កន្ទឺ ២",
        "commune_name_en": "Kantueu Pir", "stated_code": "020102", "quality_flags": "missing_budget",
        "lon": "103.12225", "lat": "12.921849"},
    "XXX-2017-006": {
        "project_id": "XXX-2017-006", "title_km": "សាលារៀន", "title_en": "School, place unknown", "sector": "school",
        "fiscal_year": "2017", "expenditure": "5000000", "currency": "KHR", "join_status": "unmatched",
        "location_precision": "exact", "quality_flags": "missing_budget", "lon": "103.2", "lat": "10.5",
        "is_sample": "false"},
}
ALL_IDS = sorted(EXPECTED)
KM_HEADER = ["លេខសម្គាល់គម្រោង", "លេខយោង PID", "កំណត់ត្រា PID", "ចំណងជើង (ខ្មែរ)", "ចំណងជើង (អង់គ្លេស)", "វិស័យ",
             "ប្រភេទការងារ", "ស្ថានភាព", "ឆ្នាំសារពើពន្ធ", "ប្រភពមូលនិធិ", "ថ្ងៃចាប់ផ្តើមគ្រោងទុក", "ថ្ងៃបញ្ចប់គ្រោងទុក",
             "ថ្ងៃចាប់ផ្តើមជាក់ស្តែង", "ថ្ងៃបញ្ចប់ជាក់ស្តែង", "រូបិយប័ណ្ណ", "ថវិកា (រៀល)", "តម្លៃកិច្ចសន្យា (រៀល)",
             "ការចំណាយជាក់ស្តែង (រៀល)", "មូលនិធិឃុំសង្កាត់ (រៀល)", "វិភាគទានមូលដ្ឋាន (រៀល)", "រូបិយប័ណ្ណដើម",
             "អត្រាប្តូរប្រាក់", "ចំនួនទឹកប្រាក់ដើម", "លេខកិច្ចសន្យា",
             "អ្នកឈ្នះការដេញថ្លៃ", "ចំនួនអ្នកដេញថ្លៃ", "តម្រូវឱ្យធ្វើ EIA", "ស្ថានភាព EIA", "ឯកសារ EIA", "លេខកូដខេត្ត",
             "ឈ្មោះខេត្ត (ខ្មែរ)", "ឈ្មោះខេត្ត (អង់គ្លេស)", "លេខកូដស្រុក", "ឈ្មោះស្រុក (ខ្មែរ)", "ឈ្មោះស្រុក (អង់គ្លេស)",
             "លេខកូដឃុំ", "ឈ្មោះឃុំ (ខ្មែរ)", "ឈ្មោះឃុំ (អង់គ្លេស)", "លេខកូដភូមិ", "លេខកូដដូចដែលបានផ្ដល់",
             "ការផ្ទៀងផ្ទាត់ទីតាំង", "ភាពជាក់លាក់នៃទីតាំង", "សញ្ញាព្រមានគុណភាពទិន្នន័យ", "រយៈបណ្តោយ", "រយៈទទឹង",
             "ទិន្នន័យគំរូ"]
EN_HEADER = ["Project ID", "PID reference", "PID record", "Title (Khmer)", "Title (English)", "Sector", "Type of work",
             "Status", "Fiscal year", "Funding source", "Planned start", "Planned end", "Actual start", "Actual end",
             "Currency", "Budget (riel)", "Contract value (riel)", "Actual expenditure (riel)",
             "Commune/Sangkat Fund (riel)", "Local contribution (riel)", "Original currency", "Exchange rate",
             "Original amounts", "Contract number", "Awarded tenderer",
             "Number of bidders", "EIA required", "EIA status", "EIA document", "Province code", "Province name (Khmer)",
             "Province name (English)", "District code", "District name (Khmer)", "District name (English)",
             "Commune code", "Commune name (Khmer)", "Commune name (English)", "Village code", "Code as given",
             "Location check", "Location precision", "Data-quality flags", "Longitude", "Latitude", "Sample data"]
INTEGER_FIELDS = ("fiscal_year", "budget", "contract_value", "expenditure", "cs_fund", "local_contribution",
                  "number_of_bidders")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}


def csv_row(project_id):
    return [EXPECTED[project_id].get(field, "") for field in RECORD_FIELDS]


def json_properties(project_id):
    """The GeoJSON properties of a project: its CSV values typed as JSON, keyed by field code."""
    typed = {}
    for field in RECORD_FIELDS:
        text = EXPECTED[project_id].get(field)
        if field in INTEGER_FIELDS and text is not None:
            typed[field] = int(text)
        elif field in ("eia_required", "is_sample") and text is not None:
            typed[field] = text == "true"
        elif field not in ("lon", "lat"):
            typed[field] = text
    return typed


def read_csv(body):
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM):].decode("utf-8"))))


def load(db, rows, is_sample=False, source="downloads.csv"):
    """Import template rows as one batch named ``source``."""
    frame = pd.DataFrame([{"line": i + 2, **row} for i, row in enumerate(rows)])
    import_records(db.sessions, db.config, frame, source, "template", "0" * 64, is_sample=is_sample)


@pytest.fixture
def client(db):
    load(db, ROWS)
    return make_client(db)


def attachment_name(response):
    match = re.fullmatch(r'attachment; filename="([A-Za-z0-9_.+-]+)"', response.headers["Content-Disposition"])
    assert match, response.headers["Content-Disposition"]
    return match.group(1)


def test_the_column_dictionary_covers_every_field_in_both_languages():
    assert list(downloads.COLUMNS) == RECORD_FIELDS
    assert [downloads.header(f, "km") for f in RECORD_FIELDS] == KM_HEADER
    assert [downloads.header(f, "en") for f in RECORD_FIELDS] == EN_HEADER
    khmer = re.compile("[\u1780-\u17ff]")
    for field, column in downloads.COLUMNS.items():
        assert khmer.search(column.header_km) and khmer.search(column.description_km), field
        assert not khmer.search(column.header_en + column.description_en), field
    assert set(downloads.FORMATS) == set(FORMATS)
    assert {fmt: mimetype for fmt, (_, mimetype, _) in downloads.FORMATS.items()} == FORMATS


def test_csv_whole_payload_in_khmer_and_english(client):
    khmer = client.get("/api/v1/downloads/projects.csv")
    assert (khmer.status_code, khmer.headers["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert read_csv(khmer.data) == [KM_HEADER] + [csv_row(p) for p in ALL_IDS]
    assert attachment_name(khmer) == "projects_km.csv"
    # cacheable: the same data version and parameters give the same bytes, so the ETag revalidates
    assert client.get("/api/v1/downloads/projects.csv", headers={"If-None-Match": khmer.headers["ETag"]}).status_code == 304
    english = client.get("/api/v1/downloads/projects.csv?lang=en")
    assert read_csv(english.data) == [EN_HEADER] + [csv_row(p) for p in ALL_IDS]
    assert attachment_name(english) == "projects_en.csv"
    # without ?lang= the browser's language decides, Khmer first
    by_browser = client.get("/api/v1/downloads/projects.csv", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert read_csv(by_browser.data)[0] == EN_HEADER
    assert "Accept-Language" in by_browser.headers["Vary"]
    assert read_csv(client.get("/api/v1/downloads/projects.csv", headers={"Accept-Language": "fr"}).data)[0] == KM_HEADER


def test_filters_and_sort_apply_to_downloads(client, tmp_path):
    response = client.get("/api/v1/downloads/projects.csv?year=2016&province=01&lang=en")
    assert read_csv(response.data) == [EN_HEADER, csv_row("BMC-2016-001"), csv_row("BMC-2016-002")]
    assert attachment_name(response) == "projects_province-01_year-2016_en.csv"
    response = client.get("/api/v1/downloads/projects.csv?sector=bridge,market&sort=-expenditure&lang=en")
    assert read_csv(response.data) == [EN_HEADER, csv_row("BTB-2016-004"), csv_row("BTB-2017-005")]
    assert attachment_name(response) == "projects_sector-bridge+market_en.csv"
    geojson = client.get("/api/v1/downloads/projects.geojson?district=0105&year=2017")
    assert [f["id"] for f in geojson.get_json()["features"]] == ["BMC-2017-003"]
    assert geojson.get_json()["metadata"]["filters"] == {"year": "2017", "district": "0105"}
    assert attachment_name(geojson) == "projects_district-0105_year-2017.geojson"
    empty = client.get("/api/v1/downloads/projects.csv?year=2014&lang=en")
    assert read_csv(empty.data) == [EN_HEADER]
    xlsx = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/downloads/projects.xlsx?year=2014").data))
    assert list(xlsx["projects"].iter_rows(values_only=True)) == [tuple(KM_HEADER)]
    assert client.get("/api/v1/downloads/projects.geojson?year=2014").get_json()["features"] == []
    path = tmp_path / "empty.gpkg"
    path.write_bytes(client.get("/api/v1/downloads/projects.gpkg?year=2014").data)
    info = pyogrio.read_info(path, layer="projects")
    assert (info["geometry_type"], info["features"], info["crs"]) == ("Point", 0, "EPSG:4326")


def test_xlsx_typed_cells_dictionary_and_about(client):
    response = client.get("/api/v1/downloads/projects.xlsx?year=2016&lang=km")
    assert response.headers["Content-Type"] == FORMATS["xlsx"]
    assert attachment_name(response) == "projects_year-2016_km.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["projects", "data dictionary", "about"]
    rows = [list(row) for row in book["projects"].iter_rows(values_only=True)]
    assert rows[0] == KM_HEADER
    assert [row[0] for row in rows[1:]] == ["BMC-2016-001", "BMC-2016-002", "BTB-2016-004"]
    first = dict(zip(RECORD_FIELDS, rows[1]))
    assert first == {**{f: None for f in RECORD_FIELDS}, **{f: v for f, v in EXPECTED["BMC-2016-001"].items()}, **{
        "fiscal_year": 2016, "planned_start": datetime(2016, 3, 1), "planned_end": datetime(2016, 6, 30),
        "actual_start": datetime(2016, 3, 15), "actual_end": datetime(2016, 7, 20), "budget": 120000000,
        "contract_value": 110000000, "expenditure": 108500000, "cs_fund": 100000000, "local_contribution": 8500000,
        "number_of_bidders": 3, "eia_required": False, "lon": 102.9, "lat": 13.65, "is_sample": False}}
    assert book["projects"]["P2"].number_format == "#,##0"  # budget
    assert dict(zip(RECORD_FIELDS, rows[3]))["title_en"] is None
    dictionary = [list(row) for row in book["data dictionary"].iter_rows(values_only=True)]
    assert dictionary[0] == ["column", "header_km", "header_en", "description_km", "description_en"]
    assert [row[:3] for row in dictionary[1:]] == [[f, k, e] for f, k, e in zip(RECORD_FIELDS, KM_HEADER, EN_HEADER)]
    assert dictionary[30][3:] == ["លេខកូដខេត្ត គ.ជ.អ.ប (2 ខ្ទង់) នៃឃុំដែលមានគម្រោង",
                                  "NCDD province code (2 digits) of the commune that holds the project"]
    about = [list(row) for row in book["about"].iter_rows(values_only=True)]
    generated = about.pop(-1)
    assert generated[0] == "ពេលបង្កើតឯកសារ" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", generated[1])
    source_files = about.pop(3)
    assert source_files[0] == "ឯកសារប្រភព"
    assert re.fullmatch(r"downloads\.csv \(template, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d, 6\)", source_files[1])
    assert about == [["ព័ត៌មាន", "តម្លៃ"], ["ចំណងជើង", downloads.TITLE["km"]], ["ប្រភព", downloads.SOURCE["km"]],
                     ["អាជ្ញាបណ្ណ", "Creative Commons Attribution 4.0 International (CC BY 4.0) "
                                   "https://creativecommons.org/licenses/by/4.0/"],
                     ["តម្រង", "year=2016"], ["ចំនួនជួរ", 3], ["កំណែទិន្នន័យ", 2]]


def test_geojson_is_rfc7946(client):
    response = client.get("/api/v1/downloads/projects.geojson?lang=km")
    assert response.headers["Content-Type"] == "application/geo+json"
    assert attachment_name(response) == "projects.geojson"  # the same file in both languages
    assert client.get("/api/v1/downloads/projects.geojson?lang=en").data == response.data
    body = json.loads(response.data)
    assert set(body) == {"type", "features", "metadata"} and body["type"] == "FeatureCollection"
    assert "crs" not in body  # RFC 7946: always WGS 84 lon/lat
    features = {f["id"]: f for f in body["features"]}
    assert list(features) == ALL_IDS
    for project_id, feature in features.items():
        assert set(feature) == {"type", "id", "properties", "geometry"} and feature["type"] == "Feature"
        assert list(feature["properties"]) == [f for f in RECORD_FIELDS if f not in ("lon", "lat")]
        expected = EXPECTED[project_id]
        if "lon" in expected:
            assert feature["geometry"] == {"type": "Point",
                                           "coordinates": [float(expected["lon"]), float(expected["lat"])]}
        else:
            assert feature["geometry"] is None
        assert feature["properties"] == json_properties(project_id)
    assert body["metadata"]["sample"] is False and body["metadata"]["record_count"] == 6
    assert body["metadata"]["title"] == downloads.TITLE
    # a GIS client reads it: lon/lat order, Khmer intact
    frame = pyogrio.read_dataframe(io.BytesIO(response.data))
    located = frame.set_index("project_id").loc["BMC-2016-001"]
    assert (located.geometry.x, located.geometry.y, located["title_km"]) == (102.9, 13.65, "ផ្លូវក្រួសក្រហម")


def test_geopackage_point_layer_with_khmer_and_codes(client, tmp_path):
    response = client.get("/api/v1/downloads/projects.gpkg?lang=km")
    assert response.headers["Content-Type"] == "application/geopackage+sqlite3"
    assert attachment_name(response) == "projects.gpkg"
    path = tmp_path / "projects.gpkg"
    path.write_bytes(response.data)
    assert [list(layer) for layer in pyogrio.list_layers(path)] == [
        ["projects", "Point"], ["data_dictionary", None], ["about", None]]
    info = pyogrio.read_info(path, layer="projects")
    assert (info["crs"], info["features"], info["layer_metadata"]["DESCRIPTION"]) == (
        "EPSG:4326", 6, f'{downloads.TITLE["km"]} / {downloads.TITLE["en"]}')
    assert list(info["fields"]) == [f for f in RECORD_FIELDS if f not in ("lon", "lat")]
    frame = pyogrio.read_dataframe(path, layer="projects").set_index("project_id")
    assert list(frame.index) == ALL_IDS
    assert list(frame["title_km"]) == [EXPECTED[p]["title_km"] for p in ALL_IDS]
    assert list(frame["commune_name_km"].fillna("")) == [EXPECTED[p].get("commune_name_km", "") for p in ALL_IDS]
    assert frame.loc["BMC-2016-001", "budget"] == 120000000 and frame.loc["BMC-2016-001", "awarded_tenderer"] == "ក្រុមហ៊ុន សុខ សំណង់"
    assert frame.loc["BMC-2016-001", "planned_start"].date() == date(2016, 3, 1)
    assert frame.loc["BTB-2016-004", "eia_required"] == 1
    assert frame.geometry["XXX-2017-006"].x == 103.2 and pd.isna(frame.loc["XXX-2017-006", "province_code"])
    assert (frame.geometry["BMC-2016-002"].x, frame.geometry["BMC-2016-002"].y) == (103.16687, 12.870057)
    dictionary = pyogrio.read_dataframe(path, layer="data_dictionary")
    assert dictionary.values.tolist()[29] == [
        "province_code", "លេខកូដខេត្ត", "Province code", "លេខកូដខេត្ត គ.ជ.អ.ប (2 ខ្ទង់) នៃឃុំដែលមានគម្រោង",
        "NCDD province code (2 digits) of the commune that holds the project"]
    about = pyogrio.read_dataframe(path, layer="about").set_index("item")
    assert list(about.index) == ["title", "source", "source_files", "licence", "filters", "record_count",
                                 "data_version", "generated_at"]
    assert about.loc["title"].tolist() == [downloads.TITLE["km"], downloads.TITLE["en"]]
    assert about.loc["filters"].tolist() == ["គ្មាន (គម្រោងទាំងអស់)", "none (all projects)"]


def test_sample_data_is_labelled_in_names_and_files(db, tmp_path):
    load(db, ROWS[:2], is_sample=True)
    client = make_client(db)
    csv_response = client.get("/api/v1/downloads/projects.csv?lang=en")
    assert attachment_name(csv_response) == "projects_sample_en.csv"
    assert [row[-1] for row in read_csv(csv_response.data)[1:]] == ["true", "true"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/downloads/projects.xlsx?lang=en").data))
    about = [list(row) for row in book["about"].iter_rows(values_only=True)]
    assert about[1] == ["Notice", "SAMPLE DATA: generated data, not real project records"]
    assert about[2] == ["Title", "SAMPLE DATA: generated data, not real project records · "
                                 "Sub-national infrastructure projects, Cambodia 2014–2019"]
    geojson = client.get("/api/v1/downloads/projects.geojson")
    assert attachment_name(geojson) == "projects_sample.geojson"
    assert geojson.get_json()["metadata"]["notice"] == downloads.SAMPLE_NOTICE
    gpkg = client.get("/api/v1/downloads/projects.gpkg")
    assert attachment_name(gpkg) == "projects_sample.gpkg"
    path = tmp_path / "sample.gpkg"
    path.write_bytes(gpkg.data)
    assert pyogrio.read_info(path, layer="projects")["layer_metadata"]["DESCRIPTION"].startswith(
        "ទិន្នន័យគំរូ (SAMPLE DATA)")


def test_bad_parameters_and_unknown_formats_get_the_json_error(client):
    def error(status, message):
        return {"ok": False, "error": message, "status": status}

    cases = {
        "/api/v1/downloads/projects.csv?year=2030": error(
            400, 'year was "2030"; expected a year from 2014 to 2019, or a range such as 2014-2019'),
        "/api/v1/downloads/projects.xlsx?province=99": error(
            400, 'province was "99"; expected a province code of 2 digits that exists (see /api/v1/places)'),
        "/api/v1/downloads/projects.gpkg?sort=colour": error(
            400, 'sort was "colour"; expected one of project_id, fiscal_year, budget, contract_value, expenditure, '
                 "title_en, actual_end, with a leading - for descending"),
        "/api/v1/downloads/projects.csv?lang=fr": error(400, 'lang was "fr"; expected km or en'),
        "/api/v1/downloads/projects.pdf": error(
            404, 'format "pdf" is not available; expected one of csv, xlsx, geojson, gpkg'),
    }
    for url, body in cases.items():
        response = client.get(url)
        assert (response.status_code, response.get_json()) == (body["status"], body), url


def test_index_lists_formats_and_datasets_and_openapi_documents_the_routes(client):
    index = client.get("/api/v1/downloads").get_json()
    assert [(f["format"], f["media_type"], f["url"]) for f in index["projects"]["formats"]] == [
        (fmt, mimetype, f"http://localhost/api/v1/downloads/projects.{fmt}") for fmt, mimetype in FORMATS.items()]
    assert index["projects"]["parameters"] == ["year", "province", "district", "commune", "sector", "status",
                                               "eia_required", "eia_status", "funding_source", "q", "sort", "lang"]
    assert index["projects"]["example"] == "http://localhost/api/v1/downloads/projects.csv?year=2016&province=01&lang=en"
    assert [d["id"] for d in index["datasets"]] == [f"{kind}-by-province-{year}" for kind in ("projects", "expenditure")
                                                    for year in range(2014, 2020)]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert sorted(p for p in paths if p.startswith(("/api/v1/downloads", "/api/v1/datasets"))) == [
        "/api/v1/datasets", "/api/v1/datasets/{dataset_id}", "/api/v1/datasets/{dataset_id}.{fmt}",
        "/api/v1/downloads", "/api/v1/downloads/projects.{fmt}"]
    projects = paths["/api/v1/downloads/projects.{fmt}"]["get"]
    assert sorted(projects["responses"]["200"]["content"]) == sorted(FORMATS.values())
    assert {"year", "province", "sort", "lang"} <= {p["name"] for p in projects["parameters"]}


def test_writers_without_a_database_formula_text_and_unlocated_projects(tmp_path):
    blank = {field: None for field in RECORD_FIELDS} | {"is_sample": False}
    records = [blank | {"project_id": "P1", "title_en": '=HYPERLINK("x")', "title_km": "ផ្លូវ", "lon": 104.123456789,
                        "lat": 11.5}, blank | {"project_id": "P2"}]
    meta = downloads.build_meta(records, {}, 1, [], now=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert meta["generated_at"] == "2024-01-02T03:04:05Z"
    cell = openpyxl.load_workbook(io.BytesIO(downloads.write_xlsx(records, "en", meta)))["projects"]["E2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")  # text, never a formula
    features = json.loads(downloads.write_geojson(records, "en", meta))["features"]
    assert [f["geometry"] for f in features] == [{"type": "Point", "coordinates": [104.123457, 11.5]}, None]
    path = tmp_path / "two.gpkg"
    path.write_bytes(downloads.write_gpkg(records, "km", meta))
    frame = pyogrio.read_dataframe(path, layer="projects")
    assert [(g.x, g.y) if g is not None else None for g in frame.geometry] == [(104.123457, 11.5), None]
    assert list(frame["title_km"].fillna("")) == ["ផ្លូវ", ""]
    assert downloads.write_csv(records, "en", meta).decode("utf-8").splitlines()[1].startswith(
        '"P1",,,"ផ្លូវ","\'=HYPERLINK(""x"")",')  # text quoted; neutralised: a spreadsheet shows it as text
