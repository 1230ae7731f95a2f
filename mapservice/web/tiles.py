"""Vector tiles and their TileJSON under /tiles, for MapLibre, Leaflet.VectorGrid, OpenLayers and QGIS.
Views are three hops: parse and validate (layer, z/x/y, the API's filters) -> one tile or document -> render.

Errors are the one JSON error body even on .mvt URLs (errors.wants_json: a tile client reads JSON, never HTML)."""
from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from mapservice.artefacts import names
from mapservice.artefacts.build import tilejson_document
from mapservice.formats import tiles
from mapservice.read.cache import LRU
from mapservice.read.filters import Filters
from mapservice.read.totals import area_values
from mapservice.web import artefacts
from mapservice.web.api import close_session, filters_from_request, open_session
from mapservice.web.openapi import documented

blueprint = Blueprint("tiles", __name__)
TILE_LAYER = {"type": "string", "enum": list(tiles.LAYERS)}
TILE_INDEX = {"type": "integer", "minimum": 0, "description": "0 to 2^z - 1"}
blueprint.before_request(open_session)
blueprint.teardown_request(close_session)
# Rendered tiles per app, keyed by data version: most are a few KB, the few low-zoom ones a few hundred.
# Not the snapshot's 256-entry LRU: a panning map would evict the layers' GeoJSON from it within a minute.
TILE_CACHE_SIZE = 4096


@blueprint.record_once
def _create_cache(state):
    state.app.extensions["tile_cache"] = LRU(TILE_CACHE_SIZE)


def _layer(name):
    if name not in tiles.LAYERS:
        abort(404, f'tile layer "{name}" does not exist; expected one of {", ".join(tiles.LAYERS)}')
    return tiles.LAYERS[name]


def _cached(key, build):
    return current_app.extensions["tile_cache"].get_or_build(key, build)


@blueprint.get("/tiles/<layer>/<z>/<x>/<y>.mvt")
@documented("A vector tile (Mapbox Vector Tile) of projects or areas", filters=True, media_types=[tiles.MVT],
            tags=("tiles",), path={"layer": TILE_LAYER, "x": TILE_INDEX, "y": TILE_INDEX,
                                   "z": {"type": "integer", "minimum": 0, "maximum": tiles.MAX_ZOOM}})
def tile(layer, z, x, y):
    """One XYZ tile for the filters; an empty body (200) when nothing is in it. Layers: see /tiles/{layer}.json."""
    _layer(layer)
    return tile_response(layer, *tiles.parse_address(z, x, y), filters_from_request())


def tile_response(layer, z, x, y, filters):
    """The MVT response of one tile (cached per data version, address and filters); /ogc serves it too."""
    prebuilt = _prebuilt(layer, filters, lambda year: names.tile(layer, z, x, y, year))
    if prebuilt:
        return prebuilt
    spec = tiles.LAYERS[layer]
    params = tuple(sorted(filters.as_params().items()))
    totals = None if spec.level is None else _cached(
        (g.snapshot.version, "totals", spec.level, params), lambda: area_values(g.session, filters, spec.level))
    body = _cached((g.snapshot.version, layer, z, x, y, params),
                   lambda: tiles.render_tile(g.session, layer, z, x, y, filters, totals=totals))
    return Response(body, mimetype=tiles.MVT)


@blueprint.get("/tiles/<layer>.json")
@documented("TileJSON 3.0.0 of a tile layer", filters=True, tags=("tiles",), path={"layer": TILE_LAYER})
def tilejson(layer):
    """The layer's TileJSON: tile URL template (keeping the filters), zooms, bounds, attributes, attribution."""
    _layer(layer)
    filters = filters_from_request()
    prebuilt = _prebuilt(layer, filters, lambda year: names.tilejson(layer, year))
    if prebuilt:
        return prebuilt
    return jsonify(tilejson_document(layer, request.url_root.rstrip("/"), g.snapshot, filters))


def _prebuilt(layer, filters, name_of):
    """The prebuilt file's answer when the filters are none, or one fiscal year (``year=2017``, ``2017-2017``...)
    of a layer built per year; else None (rendered per request)."""
    if filters == Filters():
        return artefacts.answer(name_of(None))
    year = names.one_year(filters.as_params())
    if year is not None and layer in names.YEAR_TILE_LAYERS:
        return artefacts.answer(name_of(year))
    return None
