"""OGC API - Features, Part 1: Core (GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS by reference) and Part 3
(Filtering, CQL2): the collections, the validation of the query parameters the standards define (bbox, datetime,
limit, crs, bbox-crs, filter, sortby, properties) plus the project filters, the item queries, and the documents
(landing page, conformance, collections, items, OpenAPI). No Flask here: the views pass the base URL of the API
(e.g. ``http://host/ogc``) and the query parameters as a plain dict."""
import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import quote, urlencode

import numpy as np
import shapely
import sqlalchemy as sa

from mapservice.formats import crs as crs_systems
from mapservice.formats import ogc_query, ogc_tiles
from mapservice.read import cql2, projects
from mapservice.read.cache import LRU
from mapservice.read.filters import (FILTER_PARAMETERS, FilterError, Filters, bbox_conditions, box_parameters,
                                     exact_box_conditions, parse_filters, project_conditions, projects_from,
                                     strip_parameters)
from mapservice.read.totals import area_values
from mapservice.store.models import CAMBODIA_BOUNDS, DATE_COLUMNS, AdminArea, Project

GEOJSON, JSON, HTML = "application/geo+json", "application/json", "text/html"
JSON_SCHEMA = "application/schema+json"
XML = "application/xml"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = crs_systems.CRS84
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    *[f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}" for name in ("core", "geojson", "html", "oas30")],
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *[f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{name}"
      for name in ("queryables", "filter", "features-filter")],
    *[f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
      for name in ("cql2-text", "cql2-json", "basic-cql2", "basic-spatial-functions",
                   "basic-spatial-functions-plus")],
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    *ogc_tiles.CONFORMANCE,
]
DEFAULT_LIMIT, MAX_LIMIT = 100, 10000
FORMATS = ("json", "html")
AREA_FILTERS = ("province", "district", "commune")
COORDINATE_DECIMALS = projects.COORDINATE_DECIMALS
# numberMatched is counted up to this many projects; beyond, it is left out (OGC API allows it). Counting visits
# the matches: at 1M projects a 0.5-degree box holds ~10,000, and counting them all doubled a page's database time.
MATCHED_LIMIT = 1_000
# the Page of a box and nothing else (read/projects.py), per database, properties and side of the antimeridian
_BOX_PAGES = LRU(32)
# From this offset on, the next link of a page of projects in the default order (no sortby) carries the last id of
# the page (after=<project_id>) instead of an offset: the database seeks to it on the primary key instead of
# walking past every project before it. Smaller offsets keep offset links (clients that page by offset).
KEYSET_FROM = 10_000


@dataclass(frozen=True)
class Collection:
    """One feature collection: what it holds and which filters select its features."""

    id: str
    title: str
    description: str
    kind: str  # "projects", "areas" (boundaries) or "statistics" (per-area totals)
    level: str | None = None
    filters: tuple = FILTER_PARAMETERS
    html_columns: tuple = ()


def _statistics(level, plural):
    return Collection(
        f"{level}-statistics", f"Projects per {level}",
        f"One feature per {level} (display geometry, every {level} listed, zeros included) with the number, budget, "
        "contract value and expenditure (riel) of the projects it holds for the filters; the datetime parameter "
        f"selects fiscal years. Choropleth-ready: style by any of the four numbers. Boundaries: /collections/{plural}.",
        "statistics", level, html_columns=("name_km", "name_en", "project_count", "budget", "contract_value",
                                           "expenditure"))


def _boundaries(level, plural, unit):
    return Collection(
        plural, f"{plural.capitalize()} (2014 boundaries)",
        f"Cambodia's {plural} ({unit}) of the 2014 NCDD boundary set: full-resolution polygons with codes, Khmer "
        "and Latin names, parent code, unit type and area (km²). The area filters select areas.",
        "areas", level, AREA_FILTERS,
        ("name_km", "name_en", "parent_code", "unit_type_en", "area_km2"))


COLLECTIONS = {c.id: c for c in (
    Collection("projects", "Infrastructure projects 2014-2019",
               "Sub-national infrastructure projects, one point each (the stated location, else the commune's "
               "representative point; null geometry when neither is known), with every open-contracting field. "
               "The datetime parameter selects fiscal years (the fiscal year is the calendar year).",
               "projects", html_columns=("title_km", "title_en", "sector", "fiscal_year", "commune_name_en",
                                         "budget", "expenditure", "status")),
    _boundaries("province", "provinces", "province/municipality"),
    _boundaries("district", "districts", "district/khan/krong"),
    _boundaries("commune", "communes", "commune/sangkat"),
    _statistics("province", "provinces"),
    _statistics("district", "districts"),
    _statistics("commune", "communes"),
)}


_PROJECTS = COLLECTIONS["projects"]


@dataclass(frozen=True)
class ItemsQuery:
    """The validated parameters of an items request."""

    filters: object
    bbox: tuple | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    nothing: bool = False  # the datetime and year parameters select no fiscal year at all
    condition: object = None  # the CQL2 filter as an SQLAlchemy condition (values bound)
    sortby: tuple = ()  # (property name, descending) pairs
    properties: tuple | None = None  # the property names to return; None = all
    crs: crs_systems.ReferenceSystem = crs_systems.DEFAULT
    after: str | None = None  # projects only: the page starts after this project_id (the keyset next links)


class Feature:
    """A GeoJSON feature whose geometry is kept as serialised text (polygons are large)."""

    __slots__ = ("geometry", "id", "properties")

    def __init__(self, id, properties, geometry):
        self.id, self.properties, self.geometry = id, properties, geometry

    @property
    def geometry_type(self):
        """Point, MultiPolygon... read from the serialised geometry; None when there is none."""
        return re.match(r'\{"type":"(\w+)"', self.geometry).group(1) if self.geometry else None

    def as_object(self):
        """The feature for ``projects.dumps`` (its geometry text embedded as it is)."""
        return projects.feature_object(self.id, self.properties, self.geometry)


# --- parameters -------------------------------------------------------------------------------------------

def allowed_parameters(collection=None, single=False):
    """The query parameters an endpoint declares; any other is refused (/req/core/query-param-unknown)."""
    if collection is None:
        return ("f",)
    if single:
        return ("f", "crs", "properties", *(("datetime", *collection.filters) if collection.kind == "statistics"
                                             else ()))
    return ("f", "bbox", "bbox-crs", "datetime", "limit", "offset", *(("after",) if collection.kind == "projects"
                                                                     else ()),
            "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties", *collection.filters)


def check_parameters(args, allowed):
    """Refuse a parameter the API definition does not declare, naming it and the ones allowed."""
    for name, value in args.items():
        if name not in allowed:
            raise FilterError(name, value, f"only the parameters this endpoint declares: {', '.join(allowed)} "
                                           "(OGC API - Features refuses unknown parameters; see /ogc/api)")


def parse_format(value):
    """json or html (None when not given)."""
    if value is None:
        return None
    if value.strip() not in FORMATS:
        raise FilterError("f", value, "json or html")
    return value.strip()


def parse_items_query(args, collection, area_codes, first_year, last_year, single=False):
    """Validate the parameters of an items (or statistics item) request into an ``ItemsQuery``."""
    check_parameters(args, allowed_parameters(collection, single))
    filters = parse_filters({k: v for k, v in args.items() if k in collection.filters}, area_codes,
                            first_year, last_year)
    nothing = False
    if args.get("datetime") is not None:
        start, end = parse_datetime(args["datetime"])
        low, high = max(start or first_year, filters.year_from or first_year), min(
            end or last_year, filters.year_to or last_year)
        nothing = low > high
        filters = dataclasses.replace(filters, year_from=low, year_to=high) if not nothing else filters
    output = {"properties": ogc_query.parse_properties(args.get("properties"), PROPERTIES[collection.kind]),
              "crs": crs_systems.parse_crs(args.get("crs"))}
    if single:
        return ItemsQuery(filters, nothing=nothing, **output)
    bbox = parse_bbox(args.get("bbox"), crs_systems.parse_crs(args.get("bbox-crs"), "bbox-crs"))
    offset, sortby = _whole_number(args, "offset", 0, 0), ogc_query.parse_sortby(args.get("sortby"), collection)
    return ItemsQuery(filters, bbox, parse_limit(args.get("limit")), offset, nothing,
                      parse_filter_parameters(args, collection), sortby, after=projects.parse_after(args, offset or sortby, "offset and sortby"),
                      **output)


def parse_tile_filters(args, collection, area_codes, first_year, last_year):
    """The filters of a tile or tileset request: the /tiles filters (those of the projects on every kind, since
    area tiles carry the totals), f and nothing else."""
    allowed = ("f", *FILTER_PARAMETERS)
    check_parameters(args, allowed)
    return parse_filters({k: v for k, v in args.items() if k != "f"}, area_codes, first_year, last_year)


def parse_filter_parameters(args, collection):
    """The CQL2 condition of filter, filter-lang and filter-crs (None without a filter)."""
    if args.get("filter") is None:
        if args.get("filter-lang") is not None or args.get("filter-crs") is not None:
            raise FilterError("filter-lang" if args.get("filter-lang") else "filter-crs",
                              args.get("filter-lang") or args.get("filter-crs"), "to be given with a filter")
        return None
    system = crs_systems.parse_crs(args.get("filter-crs"), "filter-crs")
    return cql2.parse_filter(args["filter"], args.get("filter-lang"), ogc_query.QUERYABLES[collection.kind],
                             lambda shape: crs_systems.to_crs84(shape, system))


def _whole_number(args, name, default, low):
    text = (args.get(name) or "").strip() or str(default)
    if not text.isdigit() or int(text) < low:
        raise FilterError(name, text, f"a whole number of at least {low}")
    return int(text)


def parse_limit(value):
    """1 or more (default 100); above 10000 is served as 10000, as the standard asks, not refused."""
    return min(_whole_number({"limit": value}, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)


def parse_bbox(text, system=crs_systems.DEFAULT):
    """minlon,minlat,maxlon,maxlat (or six numbers with heights, which are ignored) in CRS84, or the four
    corners in the axis order of ``system`` (bbox-crs), returned as CRS84."""
    if text is None:
        return None
    expected = ("4 numbers minlon,minlat,maxlon,maxlat in decimal degrees (WGS 84), minlat <= maxlat, "
                "or 6 with heights" if system is crs_systems.DEFAULT else
                f"4 numbers (or 6 with heights): the lower and upper corners in {system.uri}, in its axis order")
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise FilterError("bbox", text, expected) from None
    if len(numbers) not in (4, 6) or not all(np.isfinite(numbers)):
        raise FilterError("bbox", text, expected)
    corners = numbers if len(numbers) == 4 else (numbers[0], numbers[1], numbers[3], numbers[4])
    if system.epsg is not None and (corners[0] > corners[2] or corners[1] > corners[3]):
        raise FilterError("bbox", text, expected)
    minx, miny, maxx, maxy = crs_systems.to_crs84_bounds(corners, system)
    if not all(np.isfinite((minx, miny, maxx, maxy))) or not (
            -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise FilterError("bbox", text, expected)
    return minx, miny, maxx, maxy


DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?)?")


def parse_datetime(text):
    """An RFC 3339 instant or interval (open ends as .. or empty) -> (first year, last year) it touches.

    A project's time is its fiscal year (the calendar year, UTC), so an interval selects every fiscal
    year it intersects; None stands for an open end.
    """
    expected = ("an RFC 3339 date or date-time, or an interval such as 2016-01-01T00:00:00Z/2016-12-31T23:59:59Z, "
                "2016-05-01 or ../2017-12-31 (start before end)")
    parts = text.strip().split("/")
    if len(parts) > 2 or (len(parts) == 1 and parts[0] in ("", "..")):
        raise FilterError("datetime", text, expected)
    try:
        instants = [None if part in ("", "..") else _instant(part) for part in parts]
    except ValueError:
        raise FilterError("datetime", text, expected) from None
    start, end = instants[0], instants[-1]
    if start is not None and end is not None and start > end:
        raise FilterError("datetime", text, expected)
    return (start.year if start else None), (end.year if end else None)


def _instant(text):
    if not DATE_TIME.fullmatch(text):
        raise ValueError(text)
    if len(text) == 10:
        value = datetime.combine(date.fromisoformat(text), datetime.min.time())
    else:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc)


# --- items ------------------------------------------------------------------------------------------------

def query_items(session, snapshot, collection, query):
    """One page of features and the number matched (None when more than ``MATCHED_LIMIT`` would have to be
    counted), for a validated ``ItemsQuery``."""
    if query.nothing:
        return [], 0
    if collection.kind == "projects":
        features, matched = _project_items(session, snapshot, query)
        return present(features, query, selected=True), matched
    select = _area_select(collection.level, query.filters, query.bbox)
    if query.condition is not None:
        select = select.where(query.condition)
    matched = session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))
    ordered = select.order_by(*ogc_query.sort_order(query.sortby, collection))
    if collection.kind == "areas":
        page = ordered.offset(query.offset).limit(query.limit)
        return present(_boundary_features(session, page), query), matched
    if any(name in ogc_query.TOTALS for name, _ in query.sortby):  # totals are computed, so sorted here
        features = _statistics_features(session, snapshot, collection.level, list(session.scalars(ordered)),
                                        query.filters)
        for name, descending in reversed(query.sortby):  # stable sorts, last key first
            features.sort(key=lambda f: f.properties[name], reverse=descending)
        return present(features[query.offset:query.offset + query.limit], query), matched
    codes = list(session.scalars(ordered.offset(query.offset).limit(query.limit)))
    return present(_statistics_features(session, snapshot, collection.level, codes, query.filters), query), matched


def get_item(session, snapshot, collection, feature_id, query):
    """One feature by its id (project id or area code), or None; a statistics item totals the query's filters."""
    if collection.kind == "projects":
        page = projects.Page.of_features([Project.project_id == feature_id], [], query.properties)
        found = projects.features(page.read(session, 1, 0, snapshot.areas.areas, drop_nulls=True)[0])
        return present([Feature(*found[0])], query, selected=True)[0] if found else None
    select = sa.select(AdminArea.code).where(AdminArea.level == collection.level, AdminArea.code == feature_id)
    if collection.kind == "areas":
        return next(iter(present(_boundary_features(session, select), query)), None)
    if session.scalar(select) is None:
        return None
    return present(_statistics_features(session, snapshot, collection.level, [feature_id],
                                        None if query.nothing else query.filters), query)[0]


def present(features, query, selected=False):
    """Features with only the properties asked for (unless the query ``selected`` them), their geometry in the CRS
    asked for."""
    if (query.properties is None or selected) and query.crs is crs_systems.DEFAULT:
        return features
    return [Feature(f.id, f.properties if query.properties is None or selected
                    else {k: f.properties[k] for k in query.properties},
                    crs_systems.geojson_in(f.geometry, query.crs)) for f in features]


def _project_where(session, query):
    """(what the query's projects are selected from, its conditions): the filters', the box's and the CQL2 filter's
    conditions, on the projects or (a box on SpatiaLite) the projects joined to their spatial index."""
    dialect = session.get_bind().dialect.name
    conditions = [*project_conditions(query.filters), *bbox_conditions(query.bbox, dialect)]
    return (projects_from(query.bbox, dialect),
            conditions if query.condition is None else [*conditions, query.condition])


def _project_items(session, snapshot, query):
    """The page's features and the number matched. A property without a value is left out (the schema lists them
    all), which makes a page of projects a third of the size. The projects of a box come in the grid's order
    unless a sortby is given (``grid_ids``: the page reads about its own length of the index, where the order by
    id read and sorted every project of the box). The last page (not full) needs no count: its offset and length
    give it; others are counted in the page's own statement. (Counting with a window was tried: the planner then
    walks the primary key over every project for a large box, thinking the LIMIT stops it early.)"""
    parameters = {} if query.bbox is None else box_parameters(query.bbox)
    if _in_grid_order(query):
        parameters |= strip_parameters(query.bbox, session.get_bind().dialect.name)
        if query.after is not None:
            parameters |= {"after_cell": _cell_of(session, query.after), "after_id": query.after}
    if query.after is None and not query.sortby and query.condition is None and query.filters == Filters() and (
            query.bbox is not None):  # a box and nothing else, the clients' usual page: its Page is kept
        properties = None if query.properties is None else tuple(query.properties)
        key = (session.get_bind().dialect.name, properties, query.bbox[0] > query.bbox[2])
        page = _BOX_PAGES.get_or_build(key, lambda: _project_page(session, query))
    else:
        page = _project_page(session, query)
    found, counted = page.read(session, query.limit, query.offset, snapshot.areas.areas, drop_nulls=True,
                               parameters=parameters)
    if found and len(found) < query.limit and query.after is None:
        matched = query.offset + len(found)
    elif counted is not None:
        matched = counted if counted <= MATCHED_LIMIT else None
    else:
        matched = _projects_matched(session, snapshot, _project_where(session, query))
    return [Feature(*feature) for feature in projects.features(found)], matched


def _in_grid_order(query):
    """Whether a page of projects comes in the grid's order: that of a box without a sortby."""
    return query.bbox is not None and not query.sortby


def _project_page(session, query):
    """The Page of projects for the query's conditions, order and keyset, counted up to MATCHED_LIMIT when any
    filters: a box's in the grid's order, counted on the grid's index; others on ``_project_where``'s."""
    if _in_grid_order(query):
        within = [*project_conditions(query.filters), *exact_box_conditions(query.bbox),
                  *([] if query.condition is None else [query.condition])]
        dialect = session.get_bind().dialect.name
        return projects.Page.of_features((), (), query.properties,
                                         projects.grid_count_up_to(within, MATCHED_LIMIT, dialect),
                                         ids=projects.grid_ids(within, dialect, keyset=query.after is not None))
    source, conditions = _project_where(session, query)
    count = projects.count_up_to(conditions, MATCHED_LIMIT, source) if conditions else None
    keyset = [] if query.after is None else [Project.project_id > query.after]
    return projects.Page.of_features([*conditions, *keyset], ogc_query.sort_order(query.sortby, _PROJECTS),
                                     query.properties, count, source)


def _cell_of(session, project_id):
    """The grid cell of the project a keyset page of a box starts after (``after``)."""
    cell = session.scalar(sa.select(projects.CELL).where(Project.project_id == project_id))
    if cell is None:
        raise FilterError("after", project_id, "the id of a project with a point, as the next link of the page "
                                               "before gave it (this one is not, or no longer, published)")
    return cell


def _projects_matched(session, snapshot, where):
    """The number of projects matched: counted on the same indexes as the page up to ``MATCHED_LIMIT`` rows (a
    few milliseconds), the count of every project kept per data version when nothing filters, None (numberMatched
    left out, as OGC API allows) when a filter matches more."""
    source, conditions = where
    if not conditions:
        return snapshot.memo("project_count", lambda: session.scalar(sa.select(sa.func.count()).select_from(Project)))
    matched = session.scalar(sa.select(projects.count_up_to(conditions, MATCHED_LIMIT, source)))
    return matched if matched <= MATCHED_LIMIT else None


def _area_select(level, filters, bbox):
    """Codes of the areas of a level inside the area filters (their sub-areas and ancestors) and the bbox."""
    select = sa.select(AdminArea.code).where(AdminArea.level == level)
    prefixes = filters.commune or filters.district or filters.province
    if prefixes:
        ancestors = {p[:n] for p in prefixes for n in (2, 4) if n < len(p)}
        select = select.where(sa.or_(*[AdminArea.code.startswith(p) for p in prefixes], AdminArea.code.in_(ancestors)))
    if bbox is not None:
        select = select.where(sa.or_(*[AdminArea.geom.ST_Intersects(sa.func.ST_GeomFromText(box.wkt, 4326))
                                       for box in _boxes(bbox)]))
    return select


def _boxes(bbox):
    minx, miny, maxx, maxy = bbox
    spans = [(minx, maxx)] if minx <= maxx else [(minx, 180.0), (-180.0, maxx)]
    # the envelope of the corners is a point or a line when the box is flat, which ST_Intersects handles
    return [shapely.envelope(shapely.MultiPoint([(x0, miny), (x1, maxy)])) for x0, x1 in spans]


def _boundary_features(session, select):
    a = AdminArea
    rows = session.execute(select.with_only_columns(
        a.code, a.level, a.name_km, a.name_en, a.parent_code, a.unit_type_km, a.unit_type_en, a.area_km2,
        sa.func.ST_AsBinary(a.geom))).all()
    if not rows:
        return []
    geometries = shapely.transform(shapely.from_wkb([bytes(row[-1]) for row in rows]),
                                   lambda xy: np.round(xy, COORDINATE_DECIMALS))
    keys = ["code", "level", "name_km", "name_en", "parent_code", "unit_type_km", "unit_type_en"]
    return [Feature(row[0], dict(zip(keys, row[:7])) | {"area_km2": round(row[7], 3)}, text)
            for row, text in zip(rows, shapely.to_geojson(geometries))]


def _statistics_features(session, snapshot, level, codes, filters):
    values = area_values(session, filters, level).to_dict("index") if filters is not None else {}
    zero = {"project_count": 0, "budget": 0, "contract_value": 0, "expenditure": 0}
    features = []
    for code in codes:
        area = snapshot.areas.areas[level][code]
        properties = {"code": code, "level": level, "name_km": area["name_km"], "name_en": area["name_en"],
                      "parent_code": area["parent_code"], **{k: int(v) for k, v in values.get(code, zero).items()}}
        features.append(Feature(code, properties, area["geometry"]))
    return features


# --- documents --------------------------------------------------------------------------------------------

def link(href, rel, media_type, title):
    """A link object of OGC API (href, rel, type, title)."""
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(url, fmt, json_type=JSON, title="this document"):
    """self and alternate: the JSON and HTML renderings of one resource."""
    renderings = {"json": link(f"{url}?f=json", "", json_type, f"{title} as JSON"),
                  "html": link(f"{url}?f=html", "", HTML, f"{title} as HTML")}
    return [renderings[fmt] | {"rel": "self"}] + [renderings[other] | {"rel": "alternate"}
                                                  for other in FORMATS if other != fmt]


def landing_page(base, fmt):
    """The landing page: what this is, and links to the API definition, conformance and collections."""
    return {
        "title": "Cambodia sub-national infrastructure projects (OGC API - Features)",
        "description": "Infrastructure projects 2014-2019 of Cambodia's communes, districts and provinces, the 2014 "
                       "boundaries, and per-area totals, as GeoJSON features for GIS software (QGIS, GDAL/OGR, R sf, "
                       "OWSLib). Khmer and Latin names.",
        "links": _self_links(base, fmt, title="landing page") + [
            link(f"{base}/api", "service-desc", OPENAPI, "API definition (OpenAPI 3.0)"),
            link(f"{base}/api?f=html", "service-doc", HTML, "API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "conformance classes implemented"),
            link(f"{base}/conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON,
                 "conformance classes implemented"),
            link(f"{base}/collections", "data", JSON, "feature collections"),
            link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "feature collections"),
            link(f"{base}/tileMatrixSets", ogc_tiles.TILING_SCHEMES, JSON, "tile matrix sets (OGC API - Tiles)"),
        ],
    }


def conformance():
    """The conformance declaration: Part 1 core, GeoJSON, HTML, OpenAPI 3.0."""
    return {"conformsTo": CONFORMANCE}


def spatial_extents(session, snapshot):
    """Bounding boxes [minlon, minlat, maxlon, maxlat]: of the communes, and of those with the projects' points."""
    stored = snapshot.communes.total_bounds if len(snapshot.communes) else CAMBODIA_BOUNDS
    p = Project
    lon0, lat0, lon1, lat1 = session.execute(sa.select(sa.func.min(p.lon), sa.func.min(p.lat), sa.func.max(p.lon),
                                                       sa.func.max(p.lat))).one()
    points = stored if lon0 is None else (min(stored[0], lon0), min(stored[1], lat0), max(stored[2], lon1),
                                          max(stored[3], lat1))
    return {"areas": _outward(stored), "projects": _outward(points)}


def _outward(bounds):
    low = [float(np.floor(v * 1e4) / 1e4) for v in bounds[:2]]
    high = [float(np.ceil(v * 1e4) / 1e4) for v in bounds[2:]]
    return low + high


def collection_info(collection, base, extents, first_year, last_year, fmt="json"):
    """One collection's description: extent (CRS84, fiscal years), item type, CRS and links."""
    url = f"{base}/collections/{collection.id}"
    return {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": crs_systems.URIS, "storageCrs": CRS84,
        "extent": {
            "spatial": {"bbox": [extents["projects" if collection.kind == "projects" else "areas"]], "crs": CRS84},
            "temporal": {"interval": [[f"{first_year}-01-01T00:00:00Z", f"{last_year}-12-31T23:59:59Z"]],
                         "trs": GREGORIAN},
        },
        "links": _self_links(url, fmt, title=collection.title) + [
            link(f"{url}/items?f=json", "items", GEOJSON, f"{collection.title} (GeoJSON)"),
            link(f"{url}/items?f=html", "items", HTML, f"{collection.title} (HTML)"),
            link(f"{url}/schema", "describedby", JSON_SCHEMA, "feature schema (JSON Schema)"),
            # GDAL 3.6's OAPIF driver compares this relation type case-sensitively as "describedBy"
            link(f"{url}/schema", "describedBy", JSON_SCHEMA, "feature schema (JSON Schema)"),
            # GDAL takes the field types from this one when present (Integer64 money)
            link(f"{url}/schema.xsd", "describedBy", XML, "feature schema (GML application schema, XSD)"),
            link(f"{url}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", JSON_SCHEMA,
                 "queryables: what filter and sortby may name (JSON Schema)"),
            link(f"{url}/queryables", "queryables", JSON, "queryables (for GDAL up to 3.6)"),
            *ogc_tiles.collection_links(collection, base),
        ],
    }


# Property types per collection kind; any property may be null. Money is whole riel: "integer" with "format":
# "int64" in the JSON Schema, xs:long in the GML application schema (formats/gml_schema.py). GDAL's OAPIF driver
# (3.6 and later) reads the XML schema when a collection links one, and makes an Integer64 field of xs:long; of a
# JSON Schema "integer" it makes a 32-bit Integer whatever the format, which would clamp riel totals past 2^31.
# Dates are "format": "date" (xs:date): GDAL makes Date fields, and sends a -where on them as CQL2.
MONEY = {"budget", "contract_value", "expenditure", "cs_fund", "local_contribution"}
NUMBERS = {"area_km2", "exchange_rate"}
INTEGERS = {"fiscal_year", "number_of_bidders", "project_count"}
BOOLEANS = {"eia_required", "is_sample"}
PROPERTIES = {
    "projects": [f for f in projects.RECORD_FIELDS if f not in ("lon", "lat")],
    "areas": ["code", "level", "name_km", "name_en", "parent_code", "unit_type_km", "unit_type_en", "area_km2"],
    "statistics": ["code", "level", "name_km", "name_en", "parent_code", "project_count", "budget", "contract_value",
                   "expenditure"],
}


def property_kind(name):
    """The one type of a property: money, date, number, integer, boolean or string."""
    kinds = ((MONEY, "money"), (DATE_COLUMNS, "date"), (NUMBERS, "number"), (INTEGERS, "integer"),
             (BOOLEANS, "boolean"))
    return next((kind for names, kind in kinds if name in names), "string")


def _property_schema(name):
    kind = property_kind(name)
    if kind == "money":
        return {"type": "integer", "format": "int64", "description": "whole riel"}
    if kind == "date":
        return {"type": "string", "format": "date", "description": "ISO 8601 date, YYYY-MM-DD"}
    return {"type": kind}


def feature_schema(collection, base):
    """A JSON Schema of the collection's features (GDAL and QGIS take the field types from it)."""
    url = f"{base}/collections/{collection.id}/schema"
    geometry = "Point" if collection.kind == "projects" else "MultiPolygon"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url, "title": collection.title,
        "description": f"{collection.description} Any property may be null when it is not known.",
        "type": "object", "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"oneOf": [{"type": "null"}, {"$ref": f"https://geojson.org/schema/{geometry}.json"}]},
            "properties": {"type": "object", "properties": {
                name: _property_schema(name) for name in PROPERTIES[collection.kind]}},
        },
    }


def collections_document(base, extents, first_year, last_year, fmt):
    """Every collection, with links."""
    return {"links": _self_links(f"{base}/collections", fmt, title="feature collections"),
            "collections": [collection_info(c, base, extents, first_year, last_year) for c in COLLECTIONS.values()]}


def items_links(base, collection, args, query, matched, returned, fmt, last_id=None):
    """self, alternate, next and prev (the other parameters kept) and the collection. Deep in the default order of
    the projects (from ``KEYSET_FROM``, or after a keyset page) next carries ``after=<last_id>``, and a keyset page
    has no prev link."""
    url = f"{base}/collections/{collection.id}/items"
    kept = {k: v for k, v in args.items() if k not in ("f", "offset", "limit", "after")}

    def page(rel, f, offset, media_type, title, after=None):
        position = {"offset": offset} if after is None else {"after": after}
        return link(url + "?" + urlencode(kept | {"limit": query.limit, **position, "f": f}), rel, media_type,
                    title)

    other = "html" if fmt == "json" else "json"
    types = {"json": GEOJSON, "html": HTML}
    links = [page("self", fmt, query.offset, types[fmt], "this page", query.after),
             page("alternate", other, query.offset, types[other], f"this page as {other.upper()}", query.after)]
    full = returned == query.limit
    if full if matched is None or query.after is not None else query.offset + returned < matched:
        keyset = (collection.kind == "projects" and not query.sortby and last_id is not None
                  and (query.after is not None or query.offset + query.limit >= KEYSET_FROM))
        links.append(page("next", fmt, query.offset + query.limit, types[fmt], "next page",
                          last_id if keyset else None))
    if query.offset > 0:
        links.append(page("prev", fmt, max(query.offset - query.limit, 0), types[fmt], "previous page"))
    links.append(link(f"{base}/collections/{collection.id}?f=json", "collection", JSON, collection.title))
    return links


def items_document(features, matched, links):
    """The GeoJSON FeatureCollection (JSON bytes) of one page, with numberMatched (unless unknown), numberReturned
    and timeStamp."""
    members = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(features),
               "timeStamp": timestamp(), "links": links, "features": [f.as_object() for f in features]}
    if matched is None:
        del members["numberMatched"]
    return projects.dumps(members)


def item_document(feature, base, collection, fmt):
    """One feature as GeoJSON text, with its links."""
    url = f"{base}/collections/{collection.id}/items/{quote(feature.id, safe='')}"
    links = _self_links(url, fmt, GEOJSON, title="this feature") + [
        link(f"{base}/collections/{collection.id}?f=json", "collection", JSON, collection.title)]
    return projects.dumps(feature.as_object() | {"links": links})


def timestamp():
    """Now, in UTC, as RFC 3339 (the timeStamp of an items page)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
