"""One type per field everywhere: each project download (CSV, XLSX, GeoJSON, GeoPackage) and the OGC API items,
read through GDAL as a GIS user reads them, give every field the same type (dates as Date, money as whole
numbers, booleans as booleans), field by field, under the same field codes."""
import sqlite3

import pandas as pd
import pyogrio
import pytest

from mapservice.formats import downloads
from mapservice.ingest.pipelines import import_records
from mapservice.read.projects import RECORD_FIELDS
from tests.test_ogc import ROWS, run, server  # noqa: F401 (fixtures)

FIELDS = [f for f in RECORD_FIELDS if f not in ("lon", "lat")]
CSV_OPTIONS = ["-oo", "AUTODETECT_TYPE=YES", "-oo", "QUOTED_FIELDS_AS_STRING=YES", "-oo", "EMPTY_STRING_AS_NULL=YES"]
MONEY = ("budget", "contract_value", "expenditure", "cs_fund", "local_contribution")
# GDAL's names -> one kind: Integer and Integer64 are both whole numbers (GDAL picks by the values' size)
KINDS = {"Integer": "whole", "Integer64": "whole", "Real": "real", "String": "text", "Date": "date",
         "Integer(Boolean)": "boolean", "Integer64(Boolean)": "boolean"}


@pytest.fixture
def loaded(db):
    """The OGC test's projects and one in US dollars (so the original amount, currency and rate are filled)."""
    dollars = {**ROWS[1], "project_id": "USD-2017-006", "currency": "USD", "budget": "25000.50"}
    rows = [{"line": i + 2, **row} for i, row in enumerate([*ROWS, dollars])]
    # a rate with a fraction: a spreadsheet number is a double, and GDAL types a column of whole ones Integer
    config = {**db.config, "MAPSERVICE_EXCHANGE_RATES": "USD:2017=4051.5"}
    import_records(db.sessions, config, pd.DataFrame(rows), "types.csv", "template", "0" * 64)
    return db


def gdal_kinds(url_or_path, *options):
    """field -> kind of the first layer, as ogrinfo reports it."""
    info = run("ogrinfo", "-ro", "-so", *options, url_or_path, "projects")
    kinds = {}
    for line in info.splitlines():
        name, _, rest = line.partition(": ")
        if rest and "(" in rest and not line.startswith(" "):
            kinds[name] = KINDS.get(rest.split(" (")[0], rest)
    return kinds


def test_every_format_gives_every_field_the_same_type(server, tmp_path):
    site = server.removesuffix("/ogc")
    english = {downloads.COLUMNS[f].header_en: f for f in FIELDS}
    found = {}
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        path = tmp_path / f"projects.{fmt}"
        run("curl", "-sSf", "-o", str(path), f"{site}/api/v1/downloads/projects.{fmt}?lang=en")
        options = CSV_OPTIONS if fmt == "csv" else []
        kinds = gdal_kinds(str(path), *options)
        found[fmt] = {english.get(name, name): kind for name, kind in kinds.items()}
    found["ogc"] = gdal_kinds(f"OAPIF:{server}")
    expected = {f: "date" if f in ("planned_start", "planned_end", "actual_start", "actual_end")
                else "whole" if f in (*MONEY, "fiscal_year", "number_of_bidders")
                else "boolean" if f in ("eia_required", "is_sample")
                else "real" if f == "exchange_rate" else "text" for f in FIELDS}
    # CSV has no types: GDAL guesses (AUTODETECT_TYPE); the quoted text cells keep the zero-padded codes ("01",
    # "010501") text with QUOTED_FIELDS_AS_STRING, as docs/standards.md tells QGIS and GDAL users
    exceptions = {}
    mismatches = {fmt: {f: (kinds.get(f), exceptions.get(fmt, {}).get(f, expected[f])) for f in FIELDS
                        if kinds.get(f) != exceptions.get(fmt, {}).get(f, expected[f])}
                  for fmt, kinds in found.items()}
    assert mismatches == {fmt: {} for fmt in found}
    # the GeoPackage declares the dates DATE (not DATETIME) and keeps their values
    path = tmp_path / "projects.gpkg"
    frame = pyogrio.read_dataframe(path, layer="projects")
    assert str(frame.loc[frame["project_id"] == "BMC-2016-001", "actual_end"].iloc[0])[:10] == "2016-07-20"
    with sqlite3.connect(path) as conn:
        declared = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(projects)")}
    assert [declared[f] for f in ("planned_start", "actual_end", "budget", "fiscal_year")] == [
        "DATE", "DATE", "INTEGER", "INTEGER"]


def test_dataset_csv_keeps_codes_as_text(server, tmp_path):
    """A province-by-year dataset read by GDAL: the province code text, the count a whole number."""
    site = server.removesuffix("/ogc")
    path = tmp_path / "dataset.csv"
    run("curl", "-sSf", "-o", str(path), f"{site}/api/v1/datasets/projects-by-province-2016.csv")
    info = run("ogrinfo", "-ro", "-al", *CSV_OPTIONS, str(path))
    assert "province_code: String" in info and "project_count: Integer" in info
    assert "province_code (String) = 01" in info
    text = path.read_bytes().decode("utf-8-sig").splitlines()
    assert text[0].startswith('"province_code","province_name_km"') and text[1].startswith('"01","បន្ទាយមានជ័យ"')
