"""OGC API - Tiles over the vector tiles of /tiles: the WebMercatorQuad tile matrix set, each collection's tileset
list and tileset metadata, and which tile layer serves a collection. No Flask here.

The tiles are the same bytes as /tiles/{layer}/{z}/{x}/{y}.mvt: {tileMatrix} is z, {tileRow} y, {tileCol} x.
The tile matrix set document carries the members of both TMS 2.0 (OGC 17-083r4, what OGC API - Tiles refers to)
and TMS 1.0 (17-083r2, which GDAL up to 3.6 reads), with the same values."""
import math

from mapservice.formats.tiles import HALF_WORLD, LAYERS, TILEJSON_MAXZOOM, MVT

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
TILE_SIZE = 256
CONFORMANCE = [f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
               for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt")]
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
JSON = "application/json"
# the tile layer of each kind of collection: areas and statistics share their level's tiles (with the four totals)
LEVEL_LAYERS = {"province": "provinces", "district": "districts", "commune": "communes"}


def tile_layer(collection):
    """The /tiles layer whose tiles a collection serves."""
    return "projects" if collection.kind == "projects" else LEVEL_LAYERS[collection.level]


def _matrix(z):
    """One tile matrix of WebMercatorQuad: 2^z tiles of 256 pixels per side, 0.28 mm pixels (the standard's)."""
    cell = 2 * HALF_WORLD / TILE_SIZE / 2 ** z
    count = 2 ** z
    common = {"scaleDenominator": cell / 0.00028, "tileWidth": TILE_SIZE, "tileHeight": TILE_SIZE,
              "matrixWidth": count, "matrixHeight": count}
    return ({"id": str(z), "cellSize": cell, "cornerOfOrigin": "topLeft", "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
             **common},
            {"type": "TileMatrixType", "identifier": str(z), "topLeftCorner": [-HALF_WORLD, HALF_WORLD], **common})


def tile_matrix_set(max_zoom=TILEJSON_MAXZOOM):
    """The WebMercatorQuad definition, zoom 0 to ``max_zoom``."""
    matrices = [_matrix(z) for z in range(max_zoom + 1)]
    return {
        "id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI, "crs": CRS_3857,
        "orderedAxes": ["X", "Y"], "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": [new for new, _ in matrices],
        # TMS 1.0 members (GDAL up to 3.6)
        "type": "TileMatrixSetType", "identifier": TMS_ID, "supportedCRS": CRS_3857,
        "tileMatrix": [old for _, old in matrices],
    }


def tile_matrix_sets(base):
    """The list of tile matrix sets (/tileMatrixSets)."""
    url = f"{base}/tileMatrixSets/{TMS_ID}"
    return {"tileMatrixSets": [{"id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
                                "links": [{"href": url, "rel": "self", "type": JSON, "title": TMS_ID},
                                          {"href": url, "rel": TILING_SCHEME, "type": JSON, "title": TMS_ID}]}]}


def _limits(bounds, max_zoom):
    """tileMatrixSetLimits: the tiles over ``bounds`` (west, south, east, north) at each zoom."""
    west, south, east, north = bounds
    limits = []
    for z in range(max_zoom + 1):
        n = 2 ** z
        col = lambda lon: min(n - 1, max(0, int((lon + 180) / 360 * n)))  # noqa: E731
        row = lambda lat: min(n - 1, max(0, int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)))  # noqa: E731,E501
        limits.append({"tileMatrix": str(z), "minTileRow": row(north), "maxTileRow": row(south),
                       "minTileCol": col(west), "maxTileCol": col(east)})
    return limits


def tileset(collection, base, bounds, query=""):
    """The tileset metadata of a collection in WebMercatorQuad: data type, CRS, limits, layer, tile URL template."""
    layer = LAYERS[tile_layer(collection)]
    url = f"{base}/collections/{collection.id}/tiles/{TMS_ID}"
    suffix = f"?{query}" if query else ""
    return {
        "title": f"{collection.title}: vector tiles", "dataType": "vector", "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI, "tileMatrixSetDefinition": f"{base}/tileMatrixSets/{TMS_ID}",
        "tileMatrixSetLimits": _limits(bounds, TILEJSON_MAXZOOM),
        "layers": [{"id": layer.name, "dataType": "vector", "description": layer.description,
                    "geometryType": "points" if layer.level is None else "polygons",
                    "minTileMatrix": "0", "maxTileMatrix": str(TILEJSON_MAXZOOM),
                    "propertiesSchema": {"type": "object", "properties": {
                        name: {"type": "string" if meaning.startswith("String") else "number",
                               "description": meaning.split(": ", 1)[-1]}
                        for name, meaning in layer.fields.items()}}}],
        "links": [
            {"href": url, "rel": "self", "type": JSON, "title": "this tileset"},
            {"href": f"{base}/tileMatrixSets/{TMS_ID}", "rel": TILING_SCHEME, "type": JSON,
             "title": "the tile matrix set"},
            {"href": f"{url}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{suffix}", "rel": "item", "type": MVT,
             "templated": True, "title": "a tile (Mapbox Vector Tile)"},
            {"href": f"{base}/collections/{collection.id}", "rel": "collection", "type": JSON,
             "title": collection.title},
        ],
    }


def tilesets(collection, base):
    """The tilesets of a collection (one: WebMercatorQuad)."""
    url = f"{base}/collections/{collection.id}/tiles/{TMS_ID}"
    return {"tilesets": [{
        "title": f"{collection.title}: vector tiles", "dataType": "vector", "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [{"href": url, "rel": "self", "type": JSON, "title": TMS_ID},
                  {"href": url, "rel": "http://www.opengis.net/def/rel/ogc/1.0/tileset", "type": JSON,
                   "title": TMS_ID},
                  {"href": f"{base}/tileMatrixSets/{TMS_ID}", "rel": TILING_SCHEME, "type": JSON,
                   "title": "the tile matrix set"}]}],
        "links": [{"href": f"{base}/collections/{collection.id}/tiles", "rel": "self", "type": JSON,
                   "title": "tilesets"}]}


def collection_links(collection, base):
    """The links a collection document gets to its tiles."""
    return [{"href": f"{base}/collections/{collection.id}/tiles", "rel": TILESETS_VECTOR, "type": JSON,
             "title": "vector tilesets (OGC API - Tiles)"}]
