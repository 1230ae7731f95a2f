"""Project downloads: the column dictionary (a Khmer and English header and description for every field of the
public record) and ONE format table, ``FORMATS``, of writers that turn records into CSV, XLSX, GeoJSON or
GeoPackage bytes. No Flask: the web view only picks the writer.

Field codes (``province_code``, ``sector``...) and code values (``010501``, ``rural_road``) are never translated;
only the header labels are. The language changes the CSV header row and the XLSX headers and about sheet; GeoJSON
and GeoPackage carry the field codes as property and column names in any language (both languages of every label
are in the GeoPackage's ``data_dictionary`` table).

CSV cells that a spreadsheet would run as a formula (text starting with =, +, -, @, tab or CR) get a leading "'"
(``formats/csv_cells.py``, OWASP's rule; numbers stay numbers); in XLSX such text is written as a text cell,
never as a formula.
"""
import io
import json
import tempfile
from collections import namedtuple
from datetime import date, datetime, timezone
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from mapservice.formats.csv_cells import csv_writer
from mapservice.read import projects
from mapservice.read.projects import RECORD_FIELDS
from mapservice.store import vocabulary
from mapservice.store.models import ImportBatch, Project

Column = namedtuple("Column", "header_km header_en description_km description_en")


def _codes(table):
    return ", ".join(table)


# One entry per field of projects.RECORD_FIELDS, in that order (tests/test_downloads.py checks it).
COLUMNS = {
    "project_id": Column("លេខសម្គាល់គម្រោង", "Project ID",
                         "លេខសម្គាល់សាធារណៈរបស់គម្រោង ដែលមិនផ្លាស់ប្តូរ (លេខយោង PID ប្រសិនបើដឹង)",
                         "Stable public identifier of the project (the PID reference where known)"),
    "pid_reference": Column("លេខយោង PID", "PID reference",
                            "លេខយោងគម្រោងក្នុងមូលដ្ឋានទិន្នន័យអនុវត្តគម្រោង (PID) របស់ គ.ជ.អ.ប",
                            "Reference of the project in NCDD's Project Implementation Database (PID)"),
    "pid_url": Column("កំណត់ត្រា PID", "PID record", "តំណទៅកំណត់ត្រាគម្រោងក្នុង PID",
                      "Link to the project's record in the PID"),
    "title_km": Column("ចំណងជើង (ខ្មែរ)", "Title (Khmer)", "ចំណងជើងគម្រោងជាភាសាខ្មែរ", "Title of the project in Khmer"),
    "title_en": Column("ចំណងជើង (អង់គ្លេស)", "Title (English)", "ចំណងជើងគម្រោងជាភាសាអង់គ្លេស",
                       "Title of the project in English"),
    "sector": Column("វិស័យ", "Sector", f"លេខកូដវិស័យ៖ {_codes(vocabulary.SECTORS)}",
                     f"Sector code: {_codes(vocabulary.SECTORS)}"),
    "project_type": Column("ប្រភេទការងារ", "Type of work",
                           f"លេខកូដប្រភេទគម្រោង OC4IDS (projectType)៖ {_codes(vocabulary.PROJECT_TYPES)}",
                           f"OC4IDS projectType code: {_codes(vocabulary.PROJECT_TYPES)}"),
    "status": Column("ស្ថានភាព", "Status", f"លេខកូដស្ថានភាព OC4IDS (projectStatus)៖ {_codes(vocabulary.STATUSES)}",
                     f"OC4IDS projectStatus code: {_codes(vocabulary.STATUSES)}"),
    "fiscal_year": Column("ឆ្នាំសារពើពន្ធ", "Fiscal year", "ឆ្នាំសារពើពន្ធនៃថវិកា (នៅកម្ពុជា ស្មើនឹងឆ្នាំប្រតិទិន)",
                          "Fiscal year of the budget (in Cambodia, the calendar year)"),
    "funding_source": Column("ប្រភពមូលនិធិ", "Funding source",
                             f"លេខកូដប្រភពមូលនិធិ៖ {_codes(vocabulary.FUNDING_SOURCES)}",
                             f"Funding source code: {_codes(vocabulary.FUNDING_SOURCES)}"),
    "planned_start": Column("ថ្ងៃចាប់ផ្តើមគ្រោងទុក", "Planned start", "កាលបរិច្ឆេទចាប់ផ្តើមតាមផែនការ",
                            "Planned start date"),
    "planned_end": Column("ថ្ងៃបញ្ចប់គ្រោងទុក", "Planned end", "កាលបរិច្ឆេទបញ្ចប់តាមផែនការ", "Planned end date"),
    "actual_start": Column("ថ្ងៃចាប់ផ្តើមជាក់ស្តែង", "Actual start", "កាលបរិច្ឆេទចាប់ផ្តើមការងារជាក់ស្តែង",
                           "Date the works actually started"),
    "actual_end": Column("ថ្ងៃបញ្ចប់ជាក់ស្តែង", "Actual end", "កាលបរិច្ឆេទបញ្ចប់ការងារជាក់ស្តែង",
                         "Date the works actually ended"),
    "currency": Column("រូបិយប័ណ្ណ", "Currency", "រូបិយប័ណ្ណនៃចំនួនទឹកប្រាក់ទាំងអស់៖ KHR (រៀល)",
                       "Currency of every amount: KHR (riel)"),
    "budget": Column("ថវិកា (រៀល)", "Budget (riel)", "ថវិកាគ្រោងទុក គិតជារៀល", "Planned budget, in riel"),
    "contract_value": Column("តម្លៃកិច្ចសន្យា (រៀល)", "Contract value (riel)", "តម្លៃកិច្ចសន្យាដែលបានចុះហត្ថលេខា គិតជារៀល",
                             "Value of the signed contract, in riel"),
    "expenditure": Column("ការចំណាយជាក់ស្តែង (រៀល)", "Actual expenditure (riel)",
                          "ការចំណាយជាក់ស្តែង គិតជារៀល (ទទេ ប្រសិនបើគ្មានកំណត់ត្រា)",
                          "Actual expenditure, in riel (empty when not recorded)"),
    "cs_fund": Column("មូលនិធិឃុំសង្កាត់ (រៀល)", "Commune/Sangkat Fund (riel)", "ផ្នែកនៃថវិកាពីមូលនិធិឃុំសង្កាត់ គិតជារៀល",
                      "Part of the budget from the Commune/Sangkat Fund, in riel"),
    "local_contribution": Column("វិភាគទានមូលដ្ឋាន (រៀល)", "Local contribution (riel)",
                                 "វិភាគទានរបស់សហគមន៍មូលដ្ឋាន គិតជារៀល", "Contribution of the local community, in riel"),
    "original_currency": Column("រូបិយប័ណ្ណដើម", "Original currency",
                                "រូបិយប័ណ្ណដែលប្រភពបានផ្តល់ចំនួនទឹកប្រាក់ (ទទេ = រៀល)",
                                "Currency the source gave the amounts in (empty = riel)"),
    "exchange_rate": Column("អត្រាប្តូរប្រាក់", "Exchange rate",
                            "រៀលក្នុងមួយឯកតានៃរូបិយប័ណ្ណដើម តាមឆ្នាំសារពើពន្ធ",
                            "Riel per unit of the original currency, of the fiscal year"),
    "original_amounts": Column("ចំនួនទឹកប្រាក់ដើម", "Original amounts",
                               "ចំនួនទឹកប្រាក់ដូចដែលប្រភពបានផ្តល់ ជារូបិយប័ណ្ណដើម (JSON)",
                               "The amounts as the source gave them, in the original currency (JSON)"),
    "contract_number": Column("លេខកិច្ចសន្យា", "Contract number", "លេខកិច្ចសន្យាសាងសង់", "Number of the works contract"),
    "awarded_tenderer": Column("អ្នកឈ្នះការដេញថ្លៃ", "Awarded tenderer", "ក្រុមហ៊ុនដែលឈ្នះកិច្ចសន្យា",
                               "Company that won the contract"),
    "number_of_bidders": Column("ចំនួនអ្នកដេញថ្លៃ", "Number of bidders", "ចំនួនអ្នកដាក់ការដេញថ្លៃ",
                                "Number of companies that bid"),
    "eia_required": Column("តម្រូវឱ្យធ្វើ EIA", "EIA required",
                           "តម្រូវឱ្យធ្វើការវាយតម្លៃហេតុប៉ះពាល់បរិស្ថាន (EIA) ឬទេ (true/false)",
                           "Whether an Environmental Impact Assessment (EIA) is required (true/false)"),
    "eia_status": Column("ស្ថានភាព EIA", "EIA status", f"លេខកូដស្ថានភាព EIA៖ {_codes(vocabulary.EIA_STATUSES)}",
                         f"EIA status code: {_codes(vocabulary.EIA_STATUSES)}"),
    "eia_document_url": Column("ឯកសារ EIA", "EIA document", "តំណទៅឯកសារ EIA", "Link to the EIA document"),
    "province_code": Column("លេខកូដខេត្ត", "Province code", "លេខកូដខេត្ត គ.ជ.អ.ប (2 ខ្ទង់) នៃឃុំដែលមានគម្រោង",
                            "NCDD province code (2 digits) of the commune that holds the project"),
    "province_name_km": Column("ឈ្មោះខេត្ត (ខ្មែរ)", "Province name (Khmer)", "ឈ្មោះខេត្តជាអក្សរខ្មែរ",
                               "Province name in Khmer script"),
    "province_name_en": Column("ឈ្មោះខេត្ត (អង់គ្លេស)", "Province name (English)", "ឈ្មោះខេត្តជាអក្សរឡាតាំង",
                               "Province name in Latin script"),
    "district_code": Column("លេខកូដស្រុក", "District code", "លេខកូដស្រុក គ.ជ.អ.ប (4 ខ្ទង់)",
                            "NCDD district code (4 digits)"),
    "district_name_km": Column("ឈ្មោះស្រុក (ខ្មែរ)", "District name (Khmer)", "ឈ្មោះស្រុកជាអក្សរខ្មែរ",
                               "District name in Khmer script"),
    "district_name_en": Column("ឈ្មោះស្រុក (អង់គ្លេស)", "District name (English)", "ឈ្មោះស្រុកជាអក្សរឡាតាំង",
                               "District name in Latin script"),
    "commune_code": Column("លេខកូដឃុំ", "Commune code",
                           "លេខកូដឃុំ គ.ជ.អ.ប ឆ្នាំ 2014 (6 ខ្ទង់) ដែលទទួលថវិកា (ឃុំដែលបានបញ្ជាក់ ប្រសិនបើមាន)",
                           "NCDD 2014 commune code (6 digits) that holds the money (the stated commune when given)"),
    "commune_name_km": Column("ឈ្មោះឃុំ (ខ្មែរ)", "Commune name (Khmer)", "ឈ្មោះឃុំជាអក្សរខ្មែរ",
                              "Commune name in Khmer script"),
    "commune_name_en": Column("ឈ្មោះឃុំ (អង់គ្លេស)", "Commune name (English)", "ឈ្មោះឃុំជាអក្សរឡាតាំង",
                              "Commune name in Latin script"),
    "village_code": Column("លេខកូដភូមិ", "Village code", "លេខកូដភូមិ គ.ជ.អ.ប (8 ខ្ទង់)", "NCDD village code (8 digits)"),
    "stated_code": Column("លេខកូដដូចដែលបានផ្ដល់", "Code as given", "លេខកូដឃុំដូចក្នុងឯកសារប្រភព (ប្តូរទៅលេខកូដ 2014)",
                          "Commune code as given in the source file (mapped to its 2014 code)"),
    "join_status": Column("ការផ្ទៀងផ្ទាត់ទីតាំង", "Location check",
                          "agree, conflict (ចំណុចនៅក្រៅឃុំដែលបានបញ្ជាក់ ឃុំនោះនៅតែទទួលថវិកា), code_only, point_only, unmatched",
                          "agree, conflict (the point is outside the stated commune, which keeps the money), "
                          "code_only, point_only, unmatched"),
    "location_precision": Column("ភាពជាក់លាក់នៃទីតាំង", "Location precision",
                                 "exact (ចំណុចរបស់អ្នកផ្សព្វផ្សាយ) ឬ commune (ចំណុចតំណាងនៃឃុំ)",
                                 "exact (the publisher's point) or commune (the commune's representative point)"),
    "quality_flags": Column("សញ្ញាព្រមានគុណភាពទិន្នន័យ", "Data-quality flags",
                            "សញ្ញាព្រមានភាពសមហេតុផល បំបែកដោយសញ្ញាក្បៀស (រក្សាទុក ប៉ុន្តែគួរពិនិត្យ)",
                            "Plausibility flags, comma-separated (kept, but worth checking)"),
    "lon": Column("រយៈបណ្តោយ", "Longitude", "រយៈបណ្តោយ WGS 84 (EPSG:4326) ទសភាគ 6 ខ្ទង់",
                  "Longitude, WGS 84 (EPSG:4326), 6 decimals"),
    "lat": Column("រយៈទទឹង", "Latitude", "រយៈទទឹង WGS 84 (EPSG:4326) ទសភាគ 6 ខ្ទង់",
                  "Latitude, WGS 84 (EPSG:4326), 6 decimals"),
    "is_sample": Column("ទិន្នន័យគំរូ", "Sample data", "true ប្រសិនបើគម្រោងជាទិន្នន័យគំរូដែលបង្កើតឡើង មិនមែនជាកំណត់ត្រាពិត",
                        "true when the project is generated SAMPLE data, not a real record"),
}

LANGUAGES = ("km", "en")
TITLE = {"km": "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ កម្ពុជា 2014–2019",
         "en": "Sub-national infrastructure projects, Cambodia 2014–2019"}
SAMPLE_NOTICE = {"km": "ទិន្នន័យគំរូ (SAMPLE DATA)៖ ទិន្នន័យបង្កើតឡើង មិនមែនជាកំណត់ត្រាគម្រោងពិតទេ",
                 "en": "SAMPLE DATA: generated data, not real project records"}
SOURCE = {"km": "កំណត់ត្រាគម្រោងរបស់ឃុំ និងស្រុក (គំរូតារាងគម្រោង របាយការណ៍ PID របស់ គ.ជ.អ.ប ឬកញ្ចប់ OC4IDS) "
                "ដែលបាននាំចូលសេវានេះ ហើយភ្ជាប់ទៅព្រំដែនឃុំ គ.ជ.អ.ប ឆ្នាំ 2014",
          "en": "Project records of the communes and districts (project template, NCDD PID reports or OC4IDS "
                "packages) loaded into this service and joined to the NCDD 2014 commune boundaries"}
LICENCE = {"id": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
           "url": "https://creativecommons.org/licenses/by/4.0/"}
ABOUT_LABELS = {
    "notice": ("សេចក្ដីជូនដំណឹង", "Notice"), "title": ("ចំណងជើង", "Title"), "source": ("ប្រភព", "Source"),
    "source_files": ("ឯកសារប្រភព", "Source files"), "licence": ("អាជ្ញាបណ្ណ", "Licence"),
    "filters": ("តម្រង", "Filters"), "record_count": ("ចំនួនជួរ", "Rows"), "data_version": ("កំណែទិន្នន័យ", "Data version"),
    "generated_at": ("ពេលបង្កើតឯកសារ", "Generated"),
}
ABOUT_HEADER = {"km": ["ព័ត៌មាន", "តម្លៃ"], "en": ["Item", "Value"]}
NO_FILTERS = {"km": "គ្មាន (គម្រោងទាំងអស់)", "en": "none (all projects)"}
DICTIONARY_HEADER = ["column", "header_km", "header_en", "description_km", "description_en"]
BOM = "\ufeff"
BOLD = Font(bold=True)


def _kind(field):
    column = Project.__table__.columns.get(field)
    if column is None:
        return "text"  # the area names joined from admin_area
    python_type = column.type.python_type
    return {bool: "bool", int: "int", float: "float", date: "date"}.get(python_type, "text")


FIELD_KINDS = {field: _kind(field) for field in RECORD_FIELDS}
MONEY_FIELDS = ("budget", "contract_value", "expenditure", "cs_fund", "local_contribution")


def header(field, lang):
    """The header of a field in a language (``km`` or ``en``)."""
    column = COLUMNS[field]
    return column.header_km if lang == "km" else column.header_en


def data_dictionary_rows(fields=RECORD_FIELDS):
    """One row per field: code, headers and descriptions in both languages."""
    return [[field, *COLUMNS[field]] for field in fields]


def load_sources(session):
    """The import batches that still hold projects: file, format, time, sample flag, projects."""
    query = (sa.select(ImportBatch.source_file, ImportBatch.source_format, ImportBatch.imported_at,
                       ImportBatch.is_sample, sa.func.count(Project.project_id))
             .join(Project, Project.batch_id == ImportBatch.id)
             .group_by(ImportBatch.id, ImportBatch.source_file, ImportBatch.source_format, ImportBatch.imported_at,
                       ImportBatch.is_sample)
             .order_by(ImportBatch.id))
    keys = ("file", "format", "imported_at", "sample", "projects")
    return [dict(zip(keys, row)) | {"imported_at": row[2].isoformat(timespec="seconds")}
            for row in session.execute(query)]


def collect(session, filters, sort, data_version, now=None):
    """The records a download holds (the API's filters and sort, no paging) and its metadata."""
    records = projects.list_projects(session, filters, sort, limit=None)
    return records, build_meta(records, filters.as_params(), data_version, load_sources(session), now)


def build_meta(records, params, data_version, sources, now=None):
    """What a download says about itself: titles, source, licence, filters, data version, time, SAMPLE flag."""
    sample = any(record["is_sample"] for record in records)
    generated = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return {
        "title": {lang: (f"{SAMPLE_NOTICE[lang]} · " if sample else "") + TITLE[lang] for lang in LANGUAGES},
        "source": SOURCE, "source_files": sources, "licence": LICENCE, "filters": params,
        "record_count": len(records), "data_version": data_version,
        "generated_at": generated.isoformat().replace("+00:00", "Z"), "sample": sample,
        "notice": SAMPLE_NOTICE if sample else None,
    }


def _about_value(meta, key, lang):
    if key == "source_files":
        return "; ".join(f'{s["file"]} ({s["format"]}, {s["imported_at"]}, {s["projects"]})'
                         for s in meta["source_files"]) or "—"
    if key == "filters":
        return "; ".join(f"{k}={v}" for k, v in meta["filters"].items()) or NO_FILTERS[lang]
    if key == "licence":
        return f'{meta["licence"]["title"]} {meta["licence"]["url"]}'
    value = meta[key]
    return value[lang] if isinstance(value, dict) else value


def about_items(meta):
    """(item, value in Khmer, value in English) for each metadata item, the SAMPLE notice first when there is one."""
    keys = [key for key in ABOUT_LABELS if key != "notice" or meta["notice"]]
    return [(key, _about_value(meta, key, "km"), _about_value(meta, key, "en")) for key in keys]


def about_rows(meta, lang):
    """The metadata as (label, value) rows in one language."""
    index = LANGUAGES.index(lang)
    return [[ABOUT_LABELS[key][index], values[index]] for key, *values in about_items(meta)]


def csv_bytes(header_row, rows):
    """CSV in UTF-8 with a byte-order mark (so Excel reads Khmer), CRLF line ends, text cells quoted (so GDAL and
    QGIS keep codes such as 01 as text with QUOTED_FIELDS_AS_STRING=YES), numbers, dates and booleans bare."""
    out = io.StringIO()
    writer = csv_writer(out, quote_text=True)
    writer.writerow(header_row)
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")


def csv_value(value):
    """A cell for ``csv_bytes``: coordinates and rates to 6 decimals; None, booleans, dates and numbers as they are
    (the writer writes them bare: empty, true/false, ISO dates)."""
    return round(value, 6) if isinstance(value, float) else value


def write_csv(records, lang, meta=None):
    """One row per project; the header row in ``lang``, values as stored (codes never translated)."""
    rows = ([csv_value(record[field]) for field in RECORD_FIELDS] for record in records)
    return csv_bytes([header(field, lang) for field in RECORD_FIELDS], rows)


def xlsx_row(sheet, row, formats):
    """A row for a write-only sheet: plain values (the fast path) except formatted numbers and risky text."""
    values = list(row)
    for index, value in enumerate(values):
        if type(value) is str and (value[:1] == "=" or ILLEGAL_CHARACTERS_RE.search(value)):
            # text stays text: a title starting with "=" must not become a formula (no formula injection)
            values[index] = cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
    for index, number_format in formats.items():
        if values[index] is not None:
            values[index] = cell = WriteOnlyCell(sheet, values[index])
            cell.number_format = number_format
    return values


def xlsx_sheet(book, title, header_row, rows, formats=None, widths=None):
    """Append a sheet: a bold frozen header row, then typed rows (``formats``: column index -> number format)."""
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [18] * len(header_row)):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
    heading = []
    for label in header_row:
        cell = WriteOnlyCell(sheet, label)
        cell.font = BOLD
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append(xlsx_row(sheet, row, formats or {}))
    return sheet


def xlsx_bytes(book):
    """The saved workbook."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def new_workbook(meta, lang):
    """A write-only workbook titled in ``lang`` (write-only: rows stream to disk, memory stays flat)."""
    book = openpyxl.Workbook(write_only=True)
    book.properties.title = meta["title"][lang]
    book.properties.creator = "mapservice"
    return book


def write_xlsx(records, lang, meta):
    """Sheets "projects" (headers in ``lang``, numbers as numbers, dates as dates), "data dictionary", "about"."""
    book = new_workbook(meta, lang)
    formats = {i: "#,##0" for i, field in enumerate(RECORD_FIELDS) if field in MONEY_FIELDS}
    rows = ([record[field] for field in RECORD_FIELDS] for record in records)
    xlsx_sheet(book, "projects", [header(field, lang) for field in RECORD_FIELDS], rows, formats)
    xlsx_sheet(book, "data dictionary", DICTIONARY_HEADER, data_dictionary_rows(), widths=[20, 24, 24, 60, 60])
    xlsx_sheet(book, "about", ABOUT_HEADER[lang], about_rows(meta, lang), widths=[24, 100])
    return xlsx_bytes(book)


def geojson_metadata(meta):
    """The metadata a GeoJSON file carries as its foreign member "metadata"."""
    # no generated_at: the same data version and filters give the same bytes, so its ETag lets clients revalidate
    return {key: meta[key] for key in ("title", "source", "licence", "filters", "record_count", "data_version",
                                       "sample", "notice")}


def write_geojson(records, lang, meta):
    """RFC 7946 FeatureCollection: properties keyed by field code whatever ``lang`` is, [lon, lat] to 6 decimals,
    null geometry for unlocated projects, the metadata as a foreign member."""
    body = {"type": "FeatureCollection", "metadata": geojson_metadata(meta),
            "features": [projects.to_feature(record) for record in records]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _frame(records):
    fields = [f for f in RECORD_FIELDS if f not in ("lon", "lat")]
    frame = pd.DataFrame.from_records(records, columns=RECORD_FIELDS)
    for field in fields:
        kind = FIELD_KINDS[field]
        if kind == "int":
            frame[field] = frame[field].astype("Int64")
        elif kind == "bool":
            frame[field] = frame[field].astype("boolean")
        elif kind == "date":  # datetime.date objects: through Arrow (date32) pyogrio writes a GeoPackage DATE
            frame[field] = frame[field].astype(object).where(frame[field].notna(), None)
        else:
            frame[field] = frame[field].astype(object)
    points = [None if r["lon"] is None else shapely.Point(round(r["lon"], 6), round(r["lat"], 6)) for r in records]
    return gpd.GeoDataFrame(frame[fields], geometry=gpd.GeoSeries(points, crs=4326), crs=4326)


def write_gpkg(records, lang, meta):
    """GeoPackage: point layer "projects" (EPSG:4326, columns named by field code), tables "data_dictionary"
    and "about" (both languages); ``lang`` changes nothing."""
    description = " / ".join(meta["title"][code] for code in LANGUAGES)
    about = pd.DataFrame([(key, str(km), str(en)) for key, km, en in about_items(meta)],
                         columns=["item", "value_km", "value_en"])
    with tempfile.TemporaryDirectory(prefix="mapservice-gpkg-") as folder:
        path = Path(folder) / "projects.gpkg"
        pyogrio.write_dataframe(_frame(records), path, layer="projects", driver="GPKG", geometry_type="Point",
                                layer_options={"IDENTIFIER": "projects", "DESCRIPTION": description}, use_arrow=True)
        pyogrio.write_dataframe(pd.DataFrame(data_dictionary_rows(), columns=DICTIONARY_HEADER), path,
                                layer="data_dictionary", driver="GPKG")
        pyogrio.write_dataframe(about, path, layer="about", driver="GPKG")
        return path.read_bytes()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "csv": (write_csv, "text/csv; charset=utf-8", "csv"),
    "xlsx": (write_xlsx, XLSX_MIMETYPE, "xlsx"),
    "geojson": (write_geojson, "application/geo+json", "geojson"),
    "gpkg": (write_gpkg, "application/geopackage+sqlite3", "gpkg"),
}
LANGUAGE_DEPENDENT = ("csv", "xlsx")  # the other formats are the same bytes in both languages


def file_name(stem, params, sample, extension, lang=None):
    """An ASCII file name that says what the file holds: "projects_province-01_year-2016_sample_en.csv"."""
    parts = [stem] + [f"{key}-{value}" for key, value in sorted(params.items())]
    if sample:
        parts.append("sample")
    if lang:
        parts.append(lang)
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.+") else "-" for c in "_".join(parts).replace(",", "+"))
    return f"{safe[:150]}.{extension}"
