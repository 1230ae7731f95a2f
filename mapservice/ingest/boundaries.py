"""Generic boundary import: read a level from GeoJSON/GeoPackage/Shapefile, check it, simplify it as a coverage.

``import_boundaries`` is a recipe of private steps: read -> map fields -> reproject -> repair -> check codes
against the gazetteer and the parent level -> derive (area, label point, display geometry) -> store.
"""
import hashlib
import json
import logging
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from mapservice.config import PROJECT_ROOT
from mapservice.ingest import gazetteer
from mapservice.ingest.records import SourceError, normalise_code
from mapservice.store.models import CODE_LENGTH, LEVELS

logger = logging.getLogger(__name__)

# Field names per source layout. "ncdd2014" is the ODC/geoBoundaries 2014 set with NCDD codes that
# MAPSERVICE_DATA_DIR holds; "ocha" is the OCHA COD-AB layout (KH p-codes, no Khmer names).
PRESETS = {
    "ncdd2014": {
        "province": {"file": "boundaries/adm1_provinces/khm_adm1_provinces_2014_dissolved_from_adm3.geojson",
                     "code": "PROV_CODE", "name_en": "ADM1_EN", "name_km": "ADM1_KH"},
        "district": {"file": "boundaries/adm2_districts/khm_adm2_districts_2014_dissolved_from_adm3.geojson",
                     "code": "DIST_CODE", "name_en": "ADM2_EN", "name_km": "ADM2_KH"},
        "commune": {"file": "boundaries/adm3_communes/khm_adm3_communes_2014_with_codes.geojson",
                    "code": "COM_CODE", "name_en": "ADM3_EN", "name_km": "ADM3_KH"},
    },
    "ocha": {
        "province": {"code": "ADM1_PCODE", "name_en": "ADM1_EN"},
        "district": {"code": "ADM2_PCODE", "name_en": "ADM2_EN"},
        "commune": {"code": "ADM3_PCODE", "name_en": "ADM3_EN"},
    },
}
# Coverage-simplification tolerance per level, in degrees (about the side of the smallest triangle removed).
DISPLAY_TOLERANCE = {"province": 0.01, "district": 0.005, "commune": 0.003}
EQUAL_AREA_CRS = "EPSG:32648"  # WGS 84 / UTM 48N covers Cambodia
SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}


def level_fields(preset=None, code_field=None, name_en_field=None, name_km_field=None, level="commune"):
    """The field mapping for one level: a preset's, overridden by explicitly given field names."""
    fields = dict(PRESETS.get(preset, {}).get(level, {})) if preset else {}
    if preset and preset not in PRESETS:
        raise SourceError(f'preset was "{preset}"; expected one of {", ".join(PRESETS)}')
    fields.update({k: v for k, v in (("code", code_field), ("name_en", name_en_field),
                                     ("name_km", name_km_field)) if v})
    if "code" not in fields:
        raise SourceError("no code field: give --code-field or a --preset")
    return fields


def read_level(path, level, fields, names, max_bytes):
    """Read, check and derive one level; return a GeoDataFrame ready to store (no database involved)."""
    frame = _read_file(Path(path), max_bytes)
    frame = _map_fields(frame, fields, path)
    frame = _to_wgs84(frame, path)
    frame = _repair_geometry(frame, path)
    frame = _check_codes(frame, level, names, path)
    return _derive(frame, level)


def _read_file(path, max_bytes):
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    if path.suffix.lower() not in SUFFIXES:
        raise SourceError(f"{path}: unsupported file type {path.suffix!r}; expected GeoJSON, GeoPackage or Shapefile")
    size = path.stat().st_size
    if size == 0:
        raise SourceError(f"{path}: the file is empty")
    if size > max_bytes:
        raise SourceError(f"{path}: {size} bytes is larger than MAPSERVICE_MAX_IMPORT_BYTES ({max_bytes})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types for unreadable data
        raise SourceError(f"{path}: not a readable vector file ({exc})") from exc
    if frame.empty:
        raise SourceError(f"{path}: no features")
    return frame


def _map_fields(frame, fields, path):
    missing = [fields[k] for k in ("code", "name_en", "name_km") if k in fields and fields[k] not in frame.columns]
    if missing:
        raise SourceError(f"{path}: missing field(s) {', '.join(missing)}; the file has {', '.join(frame.columns[:-1])}")
    out = gpd.GeoDataFrame({
        "code": frame[fields["code"]].map(normalise_code),
        "file_name_en": frame[fields["name_en"]] if "name_en" in fields else None,
        "file_name_km": frame[fields["name_km"]] if "name_km" in fields else None,
    }, geometry=frame.geometry.values, crs=frame.crs)
    return out


def _to_wgs84(frame, path):
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise SourceError(f"{path}: no coordinate reference system and the coordinates are not lon/lat")
        return frame.set_crs(4326)
    return frame.to_crs(4326)


def _repair_geometry(frame, path):
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        raise SourceError(f"{path}: feature(s) {', '.join(map(str, frame.loc[empty, 'code'][:5]))} have no geometry")
    repaired = shapely.make_valid(frame.geometry.values)
    polygonal = [_polygonal_part(g) for g in repaired]
    bad = [code for code, g in zip(frame["code"], polygonal) if g is None]
    if bad:
        raise SourceError(f"{path}: feature(s) {', '.join(map(str, bad[:5]))} are not polygons")
    return frame.set_geometry(gpd.GeoSeries(polygonal, index=frame.index, crs=4326))


def _polygonal_part(geometry):
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    parts = [p for part in parts for p in shapely.get_parts(part)]
    return shapely.MultiPolygon(parts) if parts else None


def _check_codes(frame, level, names, path):
    length = CODE_LENGTH[level]
    wrong = frame[~frame["code"].fillna("").str.fullmatch(rf"\d{{{length}}}")]
    if len(wrong):
        raise SourceError(f"{path}: code(s) {', '.join(map(str, wrong['code'][:5]))} are not {level} codes "
                          f"({length} digits, optionally prefixed KH)")
    repeated = frame["code"][frame["code"].duplicated()]
    if len(repeated):
        raise SourceError(f"{path}: code(s) {', '.join(repeated.unique()[:5])} appear more than once")
    unknown = sorted(set(frame["code"]) - set(names["code"]))
    if unknown:
        raise SourceError(f"{path}: code(s) {', '.join(unknown[:5])} are not in the NCDD gazetteer 2014")
    merged = frame.merge(names, on="code", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=4326)


def _derive(frame, level):
    frame = frame.assign(level=level)
    frame["area_km2"] = frame.to_crs(EQUAL_AREA_CRS).area / 1e6
    label = frame.geometry.representative_point()
    frame["label_lon"], frame["label_lat"] = label.x, label.y
    display = shapely.coverage_simplify(frame.geometry.values, DISPLAY_TOLERANCE[level])
    frame["geom_display"] = [_polygonal_part(shapely.make_valid(g)) for g in display]
    return frame


def check_nesting(levels):
    """Every district's province and every commune's district must be present."""
    for child, parent in (("district", "province"), ("commune", "district")):
        if child in levels and parent in levels:
            orphans = sorted(set(levels[child]["parent_code"]) - set(levels[parent]["code"]))
            if orphans:
                raise SourceError(f"{child} parent(s) {', '.join(orphans[:5])} are missing from the {parent} level")


MANIFEST = PROJECT_ROOT / "data" / "boundaries" / "manifest.json"


def manifest_mismatch(data_dir, level, path):
    """A warning if a level's file is not the one the manifest lists (another release or a changed copy)."""
    entry = json.loads(MANIFEST.read_text(encoding="utf-8"))["levels"][level]
    if Path(path) != Path(data_dir) / entry["file"]:
        return None
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        return f"{path}: sha256 {digest} differs from data/boundaries/manifest.json ({entry['sha256']})"
    return None


def read_all_levels(data_dir, preset, overrides, max_bytes, only_level=None, file=None):
    """Read the levels to import: the three of a preset from data_dir, or one level from one file."""
    levels = {}
    for level in ([only_level] if only_level else LEVELS):
        fields = level_fields(preset, level=level, **overrides)
        path = Path(file) if file else Path(data_dir) / fields.get("file", "")
        if not file and "file" not in fields:
            raise SourceError(f"preset {preset!r} names no file for {level}; give --file")
        names = gazetteer.read_gazetteer(data_dir, level)
        logger.info("reading %s boundaries from %s", level, path)
        warning = path.exists() and manifest_mismatch(data_dir, level, path)
        if warning:
            logger.warning(warning)
        levels[level] = read_level(path, level, fields, names, max_bytes)
    check_nesting(levels)
    return levels


def to_rows(frame):
    """Rows for the admin_area table, geometries as EWKT."""
    records = pd.DataFrame({
        "code": frame["code"], "level": frame["level"], "parent_code": frame["parent_code"],
        "name_km": frame["name_km"], "name_en": frame["name_en"],
        "unit_type_km": frame["unit_type_km"], "unit_type_en": frame["unit_type_en"],
        "area_km2": frame["area_km2"], "label_lon": frame["label_lon"], "label_lat": frame["label_lat"],
        "geom": ["SRID=4326;" + g.wkt for g in frame.geometry],
        "geom_display": ["SRID=4326;" + g.wkt for g in frame["geom_display"]],
    })
    return records.astype(object).where(records.notna(), None).to_dict("records")
