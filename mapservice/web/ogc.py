"""OGC API - Features under /ogc (GeoJSON, HTML, OpenAPI 3.0) for GIS software: QGIS, GDAL/OGR, R sf, OWSLib.
Views are three hops: parse and validate parameters -> one query (mapservice/formats/ogc.py) -> render JSON or HTML
(by ``f``, else by the Accept header)."""
import json
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from mapservice.formats import crs, gml_schema, ogc, ogc_openapi, ogc_query, ogc_tiles, tiles
from mapservice.read.filters import FilterError
from mapservice.web.api import close_session, open_session, years
from mapservice.web.http_cache import request_key
from mapservice.web.tiles import tile_response

logger = logging.getLogger(__name__)
blueprint = Blueprint("ogc", __name__, url_prefix="/ogc")
blueprint.teardown_request(close_session)


@blueprint.before_request
def prepare():
    """Negotiate the format first (so even an error is rendered in it), then open the session."""
    g.fmt = "json"
    g.fmt = ogc.parse_format(request.args.get("f")) or _accepted()
    open_session()


@blueprint.after_request
def vary_by_accept(response):
    """The format follows the Accept header: caches must keep the HTML and JSON answers apart."""
    response.headers.add("Vary", "Accept")
    return response


def _accepted():
    best = request.accept_mimetypes.best_match([ogc.JSON, ogc.GEOJSON, ogc.HTML], default=ogc.JSON)
    return "html" if best == ogc.HTML else "json"


@blueprint.errorhandler(FilterError)
def bad_parameter(exc):
    """400 with the one error body, naming the parameter."""
    logger.info("400 on %s: %s", request.full_path, exc)
    return _error(400, str(exc))


@blueprint.errorhandler(HTTPException)
def http_error(exc):
    """404 and the other HTTP errors as the one error body (GIS clients read JSON), HTML for f=html."""
    return _error(exc.code, exc.description)


@blueprint.errorhandler(Exception)
def unexpected(exc):
    """A bug: logged with its traceback, answered with the one error body."""
    logger.exception("unhandled error on %s", request.path)
    return _error(500, InternalServerError.description)


def _error(status, message):
    if g.get("fmt") == "html":
        return render_template("error.html", status=status, message=message), status
    response = jsonify({"ok": False, "error": message, "status": status})
    response.status_code = status
    return response


def _base():
    return url_for("ogc.landing", _external=True).rstrip("/")


def _collection(collection_id):
    return ogc.COLLECTIONS.get(collection_id) or abort(
        404, f'collection "{collection_id}" does not exist; expected one of {", ".join(ogc.COLLECTIONS)}')


def _render(document, template, media_type=ogc.JSON, **context):
    """JSON (a dict, or GeoJSON text or bytes already built) or the HTML page of a document."""
    if g.fmt == "html":
        page = render_template(template, doc=document, base=_base(), sample=g.snapshot.sample,
                               **context)
        return Response(page, mimetype=ogc.HTML)
    body = document if isinstance(document, (str, bytes)) else json.dumps(document, ensure_ascii=False)
    return Response(body, content_type=media_type)


def _cached(build):
    """A rendered body kept per data version, request, format and host (item pages of polygons are large)."""
    key = request_key(g.snapshot.version, ("ogc", g.fmt, request.host_url))
    def render():
        response = build()
        return response.get_data(), response.content_type

    body, content_type = g.snapshot.responses.get_or_build(key, render)
    return Response(body, content_type=content_type)


@blueprint.get("/", strict_slashes=False)
def landing():
    """The landing page: links to the API definition, the conformance classes and the collections."""
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    return _render(ogc.landing_page(_base(), g.fmt), "ogc_landing.html")


@blueprint.get("/api")
def api_definition():
    """The OpenAPI 3.0 definition of this API (service-desc), or its HTML documentation (service-doc)."""
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    return _render(ogc_openapi.openapi_document(_base()), "ogc_api.html", media_type=ogc.OPENAPI)


@blueprint.get("/conformance")
def conformance():
    """The conformance classes: core, geojson, html, oas30."""
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    return _render(ogc.conformance(), "ogc_conformance.html")


@blueprint.get("/collections")
def collections():
    """Every feature collection with its extent and links."""
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    extents = g.snapshot.memo("ogc_extents", lambda: ogc.spatial_extents(g.session, g.snapshot))
    return _render(ogc.collections_document(_base(), extents, *years(), g.fmt), "ogc_collections.html")


@blueprint.get("/collections/<collection_id>")
def collection(collection_id):
    """One collection: extent, item type, CRS, links, and the filters its items take."""
    found = _collection(collection_id)
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    extents = g.snapshot.memo("ogc_extents", lambda: ogc.spatial_extents(g.session, g.snapshot))
    return _render(ogc.collection_info(found, _base(), extents, *years(), g.fmt), "ogc_collection.html",
                   collection=found)


@blueprint.get("/collections/<collection_id>/schema")
def schema(collection_id):
    """The JSON Schema of a collection's features: property names and types."""
    found = _collection(collection_id)
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    return _render(ogc.feature_schema(found, _base()), "ogc_schema.html", ogc.JSON_SCHEMA, collection=found)


@blueprint.get("/collections/<collection_id>/schema.xsd")
def xml_schema(collection_id):
    """The GML application schema of a collection's features (GDAL takes Integer64 money from it)."""
    found = _collection(collection_id)
    ogc.check_parameters(request.args, ("f",))
    return Response(gml_schema.gml_schema(found), content_type=f"{ogc.XML}; charset=utf-8")


@blueprint.get("/collections/<collection_id>/queryables")
def queryables(collection_id):
    """The properties a CQL2 filter and sortby may name, as a JSON Schema with types and enums."""
    found = _collection(collection_id)
    ogc.check_parameters(request.args, ogc.allowed_parameters())
    document = ogc_query.queryables_document(found, f"{_base()}/collections/{found.id}/queryables")
    # application/schema+json, unless the client asks for plain JSON only (GDAL up to 3.6 refuses other types)
    media_type = request.accept_mimetypes.best_match([ogc.JSON_SCHEMA, ogc.JSON], default=ogc.JSON_SCHEMA)
    return _render(document, "ogc_queryables.html", media_type, collection=found)


@blueprint.get("/collections/<collection_id>/items")
def items(collection_id):
    """A page of features for bbox, datetime, limit, offset, crs, filter, sortby, properties and the filters."""
    found = _collection(collection_id)
    query = ogc.parse_items_query(request.args.to_dict(), found, g.snapshot.area_codes, *years())
    response = _cached(lambda: _render_items(found, query))
    response.headers["Content-Crs"] = crs.content_crs(query.crs)
    return response


def _render_items(found, query):
    features, matched = ogc.query_items(g.session, g.snapshot, found, query)
    links = ogc.items_links(_base(), found, request.args.to_dict(), query, matched, len(features), g.fmt,
                            features[-1].id if features else None)
    if g.fmt == "html":
        return _render(None, "ogc_items.html", collection=found, features=features, matched=matched, query=query,
                       matched_limit=ogc.MATCHED_LIMIT,
                       links={item["rel"]: item["href"] for item in links})
    return _render(ogc.items_document(features, matched, links), None, ogc.GEOJSON)


@blueprint.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id, feature_id):
    """One feature: a project by its project_id, an area by its code (statistics: for the filters)."""
    found = _collection(collection_id)
    query = ogc.parse_items_query(request.args.to_dict(), found, g.snapshot.area_codes, *years(), single=True)
    feature = ogc.get_item(g.session, g.snapshot, found, feature_id, query) or abort(
        404, f'feature "{feature_id}" does not exist in collection "{collection_id}"')
    response = _render(ogc.item_document(feature, _base(), found, g.fmt), "ogc_item.html", ogc.GEOJSON,
                       collection=found, feature=feature)
    response.headers["Content-Crs"] = crs.content_crs(query.crs)
    return response


@blueprint.get("/tileMatrixSets")
def tile_matrix_sets():
    """The tile matrix sets of the tiles: WebMercatorQuad."""
    ogc.check_parameters(request.args, ("f",))
    return _json(ogc_tiles.tile_matrix_sets(_base()))


@blueprint.get(f"/tileMatrixSets/{ogc_tiles.TMS_ID}")
def tile_matrix_set():
    """The WebMercatorQuad tile matrix set (TMS 2.0, with the TMS 1.0 members GDAL 3.6 reads)."""
    ogc.check_parameters(request.args, ("f",))
    return _json(ogc_tiles.tile_matrix_set())


@blueprint.get("/collections/<collection_id>/tiles")
def collection_tilesets(collection_id):
    """The vector tilesets of a collection (OGC API - Tiles)."""
    found = _collection(collection_id)
    ogc.check_parameters(request.args, ("f",))
    return _json(ogc_tiles.tilesets(found, _base()))


@blueprint.get(f"/collections/<collection_id>/tiles/{ogc_tiles.TMS_ID}")
def collection_tileset(collection_id):
    """A collection's tileset metadata; its tile template keeps the request's filters."""
    found = _collection(collection_id)
    filters = ogc.parse_tile_filters(request.args.to_dict(), found, g.snapshot.area_codes, *years())
    bounds = g.snapshot.communes.total_bounds if len(g.snapshot.communes) else ogc.CAMBODIA_BOUNDS
    return _json(ogc_tiles.tileset(found, _base(), bounds, urlencode(filters.as_params())))


@blueprint.get(f"/collections/<collection_id>/tiles/{ogc_tiles.TMS_ID}/<z>/<y>/<x>")
def collection_tile(collection_id, z, y, x):
    """One vector tile: {tileMatrix}/{tileRow}/{tileCol} = z/y/x of /tiles, the same bytes."""
    found = _collection(collection_id)
    filters = ogc.parse_tile_filters(request.args.to_dict(), found, g.snapshot.area_codes, *years())
    return tile_response(ogc_tiles.tile_layer(found), *tiles.parse_address(z, x, y), filters)


def _json(document):
    return Response(json.dumps(document, ensure_ascii=False), content_type=ogc.JSON)


@blueprint.get("/<path:unknown>")
def not_found(unknown):
    """Any other path under /ogc: the JSON 404 (not the site's HTML page)."""
    abort(404, f'/ogc/{unknown} does not exist; start at /ogc (links to every resource)')
