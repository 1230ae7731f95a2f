"""What every layer declares (titles, legend, filters, popup, classification) and the shared pieces:
per-level area geometry serialised once per data version, per-area values, and class breaks."""
import json
from dataclasses import dataclass, field

import mapclassify
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from mapservice import store
from mapservice.filters import CODE_LENGTH, FILTER_PARAMETERS, project_conditions
from mapservice.models import LEVELS, AreaStatistic, Project

# Decimal places kept per level: about 110 m for provinces, 11 m for districts and communes
# (RFC 7946 recommends trimming; the display geometry is simplified coarser than that anyway).
PRECISION = {"province": 3, "district": 4, "commune": 4}
LEVEL_COLUMN = {"province": Project.province_code, "district": Project.district_code, "commune": Project.commune_code}
MEASURES = ["project_count", "budget", "contract_value", "expenditure"]
SEQUENTIAL = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]


@dataclass(frozen=True)
class Layer:
    """A map layer: its metadata and the function that builds its GeoJSON for given filters.

    Attributes
    ----------
    name : str
        URL name, e.g. ``"expenditure"``.
    title, description, legend_title : dict
        ``{"km": ..., "en": ...}``.
    kind : str
        ``"choropleth"``, ``"points"`` or ``"outline"``.
    build : callable
        ``build(layer, session, areas, filters, level, options) -> str``: GeoJSON text of a
        FeatureCollection with ``layer``, ``level``, ``legend`` and ``totals`` as foreign members.
    """

    name: str
    title: dict
    description: dict
    legend_title: dict
    kind: str
    build: object
    levels: tuple = LEVELS
    filters: tuple = FILTER_PARAMETERS
    popup_fields: tuple = ()
    classification: str | None = None
    options: dict = field(default_factory=dict)
    parse_options: object = None  # parse_options(args) -> dict of layer-specific parameters (zoom, bbox...)

    def metadata(self):
        return {"name": self.name, "title": self.title, "description": self.description, "kind": self.kind,
                "legend_title": self.legend_title, "levels": list(self.levels), "filters": list(self.filters),
                "popup_fields": list(self.popup_fields), "classification": self.classification,
                "options": self.options}


class AreaGeometry:
    """Display geometry of every area, as GeoJSON text trimmed per level, built once per data version."""

    def __init__(self, session):
        self.areas = {}
        for level in LEVELS:
            frame = store.load_areas(session, level, display=True)
            # RFC 7946: exterior rings counter-clockwise, holes clockwise
            rounded = shapely.orient_polygons(frame.geometry.set_precision(10 ** -PRECISION[level]).values,
                                              exterior_cw=False)
            self.areas[level] = {
                code: {"name_km": km, "name_en": en, "parent_code": parent,
                       "label": [round(lon, 5), round(lat, 5)],
                       "geometry": json.dumps(geometry.__geo_interface__, separators=(",", ":"))}
                for code, km, en, parent, lon, lat, geometry in zip(
                    frame["code"], frame["name_km"], frame["name_en"], frame["parent_code"],
                    frame["label_lon"], frame["label_lat"], rounded)
            }

    def codes(self):
        return {code for level in self.areas.values() for code in level}

    def within(self, level, filters):
        """Codes of a level inside the area filters (e.g. the communes of province 01)."""
        prefixes = filters.commune or filters.district or filters.province
        return [code for code in self.areas[level] if not prefixes or code.startswith(prefixes)
                or any(p.startswith(code) for p in prefixes)]


def area_values(session, filters, level):
    """Per-area totals for the filters: from the precomputed statistics when they suffice, else from projects.

    The statistics hold one row per area of a level, so an area filter finer than the level (the provinces'
    totals for district=0105) needs the projects too."""
    finest = filters.commune or filters.district or filters.province
    finer_than_level = any(len(code) > CODE_LENGTH[level] for code in finest)
    if filters.only_statistics_dimensions() and not finer_than_level:
        s = AreaStatistic
        query = (sa.select(s.area_code, sa.func.sum(s.project_count), sa.func.sum(s.budget),
                           sa.func.sum(s.contract_value), sa.func.sum(s.expenditure))
                 .where(s.level == level, *_statistic_conditions(filters)).group_by(s.area_code))
    else:
        column = LEVEL_COLUMN[level]
        query = (sa.select(column, sa.func.count(), sa.func.coalesce(sa.func.sum(Project.budget), 0),
                           sa.func.coalesce(sa.func.sum(Project.contract_value), 0),
                           sa.func.coalesce(sa.func.sum(Project.expenditure), 0))
                 .where(column.is_not(None), *project_conditions(filters)).group_by(column))
    frame = pd.DataFrame(session.execute(query).all(), columns=["area_code"] + MEASURES)
    return frame.astype({m: "int64" for m in MEASURES}).set_index("area_code")


def _statistic_conditions(filters):
    s, conditions = AreaStatistic, []
    if filters.year_from is not None:
        conditions.append(s.fiscal_year.between(filters.year_from, filters.year_to))
    if filters.sector:
        conditions.append(s.sector.in_(filters.sector))
    prefixes = filters.commune or filters.district or filters.province
    if prefixes:
        conditions.append(sa.or_(*[s.area_code.startswith(p) for p in prefixes]))
    return conditions


def class_breaks(values, method, k=5):
    """Upper bounds of the classes (exact values from mapclassify), fewer when there are few distinct values."""
    values = np.asarray([v for v in values if v is not None and not np.isnan(v)], dtype=float)
    distinct = np.unique(values)
    if len(distinct) == 0:
        return []
    if len(distinct) <= k:
        return distinct.tolist()
    if method == "natural_breaks":
        return fisher_jenks(values, k)
    return sorted(set(float(b) for b in mapclassify.Quantiles(values, k=k).bins))


def fisher_jenks(values, k):
    """Natural breaks (Fisher-Jenks): the optimal k classes by least squared deviation, deterministic.

    mapclassify's FisherJenks needs numba to be fast (7 s for 1,633 values without it); this dynamic
    programme vectorises its inner loop with numpy (about 0.1 s) and gives the same breaks.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    sums, squares = np.concatenate([[0.0], np.cumsum(x)]), np.concatenate([[0.0], np.cumsum(x * x)])
    cost = np.full((k + 1, n + 1), np.inf)
    cost[0, 0] = 0.0
    start = np.zeros((k + 1, n + 1), dtype=int)
    for c in range(1, k + 1):
        for end in range(c, n + 1):
            begin = np.arange(c - 1, end)
            deviation = squares[end] - squares[begin] - (sums[end] - sums[begin]) ** 2 / (end - begin)
            total = cost[c - 1, begin] + deviation
            best = int(np.argmin(total))
            cost[c, end], start[c, end] = total[best], begin[best]
    breaks, end = [], n
    for c in range(k, 0, -1):
        breaks.append(float(x[end - 1]))
        end = start[c, end]
    return sorted(set(breaks))


def class_of(value, breaks):
    """Index of the first class whose upper bound holds the value (None for no value)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(np.searchsorted(breaks, value, side="left")) if breaks else None


def legend(layer, breaks, colors, lower=None):
    """The legend returned with the data: exact class bounds and their colours."""
    classes, previous = [], lower
    for index, upper in enumerate(breaks):
        classes.append({"class": index, "min": previous, "max": upper, "color": colors[min(index, len(colors) - 1)]})
        previous = upper
    return {"title": layer.legend_title, "classification": layer.classification, "breaks": breaks, "classes": classes}


def feature_collection(features_json, members):
    """Join pre-serialised features with foreign members into one GeoJSON text."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False, separators=(",", ":"))[:-1]
    return head + ',"features":[' + ",".join(features_json) + "]}"


def area_feature(code, level, area, properties):
    props = {"code": code, "level": level, "name_km": area["name_km"], "name_en": area["name_en"], **properties}
    return ('{"type":"Feature","id":"' + code + '","properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + ',"geometry":' + area["geometry"] + "}")
