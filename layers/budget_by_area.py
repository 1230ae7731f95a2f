"""The budget of each district or commune itself (not its projects): approved against actual expenditure, as
the share of the approved budget that was spent, in the same fixed classes as ``budget_vs_actual``."""
from layers.base import Layer, area_feature, class_of, feature_collection, legend
from layers.budget_vs_actual import BREAKS, DIVERGING
from mapservice.read.budgets import FILTERS, budget_by_area
from mapservice.store.budget_vocabulary import BUDGET_LEVELS

NO_BUDGET = {"approved": None, "actual": None}


def spent_share(amounts):
    """Actual over approved expenditure (None without both)."""
    approved, actual = amounts["approved"], amounts["actual"]
    return round(actual / approved, 4) if approved and actual is not None else None


def build(layer, session, areas, filters, level, options):
    """GeoJSON text: every area of ``level`` inside the area filters with its approved and actual expenditure
    summed over the filtered years (null where no budget is stored), the share spent and its class."""
    amounts = budget_by_area(session, filters, level)
    features, totals = [], {"approved": 0, "actual": 0}
    for code in areas.within(level, filters):
        own = amounts.get(code, NO_BUDGET)
        value = spent_share(own)
        features.append(area_feature(code, level, areas.areas[level][code],
                                     {**own, "value": value, "class": class_of(value, BREAKS)}))
        totals["approved"] += own["approved"] or 0
        totals["actual"] += own["actual"] or 0
    members = {"layer": layer.name, "level": level, "filters": filters.as_params(),
               "legend": legend(layer, BREAKS, DIVERGING), "totals": totals}
    return feature_collection(features, members).replace("Infinity", "null")  # the last class is open-ended


LAYER = Layer(
    name="budget_by_area",
    title={"km": "ថវិការបស់ស្រុក និងឃុំ៖ អនុម័ត ធៀបនឹងជាក់ស្តែង", "en": "Budget by area: approved vs actual"},
    description={"km": "ចំណាយជាក់ស្តែងនៃថវិការបស់ស្រុក ឬឃុំខ្លួនឯង ធៀបនឹងថវិកាអនុម័ត",
                 "en": "Actual expenditure of the district's or commune's own budget as a share of the approved budget"},
    legend_title={"km": "ជាក់ស្តែង ÷ អនុម័ត", "en": "Actual ÷ approved"},
    kind="choropleth",
    build=build,
    levels=BUDGET_LEVELS,
    filters=FILTERS,
    popup_fields=("name_km", "name_en", "approved", "actual", "value"),
    classification="fixed",
)
