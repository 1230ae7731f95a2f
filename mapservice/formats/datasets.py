"""The 12 datasets Open Development Cambodia publishes: the number of projects and the actual expenditure per
province, one dataset per fiscal year 2014-2019, with bilingual metadata, in CSV, XLSX and JSON. No Flask.

The figures come from the per-area statistics (``area_statistic`` at province level), which the import builds
from the projects: a project counts in the province of the commune that holds its money (the stated commune
when the point disagrees), and a project without a recorded expenditure counts as one project and 0 riel.
"""
import json
import re

import sqlalchemy as sa

from mapservice.formats import downloads
from mapservice.formats.downloads import LANGUAGES, SAMPLE_NOTICE, Column
from mapservice.store.models import AdminArea, AreaStatistic, Project

MEASURES = {"projects": "project_count", "expenditure": "expenditure_riel"}
STATISTIC = {"project_count": AreaStatistic.project_count, "expenditure_riel": AreaStatistic.expenditure}
ID_PATTERN = re.compile(r"(projects|expenditure)-by-province-(\d{4})")
TITLES = {
    "projects": {"km": "ចំនួនគម្រោងតាមខេត្ត ឆ្នាំ {year}", "en": "Number of projects by province, {year}"},
    "expenditure": {"km": "ការចំណាយជាក់ស្តែងតាមខេត្ត ឆ្នាំ {year}", "en": "Actual expenditure by province, {year}"},
}
DESCRIPTIONS = {
    "projects": {
        "km": "ចំនួនគម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ក្នុងឆ្នាំសារពើពន្ធ {year} សម្រាប់ខេត្តទាំង {provinces} "
              "(0 ប្រសិនបើគ្មាន)។ គម្រោងនីមួយៗត្រូវបានរាប់នៅក្នុងខេត្តនៃឃុំដែលទទួលថវិកា (ឃុំដែលបានបញ្ជាក់)។",
        "en": "Number of sub-national infrastructure projects in fiscal year {year} for each of the {provinces} "
              "provinces (0 where none). A project counts in the province of the commune that holds its money "
              "(the stated commune).",
    },
    "expenditure": {
        "km": "ការចំណាយជាក់ស្តែង (រៀល) នៃគម្រោងហេដ្ឋារចនាសម្ព័ន្ធថ្នាក់ក្រោមជាតិ ក្នុងឆ្នាំសារពើពន្ធ {year} សម្រាប់ខេត្តទាំង "
              "{provinces} (0 ប្រសិនបើគ្មាន)។ គម្រោងដែលគ្មានកំណត់ត្រាការចំណាយ ត្រូវរាប់ 0 រៀល។ "
              "ថវិកាត្រូវបានរាប់នៅក្នុងខេត្តនៃឃុំដែលបានបញ្ជាក់។",
        "en": "Actual expenditure in riel of sub-national infrastructure projects in fiscal year {year} for each of "
              "the {provinces} provinces (0 where none). A project without a recorded expenditure counts as 0 riel. "
              "The money counts in the province of the stated commune.",
    },
}
DERIVED = {"km": "គណនាដោយសេវានេះ ពីស្ថិតិតាមតំបន់ (area_statistic) នៃ",
           "en": "Computed by this service from the per-area statistics (area_statistic) of the "}
COLUMNS = {
    **{field: downloads.COLUMNS[field] for field in ("province_code", "province_name_km", "province_name_en")},
    "project_count": Column("ចំនួនគម្រោង", "Number of projects", "ចំនួនគម្រោងក្នុងខេត្ត ក្នុងឆ្នាំនេះ",
                            "Number of projects in the province in this year"),
    "expenditure_riel": Column("ការចំណាយជាក់ស្តែង (រៀល)", "Actual expenditure (riel)",
                               "ផលបូកការចំណាយជាក់ស្តែង គិតជារៀល (ទទេ = 0)",
                               "Sum of the actual expenditure, in riel (not recorded = 0)"),
}
FORMAT_MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": downloads.XLSX_MIMETYPE, "json": "application/json"}


def dataset_ids(first_year, last_year):
    """The stable ids of the 12 datasets, projects first, by year."""
    return [f"{kind}-by-province-{year}" for kind in MEASURES for year in range(first_year, last_year + 1)]


def parse_id(dataset_id, first_year, last_year):
    """(kind, year) of a dataset id, or None when no such dataset exists."""
    match = ID_PATTERN.fullmatch(dataset_id)
    if not match or not first_year <= int(match.group(2)) <= last_year:
        return None
    return match.group(1), int(match.group(2))


def load_context(session):
    """What every dataset's metadata needs from the store: provinces, years with sample data, source files."""
    return {
        "provinces": session.scalar(sa.select(sa.func.count()).where(AdminArea.level == "province")),
        "sample_years": set(session.scalars(sa.select(Project.fiscal_year).where(Project.is_sample.is_(True))
                                            .distinct())),
        "sources": downloads.load_sources(session),
    }


def metadata(kind, year, context, data_version, base_url):
    """Bilingual metadata of one dataset: titles, description, licence, source, version, coverage, columns, links."""
    dataset_id, sample = f"{kind}-by-province-{year}", year in context["sample_years"]
    values = {"year": year, "provinces": context["provinces"]}
    prefix = {lang: f"{SAMPLE_NOTICE[lang]} · " if sample else "" for lang in LANGUAGES}
    return {
        "id": dataset_id, "kind": kind, "year": year, "sample": sample,
        "title": {lang: prefix[lang] + TITLES[kind][lang].format(**values) for lang in LANGUAGES},
        "description": {lang: prefix[lang] + DESCRIPTIONS[kind][lang].format(**values) for lang in LANGUAGES},
        "licence": downloads.LICENCE,
        "source": {lang: DERIVED[lang] + downloads.SOURCE[lang][0].lower() + downloads.SOURCE[lang][1:]
                   for lang in LANGUAGES} | {"files": context["sources"]},
        "version": data_version,
        "temporal_coverage": {"year": year, "start": f"{year}-01-01", "end": f"{year}-12-31"},
        "spatial_coverage": {"country": "KH", "provinces": context["provinces"],
                             "km": f"កម្ពុជា (ខេត្ត {context['provinces']})",
                             "en": f"Cambodia ({context['provinces']} provinces)"},
        "columns": [{"name": name, "type": "integer" if name == MEASURES[kind] else "string",
                     "title": {"km": column.header_km, "en": column.header_en},
                     "description": {"km": column.description_km, "en": column.description_en}}
                    for name, column in COLUMNS.items() if name in ("province_code", "province_name_km",
                                                                     "province_name_en", MEASURES[kind])],
        "links": {fmt: f"{base_url}/{dataset_id}.{fmt}" for fmt in FORMATS} | {"metadata": f"{base_url}/{dataset_id}"},
    }


def province_rows(session, kind, year):
    """Every stored province (by code) with its count or expenditure in ``year``; zero where there is none."""
    measure = MEASURES[kind]
    totals = (sa.select(AreaStatistic.area_code, sa.func.sum(STATISTIC[measure]).label("total"))
              .where(AreaStatistic.level == "province", AreaStatistic.fiscal_year == year)
              .group_by(AreaStatistic.area_code).subquery())
    query = (sa.select(AdminArea.code, AdminArea.name_km, AdminArea.name_en, totals.c.total)
             .outerjoin(totals, totals.c.area_code == AdminArea.code)
             .where(AdminArea.level == "province").order_by(AdminArea.code))
    keys = ("province_code", "province_name_km", "province_name_en", measure)
    # PostgreSQL sums a bigint into a numeric (a Decimal): the figures are whole numbers, so int
    return [dict(zip(keys, (code, km, en, int(total or 0)))) for code, km, en, total in session.execute(query)]


def write_csv(meta, rows):
    """The rows under a header of column codes, UTF-8 with a BOM."""
    names = [column["name"] for column in meta["columns"]]
    return downloads.csv_bytes(names, ([row[name] for name in names] for row in rows))


def about_rows(meta):
    """The metadata as (item, Khmer, English) rows, then one row per column."""
    files = "; ".join(f'{s["file"]} ({s["format"]}, {s["imported_at"]})' for s in meta["source"]["files"]) or "—"
    licence = f'{meta["licence"]["title"]} {meta["licence"]["url"]}'
    rows = [["id", meta["id"], meta["id"]]]
    if meta["sample"]:
        rows.append(["notice", SAMPLE_NOTICE["km"], SAMPLE_NOTICE["en"]])
    rows += [[key, meta[key]["km"], meta[key]["en"]] for key in ("title", "description", "source")]
    rows += [["source_files", files, files], ["licence", licence, licence], ["version", meta["version"], meta["version"]],
             ["temporal_coverage", meta["year"], meta["year"]],
             ["spatial_coverage", meta["spatial_coverage"]["km"], meta["spatial_coverage"]["en"]]]
    for column in meta["columns"]:
        rows.append([f"column: {column['name']}", f"{column['title']['km']}: {column['description']['km']}",
                     f"{column['title']['en']}: {column['description']['en']}"])
    return rows


def write_xlsx(meta, rows):
    """Sheets "data" (column codes as headers, numbers as numbers) and "about" (the metadata, in both languages)."""
    book = downloads.new_workbook(meta, "en")
    names = [column["name"] for column in meta["columns"]]
    downloads.xlsx_sheet(book, "data", names, ([row[name] for name in names] for row in rows), {3: "#,##0"},
                         widths=[14, 24, 24, 20])
    downloads.xlsx_sheet(book, "about", ["item", "km", "en"], about_rows(meta), widths=[22, 80, 80])
    return downloads.xlsx_bytes(book)


def write_json(meta, rows):
    """{"metadata": {...}, "rows": [...]}."""
    return json.dumps({"metadata": meta, "rows": rows}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


FORMATS = {"csv": (write_csv, FORMAT_MIMETYPES["csv"], "csv"), "xlsx": (write_xlsx, FORMAT_MIMETYPES["xlsx"], "xlsx"),
           "json": (write_json, FORMAT_MIMETYPES["json"], "json")}
