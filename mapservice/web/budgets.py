"""Budgets in the API: /api/v1/budgets (JSON, CSV, XLSX; the year and area filters, level) and the Fiscal Data
Package that describes the CSV. Three hops: parse -> read/budgets.py -> formats/budgets.py."""
from flask import Blueprint, Response, current_app, g, request

from mapservice.formats import budgets as budget_files
from mapservice.formats import downloads
from mapservice.formats.catalogue import package_version
from mapservice.formats.parameters import FILTERS, LANG, query_parameter
from mapservice.read import budgets
from mapservice.read.filters import FilterError
from mapservice.web.api import close_session, filters_from_request, open_session, request_language
from mapservice.web.downloads import attachment
from mapservice.web.http_cache import cached_body
from mapservice.web.openapi import documented

blueprint = Blueprint("budgets", __name__, url_prefix="/api/v1")
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)
FORMAT = query_parameter("format", "json (default), csv (UTF-8 with BOM, headers in the language) or xlsx",
                         {"type": "string", "enum": ["json", "csv", "xlsx"]})
LEVEL = query_parameter("level", "Only districts' or only communes' budgets (default: both)",
                        {"type": "string", "enum": ["district", "commune"]})
NOT_BUDGET_FILTERS = tuple(p["name"] for p in FILTERS if p["name"] not in budgets.FILTERS)
CSV = "text/csv; charset=utf-8"


@blueprint.after_request
def vary_on_language(response):
    """Without ?lang= the CSV and XLSX headers follow Accept-Language."""
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/budgets")
@documented("District and commune budgets: revenue by source, expenditure by line, approved and actual",
            parameters=[LEVEL, FORMAT, LANG], filters=True, without=NOT_BUDGET_FILTERS,
            media_types=["application/json", "text/csv", downloads.XLSX_MIMETYPE], tags=["budgets"])
def list_budgets():
    """Every budget line of the areas and years asked for (an area filter holds its communes), all formats."""
    filters, level = filters_from_request(), budgets.parse_budget_level(request.args.get("level"))
    fmt, lang = (request.args.get("format") or "json").strip(), request_language()
    if fmt not in ("json", "csv", "xlsx"):
        raise FilterError("format", fmt, "json, csv or xlsx")
    key = (g.snapshot.version, "budgets", fmt, lang if fmt != "json" else None, level,
           tuple(sorted(filters.as_params().items())))
    records = []  # read only on a cache miss

    def render():
        records.extend(budgets.list_budgets(g.session, filters, level))
        if fmt == "json":
            return current_app.json.dumps(budget_files.budget_body(records, filters, level, g.snapshot.version)).encode()
        sample = any(record["is_sample"] for record in records)
        return (budget_files.write_budget_csv(records, lang) if fmt == "csv"
                else budget_files.write_budget_xlsx(records, lang, sample))

    body, etag = cached_body(g.snapshot.responses, key, render)
    if fmt == "json":
        response = Response(body, mimetype="application/json")
    else:
        name = downloads.file_name("budgets", filters.as_params() | ({"level": level} if level else {}),
                                   g.snapshot.sample, fmt, lang)
        response = attachment(body, CSV if fmt == "csv" else downloads.XLSX_MIMETYPE, name)
    response.set_etag(etag)
    return response


@blueprint.get("/budgets/fiscal-data-package.json")
@documented("Fiscal Data Package (Frictionless) of the budgets", tags=["budgets", "standards"])
def fiscal_data_package():
    """The budgets CSV described as a Fiscal Data Package (model: measures and dimensions), for OpenSpending."""
    csv_url = f"{request.url_root.rstrip('/')}/api/v1/budgets?format=csv&lang=en"
    return budget_files.fiscal_data_package(csv_url, g.snapshot.sample, package_version(g.snapshot.version))
