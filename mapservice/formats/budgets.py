"""Budget files: the bilingual column dictionary, CSV (one writer, every text cell neutralised against formulas),
XLSX, JSON, the Fiscal Data Package (Frictionless, read by OpenSpending-style tools) and the budgets' entry in the
Data Package and DCAT catalogue. No Flask."""
from collections import namedtuple

from mapservice.formats import downloads
from mapservice.read.budgets import RECORD_FIELDS

Field = namedtuple("Field", "header_en header_km description kind column_type")
# column_type: the Fiscal Data Package's columnType of the field (fiscal.datapackage.org)
FIELDS = {
    "area_code": Field("Area code", "លេខកូដតំបន់", "NCDD 2014 code of the district (4 digits) or commune (6 digits)",
                       "string", "administrative-classification:generic:level2:code:part"),
    "level": Field("Level", "កម្រិត", "district or commune", "string", "administrative-classification:generic:level1:code"),
    "name_km": Field("Area (Khmer)", "តំបន់ (ខ្មែរ)", "Khmer name of the area", "string",
                     "administrative-classification:generic:level2:label"),
    "name_en": Field("Area (English)", "តំបន់ (អង់គ្លេស)", "Latin name of the area", "string", None),
    "fiscal_year": Field("Fiscal year", "ឆ្នាំសារពើពន្ធ", "Fiscal (calendar) year", "integer", "date:fiscal-year"),
    "kind": Field("Kind", "ប្រភេទ", "revenue or expenditure", "string", "direction"),
    "line": Field("Line code", "លេខកូដមុខ", "Revenue source or expenditure line (docs/budget-template.md)", "string",
                  "economic-classification:generic:level1:code"),
    "line_name_en": Field("Line (English)", "មុខ (អង់គ្លេស)", "English label of the source or line", "string",
                          "economic-classification:generic:level1:label"),
    "line_name_km": Field("Line (Khmer)", "មុខ (ខ្មែរ)", "Khmer label of the source or line", "string", None),
    "approved": Field("Approved (riel)", "ថវិកាអនុម័ត (រៀល)", "Amount of the approved (planned) budget, riel",
                      "integer", "value"),
    "actual": Field("Actual (riel)", "ជាក់ស្តែង (រៀល)", "Amount actually received or spent, riel (empty: not closed)",
                    "integer", "value"),
    "is_sample": Field("Sample data", "ទិន្នន័យគំរូ", "true when the line is generated SAMPLE data, not a real budget",
                       "boolean", None),
}
assert list(FIELDS) == RECORD_FIELDS
TITLE = {"km": "ថវិការបស់ស្រុក និងឃុំ ២០១៤-២០១៩ (ចំណូលតាមប្រភព ចំណាយតាមមុខ)",
         "en": "District and commune budgets 2014-2019 (revenue by source, expenditure by line)"}
DESCRIPTION = {"km": "ថវិកាអនុម័ត និងជាក់ស្តែង (រៀល) របស់ស្រុក និងឃុំនីមួយៗ តាមឆ្នាំ",
               "en": "Approved and actual amounts (riel) of every district's and commune's budget, per fiscal year."}
MEDIA_TYPES = {"csv": "text/csv", "xlsx": downloads.XLSX_MIMETYPE, "json": "application/json"}


def header(field, lang):
    return FIELDS[field].header_km if lang == "km" else FIELDS[field].header_en


def write_budget_csv(records, lang):
    """The one CSV writer of budgets: header row in ``lang``, one row per line, codes as stored (every cell
    neutralised against formulas by ``downloads.csv_bytes``, as in every CSV of the service)."""
    rows = ([downloads.csv_value(record[field]) for field in RECORD_FIELDS] for record in records)
    return downloads.csv_bytes([header(field, lang) for field in RECORD_FIELDS], rows)


def write_budget_xlsx(records, lang, sample):
    """Sheets "budgets" (amounts as numbers) and "data dictionary"."""
    title = {language: (f"{downloads.SAMPLE_NOTICE[language]} · " if sample else "") + TITLE[language]
             for language in downloads.LANGUAGES}
    book = downloads.new_workbook({"title": title}, lang)
    formats = {RECORD_FIELDS.index("approved"): "#,##0", RECORD_FIELDS.index("actual"): "#,##0"}
    rows = ([record[field] for field in RECORD_FIELDS] for record in records)
    downloads.xlsx_sheet(book, "budgets", [header(field, lang) for field in RECORD_FIELDS], rows, formats)
    dictionary = [[name, f.header_km, f.header_en, f.description] for name, f in FIELDS.items()]
    downloads.xlsx_sheet(book, "data dictionary", ["column", "header_km", "header_en", "description"], dictionary,
                         widths=[16, 24, 24, 70])
    return downloads.xlsx_bytes(book)


def budget_body(records, filters, level, data_version):
    """The JSON answer: the lines, their count, the filters, the data version, the SAMPLE notice when due."""
    sample = any(record["is_sample"] for record in records)
    return {"filters": filters.as_params() | ({"level": level} if level else {}), "count": len(records),
            "data_version": data_version, "notice": downloads.SAMPLE_NOTICE if sample else None, "budgets": records}


def _fields():
    """Table Schema fields named by the English headers (the CSV with ``lang=en``), each with its code."""
    fields = []
    for name in RECORD_FIELDS:
        spec = FIELDS[name]
        field = {"name": spec.header_en, "code": name, "type": spec.kind, "description": spec.description}
        if spec.column_type:
            field["columnType"] = spec.column_type
        field["constraints"] = {"minimum": 0} if name in ("approved", "actual") else {"required": True}
        fields.append(field)
    return fields


def _source(name):
    return {"source": FIELDS[name].header_en}


def budget_resource(csv_url, sample):
    """The budgets CSV with English headers (``csv_url``) as a tabular data resource."""
    title = (f"{downloads.SAMPLE_NOTICE['en']} · " if sample else "") + TITLE["en"]
    key = [FIELDS[name].header_en for name in ("area_code", "fiscal_year", "kind", "line")]
    return {"name": "budgets", "title": title, "description": DESCRIPTION["en"], "path": csv_url, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8-sig", "profile": "tabular-data-resource",
            "schema": {"fields": _fields(), "primaryKey": key}}


def fiscal_data_package(csv_url, sample, version):
    """A Fiscal Data Package: the budgets resource and its model (measures: approved and actual in KHR;
    dimensions: area, year, direction, line), also as columnType on each field (FDP 1.0)."""
    title = (f"{downloads.SAMPLE_NOTICE['en']} · " if sample else "") + TITLE["en"]

    def dimension(kind, key, attributes, classification=None):
        return {"dimensionType": kind, **({"classificationType": classification} if classification else {}),
                "primaryKey": [key], "attributes": {name: _source(name) for name in attributes}}

    return {
        "name": "cambodia-subnational-budgets", "title": title, "description": DESCRIPTION["en"],
        "profile": "tabular-data-package", "version": version, "countryCode": "KH",
        "licenses": [{"name": downloads.LICENCE["id"], "title": downloads.LICENCE["title"],
                      "path": downloads.LICENCE["url"]}],
        "keywords": ["Cambodia", "sub-national", "budget", "fiscal data", "district", "commune"],
        "resources": [budget_resource(csv_url, sample)],
        "model": {
            "measures": {name: _source(name) | {"currency": "KHR", "resource": "budgets"}
                         for name in ("approved", "actual")},
            "dimensions": {
                "area": dimension("classification", "area_code", ["area_code", "level", "name_km", "name_en"],
                                  "administrative"),
                "date": dimension("datetime", "fiscal_year", ["fiscal_year"]),
                "direction": dimension("classification", "kind", ["kind"]),
                "line": dimension("classification", "line", ["line", "line_name_en", "line_name_km"], "economic"),
            },
        },
    }


def dcat_dataset(base_url, sample, marked):
    """What the DCAT catalogue says of the budgets beyond the shared parts: id, titles, distributions.
    ``marked(texts, sample)`` puts the SAMPLE notice in front (catalogue.marked)."""
    url = f"{base_url}/api/v1/budgets"
    distributions = [(f"{url}?format={fmt}", fmt, f"budgets.{fmt}") for fmt in MEDIA_TYPES]
    distributions.append((f"{url}/fiscal-data-package.json", "json", "Fiscal Data Package"))
    return {"identifier": "budgets", "url": url, "title": marked(TITLE, sample),
            "description": marked(DESCRIPTION, sample), "distributions": distributions}
