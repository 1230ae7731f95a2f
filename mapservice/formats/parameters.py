"""The query parameters of the service as OpenAPI parameter objects: the filters, paging, level and language
that the views declare (``web.openapi.documented``) and that OGC API's own document lists."""
from mapservice.store import vocabulary

YEARS = "a year (2016) or a range (2014-2019)"


def query_parameter(name, description, schema=None, example=None, required=False):
    parameter = {"name": name, "in": "query", "required": required, "description": description,
                 "schema": schema or {"type": "string"}}
    if example is not None:
        parameter["example"] = example
    return parameter


def _choices(name, choices, what):
    return query_parameter(name, f"{what}: one or more of {', '.join(choices)}, comma-separated", example=next(iter(choices)))


FILTERS = [
    query_parameter("year", f"Fiscal year: {YEARS}", example="2016"),
    query_parameter("province", "Province codes (2 digits, comma-separated)", example="01"),
    query_parameter("district", "District codes (4 digits)", example="0105"),
    query_parameter("commune", "Commune codes (6 digits)", example="010501"),
    _choices("sector", vocabulary.SECTORS, "Sector"),
    _choices("status", vocabulary.STATUSES, "Status (OC4IDS projectStatus)"),
    query_parameter("eia_required", "Environmental Impact Assessment required: yes or no", {"type": "string", "enum": ["yes", "no"]}),
    _choices("eia_status", vocabulary.EIA_STATUSES, "EIA status"),
    _choices("funding_source", vocabulary.FUNDING_SOURCES, "Funding source"),
    query_parameter("q", "Words that must all appear in the Khmer or English title (or the project id)", example="road"),
]
PAGING = [
    query_parameter("limit", "Projects per page (1-1000, default 100)", {"type": "integer", "minimum": 1, "maximum": 1000}),
    query_parameter("offset", "Projects to skip (default 0)", {"type": "integer", "minimum": 0}),
    query_parameter("sort", "Sort key, - for descending: project_id, fiscal_year, budget, contract_value, expenditure, "
                   "title_en, actual_end", example="-expenditure"),
]
LEVEL = query_parameter("level", "Admin level", {"type": "string", "enum": ["province", "district", "commune"]}, "province")
LANG = query_parameter("lang", "Language of headers and labels", {"type": "string", "enum": ["km", "en"]}, "km")
