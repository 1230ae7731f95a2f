"""The query parameters of the service as OpenAPI parameter objects: the filters, paging, level and language
that the views declare (``web.openapi.documented``) and that OGC API's own document lists."""
from mapservice.read.filters import MAX_QUERY_LENGTH, YES_NO
from mapservice.read.projects import KEYSET_FROM, MAX_OFFSET, SORT_KEYS
from mapservice.store import vocabulary

YEARS = "a year (2016) or a range (2014-2019)"


def query_parameter(name, description, schema=None, example=None, required=False):
    parameter = {"name": name, "in": "query", "required": required, "description": description,
                 "schema": schema or {"type": "string"}}
    if example is not None:
        parameter["example"] = example
    return parameter


def comma_separated(items):
    """The schema of a comma-separated list (OpenAPI: style form, not exploded: ``sector=well,school``)."""
    return {"type": "array", "items": items, "minItems": 1}


def list_parameter(name, description, items, example):
    parameter = query_parameter(name, description, comma_separated(items), example)
    parameter.update(style="form", explode=False)
    return parameter


def _choices(name, choices, what):
    return list_parameter(name, f"{what}: one or more of {', '.join(choices)}, comma-separated",
                          {"type": "string", "enum": list(choices)}, next(iter(choices)))


def year_values(first, last):
    """Every value ``year`` takes: each year, and each range first-last with first < last."""
    return [str(y) for y in range(first, last + 1)] + [f"{a}-{b}" for a in range(first, last + 1)
                                                       for b in range(a + 1, last + 1)]


def code_parameter(level, digits, example, codes=None):
    """Area codes of a level; with ``codes`` (the stored ones) the schema lists them, as the server checks them."""
    items = {"type": "string", "enum": sorted(codes)} if codes else {"type": "string", "pattern": rf"^\d{{{digits}}}$"}
    return list_parameter(level, f"{level.title()} codes ({digits} digits, comma-separated; stored codes only)",
                          items, example)


FILTERS = [
    query_parameter("year", f"Fiscal year: {YEARS}", {"type": "string", "enum": year_values(2014, 2019)}, "2016"),
    code_parameter("province", 2, "01"),
    code_parameter("district", 4, "0105"),
    code_parameter("commune", 6, "010501"),
    _choices("sector", vocabulary.SECTORS, "Sector"),
    _choices("status", vocabulary.STATUSES, "Status (OC4IDS projectStatus)"),
    query_parameter("eia_required", "Environmental Impact Assessment required: yes or no (also true/false, 1/0)",
                    {"type": "string", "enum": list(YES_NO)}),
    _choices("eia_status", vocabulary.EIA_STATUSES, "EIA status"),
    _choices("funding_source", vocabulary.FUNDING_SOURCES, "Funding source"),
    query_parameter("q", "Words that must all appear in the Khmer or English title (or the project id); at most "
                    f"{MAX_QUERY_LENGTH} characters",
                    {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH, "pattern": r"\S"}, "road"),
]
PAGING = [
    query_parameter("limit", "Projects per page (1-1000, default 100)", {"type": "integer", "minimum": 1, "maximum": 1000}),
    query_parameter("offset", f"Projects to skip (default 0, at most {MAX_OFFSET:,})",
                    {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
    query_parameter("after", "Default sort only, without offset: the projects after this project_id (keyset paging; "
                    f"the next link carries it from offset {KEYSET_FROM:,} on, and such a page has no prev link)",
                    {"type": "string", "pattern": r"\S"}, "P-000100"),
    query_parameter("sort", "Sort key, - for descending: project_id, fiscal_year, budget, contract_value, expenditure, "
                    "title_en, actual_end", {"type": "string", "enum": [f"{sign}{key}" for key in SORT_KEYS
                                                                      for sign in ("", "-")]}, "project_id"),
]  # (sort's example is the default order: tools that send every example together also send after's)
LEVEL = query_parameter("level", "Admin level", {"type": "string", "enum": ["province", "district", "commune"]}, "province")
LANG = query_parameter("lang", "Language of headers and labels", {"type": "string", "enum": ["km", "en"]}, "km")
