"""OGC API - Features Part 2 (CRS by reference): the coordinate reference systems features can be served in and
bboxes given in, and the transformations (pyproj) from the stored CRS84. No Flask here.

EPSG:4326 is latitude, longitude (its axis order); CRS84 (the default) is longitude, latitude."""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyproj
import shapely

from mapservice.read.filters import FilterError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@dataclass(frozen=True)
class ReferenceSystem:
    """A CRS the API offers: its URI, EPSG code (None for CRS84), whether it is lat/lon and the decimals kept."""

    uri: str
    epsg: int | None
    latitude_first: bool
    decimals: int
    title: str


SYSTEMS = {s.uri: s for s in (
    ReferenceSystem(CRS84, None, False, 6, "WGS 84 longitude, latitude (CRS84, the default)"),
    ReferenceSystem("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True, 6, "WGS 84 latitude, longitude"),
    ReferenceSystem("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, False, 2, "Web Mercator (metres)"),
    ReferenceSystem("http://www.opengis.net/def/crs/EPSG/0/32648", 32648, False, 2, "WGS 84 / UTM zone 48N (metres)"),
)}
URIS = list(SYSTEMS)
DEFAULT = SYSTEMS[CRS84]


def parse_crs(value, parameter="crs"):
    """A CRS URI (also as [EPSG:3857] or EPSG:3857) -> ReferenceSystem; None gives CRS84."""
    if value is None:
        return DEFAULT
    text = value.strip().strip("[]")
    if text.upper() in ("CRS84", "OGC:CRS84"):
        text = CRS84
    elif text.upper().startswith("EPSG:"):
        text = f"http://www.opengis.net/def/crs/EPSG/0/{text[5:]}"
    found = SYSTEMS.get(text) or SYSTEMS.get(text.replace("https://", "http://"))
    if found is None:
        raise FilterError(parameter, value, f"one of {', '.join(URIS)}")
    return found


@lru_cache(maxsize=None)
def _transformer(source, target):
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def to_crs84_bounds(bbox, system):
    """A bbox given in ``system`` (in its axis order) as minlon, minlat, maxlon, maxlat."""
    if system.epsg is None:
        return bbox
    if system.latitude_first:
        return bbox[1], bbox[0], bbox[3], bbox[2]
    return _transformer(f"EPSG:{system.epsg}", "OGC:CRS84").transform_bounds(*bbox, densify_pts=21)


def from_crs84(geometries, system):
    """Shapely geometries (CRS84) in ``system``, in its axis order, rounded to its precision."""
    if system.epsg is None:
        return shapely.transform(geometries, lambda xy: np.round(xy, system.decimals))
    transformer = _transformer("OGC:CRS84", f"EPSG:{system.epsg}")

    def project(xy):
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        pairs = np.column_stack([y, x] if system.latitude_first else [x, y])
        return np.round(pairs, system.decimals)

    return shapely.transform(geometries, project)


def geojson_in(text, system):
    """A serialised CRS84 GeoJSON geometry re-serialised in ``system`` (itself when it is CRS84)."""
    if text is None or system.epsg is None:
        return text
    return shapely.to_geojson(from_crs84(shapely.from_geojson(text), system))


def content_crs(system):
    """The Content-Crs header value."""
    return f"<{system.uri}>"


def to_crs84(shape, system):
    """A shapely geometry given in ``system`` (in its axis order) as CRS84 longitude, latitude."""
    if system.epsg is None:
        return shape
    if system.latitude_first:
        return shapely.transform(shape, lambda xy: xy[:, ::-1])
    transformer = _transformer(f"EPSG:{system.epsg}", "OGC:CRS84")
    return shapely.transform(shape, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
