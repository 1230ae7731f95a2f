"""Vector tiles (Mapbox Vector Tile 2.1; Web Mercator; XYZ scheme, y = 0 the northern row) of the projects and
the admin areas, and their TileJSON 3.0.0 documents. No Flask here.

``render_tile`` is the one entry point. It hides two paths that give the same tile:

- PostGIS encodes the tile itself: ``ST_AsMVTGeom`` (to tile units, snapped to the integer grid, clipped to the
  tile plus its buffer) and ``ST_AsMVT``.
- SpatiaLite has no tile encoder: its R*Trees pick the features (the projects joined to theirs, the areas through
  ``SpatialIndex``), shapely does the same steps on whole arrays (to tile units, snap, clip, orient) and
  ``mapbox_vector_tile`` encodes them.

Both paths share the feature query (filters, spatial condition, thinning, order), so their tiles hold the same
features with the same ids and properties; a coordinate may differ by a tile unit where the two round differently.
"""
import math
from dataclasses import dataclass

import mapbox_vector_tile
import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mapservice.read.filters import CODE_LENGTH, FilterError, bbox_conditions, project_conditions, projects_from
from mapservice.read.totals import area_values
from mapservice.store.models import AdminArea, Project

EXTENT, BUFFER = 4096, 64  # tile units per side; units kept beyond each edge so strokes and symbols join up
MAX_ZOOM = 20
TILEJSON_MAXZOOM = 14  # a z14 unit is 0.6 m: clients over-zoom z14 tiles rather than fetch z15-20
HALF_WORLD = 20037508.342789244  # metres from the centre to the edge of the Web Mercator square (EPSG:3857)
# Below THIN_BELOW_ZOOM a tile keeps one project per grid cell of 1/THIN_CELLS of its width (16 units: about
# 2 px on screen), the one with the lowest project_id: a z6 tile could otherwise hold every project in the country.
THIN_BELOW_ZOOM, THIN_CELLS = 12, 64
# below FULL_FROM_ZOOM (the light tiles) cells of 1/24 of the width (21 px on a 512 px tile): z6-z10 tiles of the
# 15k sample stay under 50 KB (bench/tiles.py)
LIGHT_THIN_CELLS = 24
MVT = "application/vnd.mapbox-vector-tile"
ATTRIBUTION = ('Boundaries: <a href="https://www.geoboundaries.org">geoBoundaries</a> and '
               '<a href="https://opendevelopmentcambodia.net">Open Development Cambodia</a> (CC BY 4.0); '
               'names: NCDD National Gazetteer 2014; projects: NCDD Project Implementation Database')
SPATIAL_INDEX = sa.table("SpatialIndex", sa.column("rowid"), sa.column("f_table_name"),
                         sa.column("f_geometry_column"), sa.column("search_frame"))


@dataclass(frozen=True)
class TileLayer:
    """A tile layer: its name (the layer name inside the tiles and the TileJSON vector layer id) and attributes."""

    name: str
    level: str | None  # the admin level of an area layer; None for the project points
    description: str
    fields: dict  # attribute -> "Type: description" (TileJSON vector_layers fields)


PROJECT_FIELDS = {
    "project_id": "String: the project's public id (use it as the feature id: MapLibre promoteId)",
    "title_km": "String: title in Khmer", "title_en": "String: title in English",
    "sector": "String: sector code (rural_road, culvert, bridge, well, irrigation, ...)",
    "fiscal_year": "Number: fiscal year", "budget": "Number: planned budget in riel",
    "contract_value": "Number: contract value in riel", "expenditure": "Number: actual expenditure in riel",
    "location_precision": "String: exact (a surveyed point) or commune (the commune's representative point)",
}
# Below FULL_FROM_ZOOM a project carries only these (no titles): a z6-z10 tile holds thousands of points
LIGHT_FIELDS = ("project_id", "sector", "fiscal_year", "budget", "contract_value", "expenditure")
FULL_FROM_ZOOM = 11
TOTALS = ("project_count", "budget", "contract_value", "expenditure")
AREA_FIELDS = {
    "code": "String: NCDD code (the feature id is the same digits as a number)",
    "name_km": "String: name in Khmer", "name_en": "String: name in Latin script",
    "project_count": "Number: projects in the area matching the tile URL's filters",
    "budget": "Number: their planned budget in riel",
    "contract_value": "Number: their contract value in riel",
    "expenditure": "Number: their actual expenditure in riel",
}
LAYERS = {
    "projects": TileLayer("projects", None, "Project locations (below zoom 12 one project per 1/64 of the tile's "
                          "width, below zoom 11 per 1/24, the lowest project_id; below zoom 11 without titles and "
                          "location_precision)",
                          PROJECT_FIELDS),
    **{f"{level}s": TileLayer(f"{level}s", level, f"{level.title()} boundaries (2014) with project totals",
                              AREA_FIELDS) for level in ("province", "district", "commune")},
}


def parse_address(z, x, y):
    """Validate z (0-MAX_ZOOM) and x, y (0 to 2^z - 1) given as text; FilterError names the bad one."""
    if not z.isdigit() or int(z) > MAX_ZOOM:
        raise FilterError("z", z, f"a zoom level from 0 to {MAX_ZOOM}")
    zoom = int(z)
    last = 2 ** zoom - 1
    values = []
    for name, text in (("x", x), ("y", y)):
        if not text.isdigit() or int(text) > last:
            raise FilterError(name, text, f"a tile {name} from 0 to {last} at zoom {zoom}")
        values.append(int(text))
    return zoom, values[0], values[1]


def tile_bounds(z, x, y):
    """(xmin, ymin, xmax, ymax) of a tile in Web Mercator metres, as ST_TileEnvelope gives them."""
    size = 2 * HALF_WORLD / 2 ** z
    return -HALF_WORLD + x * size, HALF_WORLD - (y + 1) * size, -HALF_WORLD + (x + 1) * size, HALF_WORLD - y * size


def to_mercator(lon, lat):
    """Spherical Web Mercator metres of longitudes and latitudes (numpy arrays)."""
    return lon * (HALF_WORLD / 180), np.log(np.tan(np.radians(90 + lat) / 2)) * (HALF_WORLD / math.pi)


def to_lonlat(mx, my):
    """Longitude and latitude of Web Mercator metres (floats)."""
    return mx * 180 / HALF_WORLD, math.degrees(2 * math.atan(math.exp(my * math.pi / HALF_WORLD)) - math.pi / 2)


def search_box(z, x, y):
    """(west, south, east, north) in degrees: the tile plus its buffer and one unit more (for rounding inward)."""
    xmin, ymin, xmax, ymax = tile_bounds(z, x, y)
    margin = (xmax - xmin) * (BUFFER + 1) / EXTENT
    return (*to_lonlat(xmin - margin, ymin - margin), *to_lonlat(xmax + margin, ymax + margin))


def render_tile(session, layer, z, x, y, filters, totals=None):
    """The tile of a layer (a LAYERS name) for the filters, as MVT bytes; b"" when no feature is in it.

    ``totals`` (area layers): ``layers.base.area_values`` for the filters, when the caller already has them.
    """
    spec = LAYERS[layer]
    if spec.level and totals is None:
        totals = area_values(session, filters, spec.level)
    dialect, box = session.get_bind().dialect.name, search_box(z, x, y)
    if spec.level:
        candidates = _area_candidates(spec.level, filters, box, dialect)
    else:
        candidates = _project_candidates(session, z, filters, box, dialect)
    fields = project_fields(z)
    if dialect == "postgresql":
        return _encode_in_postgis(session, spec, candidates, (z, x, y), totals, fields)
    return _encode_in_python(session, spec, candidates, tile_bounds(z, x, y), totals, fields)


def _near_postgis(box):
    envelope = sa.func.ST_MakeEnvelope(*box, 4326)
    return lambda model: model.geom.intersects(envelope)  # the && operator: the GiST index


def _near_spatialite(box):
    def condition(model):
        table = model.__table__.name
        hits = sa.select(SPATIAL_INDEX.c.rowid).where(
            SPATIAL_INDEX.c.f_table_name == table, SPATIAL_INDEX.c.f_geometry_column == "geom",
            SPATIAL_INDEX.c.search_frame == sa.func.BuildMbr(*box, 4326))
        return sa.literal_column(f"{table}.rowid").in_(hits)
    return condition


def project_fields(z):
    """The attributes of a project at zoom z: the light set below FULL_FROM_ZOOM, else all."""
    return LIGHT_FIELDS if z < FULL_FROM_ZOOM else tuple(PROJECT_FIELDS)


def _project_candidates(session, z, filters, box, dialect):
    """Projects of the filters in the tile's search ``box`` (thinned below THIN_BELOW_ZOOM), with their point and
    lon/lat. The box is the read path's (``filters.bbox_conditions``): on SpatiaLite the projects joined to their
    R*Tree, which SQLite walks, where ``rowid IN (SpatialIndex ...)`` first copied every id of the box into a list."""
    columns = [*(getattr(Project, name) for name in project_fields(z)), Project.geom, Project.lon, Project.lat]
    source = projects_from(box, dialect)
    conditions = [Project.geom.is_not(None), *bbox_conditions(box, dialect), *project_conditions(filters)]
    if z >= THIN_BELOW_ZOOM:
        return sa.select(*columns).select_from(source).where(*conditions).subquery("candidates")
    # A global grid aligned with the tile edges, so neighbouring tiles pick the same project in a shared cell.
    # The ids first, then the rows by key: in one query PostgreSQL cannot estimate the number of cells and joins
    # by scanning the whole primary key (row_number() over the tile's rows was slower still: a 1M-row sort).
    cell = 360 / 2 ** z / (LIGHT_THIN_CELLS if z < FULL_FROM_ZOOM else THIN_CELLS)
    first = session.scalars(sa.select(sa.func.min(Project.project_id)).select_from(source).where(*conditions)
                            .group_by(sa.func.floor(Project.lon / cell), sa.func.floor(Project.lat / cell))).all()
    return sa.select(*columns).where(Project.project_id.in_(first)).subquery("candidates")


def _area_candidates(level, filters, box, dialect):
    """Areas of a level in the tile's search ``box``, inside the area filters (and their ancestors, as the GeoJSON
    layers do)."""
    near = _near_postgis if dialect == "postgresql" else _near_spatialite
    conditions = [AdminArea.level == level, near(box)(AdminArea)]
    prefixes = filters.commune or filters.district or filters.province
    if prefixes:
        conditions.append(sa.or_(*(AdminArea.code.startswith(p) for p in prefixes),
                                 AdminArea.code.in_(sorted({p[:CODE_LENGTH[level]] for p in prefixes}))))
    return (sa.select(AdminArea.code, AdminArea.name_km, AdminArea.name_en, AdminArea.geom)
            .where(*conditions).subquery("candidates"))


def _encode_in_postgis(session, spec, candidates, address, totals, fields):
    c = candidates.c
    geometry = sa.func.ST_AsMVTGeom(sa.func.ST_Transform(c.geom, 3857), sa.func.ST_TileEnvelope(*address),
                                    EXTENT, BUFFER, True).label("geom")
    if spec.level is None:
        rows = sa.select(*(c[name] for name in fields), geometry).order_by(c.project_id)
    else:
        values = _totals_table(totals)
        rows = (sa.select(sa.cast(c.code, sa.Integer).label("id"), c.code, c.name_km, c.name_en,
                          *(sa.func.coalesce(values.c[name], 0).label(name) for name in TOTALS), geometry)
                .select_from(candidates.outerjoin(values, values.c.code == c.code)).order_by(c.code))
    tile = rows.subquery("tile")
    arguments = [sa.literal_column("tile"), spec.name, EXTENT, "geom"] + (["id"] if spec.level else [])
    return bytes(session.scalar(sa.select(sa.func.ST_AsMVT(*arguments)).select_from(tile)) or b"")


def _totals_table(totals):
    """The per-area totals as a table in the query (unnest of five arrays): one round trip per tile."""
    arrays = [sa.cast(sa.literal(list(totals.index)), postgresql.ARRAY(sa.Text))] + [
        sa.cast(sa.literal(list(map(int, totals[name]))), postgresql.ARRAY(sa.BigInteger)) for name in TOTALS]
    return sa.func.unnest(*arrays).table_valued("code", *TOTALS).render_derived("totals")


def _encode_in_python(session, spec, candidates, bounds, totals, fields):
    c = candidates.c
    if spec.level is None:
        rows = session.execute(sa.select(*(c[name] for name in fields), c.lon, c.lat)
                               .order_by(c.project_id)).all()
        features = _point_features(rows, bounds, fields)
    else:
        rows = session.execute(sa.select(c.code, c.name_km, c.name_en, sa.func.ST_AsBinary(c.geom))
                               .order_by(c.code)).all()
        features = _area_features(rows, bounds, totals)
    if not features:
        return b""  # as ST_AsMVT: no feature, no bytes
    # geometries are already on the grid, valid and wound as MVT wants (y down), so the encoder only encodes
    return mapbox_vector_tile.encode([{"name": spec.name, "features": features}], default_options={
        "extents": EXTENT, "y_coord_down": True, "check_winding_order": False})


def _to_tile_units(lonlat, bounds):
    """Tile units (x right, y down; floats) of an (n, 2) array of longitudes and latitudes."""
    xmin, ymin, xmax, ymax = bounds
    mx, my = to_mercator(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([(mx - xmin) * (EXTENT / (xmax - xmin)), (ymax - my) * (EXTENT / (ymax - ymin))])


def _point_features(rows, bounds, fields):
    if not rows:
        return []
    units = np.rint(_to_tile_units(np.array([(r.lon, r.lat) for r in rows], dtype=float), bounds))
    inside = ((units >= -BUFFER) & (units <= EXTENT + BUFFER)).all(axis=1)  # ST_AsMVTGeom's clip, edges included
    return [{"geometry": shapely.Point(point), "properties": _present(row._mapping, fields)}
            for row, point, keep in zip(rows, units, inside) if keep]


def _area_features(rows, bounds, totals):
    if not rows:
        return []
    geometries = shapely.transform(shapely.from_wkb([bytes(r[3]) for r in rows]),
                                   lambda coords: np.rint(_to_tile_units(coords, bounds)))
    frame = shapely.box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    valid = shapely.make_valid(geometries, method="structure", keep_collapsed=False)
    clipped = shapely.intersection(valid, frame, grid_size=1)  # snapped to whole units, valid, clipped
    values = totals.to_dict("index")
    features = []
    for row, geometry in zip(rows, clipped):
        polygons = _polygonal(geometry)
        if polygons is not None:
            found = values.get(row.code, {})
            properties = {"code": row.code, "name_km": row.name_km, "name_en": row.name_en,
                          **{name: int(found.get(name, 0)) for name in TOTALS}}
            features.append({"id": int(row.code), "geometry": polygons, "properties": properties})
    return features


def _polygonal(geometry):
    """The polygons of a clipped geometry (lines and points where a polygon touched the frame dropped), with
    exterior rings of positive area in y-down units, as MVT requires; None when nothing is left."""
    parts = [part for part in shapely.get_parts(geometry) if part.geom_type == "Polygon" and not part.is_empty]
    if not parts:
        return None
    return shapely.orient_polygons(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))


def _present(mapping, names):
    return {name: mapping[name] for name in names if mapping[name] is not None}  # ST_AsMVT skips NULLs too


def tilejson(layer, tile_url, data_version, bounds, filters, sample=False):
    """The TileJSON 3.0.0 document of a layer whose tiles are at ``tile_url`` ({z}/{x}/{y} template)."""
    spec = LAYERS[layer]
    west, south, east, north = (math.floor(bounds[0] * 1e4) / 1e4, math.floor(bounds[1] * 1e4) / 1e4,
                                math.ceil(bounds[2] * 1e4) / 1e4, math.ceil(bounds[3] * 1e4) / 1e4)
    params = filters.as_params()
    scope = "; ".join(f"{k}={v}" for k, v in params.items()) or "all projects"
    description = f"{spec.description}. Cambodia sub-national infrastructure projects 2014-2019 ({scope})."
    if sample:
        description += " SAMPLE DATA: generated records, not real projects."
    return {
        "tilejson": "3.0.0", "name": f"Cambodia sub-national infrastructure: {spec.name}",
        "description": description, "version": f"1.{data_version}.0", "attribution": ATTRIBUTION,
        "scheme": "xyz", "tiles": [tile_url], "minzoom": 0, "maxzoom": TILEJSON_MAXZOOM,
        "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 4), round((south + north) / 2, 4), 7],
        "vector_layers": [{"id": spec.name, "description": spec.description, "fields": dict(spec.fields),
                           "minzoom": 0, "maxzoom": TILEJSON_MAXZOOM}],
    }
