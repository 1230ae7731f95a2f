"""The OpenAPI 3 document, built from the routes themselves: a view declares its summary and parameters
with ``@documented``; ``build_openapi`` walks the app's URL map. A route without a declaration is an error
(tests/test_openapi.py), so the document cannot drift from the code."""
import re

from mapservice.formats.parameters import FILTERS, LANG, PAGING, code_parameter, year_values
from mapservice.read.filters import CODE_LENGTH as CODE_DIGITS, UnknownParameter, check_single_values

ERROR = {"description": "The request is not valid, or the resource does not exist",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}
TOO_MANY = ERROR | {"description": "Too many requests from this client (the public front's limits)",
                    "headers": RETRY_AFTER}
ERROR_MEANINGS = {409: "The draft is stale (the published data changed since it was checked) or already published "
                       "or discarded, or another import is running", 413: "The file is larger than the upload limit"}
UNAVAILABLE = ERROR | {"description": "The database is unreachable or the service is busy: try again later",
                       "headers": RETRY_AFTER}


def documented(summary, parameters=(), filters=False, paging=False, media_types=("application/json",), tags=("api",),
               without=(), path=None, bearer=False, request_body=None, status=200, errors=()):
    """Declare a view's OpenAPI operation (summary, parameters, response media types); ``without`` names shared
    filters the view does not take (check_query then refuses them); ``path`` the schema of each path parameter
    (default: any text). The admin API's views: ``bearer`` (Authorization: Bearer, 401/403 documented),
    ``request_body`` (an OpenAPI requestBody), ``status`` of success, ``errors`` more error statuses (409, 413)."""
    def wrap(view):
        shared = [p for p in FILTERS if p["name"] not in without] if filters else []
        view.openapi = {
            "summary": summary, "description": (view.__doc__ or "").strip(), "tags": list(tags),
            "parameters": shared + (PAGING if paging else []) + list(parameters),
            "media_types": list(media_types), "path": dict(path or {}), "bearer": bearer,
            "request_body": request_body, "status": status, "errors": list(errors),
        }
        return view
    return wrap


def check_query(view, args):
    """Refuse a query parameter that a documented view does not declare (a typo such as ``yeer=2016`` would
    otherwise be ignored and answer with everything), naming it and the parameters the endpoint takes."""
    spec = getattr(view, "openapi", None)
    if spec is None:
        return
    allowed = [p["name"] for p in spec["parameters"]] + [LANG["name"]] * (LANG not in spec["parameters"])
    for name in args:
        if name not in allowed:
            raise UnknownParameter(name, allowed)
    # twice or blank (`sector=%20` is not "all sectors"): 400; a required one blank gets the view's own message
    required = {p["name"] for p in spec["parameters"] if p.get("required")}
    check_single_values(args, [name for name in args if name not in required])
    check_single_values(args, [name for name in args if name in required], blank_ok=True)


def with_stored_values(parameter, area_codes, years):
    """A shared parameter with what the server checks it against: the stored area codes, the configured years."""
    if parameter["name"] in CODE_DIGITS and area_codes:
        level = parameter["name"]
        codes = [code for code in area_codes if len(code) == CODE_DIGITS[level]]
        return code_parameter(level, CODE_DIGITS[level], parameter.get("example"), codes)
    if parameter["name"] == "year" and years:
        return parameter | {"schema": {"type": "string", "enum": year_values(*years)}}
    return parameter


def build_openapi(app, server_url, area_codes=None, years=None):
    """The OpenAPI 3.0 document of every documented route (``area_codes``, ``years``: the values the server
    accepts, so that every request valid by the document is one the server takes)."""
    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec = getattr(app.view_functions[rule.endpoint], "openapi", None)
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        if spec is None or not methods:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        path_parameters = [{"name": name, "in": "path", "required": True,
                            "schema": spec["path"].get(name, {"type": "string"})}
                           for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule.rule)]  # in path order
        operation = {
            "operationId": rule.endpoint.replace(".", "_"), "summary": spec["summary"],
            "description": spec["description"], "tags": spec["tags"],
            "parameters": path_parameters + [with_stored_values(p, area_codes, years) for p in spec["parameters"]],
            "responses": {str(spec.get("status", 200)): {"description": "OK",
                                                         "content": {m: {} for m in spec["media_types"]}},
                          "400": ERROR, "404": ERROR, "429": TOO_MANY, "503": UNAVAILABLE},
        }
        if methods[0] == "GET":
            operation["responses"]["304"] = {"description": "Not modified (the ETag given in If-None-Match still holds)"}
        if spec.get("bearer"):
            operation["security"] = [{"bearer": []}]
            operation["responses"] |= {"401": ERROR | {"description": "No valid token (Authorization: Bearer)"},
                                       "403": ERROR | {"description": "Out of the token user's role or areas "
                                                                      "(the message names the areas)"}}
        for status in spec.get("errors", ()):
            operation["responses"][str(status)] = ERROR | {"description": ERROR_MEANINGS[status]}
        if spec.get("request_body"):
            operation["requestBody"] = spec["request_body"]
        paths.setdefault(path, {})[methods[0].lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Cambodia sub-national infrastructure projects", "version": "1.0.0",
                 "description": "Projects 2014-2019 joined to provinces, districts and communes; layers, "
                                "statistics, downloads. Khmer and English.",
                 "license": {"name": "Code: MIT; data: see /about"}},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["ok", "error", "status"],
            "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"},
                           "status": {"type": "integer"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API token of an admin or editor (`mapservice users "
                                                          "token NAME`), for /api/v1/admin/*"}}},
    }
