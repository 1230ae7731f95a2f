"""The choropleth builder shared by the per-area layers: totals per area, a value, classes and a legend."""
from layers.base import SEQUENTIAL, area_feature, class_breaks, class_of, feature_collection, legend
from mapservice.read.totals import area_values

ZERO = {"project_count": 0, "budget": 0, "contract_value": 0, "expenditure": 0}


def build_choropleth(layer, session, areas, filters, level, value_of, colors=SEQUENTIAL, fixed_breaks=None,
                     extra=lambda totals: {}):
    """GeoJSON text: every area of ``level`` inside the area filters, its totals, value, class, and the layer's
    ``extra(totals)`` properties."""
    values = area_values(session, filters, level).to_dict("index")
    codes = areas.within(level, filters)
    rows = [(code, values.get(code, ZERO)) for code in codes]
    measured = [(code, totals, value_of(totals)) for code, totals in rows]
    breaks = fixed_breaks or class_breaks([value for _, _, value in measured], layer.classification)
    features = [area_feature(code, level, areas.areas[level][code],
                             {**totals, **extra(totals), "value": value, "class": class_of(value, breaks)})
                for code, totals, value in measured]
    totals = {key: sum(totals[key] for _, totals, _ in measured) for key in ZERO}
    lower = 0 if not fixed_breaks else None
    return feature_collection(features, {"layer": layer.name, "level": level, "filters": filters.as_params(),
                                         "legend": legend(layer, breaks, colors, lower=lower), "totals": totals})
