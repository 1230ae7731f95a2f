"""Project locations. A phone never receives the whole country's points: below zoom 12 (or when more than
MAX_POINTS projects match) projects are aggregated per district or commune at the area's label point."""
import json

import sqlalchemy as sa

from layers.base import SEQUENTIAL, Layer, class_breaks, feature_collection, legend
from mapservice.read.filters import FilterError, project_conditions
from mapservice.read.totals import area_values
from mapservice.store.models import Project

MAX_POINTS = 3000
POINT_FIELDS = ("project_id", "title_km", "title_en", "sector", "status", "fiscal_year", "budget", "expenditure",
                "location_precision", "join_status")


def parse_options(args):
    """zoom (0-20, default 7) and bbox (minlon,minlat,maxlon,maxlat) from query parameters."""
    zoom_text = (args.get("zoom") or "7").strip()
    if not zoom_text.isdigit() or int(zoom_text) > 20:
        raise FilterError("zoom", zoom_text, "a whole number from 0 to 20")
    options = {"zoom": int(zoom_text), "bbox": None}
    bbox_text = (args.get("bbox") or "").strip()
    if bbox_text:
        try:
            bbox = [float(part) for part in bbox_text.split(",")]
        except ValueError:
            bbox = []
        if len(bbox) != 4 or bbox[0] >= bbox[2] or bbox[1] >= bbox[3]:
            raise FilterError("bbox", bbox_text, "4 numbers minlon,minlat,maxlon,maxlat with min < max")
        options["bbox"] = tuple(bbox)
    return options


def build(layer, session, areas, filters, level, options):
    zoom, bbox = options.get("zoom", 7), options.get("bbox")
    if zoom >= 12:
        points = _points(session, filters, bbox)
        if points is not None:
            return feature_collection(points, {"layer": layer.name, "aggregated": None, "filters": filters.as_params()})
    cluster_level = "district" if zoom < 9 else "commune"
    return _clusters(layer, session, areas, filters, cluster_level, bbox)


def _points(session, filters, bbox):
    conditions = [Project.lon.is_not(None), *project_conditions(filters)]
    if bbox:
        conditions += [Project.lon.between(bbox[0], bbox[2]), Project.lat.between(bbox[1], bbox[3])]
    count = session.scalar(sa.select(sa.func.count()).select_from(Project).where(*conditions))
    if count > MAX_POINTS:
        return None
    columns = [getattr(Project, name) for name in POINT_FIELDS] + [Project.lon, Project.lat]
    rows = session.execute(sa.select(*columns).where(*conditions).order_by(Project.project_id))
    return [_point_feature(row) for row in rows]


def _point_feature(row):
    values = row._mapping
    properties = {name: values[name] for name in POINT_FIELDS}
    return ('{"type":"Feature","id":' + json.dumps(values["project_id"]) + ',"properties":'
            + json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":{"type":"Point","coordinates":[' + f"{values['lon']:.5f},{values['lat']:.5f}" + "]}}")


def _clusters(layer, session, areas, filters, level, bbox):
    values = area_values(session, filters, level)
    features, counts = [], []
    for code, totals in values.iterrows():
        area = areas.areas[level].get(code)
        lon, lat = area["label"]
        if bbox and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
            continue
        properties = {"cluster": True, "code": code, "level": level, "name_km": area["name_km"],
                      "name_en": area["name_en"], **{k: int(v) for k, v in totals.items()}}
        counts.append(properties["project_count"])
        features.append('{"type":"Feature","id":"' + code + '","properties":'
                        + json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
                        + ',"geometry":{"type":"Point","coordinates":[' + f"{lon},{lat}" + "]}}")
    breaks = class_breaks(counts, "quantiles")
    return feature_collection(features, {"layer": layer.name, "aggregated": level, "filters": filters.as_params(),
                                         "legend": legend(layer, breaks, SEQUENTIAL, lower=0)})


LAYER = Layer(
    name="project_points",
    title={"km": "ទីតាំងគម្រោង", "en": "Project locations"},
    description={"km": "ទីតាំងគម្រោងនីមួយៗ (ប្រមូលផ្តុំតាមស្រុក ឬឃុំ នៅពេលពង្រីកតិច)",
                 "en": "Where each project is (grouped per district or commune when zoomed out)"},
    legend_title={"km": "ចំនួនគម្រោង", "en": "Projects"},
    kind="points",
    build=build,
    popup_fields=("title_km", "title_en", "sector", "project_type", "budget", "contract_value", "expenditure",
                  "planned_start", "planned_end", "actual_start", "actual_end", "contract_number",
                  "awarded_tenderer", "number_of_bidders", "eia_required", "eia_status", "location_precision",
                  "pid_url"),
    classification="quantiles",
    options={"zoom": "0-20; below 12 projects are grouped per district (zoom < 9) or commune",
             "bbox": "minlon,minlat,maxlon,maxlat"},
    parse_options=parse_options,
)
