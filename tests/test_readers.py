"""The readers of project records (template CSV/XLSX, OC4IDS, PID report), their registry and their docs."""
import datetime
import json
import pathlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mapservice.ingest import oc4ids, pid_report, readers, source_files
from mapservice.ingest.records import CANONICAL_COLUMNS, REQUIRED, CodeBook, SourceError, validate_records
from mapservice.ingest.template import COLUMNS, read_template, template_header

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
DOC = Path(__file__).resolve().parents[1] / "docs" / "project-template.md"
MAX = 10_000_000
BOOK = CodeBook(communes={"010501", "010502", "010505", "010902"})
GAZETTEER = pd.DataFrame({
    "code": ["010501", "010502", "010505", "010902", "031311"],
    "name_en": ["Changha", "Koub", "Samraong", "Malai", "Samraong"],
    "name_km": ["ចង្ហា", "កូប", "សំរោង", "ម៉ាឡៃ", "សំរោង"],
})
PID_CONTEXT = {"fiscal_year": 2016, "province_code": "01", "gazetteer_communes": GAZETTEER}
SAVE_HINT = 'expected UTF-8: save it again as UTF-8 (in Excel: "CSV UTF-8")'


def records_of(frame):
    return frame.to_dict("records")


def write(tmp_path, name, text_or_bytes):
    path = tmp_path / name
    if isinstance(text_or_bytes, bytes):
        path.write_bytes(text_or_bytes)
    else:
        path.write_text(text_or_bytes, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the template: columns and CSV

TEMPLATE_RECORDS = [
    {"line": 2, "project_id": "OC-2016-010501-001", "pid_reference": "2016-0105-01-001",
     "title_km": "ផ្លូវក្រួសក្រហម ភូមិចង្ហា", "title_en": "Laterite road, Changha village", "contract_number": "012/16",
     "awarded_tenderer": "Sok Heng Construction", "sector": "rural_road", "project_type": "construction",
     "status": "completion", "eia_status": "not_required", "funding_source": "cs_fund", "fiscal_year": "2016",
     "planned_start": "2016-03-01", "planned_end": "2016-06-30", "actual_start": "2016-03-15",
     "actual_end": "2016-07-20", "budget": "48000000", "contract_value": "45500000", "expenditure": "45500000",
     "cs_fund": "43000000", "local_contribution": "2500000", "number_of_bidders": "3", "eia_required": "no",
     "commune_code": "010501", "lon": None, "lat": None},
    {"line": 3, "project_id": "OC-2016-010502-002", "pid_reference": None, "title_km": "អណ្តូងស្នប់ ភូមិកូប",
     "title_en": "Pump well, Koub village", "contract_number": "019/16", "awarded_tenderer": "Phnom Meas Trading",
     "sector": "Well / water supply", "project_type": "construction", "status": "implementation",
     "eia_status": "not_required", "funding_source": "cs_fund", "fiscal_year": "2016", "planned_start": "2016-04-01",
     "planned_end": "2016-05-31", "actual_start": "2016-04-10", "actual_end": None, "budget": "6500000",
     "contract_value": "6200000", "expenditure": None, "cs_fund": "6200000", "local_contribution": "300000",
     "number_of_bidders": "2", "eia_required": "no", "commune_code": "KH010502", "lon": None, "lat": None},
    # line 4 is blank: skipped, but counted
    {"line": 5, "project_id": "OC-2017-010902-001", "pid_reference": None, "title_km": "ស្ពានបេតុង ភូមិម៉ាឡៃ",
     "title_en": "Concrete bridge", "contract_number": "004/17", "awarded_tenderer": "Angkor Build Co.",
     "sector": "bridge", "project_type": "rehabilitation", "status": "completion", "eia_status": "approved",
     "funding_source": "cs_fund", "fiscal_year": "2017", "planned_start": "2017-02-01", "planned_end": "2017-05-31",
     "actual_start": "2017-02-20", "actual_end": "2017-06-15", "budget": "120,000,000",
     "contract_value": "118000000", "expenditure": "119500000", "cs_fund": "110000000",
     "local_contribution": "8000000", "number_of_bidders": "4", "eia_required": "yes", "commune_code": None,
     "lon": "102.6051", "lat": "13.4823"},
]


def test_columns_are_the_canonical_columns_in_order():
    assert list(COLUMNS) == CANONICAL_COLUMNS
    assert [name for name, column in COLUMNS.items() if column.required == "yes"] == REQUIRED
    labels = [label.casefold() for column in COLUMNS.values() for label in (column.en, column.km)]
    assert len(labels) == len(set(labels)) == 2 * len(CANONICAL_COLUMNS)


def test_template_header_in_both_languages():
    assert template_header("en")[:4] == ["Project ID", "PID reference", "PID record URL", "Title (Khmer)"]
    assert template_header("km")[-3:] == ["លេខកូដឃុំសង្កាត់", "រយៈបណ្តោយ", "រយៈទទឹង"]
    assert len(template_header("en")) == len(template_header("km")) == len(CANONICAL_COLUMNS)
    with pytest.raises(ValueError, match='lang was "fr"; expected en or km'):
        template_header("fr")


def test_english_template_csv():
    frame = read_template(FIXTURES / "template_en.csv", MAX)
    assert list(frame.columns) == ["line"] + [c for c in CANONICAL_COLUMNS if c not in ("pid_url", "eia_document_url",
                                                                                       "currency")]
    assert frame["line"].dtype == "int64"
    assert records_of(frame) == TEMPLATE_RECORDS
    assert frame.attrs["ignored_columns"] == ["Notes"]


def test_khmer_headers_give_the_identical_frame():
    """The Khmer file has a byte-order mark, CRLF line ends and its columns in another order."""
    english = read_template(FIXTURES / "template_en.csv", MAX)
    khmer = read_template(FIXTURES / "template_km.csv", MAX)
    pd.testing.assert_frame_equal(khmer, english)
    assert khmer.attrs["ignored_columns"] == ["កំណត់សម្គាល់"]


def test_headers_match_ignoring_case_spaces_and_zero_width_spaces(tmp_path):
    path = write(tmp_path, "mixed.csv", " PROJECT_ID ,sector,FISCAL YEAR,title (english),\u200bលេខកូដឃុំសង្កាត់\u200b,"
                                        "Latitude,LONGITUDE,,extra\n"
                                        "P-1,well,2016,Pump well,010501,13.7,102.9,,x\n")
    frame = read_template(path, MAX)
    assert records_of(frame) == [{"line": 2, "project_id": "P-1", "title_en": "Pump well", "sector": "well",
                                  "fiscal_year": "2016", "commune_code": "010501", "lon": "102.9", "lat": "13.7"}]
    assert frame.attrs["ignored_columns"] == ["extra"]


def test_semicolons_quoted_line_breaks_and_khmer_digits(tmp_path):
    """Excel in some locales writes semicolons; a quoted cell may span lines; Khmer digits are read as digits."""
    path = write(tmp_path, "semi.csv", "Project ID;Title (English);Sector;Fiscal year;Commune code;Budget (riel)\n"
                                       'P-1;"Road,\nsecond line";rural_road;២០១៦;០១០៥០១;៤៨,០០០,០០០ ៛\n'
                                       "\n"
                                       "P-2;Well;well;2016;010502;\n")
    assert records_of(read_template(path, MAX)) == [
        {"line": 2, "project_id": "P-1", "title_en": "Road,\nsecond line", "sector": "rural_road",
         "fiscal_year": "2016", "budget": "48,000,000 ៛", "commune_code": "010501"},
        {"line": 5, "project_id": "P-2", "title_en": "Well", "sector": "well", "fiscal_year": "2016",
         "budget": None, "commune_code": "010502"},
    ]


def test_two_columns_meaning_the_same_are_refused(tmp_path):
    path = write(tmp_path, "twice.csv", "project_id,Project ID,sector,fiscal_year,title_en,commune_code\n"
                                        "P-1,P-1,well,2016,Well,010501\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (f'{path}: the columns "project_id" and "Project ID" both mean project_id; '
                                "keep one of them")


# ---------------------------------------------------------------- the template: XLSX

def _workbook(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                sheet.cell(row=number, column=column, value=value)
    book.save(path)
    return path


XLSX_HEADER = ["Project ID", "Title (English)", "Sector", "Fiscal year", "Actual start", "Actual end",
               "Budget (riel)", "Expenditure (riel)", "Number of bidders", "EIA required", "Commune code",
               "Longitude", "Latitude", "Remarks"]
XLSX_ROWS = [
    XLSX_HEADER,
    ["OC-2016-010501-001", "Laterite road", "rural_road", 2016, datetime.datetime(2016, 3, 15),
     datetime.date(2016, 7, 20), 48000000.0, 45500000, 3.0, False, 10501, None, None, "checked"],
    [],
    ["OC-2016-010902-002", "Pump well", "well", 2016.0, datetime.datetime(2016, 4, 1, 8, 30), None, 6500000.5,
     None, 2, True, None, 102.6051, 13.4823, None],
]
XLSX_RECORDS = [
    {"line": 2, "project_id": "OC-2016-010501-001", "title_en": "Laterite road", "sector": "rural_road",
     "fiscal_year": "2016", "actual_start": "2016-03-15", "actual_end": "2016-07-20", "budget": "48000000",
     "expenditure": "45500000", "number_of_bidders": "3", "eia_required": "no", "commune_code": "10501",
     "lon": None, "lat": None},
    {"line": 4, "project_id": "OC-2016-010902-002", "title_en": "Pump well", "sector": "well", "fiscal_year": "2016",
     "actual_start": "2016-04-01", "actual_end": None, "budget": "6500000.5", "expenditure": None,
     "number_of_bidders": "2", "eia_required": "yes", "commune_code": None, "lon": "102.6051", "lat": "13.4823"},
]


def test_xlsx_reads_the_projects_sheet_with_dates_and_numbers_as_text(tmp_path):
    path = _workbook(tmp_path / "projects.xlsx", {"Summary": [["Ou Chrov, 2016"]], "Projects": XLSX_ROWS})
    frame = read_template(path, MAX)
    assert records_of(frame) == XLSX_RECORDS
    assert frame.attrs["ignored_columns"] == ["Remarks"]


def test_xlsx_reads_the_first_sheet_or_the_sheet_asked_for(tmp_path):
    path = _workbook(tmp_path / "book.xlsx", {"2016": XLSX_ROWS, "Notes": [["nothing"]]})
    assert records_of(read_template(path, MAX)) == XLSX_RECORDS
    assert records_of(readers.read(path, "template", MAX, sheet="2016")) == XLSX_RECORDS
    with pytest.raises(SourceError) as error:
        read_template(path, MAX, sheet="2017")
    assert str(error.value) == f'{path}: no sheet named "2017"; the workbook has "2016", "Notes"'


def test_xlsx_empty_sheet_and_header_only(tmp_path):
    empty = _workbook(tmp_path / "empty.xlsx", {"projects": [[None], []]})
    with pytest.raises(SourceError) as error:
        read_template(empty, MAX)
    assert str(error.value) == f'{empty}: the sheet "projects" is empty'
    header_only = _workbook(tmp_path / "header.xlsx", {"projects": [XLSX_HEADER]})
    with pytest.raises(SourceError) as error:
        read_template(header_only, MAX)
    assert str(error.value) == f'{header_only}: the sheet "projects" has a header row but no data rows'


def test_a_file_that_is_not_xlsx(tmp_path):
    path = write(tmp_path, "fake.xlsx", "project_id,sector\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (f"{path}: not a readable XLSX workbook (File is not a zip file); "
                                "save it again from Excel as .xlsx")


# ---------------------------------------------------------------- files that cannot be read at all

def test_empty_and_blank_files(tmp_path):
    empty = write(tmp_path, "empty.csv", b"")
    with pytest.raises(SourceError) as error:
        read_template(empty, MAX)
    assert str(error.value) == f"{empty}: the file is empty"
    blank = write(tmp_path, "blank.csv", b"\xef\xbb\xbf\r\n ,, \r\n")
    with pytest.raises(SourceError) as error:
        read_template(blank, MAX)
    assert str(error.value) == f"{blank}: the file is empty"


def test_missing_file(tmp_path):
    with pytest.raises(SourceError) as error:
        read_template(tmp_path / "nowhere.csv", MAX)
    assert str(error.value) == f"{tmp_path / 'nowhere.csv'}: file not found"


@pytest.mark.parametrize("name, reader", [
    ("big.csv", read_template),
    ("big.json", oc4ids.read_oc4ids),
    ("big.xlsx", read_template),
    ("pid.csv", lambda path, max_bytes: pid_report.read_pid_report(path, max_bytes, 2016)),
])
def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch, name, reader):
    path = write(tmp_path, name, b"x" * 101)

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(pathlib.Path, "read_bytes", no_reading)
    monkeypatch.setattr(source_files.openpyxl, "load_workbook", no_reading)
    with pytest.raises(SourceError) as error:
        reader(path, 100)
    assert str(error.value) == f"{path}: 101 bytes is larger than MAPSERVICE_MAX_IMPORT_BYTES (100)"


def test_utf16_with_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "utf16.csv", "project_id,sector\nP-1,well\n".encode("utf-16"))
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (f"{path}: the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark); "
                                f"{SAVE_HINT}")


def test_utf16_without_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "utf16le.csv", "project_id,sector\nP-1,well\n".encode("utf-16-le"))
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == f"{path}: NUL byte at byte offset 1 (line 1); the file looks UTF-16 encoded; {SAVE_HINT}"


def test_cp1252_bytes(tmp_path):
    path = write(tmp_path, "cp1252.csv", b"project_id,title_en,sector,fiscal_year,commune_code\n"
                                         b"OC-1,Caf\xe9 road,rural_road,2016,010501\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (f"{path}: not UTF-8: byte 0xe9 at byte offset 60 (line 2) cannot be decoded "
                                f"(a legacy encoding such as Windows-1252?); {SAVE_HINT}")


def test_missing_required_columns_are_named_with_the_columns_found(tmp_path):
    path = write(tmp_path, "missing.csv", "Project ID,Title (English),Budget (riel),Notes\nP-1,Road,100,\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (
        f'{path}: missing column(s) sector ("Sector" or "វិស័យ"); fiscal_year ("Fiscal year" or "ឆ្នាំសារពើពន្ធ"); '
        'a location (commune_code, or lon and lat); the header has "Project ID", "Title (English)", '
        '"Budget (riel)", "Notes"')


def test_no_title_and_only_half_a_point(tmp_path):
    path = write(tmp_path, "half.csv", "project_id,sector,fiscal_year,lon\nP-1,well,2016,102.9\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == (f"{path}: missing column(s) a title (title_km or title_en); a location "
                                '(commune_code, or lon and lat); the header has "project_id", "sector", '
                                '"fiscal_year", "lon"')


def test_header_without_data_rows(tmp_path):
    path = write(tmp_path, "header.csv", "project_id,sector,fiscal_year,title_en,commune_code\n\n\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == f"{path}: the file has a header row but no data rows"


def test_unsupported_template_suffix(tmp_path):
    path = write(tmp_path, "projects.txt", "project_id\n")
    with pytest.raises(SourceError) as error:
        read_template(path, MAX)
    assert str(error.value) == f'{path}: unsupported file type ".txt"; the template is a .csv or .xlsx file'


# ---------------------------------------------------------------- OC4IDS

OC4IDS_RECORDS = [
    {"line": 1, "project_id": "2016-010501-003", "pid_reference": "2016-0105-01-003",
     "pid_url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=2016-0105-01-003",
     "title_km": "ផ្លូវក្រួសក្រហម ភូមិចង្ហា", "title_en": "Laterite road, Changha village", "contract_number": "012/16",
     "awarded_tenderer": "Sok Heng Construction", "eia_document_url": "https://example.org/eia/010501-003.pdf",
     "sector": "rural_road", "project_type": "construction", "status": "completion", "eia_status": "not_required",
     "fiscal_year": "2016", "currency": "KHR", "planned_start": "2016-03-01", "planned_end": "2016-06-30",
     "actual_start": "2016-03-15", "actual_end": "2016-07-20", "budget": "48000000", "contract_value": "45500000",
     "expenditure": "45500000", "cs_fund": "43000000", "local_contribution": "2500000", "number_of_bidders": "3",
     "eia_required": "no", "commune_code": "010501", "lon": "102.9512", "lat": "13.7432"},
    {"line": 2, "project_id": "2017-010902-001", "pid_reference": None,
     "pid_url": "http://db.ncdd.gov.kh/pid/reports/monitoring/project.castle?id=2017-0109-02-001",
     "title_km": None, "title_en": "Concrete bridge over O Malai", "contract_number": None,
     "awarded_tenderer": "Angkor Build Co.", "eia_document_url": None, "sector": "bridge",
     "project_type": "rehabilitation", "status": "implementation", "eia_status": "pending", "fiscal_year": "2017",
     "currency": "KHR", "planned_start": "2017-02-01", "planned_end": "2017-05-31", "actual_start": "2017-02-20",
     "actual_end": "2017-06-15", "budget": "120000000", "contract_value": "118000000", "expenditure": "119500000",
     "cs_fund": None, "local_contribution": None, "number_of_bidders": "4", "eia_required": "yes",
     "commune_code": None, "lon": "102.6051", "lat": "13.4823"},
    {"line": 3, "project_id": "2018-010502-007", "pid_reference": None, "pid_url": None, "title_km": None,
     "title_en": "Pump well, Koub village", "contract_number": None, "awarded_tenderer": None,
     "eia_document_url": None, "sector": "well", "project_type": "construction", "status": "preparation",
     "eia_status": None, "fiscal_year": "2018", "currency": None, "planned_start": "2018-04-01",
     "planned_end": "2018-05-31", "actual_start": None, "actual_end": None, "budget": None, "contract_value": None,
     "expenditure": None, "cs_fund": None, "local_contribution": None, "number_of_bidders": None,
     "eia_required": None, "commune_code": "KH010502", "lon": None, "lat": None},
]


def test_oc4ids_package_maps_every_field():
    """Project 1: every field; 2: fallbacks (no contract number without externalReference, PID-titled document, process finalValue, identificationPeriod);
    3: the process id and period.startDate."""
    frame = oc4ids.read_oc4ids(FIXTURES / "package.json", MAX)
    assert frame["line"].dtype == "int64"
    assert records_of(frame) == OC4IDS_RECORDS


def test_oc4ids_bare_list_and_single_project(tmp_path):
    project = {"id": "oc4ids-ab12cd-P-9", "title": "Well", "sector": ["waterAndWaste"],
               "environment": {"hasImpactAssessment": "unknown"}}
    as_list = write(tmp_path, "list.json", json.dumps([project, project]))
    single = write(tmp_path, "one.json", json.dumps(project))
    expected = {name: None for name in oc4ids.OUTPUT_COLUMNS}
    expected.update(project_id="P-9", title_en="Well", sector="well", eia_required="unknown")
    assert records_of(oc4ids.read_oc4ids(as_list, MAX)) == [{"line": 1, **expected}, {"line": 2, **expected}]
    assert records_of(oc4ids.read_oc4ids(single, MAX)) == [{"line": 1, **expected}]


OC4IDS_CODES = [  # (sector list, status) as OC4IDS gives them -> (our sector, our status)
    (["transport", "transport.road"], "maintenance", "rural_road", "completion"),
    (["education"], "completed", "school", "completion"),
    (["waterAndWaste"], "decommissioned", "well", "completion"),
    (["naturalResources.floodProtection", "naturalResources"], "cancelled", "drainage", "cancelled"),
    (["health"], "implementation", "health_post", "implementation"),
    (["rural_road"], "completion", "rural_road", "completion"),  # our own codes pass unchanged
]


@pytest.mark.parametrize("sector, status, our_sector, our_status", OC4IDS_CODES)
def test_oc4ids_codes_map_to_ours_by_the_documented_table(tmp_path, sector, status, our_sector, our_status):
    project = {"id": "P-1", "title": "Road", "sector": sector, "status": status,
               "budget": {"requestDate": "2016-01-01T00:00:00Z"},
               "locations": [{"gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}}]}
    frame = oc4ids.read_oc4ids(write(tmp_path, "p.json", json.dumps({"projects": [project]})), MAX)
    valid, rejected = validate_records(frame, BOOK)
    assert rejected == [] and valid[["sector", "status"]].values.tolist() == [[our_sector, our_status]]


def test_an_oc4ids_code_without_a_counterpart_is_refused_naming_it_and_the_table(tmp_path):
    project = {"id": "P-1", "title": "Solar farm", "sector": ["energy.solar", "energy"], "status": "paused",
               "budget": {"requestDate": "2016-01-01T00:00:00Z"},
               "locations": [{"gazetteer": {"scheme": "KH-NCDD", "identifiers": ["010501"]}}]}
    frame = oc4ids.read_oc4ids(write(tmp_path, "p.json", json.dumps({"projects": [project]})), MAX)
    valid, rejected = validate_records(frame, BOOK)
    assert valid.empty
    assert rejected == [
        {"line": 1, "project_id": "P-1", "column": "sector",
         "reason": 'sector was "energy.solar (OC4IDS projectSector code without a counterpart here; see the table '
                   'SECTORS_FROM_OC4IDS in docs/standards.md)"; expected one of rural_road, culvert, bridge, well, '
                   "irrigation, drainage, school, health_post, market, public_building"},
        {"line": 1, "project_id": "P-1", "column": "status",
         "reason": 'status was "paused (OC4IDS projectStatus code without a counterpart here; see the table '
                   'STATUSES_FROM_OC4IDS in docs/standards.md)"; expected one of identification, preparation, '
                   "implementation, completion, cancelled"}]


@pytest.mark.parametrize("content, message", [
    ('{"projects": [', "not valid JSON: Expecting value at line 1, column 15"),
    ('{"version": "0.9", "projects": []}', "the package has no projects"),
    ('{"version": "0.9", "projects": {"id": "P-1"}}', '"projects" is dict; expected a list of projects'),
    ('{"version": "0.9"}', 'not an OC4IDS project package; expected {"version": ..., "projects": [...]}, '
                           "a list of projects or one project object"),
    ("[]", "the package has no projects"),
    ('[{"id": "P-1"}, "P-2"]', "project 2 is str, not a JSON object"),
])
def test_oc4ids_errors(tmp_path, content, message):
    path = write(tmp_path, "package.json", content)
    with pytest.raises(SourceError) as error:
        oc4ids.read_oc4ids(path, MAX)
    assert str(error.value) == f"{path}: {message}"


def test_oc4ids_must_be_utf8(tmp_path):
    path = write(tmp_path, "package.json", '{"projects": [{"id": "P-1"}]}'.encode("utf-16"))
    with pytest.raises(SourceError) as error:
        oc4ids.read_oc4ids(path, MAX)
    assert str(error.value).startswith(f"{path}: the file is UTF-16 encoded")


# ---------------------------------------------------------------- PID report

PID_RECORDS = [
    {"line": 3, "project_id": "PID-2016-010501-001", "pid_reference": None,
     "title_en": "Laterite road (Changha)", "contract_number": "012/16", "awarded_tenderer": "Sok Heng Construction",
     "sector": "rural_road", "project_type": "construction", "status": "completion", "funding_source": "cs_fund",
     "fiscal_year": "2016", "planned_start": "2016-03-01", "planned_end": "2016-06-30",
     "actual_start": "2016-03-15", "actual_end": "2016-07-20", "budget": "45500000", "contract_value": "45500000",
     "cs_fund": "43000000", "local_contribution": "2500000", "number_of_bidders": "3", "commune_code": "010501"},
    {"line": 4, "project_id": "PID-2016-010501-002", "pid_reference": None,
     "title_en": "Box culvert repair (Ta Pong)", "contract_number": "013/16",
     "awarded_tenderer": "Sok Heng Construction", "sector": "culvert", "project_type": "rehabilitation",
     "status": "implementation", "funding_source": "cs_fund", "fiscal_year": "2016", "planned_start": "2016-03-01",
     "planned_end": "2016-05-31", "actual_start": "2016-04-02", "actual_end": None, "budget": "9800000",
     "contract_value": "9800000", "cs_fund": "9300000", "local_contribution": "500000", "number_of_bidders": "2",
     "commune_code": "010501"},
    # line 5 is blank; line 6 is the commune row "Koub", resolved by its Latin name
    {"line": 7, "project_id": "PID-2016-010502-001", "pid_reference": None,
     "title_en": "Pump well (Koub)", "contract_number": None, "awarded_tenderer": None, "sector": "well",
     "project_type": "construction", "status": "implementation", "funding_source": "cs_fund", "fiscal_year": "2016",
     "planned_start": None, "planned_end": "2016-06-30", "actual_start": None, "actual_end": None,
     "budget": "6200000", "contract_value": "6200000", "cs_fund": "6200000", "local_contribution": "0",
     "number_of_bidders": None, "commune_code": "010502"},
    # line 8 is the commune row "ម៉ាឡៃ", resolved by its Khmer name
    {"line": 9, "project_id": "PID-2016-010902-001", "pid_reference": None,
     "title_en": "Concrete bridge", "contract_number": "004/16", "awarded_tenderer": "Angkor Build Co.",
     "sector": "bridge", "project_type": "construction", "status": "completion", "funding_source": "cs_fund",
     "fiscal_year": "2016", "planned_start": "2016-02-15", "planned_end": "2016-05-31",
     "actual_start": "2016-02-20", "actual_end": "2016-06-15", "budget": "118000000", "contract_value": "118000000",
     "cs_fund": "110000000", "local_contribution": "8000000", "number_of_bidders": "4", "commune_code": "010902"},
    # line 10 returns to 010501: its numbering goes on
    {"line": 11, "project_id": "PID-2016-010501-003", "pid_reference": None,
     "title_en": "Primary school building (Changha)", "contract_number": "015/16",
     "awarded_tenderer": "Phnom Meas Trading", "sector": "school", "project_type": "construction",
     "status": "implementation", "funding_source": "cs_fund", "fiscal_year": "2016", "planned_start": None,
     "planned_end": "2016-08-31", "actual_start": "2016-04-01", "actual_end": None, "budget": "85000000",
     "contract_value": "85000000", "cs_fund": "80000000", "local_contribution": "5000000",
     "number_of_bidders": "3", "commune_code": "010501"},
]


def test_pid_report_commune_rows_and_outputs():
    frame = pid_report.read_pid_report(FIXTURES / "pid_report.csv", MAX, **PID_CONTEXT)
    assert records_of(frame) == PID_RECORDS
    assert frame.attrs["ignored_columns"] == ["depr"]


PID_NAMES = ("area_name,description,total_value\n"
             ',Laterite road,"1,000,000 R"\n'
             "Samraong,,\n,Pump well,2000000\n"
             "សំរោង,,\n,Culvert,3000000\n"
             "Nowhere,,\n,Bridge,4000000\n"
             "KH010502 Koub,,\n,School,5000000\n"
             "០១០៥០១,,\n,Market,6000000\n")


@pytest.mark.parametrize("province, samraong", [("01", "010505"), (None, "Samraong")])
def test_pid_commune_names_are_resolved_within_the_province(tmp_path, province, samraong):
    """Without a province, "Samraong" names two communes and stays as written; with it, it is 010505."""
    frame = pid_report.read_pid_report(write(tmp_path, "names.csv", PID_NAMES), MAX, "2016", province, GAZETTEER)
    khmer_samraong = samraong if province else "សំរោង"
    assert frame[["line", "project_id", "commune_code", "title_en", "sector"]].to_dict("records") == [
        {"line": 2, "project_id": "PID-2016-nocommune-001", "commune_code": None, "title_en": "Laterite road",
         "sector": "rural_road"},
        {"line": 4, "project_id": f"PID-2016-{samraong}-001", "commune_code": samraong, "title_en": "Pump well",
         "sector": "well"},
        {"line": 6, "project_id": f"PID-2016-{khmer_samraong}-{'002' if province else '001'}",
         "commune_code": khmer_samraong, "title_en": "Culvert", "sector": "culvert"},
        {"line": 8, "project_id": "PID-2016-Nowhere-001", "commune_code": "Nowhere", "title_en": "Bridge",
         "sector": "bridge"},
        {"line": 10, "project_id": "PID-2016-010502-001", "commune_code": "010502", "title_en": "School",
         "sector": "school"},
        {"line": 12, "project_id": "PID-2016-010501-001", "commune_code": "010501", "title_en": "Market",
         "sector": "market"},
    ]


def test_pid_rows_without_a_commune_are_rejected_by_validation(tmp_path):
    frame = pid_report.read_pid_report(write(tmp_path, "names.csv", PID_NAMES), MAX, 2016, "01", GAZETTEER)
    valid, rejected = validate_records(frame, BOOK)
    assert list(valid["line"]) == [4, 6, 10, 12]
    assert rejected == [
        {"line": 2, "project_id": "PID-2016-nocommune-001", "column": "commune_code",
         "reason": "no location: give commune_code or lon and lat"},
        {"line": 8, "project_id": "PID-2016-Nowhere-001", "column": "commune_code",
         "reason": 'commune_code was "Nowhere"; expected a 6-digit NCDD code such as 010201 (or KH010201)'},
    ]


@pytest.mark.parametrize("description, sector, project_type", [
    ("Laterite road", "rural_road", "construction"),
    ("Asphalt roads with culverts", "rural_road", "construction"),
    ("Box culvert", "culvert", "construction"),
    ("Repair of wooden bridge", "bridge", "rehabilitation"),
    ("Water drainage", "drainage", "construction"),
    ("Irrigation canal rehabilitation", "irrigation", "rehabilitation"),
    ("Pump well", "well", "construction"),
    ("Community pond", "well", "construction"),
    ("Primary school building", "school", "construction"),
    ("Market shelter", "market", "construction"),
    ("Health centre fence", "health_post", "construction"),
    ("Commune hall", "public_building", "construction"),
    ("Dwelling for teachers", "Dwelling for teachers", "construction"),
])
def test_pid_sector_and_type_from_the_description(description, sector, project_type):
    assert pid_report.infer_sector(description) == sector
    assert pid_report.infer_project_type(description) == project_type


@pytest.mark.parametrize("function, text, expected", [
    (pid_report.pid_status, "100 %", "completion"),
    (pid_report.pid_status, "100%", "completion"),
    (pid_report.pid_status, "85.5 %", "implementation"),
    (pid_report.pid_status, "0 %", "implementation"),
    (pid_report.pid_status, "stopped", "stopped"),
    (pid_report.pid_date, "15/03/2016", "2016-03-15"),
    (pid_report.pid_date, "2-4-2016", "2016-04-02"),
    (pid_report.pid_date, "៣១/០៥/២០១៦", "2016-05-31"),
    (pid_report.pid_date, "31/02/2016", "31/02/2016"),
    (pid_report.pid_date, "March 2016", "March 2016"),
    (pid_report.money, "12,345,000 R", "12345000"),
    (pid_report.money, "12 345 000 KHR", "12345000"),
    (pid_report.money, "0 R", "0"),
    (pid_report.money, "n/a", "n/a"),
])
def test_pid_value_conversions(function, text, expected):
    assert function(text) == expected


def test_pid_report_needs_a_year(tmp_path):
    path = FIXTURES / "pid_report.csv"
    for read in (lambda: pid_report.read_pid_report(path, MAX), lambda: readers.read(path, "pid", MAX)):
        with pytest.raises(SourceError) as error:
            read()
        assert str(error.value) == (f"{path}: the PID report layout needs --year (the fiscal year the report "
                                    "covers, e.g. --year 2016)")


def test_pid_report_missing_columns(tmp_path):
    path = write(tmp_path, "pid.csv", "area_name,vill_name,description,status\n010501,,,\n,V,Road,100 %\n")
    with pytest.raises(SourceError) as error:
        pid_report.read_pid_report(path, MAX, 2016)
    assert str(error.value) == (f'{path}: missing column(s) total_value; the header has "area_name", "vill_name", '
                                '"description", "status"')


def test_pid_report_with_commune_rows_only(tmp_path):
    path = write(tmp_path, "pid.csv", "area_name,description,total_value\n010501 Changha,,\n010502 Koub,,\n")
    with pytest.raises(SourceError) as error:
        pid_report.read_pid_report(path, MAX, 2016)
    assert str(error.value) == (f"{path}: no output rows; expected rows with a blank area_name below a commune row")


# ---------------------------------------------------------------- the registry

@pytest.mark.parametrize("name, expected", [
    ("template_en.csv", "template"),
    ("template_km.csv", "template"),
    ("package.json", "oc4ids"),
    ("pid_report.csv", "pid"),
])
def test_detect_format_of_the_fixtures(name, expected):
    assert readers.detect_format(FIXTURES / name) == expected


def test_detect_format_from_suffix_and_header(tmp_path):
    assert readers.detect_format(tmp_path / "projects.XLSX") == "template"
    assert readers.detect_format(tmp_path / "missing.json") == "oc4ids"
    assert readers.detect_format(tmp_path / "missing.csv") == "template"  # the reader will say it is missing
    pid = write(tmp_path, "pid.csv", b"\xef\xbb\xbf\n Area_Name ;Vill_Name;Description;total_value\n")
    assert readers.detect_format(pid) == "pid"
    with pytest.raises(SourceError) as error:
        readers.detect_format(tmp_path / "projects.ods")
    assert str(error.value) == (f'{tmp_path / "projects.ods"}: cannot tell the format of a ".ods" file; expected '
                                ".csv, .xlsx or .json, or name the format: template, oc4ids, pid")


def test_formats_registry():
    assert list(readers.FORMATS) == ["template", "oc4ids", "pid"]
    assert [entry.reader for entry in readers.FORMATS.values()] == [
        read_template, oc4ids.read_oc4ids, pid_report.read_pid_report]
    assert all(entry.description for entry in readers.FORMATS.values())


def test_read_passes_the_pid_context_to_the_pid_reader_only():
    template_frame = readers.read(FIXTURES / "template_en.csv", "template", MAX, **PID_CONTEXT)
    assert records_of(template_frame) == TEMPLATE_RECORDS
    assert records_of(readers.read(FIXTURES / "package.json", "oc4ids", MAX, **PID_CONTEXT)) == OC4IDS_RECORDS
    assert records_of(readers.read(str(FIXTURES / "pid_report.csv"), "pid", MAX, **PID_CONTEXT)) == PID_RECORDS


def test_read_refuses_an_unknown_format():
    with pytest.raises(SourceError) as error:
        readers.read(FIXTURES / "package.json", "geojson", MAX)
    assert str(error.value) == (f'{FIXTURES / "package.json"}: unknown format "geojson"; '
                                "expected one of template, oc4ids, pid")


# ---------------------------------------------------------------- what the readers give, the validator accepts

@pytest.mark.parametrize("name, context", [
    ("template_en.csv", {}),
    ("template_km.csv", {}),
    ("package.json", {}),
    ("pid_report.csv", PID_CONTEXT),
])
def test_every_fixture_row_is_valid(name, context):
    path = FIXTURES / name
    frame = readers.read(path, readers.detect_format(path), MAX, **context)
    valid, rejected = validate_records(frame, BOOK)
    assert rejected == []
    assert list(valid["line"]) == list(frame["line"])


def test_every_xlsx_row_is_valid(tmp_path):
    frame = read_template(_workbook(tmp_path / "projects.xlsx", {"projects": XLSX_ROWS}), MAX)
    valid, rejected = validate_records(frame, BOOK)
    assert rejected == []
    assert list(valid["commune_code"]) == ["010501", None]


def test_the_template_examples_make_a_valid_record():
    example = pd.DataFrame([{"line": 2, **{name: column.example for name, column in COLUMNS.items()}}])
    valid, rejected = validate_records(example, BOOK)
    assert rejected == []
    assert len(valid) == 1


# ---------------------------------------------------------------- the documentation

def test_every_template_column_is_documented_with_both_labels():
    rows = set(DOC.read_text(encoding="utf-8").splitlines())
    for name, column in COLUMNS.items():
        row = (f"| `{name}` | {column.en} | {column.km} | {column.required} | {column.description} | "
               f"`{column.example}` |")
        assert row in rows, f"docs/project-template.md lacks the row of {name}: {row}"


def test_every_vocabulary_code_is_documented():
    from mapservice.store import vocabulary

    text = DOC.read_text(encoding="utf-8")
    for choices in (vocabulary.SECTORS, vocabulary.PROJECT_TYPES, vocabulary.STATUSES, vocabulary.EIA_STATUSES,
                    vocabulary.FUNDING_SOURCES):
        for code, labels in choices.items():
            assert f"| `{code}` | {labels[0]} | {labels[1]} |" in text
