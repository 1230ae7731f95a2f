"""The OpenAPI 3.0 definition of /ogc (OGC API - Features Parts 1-3 and Tiles): every path and every parameter
it accepts, built from the collections of ``formats/ogc.py``. No Flask here."""
from mapservice.formats import crs as crs_systems
from mapservice.formats import ogc_query, ogc_tiles
from mapservice.formats.ogc import (
    COLLECTIONS, CRS84, DEFAULT_LIMIT, FORMATS, GEOJSON, HTML, JSON, JSON_SCHEMA, KEYSET_FROM, MAX_LIMIT, OPENAPI, XML)
from mapservice.formats.parameters import FILTERS, query_parameter
from mapservice.read import cql2

def _list_parameter(name, description, schema, example):
    return query_parameter(name, description, schema, example) | {"style": "form", "explode": False}


F = query_parameter("f", "Format: json or html (without it, the Accept header decides; JSON by default)",
                    {"type": "string", "enum": list(FORMATS)}, "json")
BBOX = _list_parameter(
    "bbox", "Only features whose geometry intersects this box: minlon,minlat,maxlon,maxlat in WGS 84 degrees "
    "(CRS84); 6 numbers with heights are accepted and the heights ignored. Projects of a box without sortby "
    "come in the grid's order: strips of 0.1 degree of latitude south to north, cells of 0.01 degree of longitude "
    "west to east, by project_id within a cell",
    {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}, [102.9, 13.4, 103.1, 13.6])
DATETIME = query_parameter(
    "datetime", "Only features of the fiscal years this RFC 3339 instant or interval intersects (a fiscal year is "
    "a calendar year, UTC); open ends as ..", example="2016-01-01T00:00:00Z/2016-12-31T23:59:59Z")
LIMIT = query_parameter("limit", f"Features per page (default {DEFAULT_LIMIT}; more than {MAX_LIMIT} is served as "
                                 f"{MAX_LIMIT})", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                   "default": DEFAULT_LIMIT})
OFFSET = query_parameter("offset", "Features to skip (default 0; the next and prev links carry it, except deep in "
                                   f"the projects' default order: from offset {KEYSET_FROM:,} their next link "
                                   "carries after instead)", {"type": "integer", "minimum": 0, "default": 0})
AFTER = query_parameter("after", "Projects only, default order (no sortby, no offset): the page starts after this "
                                 "project_id (by id; with a bbox, in the box's grid order, where it must be a project "
                                 "with a location). The next links carry it from offset "
                                 f"{KEYSET_FROM:,} on (keyset paging: a deep page costs what the first does); a page "
                                 "reached by it has no prev link", {"type": "string", "pattern": r"\S"}, "P-000100")
CRS = query_parameter("crs", "CRS of the returned geometries (Part 2); the Content-Crs header names it",
                      {"type": "string", "format": "uri", "enum": crs_systems.URIS, "default": CRS84})
BBOX_CRS = query_parameter("bbox-crs", "CRS of bbox, in its axis order (EPSG:4326 is lat,lon)",
                           {"type": "string", "format": "uri", "enum": crs_systems.URIS, "default": CRS84})
FILTER = query_parameter("filter", "CQL2 filter on the queryables (see /collections/{id}/queryables): Basic CQL2, "
                                   "LIKE, IN, BETWEEN, S_INTERSECTS(geometry, BBOX(...) or a WKT/GeoJSON geometry)",
                         example="fiscal_year = 2016 AND province_code = '01'")
FILTER_LANG = query_parameter("filter-lang", "Encoding of filter: cql2-text (default) or cql2-json; cql-text is the "
                                             "draft name of cql2-text, which GDAL up to 3.6 sends",
                              {"type": "string", "enum": list(cql2.LANGUAGES), "default": "cql2-text"})
FILTER_CRS = query_parameter("filter-crs", "CRS of the geometries in filter",
                             {"type": "string", "format": "uri", "enum": crs_systems.URIS, "default": CRS84})
PROPERTIES_PARAMETER = _list_parameter(
    "properties", "Only these properties in each feature (comma-separated names of the feature schema)",
    {"type": "array", "items": {"type": "string"}}, ["project_id", "budget"])


def _sortby(collection):
    names = ogc_query.sortable(collection)
    return _list_parameter("sortby", "Sort by these properties, each with + (ascending, the default) or - "
                                     f"(descending), missing values last: {', '.join(names)}",
                           {"type": "array", "items": {"type": "string", "enum": [
                               f"{sign}{name}" for name in names for sign in ("", "+", "-")]}}, [f"-{names[-1]}"])


TILE_ADDRESS = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": text}
                for name, text in (("tileMatrix", "zoom level, 0 to 20"), ("tileRow", "tile row (y), 0 the northern"),
                                   ("tileCol", "tile column (x)"))]
ERROR = {"description": "A parameter is not valid (400) or the resource does not exist (404)",
         "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _operation(operation_id, summary, media_types, parameters=(), tag="Capabilities"):
    return {"get": {"operationId": operation_id, "summary": summary, "tags": [tag], "parameters": list(parameters),
                    "responses": {"200": {"description": "OK", "content": {m: {} for m in media_types}},
                                  "400": ERROR, "404": ERROR}}}


def _collection_paths(collection):
    name = collection.id.replace("-", "_")
    filters = [p for p in FILTERS if p["name"] in collection.filters]
    feature_id = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "project_id" if collection.kind == "projects" else "area code"}
    single = [CRS, PROPERTIES_PARAMETER, *([DATETIME, *filters] if collection.kind == "statistics" else [])]
    path = f"/collections/{collection.id}"
    return {
        path: _operation(f"describe_{name}", f"Describe {collection.title}", [JSON, HTML], [F], "Data"),
        f"{path}/schema": _operation(f"get_{name}_schema", f"{collection.title}: feature schema", [JSON_SCHEMA, HTML],
                                     [F], "Data"),
        f"{path}/schema.xsd": _operation(f"get_{name}_xml_schema", f"{collection.title}: feature schema (GML "
                                         "application schema; GDAL reads the field types from it)", [XML], [F],
                                         "Data"),
        f"{path}/queryables": _operation(f"get_{name}_queryables", f"{collection.title}: queryables",
                                         [JSON_SCHEMA, HTML], [F], "Data"),
        f"{path}/items": _operation(f"get_{name}_features", f"{collection.title}: features", [GEOJSON, HTML],
                                    [F, BBOX, BBOX_CRS, DATETIME, LIMIT, OFFSET,
                                     *([AFTER] if collection.kind == "projects" else []), CRS, FILTER, FILTER_LANG,
                                     FILTER_CRS,
                                     _sortby(collection), PROPERTIES_PARAMETER, *filters], "Data"),
        f"{path}/items/{{featureId}}": _operation(f"get_{name}_feature", f"{collection.title}: one feature",
                                                  [GEOJSON, HTML], [feature_id, F, *single], "Data"),
        f"{path}/tiles": _operation(f"get_{name}_tilesets", f"{collection.title}: vector tilesets", [JSON], [F],
                                    "Tiles"),
        f"{path}/tiles/{ogc_tiles.TMS_ID}": _operation(
            f"get_{name}_tileset", f"{collection.title}: tileset metadata (WebMercatorQuad)", [JSON],
            [F, *FILTERS], "Tiles"),
        f"{path}/tiles/{ogc_tiles.TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": _operation(
            f"get_{name}_tile", f"{collection.title}: one vector tile", [ogc_tiles.MVT],
            [*TILE_ADDRESS, *FILTERS], "Tiles"),
    }


def openapi_document(base):
    """The OpenAPI 3.0 definition of this OGC API (every path, every parameter it accepts)."""
    paths = {
        "/": _operation("get_landing_page", "Landing page", [JSON, HTML], [F]),
        "/api": _operation("get_api", "This API definition", [OPENAPI, HTML], [F]),
        "/conformance": _operation("get_conformance", "Conformance classes implemented", [JSON, HTML], [F]),
        "/collections": _operation("get_collections", "Feature collections", [JSON, HTML], [F], "Data"),
        "/tileMatrixSets": _operation("get_tile_matrix_sets", "Tile matrix sets", [JSON], [F], "Tiles"),
        f"/tileMatrixSets/{ogc_tiles.TMS_ID}": _operation("get_web_mercator_quad", "The WebMercatorQuad tile matrix "
                                                                                 "set", [JSON], [F], "Tiles"),
    }
    for collection in COLLECTIONS.values():
        paths |= _collection_paths(collection)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Cambodia sub-national infrastructure projects: OGC API - Features", "version": "1.0.0",
                 "description": "OGC API - Features Part 1: Core, with the GeoJSON, HTML and OpenAPI 3.0 "
                                "conformance classes; Part 2: CRS by reference (crs, bbox-crs; CRS84, EPSG:4326, "
                                "EPSG:3857, EPSG:32648); Part 3: Filtering (queryables, filter in CQL2 text or "
                                "JSON); sortby and properties on items. Unknown query parameters are refused with "
                                "400.",
                 "license": {"name": "Code: MIT; data: see /about"}},
        "servers": [{"url": base}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}, {"name": "Tiles"}],
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["ok", "error", "status"],
            "properties": {"ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"},
                           "status": {"type": "integer"}}}}},
    }
