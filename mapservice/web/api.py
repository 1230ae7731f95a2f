"""The public API under /api/v1: layers, projects, area statistics, places, locate. Views are three hops:
parse and validate parameters -> one query or layer -> render."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for

from layers import REGISTRY
from mapservice.formats import downloads
from mapservice.formats.parameters import LANG, LEVEL, query_parameter
from mapservice.read import areas as area_queries
from mapservice.read import projects, totals
from mapservice.read.filters import Filters, FilterError, parse_filters
from mapservice.store.db import release_session
from mapservice.store.models import LEVELS
from mapservice.store.spatial import locate_points
from mapservice.web import artefacts, i18n
from mapservice.web.http_cache import cached_body
from mapservice.web.openapi import documented

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
GEOJSON = "application/geo+json"
ZOOM = query_parameter("zoom", "Map zoom (0-20); project_points groups projects per district below 9, per commune below 12",
              {"type": "integer", "minimum": 0, "maximum": 20}, 7)
NUMBER = r"-?\d{1,3}(\.\d+)?"
BBOX = query_parameter("bbox", "project_points only: minlon,minlat,maxlon,maxlat (decimal degrees, min < max)",
                       {"type": "string", "pattern": rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"}, "102.6,13.4,103.0,13.8")
FORMAT = query_parameter("format", "json (default), geojson, or csv (UTF-8 with BOM, headers in the language)",
                         {"type": "string", "enum": ["json", "geojson", "csv"]})
CSV = "text/csv"
PLACE_QUERY = query_parameter("q", "A place name in Khmer or Latin script (spelling variants allowed), 1 to 100 "
                              "characters", {"type": "string", "maxLength": 100, "pattern": r"\S"}, "O Chrov",
                              required=True)
LON = query_parameter("lon", "Longitude (WGS 84)", {"type": "number", "minimum": -180, "maximum": 180}, 103.0177,
                      required=True)
LAT = query_parameter("lat", "Latitude (WGS 84)", {"type": "number", "minimum": -90, "maximum": 90}, 13.5104,
                      required=True)
AREA_CODE = {"type": "string", "pattern": r"^(KH)?(\d{2}|\d{4}|\d{6})$"}


@blueprint.before_request
def open_session():
    """The request's read session and the snapshot of the data version its first statement reads. A pooled
    connection the server has closed since (a restart) fails that statement: SQLAlchemy then drops every connection
    of the pool made before, and the request tries once more on a new one (the read engine pings none before use)."""
    g.session = current_app.extensions["read_session_factory"]()
    try:
        g.snapshot = current_app.extensions["data_state"].current(g.session)
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        release_session(g.session)
        g.session = current_app.extensions["read_session_factory"]()
        g.snapshot = current_app.extensions["data_state"].current(g.session)


@blueprint.teardown_request
def close_session(_exc):
    session = g.pop("session", None)
    if session is not None:
        release_session(session)  # also when the database went away mid-request


def years():
    """The first and last fiscal year of the data (MAPSERVICE_FIRST_YEAR, MAPSERVICE_LAST_YEAR)."""
    return current_app.config["MAPSERVICE_FIRST_YEAR"], current_app.config["MAPSERVICE_LAST_YEAR"]


def filters_from_request():
    return parse_filters(request.args, g.snapshot.area_codes, *years())


def request_language():
    """The language of headers in files: ?lang= (km or en, else 400), then Accept-Language."""
    i18n.check_language(request.args)
    return i18n.select_language(request.args, request.accept_languages)


def parse_level(default="province", allowed=LEVELS):
    level = (request.args.get("level") or default).strip()
    if level not in allowed:
        raise FilterError("level", level, f"one of {', '.join(allowed)}")
    return level


@blueprint.get("/")
@documented("API index")
def index():
    """Links to every part of the API."""
    return jsonify({"title": "Cambodia sub-national infrastructure projects API", "version": "1",
                    "data_version": g.snapshot.version,
                    "links": {name: url_for(f"api.{name}", _external=True) for name in
                              ("layers", "list_projects", "places", "locate", "statistics")}})


@blueprint.get("/layers")
@documented("List the map layers")
def layers():
    """Every layer with its titles, legend title, filters, popup fields and classification."""
    return jsonify({"layers": [layer.metadata() | {"url": url_for("api.layer", name=name, _external=True)}
                               for name, layer in REGISTRY.items()]})


@blueprint.get("/layers/<name>")
@documented("One layer as GeoJSON", parameters=[LEVEL, ZOOM, BBOX], filters=True, media_types=[GEOJSON],
            path={"name": {"type": "string", "enum": list(REGISTRY)}})
def layer(name):
    """One layer as GeoJSON for the filters (cached per data version and parameters)."""
    found = REGISTRY.get(name) or abort(404, f'layer "{name}" does not exist; see /api/v1/layers')
    filters = filters_from_request()
    refuse_other_filters(found, filters)
    level = parse_level(default=found.levels[0], allowed=found.levels)  # checked for every layer
    level = None if found.kind == "points" else level  # points are drawn by zoom
    options = found.parse_options(request.args) if found.parse_options else {}
    prebuilt = artefacts.layer(found, level, filters, options)
    if prebuilt:
        return prebuilt
    body, etag = layer_body(found, filters, level, options)
    response = Response(body, mimetype=GEOJSON)
    response.set_etag(etag)
    return response


def refuse_other_filters(layer, filters):
    """A filter the layer does not apply (sector on the budget layer) is a 400, not silently ignored."""
    other = [name for name in filters.as_params() if name not in layer.filters]
    if other:
        raise FilterError(other[0], filters.as_params()[other[0]],
                          f"no {other[0]} filter on the {layer.name} layer (it takes {', '.join(layer.filters)})")


def layer_body(layer, filters, level, options):
    """A layer's GeoJSON (bytes) and its ETag, built once per data version and normalised parameters (the map
    page's exports use the same cache)."""
    key = (g.snapshot.version, layer.name, level, tuple(sorted(filters.as_params().items())),
           tuple(sorted(options.items())))
    return cached_body(g.snapshot.responses, key,
                       lambda: layer.build(layer, g.session, g.snapshot.areas, filters, level, options).encode())


@blueprint.get("/projects")
@documented("Search and list projects", parameters=[FORMAT, LANG], filters=True, paging=True,
            media_types=["application/json", GEOJSON, CSV])
def list_projects():
    """Projects matching the filters, paged and sorted, as JSON or GeoJSON (downloads: /api/v1/downloads)."""
    filters = filters_from_request()
    limit, offset = projects.parse_page(request.args)
    sort, fmt = request.args.get("sort"), parse_format()
    after = projects.parse_after(request.args, offset or projects.parse_sort(sort) != ("project_id", False))
    areas = g.snapshot.areas.areas  # the area names of the records
    if fmt == "geojson":
        return Response(projects.collection_text(g.session, filters, sort, limit, offset, areas, after),
                        mimetype=GEOJSON)
    records = projects.records_page(g.session, filters, sort, limit, offset, areas, after)
    if fmt == "csv":
        return csv_response(records)
    if records and len(records) < limit and after is None:  # the last page: every match counted already
        total = offset + len(records)
    elif filters == Filters():  # all projects: counted once per data version
        total = g.snapshot.memo("project_count", lambda: projects.count_projects(g.session, filters))
    else:
        total = projects.count_projects(g.session, filters)
    return Response(projects.page_text(records, total, limit, offset, request.base_url, request.args, after),
                    mimetype="application/json")


@blueprint.get("/projects/<project_id>")
@documented("One project", parameters=[FORMAT, LANG], media_types=["application/json", GEOJSON, CSV])
def get_project(project_id):
    """One project with every open-contracting field and its PID link."""
    record = projects.get_project(g.session, project_id) or abort(404, f'project "{project_id}" does not exist')
    fmt = parse_format()
    if fmt == "geojson":
        return Response(projects.to_geojson([record], single=True), mimetype=GEOJSON)
    if fmt == "csv":
        return csv_response([record])
    return jsonify(projects.to_json(record))


def parse_format():
    """json (the default), geojson or csv."""
    fmt = (request.args.get("format") or "json").strip()
    if fmt not in ("json", "geojson", "csv"):
        raise FilterError("format", fmt, "json, geojson or csv (every matching project in one file, also as XLSX "
                                         "and GeoPackage: /api/v1/downloads/projects.<format>)")
    return fmt


def csv_response(records):
    response = Response(downloads.write_csv(records, request_language()), content_type=f"{CSV}; charset=utf-8")
    response.vary.add("Accept-Language")  # headers follow it when there is no ?lang=
    return response


@blueprint.get("/statistics")
@documented("Totals per area of one level", parameters=[LEVEL], filters=True)
def statistics():
    """Totals per area of one level for the filters (count, budget, contract value, expenditure)."""
    filters = filters_from_request()
    level = parse_level()
    return jsonify(totals.per_area(g.session, g.snapshot.areas, filters, level))


@blueprint.get("/areas/<code>")
@documented("One area: totals, per-year and per-sector series, sub-areas", filters=True,
            without=("province", "district", "commune"), path={"code": AREA_CODE})  # the area is the one in the path
def area(code):
    """One area: names, totals, per-year and per-sector series, and its sub-areas."""
    found = area_queries.get_area(g.session, code) or abort(404, f'area "{code}" does not exist')
    filters = filters_from_request()
    return jsonify(totals.area_profile(g.session, g.snapshot.areas, found, filters, years()))


@blueprint.get("/places")
@documented("Search places by Khmer or Latin name", parameters=[PLACE_QUERY])
def places():
    """Provinces, districts and communes whose Khmer or Latin name matches q (spelling variants allowed)."""
    query = (request.args.get("q") or "").strip()
    if not query or len(query) > 100:
        raise FilterError("q", query, "a place name of 1 to 100 characters, in Khmer or Latin script")
    return jsonify({"q": query, "places": g.snapshot.places.search(query)})


@blueprint.get("/locate")
@documented("The province, district and commune at a point", parameters=[LON, LAT])
def locate():
    """The province, district and commune at a point."""
    lon, lat = (_coordinate(name, low, high) for name, low, high in (("lon", -180, 180), ("lat", -90, 90)))
    code = locate_points([lon], [lat], g.snapshot.communes)[0]
    return jsonify(totals.located(g.snapshot.areas, lon, lat, code))


def _coordinate(name, low, high):
    text = (request.args.get(name) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise FilterError(name, text, f"a decimal degree from {low} to {high}") from None
    if not low <= value <= high:
        raise FilterError(name, text, f"a decimal degree from {low} to {high}")
    return value
