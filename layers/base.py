"""What every layer declares (titles, legend, filters, popup, classification) and the shared pieces:
class breaks, legends, and GeoJSON text joined from pre-serialised features. The data come from the read side
(``mapservice.read``: per-area values, area geometry); nothing here imports Flask."""
import json
from dataclasses import dataclass, field

import mapclassify
import numpy as np

from mapservice.read.filters import FILTER_PARAMETERS
from mapservice.store.models import LEVELS

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
